"""Data quality of sensor counts: detectors, the flags they set, and the flags a figure must carry.

Faults are flagged, never silently averaged in. Each `Flag` is a bit: an `Observation` carries the bits of
its own hour (`Observation.flags`), a `SensorDayQuality` row the union for a sensor's local day plus its
coverage (intervals present ÷ expected). `assess_sensor(...)` recomputes both for a sensor and a date
range after each import; `flags_for(...)` returns the notes a figure built from those counts must show.

The detectors are plain functions on pandas Series, tested on hand-made series:
- `zero_runs`: runs of zeros of at least `min_hours` that reach into the daytime (a counter that is off, not
  an empty town at night);
- `missing_intervals`: expected intervals of a local day with no observation;
- `low_uptime`: intervals whose uptime is below `LOW_UPTIME` (Telraam's own rule of thumb: 0.5);
- `is_mojibake`: text that was decoded with the wrong character set (U+FFFD, "Ã¤"-style pairs);
- `columns_shifted`: per-direction columns that only add up to the total one column further along.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils.translation import gettext_lazy as _

LOW_UPTIME = 0.5
MIN_ZERO_RUN_HOURS = 4
DAYTIME_HOURS = range(9, 19)  # a run of zeros touching these local hours is an outage
MIN_EXPECTED_IN_RUN = 20.0  # passers expected over the run: fewer and zeros may be real


class Flag(enum.IntFlag):
    ZERO_RUN = 1
    MISSING = 2
    LOW_UPTIME = 4
    SHIFTED_COLUMNS = 8
    MOJIBAKE = 16
    IMPUTED = 32  # filled in by us (e.g. a column lost in the source); never a measurement

    @property
    def code(self) -> str:
        return FLAG_CODES[self]

    @property
    def label(self) -> str:
        return str(FLAG_LABELS[self])


FLAG_CODES = {
    Flag.ZERO_RUN: "zero_run",
    Flag.MISSING: "missing_intervals",
    Flag.LOW_UPTIME: "low_uptime",
    Flag.SHIFTED_COLUMNS: "shifted_columns",
    Flag.MOJIBAKE: "mojibake",
    Flag.IMPUTED: "imputed",
}
FLAG_LABELS = {
    Flag.ZERO_RUN: _("Run of zeros: the counter was probably off"),
    Flag.MISSING: _("Missing intervals"),
    Flag.LOW_UPTIME: _("Low sensor uptime"),
    Flag.SHIFTED_COLUMNS: _("Columns were shifted in the source file (corrected on import)"),
    Flag.MOJIBAKE: _("Mis-encoded text in the source file"),
    Flag.IMPUTED: _("Value filled in, not measured"),
}


def flags_of(bits: int) -> list[Flag]:
    """The single flags in a bit set, in a fixed order."""
    return [flag for flag in Flag if bits & flag]


def codes_of(bits: int) -> list[str]:
    return [flag.code for flag in flags_of(bits)]


# --- detectors ----------------------------------------------------------------------------------------------


def zero_runs(
    series: pd.Series,
    *,
    min_hours: int = MIN_ZERO_RUN_HOURS,
    daytime=DAYTIME_HOURS,
    min_expected: float = MIN_EXPECTED_IN_RUN,
) -> pd.Series:
    """A boolean mask over an hourly series (indexed by local, aware or naive times, sorted): True for the
    values in a run of at least `min_hours` consecutive zeros that covers a daytime hour and in which at least
    `min_expected` passers were to be expected (so quiet hours of a small series, e.g. children at dawn, are
    not an outage). The expected level of an hour is the median of that hour of the day over the series (over
    its non-zero daytime values when it spans fewer than three days). A gap in the index ends a run."""
    if series.empty:
        return pd.Series([], dtype=bool, index=series.index)
    values = series.to_numpy()
    index = series.index
    hours = index.hour
    if index[-1] - index[0] >= pd.Timedelta(days=3):
        level = series.groupby(hours).median().to_dict()
    else:
        daytime_values = series[np.isin(hours, list(daytime)) & (series.to_numpy() > 0)]
        typical = float(daytime_values.median()) if len(daytime_values) else 0.0
        level = dict.fromkeys(range(24), typical)
    mask = [False] * len(values)
    start = None
    for position in range(len(values) + 1):
        zero = position < len(values) and values[position] == 0
        contiguous = (
            position < len(values)
            and start is not None
            and position > 0
            and index[position] - index[position - 1] <= pd.Timedelta(hours=1)
        )
        if zero and (start is None or contiguous):
            if start is None:
                start = position
            continue
        if start is not None:
            run = range(start, position)
            if (
                len(run) >= min_hours
                and any(hours[i] in daytime for i in run)
                and sum(level.get(hours[i], 0.0) for i in run) >= min_expected
            ):
                for i in run:
                    mask[i] = True
            start = position if zero else None
    return pd.Series(mask, index=index, dtype=bool)


def expected_starts(day: date, tz, interval: timedelta = timedelta(hours=1)) -> list[datetime]:
    """The interval starts of a local day (23 or 25 hours on DST days), as aware times."""
    first = datetime.combine(day, time(0), tzinfo=tz)
    last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    starts, moment = [], first.astimezone(tz).timestamp()
    while moment < last.timestamp():
        starts.append(datetime.fromtimestamp(moment, tz))
        moment += interval.total_seconds()
    return starts


def missing_intervals(
    present: Iterable[datetime], *, day: date, tz, interval: timedelta = timedelta(hours=1)
) -> list[datetime]:
    """The expected interval starts of a local day that have no observation."""
    seen = {moment.timestamp() for moment in present}
    return [moment for moment in expected_starts(day, tz, interval) if moment.timestamp() not in seen]


def low_uptime(uptime: pd.Series, *, threshold: float = LOW_UPTIME) -> pd.Series:
    """True where a reported uptime is below the threshold (no uptime reported: not flagged)."""
    return uptime.notna() & (uptime < threshold)


# U+FFFD, or the second byte of a UTF-8 pair read as Latin-1/Windows-1252 ("Ã¤", "ÃŸ", "Â°", "â€™").
_CP1252_HIGH = "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122"
_MOJIBAKE = re.compile(f"\ufffd|[ÃÂ][{_CP1252_HIGH}]|â€")


def is_mojibake(text: str) -> bool:
    """True when text shows the marks of a wrong decoding (replacement characters, UTF-8 read as Latin-1)."""
    return bool(_MOJIBAKE.search(text or ""))


def columns_shifted(rows: Sequence[Sequence[float | None]], *, total: int, parts: Sequence[int]) -> bool:
    """True when, in most rows, the part columns do not add up to the total but the columns one further to the
    right do (an extra empty field pushed them along). `rows`: numbers per column (None for empty)."""
    straight = shifted = checked = 0
    for row in rows:
        try:
            value = row[total]
        except IndexError:
            continue
        if value is None or not value:
            continue
        checked += 1
        here = [row[i] if i < len(row) else None for i in parts]
        there = [row[i + 1] if i + 1 < len(row) else None for i in parts]
        if None not in here and sum(here) == value:
            straight += 1
        elif None not in there and sum(there) == value:
            shifted += 1
    return checked > 0 and shifted > straight and shifted >= checked / 2


# --- assessment after an import ------------------------------------------------------------------------------


def assess_sensor(*, sensor, start: date, end: date) -> None:
    """Recompute the observation flags a detector sets (zero runs, low uptime) and the `SensorDayQuality` rows
    of a sensor for the local days [start, end]. Flags set at import (shifted columns, mis-encoding, imputed)
    are kept. Runs inside the caller's transaction."""
    from .models import Observation, SensorDayQuality

    tz = sensor.area.tz
    low = datetime.combine(start, time(0), tzinfo=tz) - timedelta(hours=12)
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz) + timedelta(hours=12)
    rows = list(
        Observation.objects.filter(sensor=sensor, phenomenon_start__gte=low, phenomenon_start__lt=high)
        .order_by("observed_property", "direction", "phenomenon_start")
        .values_list(
            "pk", "observed_property", "direction", "phenomenon_start", "phenomenon_end", "value", "uptime", "flags"
        )
    )
    if not rows:
        SensorDayQuality.objects.filter(sensor=sensor, date__gte=start, date__lte=end).delete()
        return
    frame = pd.DataFrame(rows, columns=["pk", "prop", "direction", "start", "end", "value", "uptime", "flags"])
    frame["local"] = pd.to_datetime(frame["start"], utc=True).dt.tz_convert(tz)
    frame["uptime"] = frame["uptime"].astype(float)
    kept = frame["flags"] & ~int(Flag.ZERO_RUN | Flag.LOW_UPTIME)
    new_flags = kept.copy()
    for _key, group in frame.groupby(["prop", "direction"], sort=False):
        series = pd.Series(group["value"].to_numpy(), index=pd.DatetimeIndex(group["local"]))
        zeros = zero_runs(series).to_numpy()
        new_flags.loc[group.index[zeros]] |= int(Flag.ZERO_RUN)
    new_flags.loc[low_uptime(frame["uptime"])] |= int(Flag.LOW_UPTIME)
    changed = frame.loc[new_flags != frame["flags"], "pk"]
    if len(changed):
        updates = [Observation(pk=int(pk), flags=int(new_flags[i])) for i, pk in changed.items()]
        Observation.objects.bulk_update(updates, ["flags"], batch_size=2000)
    frame["flags"] = new_flags
    frame["date"] = frame["local"].dt.date
    interval = timedelta(seconds=float((frame["end"] - frame["start"]).dt.total_seconds().median()))
    days = []
    for day, group in frame.groupby("date"):
        if not start <= day <= end:
            continue
        bits = 0
        for flag_bits in group["flags"].unique():
            bits |= int(flag_bits)
        present = set(group["start"])
        expected = expected_starts(day, tz, interval)
        missing = missing_intervals(present, day=day, tz=tz, interval=interval)
        if missing:
            bits |= int(Flag.MISSING)
        uptime = group["uptime"].dropna()
        days.append(
            SensorDayQuality(
                sensor=sensor,
                date=day,
                flags=bits,
                coverage=round(1 - len(missing) / len(expected), 4) if expected else 0.0,
                mean_uptime=float(uptime.mean()) if len(uptime) else None,
            )
        )
    # Days inside the data's span with no observation at all: missing, coverage 0.
    present_days = {row.date for row in days}
    first_day, last_day = max(start, frame["date"].min()), min(end, frame["date"].max())
    day = first_day
    while day <= last_day:
        if day not in present_days:
            days.append(SensorDayQuality(sensor=sensor, date=day, flags=int(Flag.MISSING), coverage=0.0))
        day += timedelta(days=1)
    with transaction.atomic():
        SensorDayQuality.objects.filter(sensor=sensor, date__gte=start, date__lte=end).delete()
        SensorDayQuality.objects.bulk_create(days, batch_size=2000)


# --- what a figure must carry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityNote:
    """One kind of fault in the data behind a figure: `days` sensor-days affected (missing days included)."""

    code: str
    label: str
    days: int
    counting_points: tuple[str, ...]


def flags_for(
    *, area, start: date, end: date, counting_point=None, sensors: Sequence | None = None
) -> list[QualityNote]:
    """The quality notes a figure over the local days [start, end) of an area (or one counting point, or some
    sensors) must show: each flag found on a sensor-day, and days with no data at all (active sensors only)."""
    from .models import Sensor, SensorDayQuality

    chosen = Sensor.objects.filter(area=area, is_active=True).select_related("counting_point")
    if counting_point is not None:
        chosen = chosen.filter(counting_point=counting_point)
    if sensors is not None:
        chosen = chosen.filter(pk__in=[getattr(s, "pk", s) for s in sensors])
    chosen = list(chosen)
    if not chosen:
        return []
    by_sensor = {sensor.pk: sensor for sensor in chosen}
    affected: dict[Flag, list[tuple[int, date]]] = {}
    seen: set[tuple[int, date]] = set()
    for sensor_id, day, bits in SensorDayQuality.objects.filter(
        sensor__in=chosen, date__gte=start, date__lt=end
    ).values_list("sensor_id", "date", "flags"):
        seen.add((sensor_id, day))
        for flag in flags_of(bits):
            affected.setdefault(flag, []).append((sensor_id, day))
    first_seen = _first_days(chosen)
    day = start
    while day < end:
        for sensor in chosen:
            begun = first_seen.get(sensor.pk)
            if begun is not None and begun <= day and (sensor.pk, day) not in seen:
                affected.setdefault(Flag.MISSING, []).append((sensor.pk, day))
        day += timedelta(days=1)
    notes = []
    for flag in Flag:
        if flag in affected:
            names = sorted({by_sensor[sensor_id].counting_point.name for sensor_id, _day in affected[flag]})
            notes.append(QualityNote(flag.code, flag.label, len(affected[flag]), tuple(names)))
    return notes


def _first_days(sensors) -> dict[int, date]:
    """Per sensor, the first local day with a quality row (before it, no data is not "missing")."""
    from django.db.models import Min

    from .models import SensorDayQuality

    return dict(
        SensorDayQuality.objects.filter(sensor__in=sensors)
        .values("sensor_id")
        .annotate(first=Min("date"))
        .values_list("sensor_id", "first")
    )
