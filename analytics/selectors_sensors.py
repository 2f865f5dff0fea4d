"""Reads of sensor counts: hourly or daily series per counting point, always with their quality flags.

Directions: a figure counts each passer once. Per sensor and observed property the "both" series is used
where the sensor reports one; otherwise "in" (entrants at a door); otherwise left + right summed. Several
sensors at one counting point add up. `flags` is the union of the `quality.Flag` bits behind each value,
`flag_codes` the same as text ("zero_run,missing_intervals").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from django.db.models import Count, Max, Min

from .models import (
    CountingPoint,
    Direction,
    ImportRun,
    ImportStatus,
    Observation,
    ObservedProperty,
    Sensor,
    SensorDayQuality,
)
from .quality import Flag, codes_of

COUNT_COLUMNS = ["counting_point", "counting_point_name", "phenomenon_start", "value", "flags", "flag_codes"]
DAILY_COLUMNS = ["counting_point", "counting_point_name", "date", "value", "coverage", "flags", "flag_codes"]


def _bounds(area, start, end) -> tuple[datetime, datetime]:
    """Aware bounds from dates (local midnight in the area's zone) or aware datetimes."""

    def aware(value):
        if isinstance(value, datetime):
            return value
        return datetime.combine(value, time(0), tzinfo=area.tz)

    return aware(start), aware(end)


def _raw(*, area, start, end, observed_property, counting_point=None) -> pd.DataFrame:
    low, high = _bounds(area, start, end)
    rows = Observation.objects.filter(
        sensor__area=area,
        observed_property=observed_property,
        phenomenon_start__gte=low,
        phenomenon_start__lt=high,
    )
    if counting_point is not None:
        rows = rows.filter(sensor__counting_point=counting_point)
    frame = pd.DataFrame(
        list(
            rows.values_list(
                "sensor_id", "sensor__counting_point_id", "direction", "phenomenon_start", "value", "flags"
            )
        ),
        columns=["sensor", "counting_point", "direction", "phenomenon_start", "value", "flags"],
    )
    if frame.empty:
        return frame
    frame["phenomenon_start"] = pd.to_datetime(frame["phenomenon_start"], utc=True).dt.tz_convert(area.tz)
    # One direction rule per sensor: both > in > left + right.
    available = frame.groupby("sensor")["direction"].agg(set)
    keep = []
    for sensor_id, directions in available.items():
        if Direction.BOTH in directions:
            keep.append((sensor_id, (Direction.BOTH,)))
        elif Direction.IN in directions:
            keep.append((sensor_id, (Direction.IN,)))
        else:
            keep.append((sensor_id, (Direction.LEFT, Direction.RIGHT)))
    mask = pd.Series(False, index=frame.index)
    for sensor_id, directions in keep:
        mask |= (frame["sensor"] == sensor_id) & frame["direction"].isin([str(d) for d in directions])
    return frame[mask]


def _names(area) -> dict[int, str]:
    return dict(CountingPoint.objects.filter(area=area).values_list("pk", "name"))


def _or_bits(values: pd.Series) -> int:
    bits = 0
    for value in values.unique():
        bits |= int(value)
    return bits


def counts(
    *,
    area,
    start: date | datetime,
    end: date | datetime,
    observed_property: str = ObservedProperty.PERSONS,
    counting_point: CountingPoint | None = None,
    interval: str = "hour",
) -> pd.DataFrame:
    """Counts per counting point and interval ("hour" or "day", local days) in [start, end): columns
    counting_point (id), counting_point_name, phenomenon_start (aware, area zone; local midnight for days),
    value, flags (Flag bits), flag_codes. Days also carry the missing-interval flag of their coverage."""
    if interval not in ("hour", "day"):
        raise ValueError("interval must be 'hour' or 'day'")
    frame = _raw(area=area, start=start, end=end, observed_property=observed_property, counting_point=counting_point)
    if frame.empty:
        return pd.DataFrame(columns=COUNT_COLUMNS)
    if interval == "hour":
        key = frame["phenomenon_start"].dt.floor("h", ambiguous="NaT", nonexistent="shift_forward")
        key = key.fillna(frame["phenomenon_start"])
    else:
        key = frame["phenomenon_start"].dt.normalize()
    frame = frame.assign(period=key)
    grouped = frame.groupby(["counting_point", "period"], sort=True)
    result = grouped.agg(value=("value", "sum"), flags=("flags", _or_bits)).reset_index()
    result = result.rename(columns={"period": "phenomenon_start"})
    if interval == "day":
        quality = _day_quality(area=area, start=start, end=end, counting_point=counting_point)
        if quality:
            dates = result["phenomenon_start"].dt.date
            # Only the day's missing intervals: other flags come from this property's own observations.
            missing = int(Flag.MISSING)
            extra = [
                quality.get((cp, day), 0) & missing for cp, day in zip(result["counting_point"], dates, strict=True)
            ]
            result["flags"] = [int(a) | int(b) for a, b in zip(result["flags"], extra, strict=True)]
    names = _names(area)
    result["counting_point_name"] = result["counting_point"].map(names)
    result["flag_codes"] = [",".join(codes_of(int(bits))) for bits in result["flags"]]
    return result[COUNT_COLUMNS]


def _day_quality(*, area, start, end, counting_point=None) -> dict[tuple[int, date], int]:
    low, high = _bounds(area, start, end)
    rows = SensorDayQuality.objects.filter(
        sensor__area=area, date__gte=low.astimezone(area.tz).date(), date__lt=high.astimezone(area.tz).date()
    )
    if counting_point is not None:
        rows = rows.filter(sensor__counting_point=counting_point)
    table: dict[tuple[int, date], int] = {}
    for cp, day, bits in rows.values_list("sensor__counting_point_id", "date", "flags"):
        table[(cp, day)] = table.get((cp, day), 0) | bits
    return table


def daily_totals(
    *,
    area,
    start: date,
    end: date,
    observed_property: str = ObservedProperty.PERSONS,
    counting_point: CountingPoint | None = None,
    public_only: bool = False,
) -> pd.DataFrame:
    """Daily totals per counting point for the local days [start, end), with coverage (0–1, the lowest of the
    point's sensors) and flags; days without any data are absent. `public_only`: counting points published
    as open data only."""
    frame = counts(
        area=area,
        start=start,
        end=end,
        observed_property=observed_property,
        counting_point=counting_point,
        interval="day",
    )
    if frame.empty:
        return pd.DataFrame(columns=DAILY_COLUMNS)
    frame = frame.assign(date=frame["phenomenon_start"].dt.date)
    coverage = {}
    rows = SensorDayQuality.objects.filter(sensor__area=area, date__gte=start, date__lt=end)
    for cp, day, value in rows.values_list("sensor__counting_point_id", "date", "coverage"):
        coverage[(cp, day)] = min(value, coverage.get((cp, day), 1.0))
    frame["coverage"] = [
        coverage.get((cp, day)) for cp, day in zip(frame["counting_point"], frame["date"], strict=True)
    ]
    if public_only:
        public = set(CountingPoint.objects.filter(area=area, is_public=True).values_list("pk", flat=True))
        frame = frame[frame["counting_point"].isin(public)]
    return frame[DAILY_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class CountingPointSummary:
    point: CountingPoint
    sensors: int
    first: datetime | None
    last: datetime | None
    mean_coverage_30d: float | None
    flagged_days_30d: int


def counting_point_summaries(*, area, today: date) -> list[CountingPointSummary]:
    """Each counting point of an area with its sensors, data span and the last 30 days' coverage and faults
    (three queries)."""
    points = list(CountingPoint.objects.filter(area=area).select_related("merchant").order_by("name"))
    span = {
        row["sensor__counting_point_id"]: row
        for row in Observation.objects.filter(sensor__area=area)
        .values("sensor__counting_point_id")
        .annotate(first=Min("phenomenon_start"), last=Max("phenomenon_end"))
    }
    since = today - timedelta(days=30)
    quality: dict[int, list] = {}
    for cp, coverage, bits in SensorDayQuality.objects.filter(
        sensor__area=area, date__gte=since, date__lt=today
    ).values_list("sensor__counting_point_id", "coverage", "flags"):
        quality.setdefault(cp, []).append((coverage, bits))
    sensors = dict(
        Sensor.objects.filter(area=area, is_active=True)
        .values("counting_point_id")
        .annotate(n=Count("pk"))
        .values_list("counting_point_id", "n")
    )
    summaries = []
    for point in points:
        days = quality.get(point.pk, [])
        summaries.append(
            CountingPointSummary(
                point=point,
                sensors=sensors.get(point.pk, 0),
                first=span.get(point.pk, {}).get("first"),
                last=span.get(point.pk, {}).get("last"),
                mean_coverage_30d=(sum(c for c, _b in days) / 30) if days else None,
                flagged_days_30d=sum(1 for _c, bits in days if bits),
            )
        )
    return summaries


def recent_imports(*, area, limit: int = 10):
    return list(
        ImportRun.objects.filter(area=area).select_related("sensor__counting_point").order_by("-created_at")[:limit]
    )


def last_import(*, area) -> ImportRun | None:
    return ImportRun.objects.filter(area=area, status=ImportStatus.DONE).order_by("-created_at").first()


def has_faults(bits: int) -> bool:
    return bool(bits & ~int(Flag.IMPUTED))
