"""Telraam traffic reports (JSON), as the Telraam API returns them; no network: files or posted JSON.

Accepted shapes:
- `POST /v1/reports/traffic` answers: `{"report": [{segment_id, date, interval, uptime, heavy, car, bike,
  pedestrian, heavy_lft, heavy_rgt, …}]}`;
- the traffic snapshot (a GeoJSON `FeatureCollection` whose `features[].properties` hold the same fields,
  `period` instead of `interval`), as in docs/_mobility/Telraam of the OSLO mapping;
- a bare list of report rows.

Each row becomes one observation per class (pedestrian, bike, car, heavy) for both directions, plus left and
right where the `_lft`/`_rgt` splits are given. Telraam's counts are already divided by the uptime; the
uptime is kept (rows below 0.5 are flagged by `analytics.quality`, not dropped). `date` is the interval's
start in UTC; `interval`/`period` "hourly" (1 h) or "quarterly" (15 min). The segment id must be the
`external_id` of a Telraam sensor of the area.
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta

from django.utils.translation import gettext as _

from ..models import Direction, ObservedProperty, Provider, Sensor
from .base import MAX_ERRORS, PROGRESS_EVERY, ObservationRow, Parsed, Progress, no_progress, parse_time

CLASSES = {
    "pedestrian": ObservedProperty.PEDESTRIAN,
    "bike": ObservedProperty.BIKE,
    "car": ObservedProperty.CAR,
    "heavy": ObservedProperty.HEAVY,
}
SPLITS = {"": Direction.BOTH, "_lft": Direction.LEFT, "_rgt": Direction.RIGHT}
INTERVALS = {"hourly": timedelta(hours=1), "hour": timedelta(hours=1), "quarterly": timedelta(minutes=15)}


def report_rows(data) -> list | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if isinstance(data.get("report"), list):
            return data["report"]
        if isinstance(data.get("features"), list):
            return [feature.get("properties") or {} for feature in data["features"] if isinstance(feature, dict)]
    return None


def parse(data: bytes | dict | list, *, area, progress: Progress = no_progress) -> Parsed:
    parsed = Parsed()
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            parsed.error(0, "file", _("The file is not valid JSON."))
            return parsed
    rows = report_rows(data)
    if rows is None:
        parsed.error(0, "file", _("This is not a Telraam report: expected “report” or “features”."))
        return parsed
    if not rows:
        parsed.error(0, "file", _("The report has no rows."))
        return parsed
    sensors = {s.external_id: s for s in Sensor.objects.filter(area=area, provider=Provider.TELRAAM)}
    seen: dict[tuple, int] = {}
    total = len(rows)
    for number, row in enumerate(rows, start=1):
        if number % PROGRESS_EVERY == 0:
            progress(number, total)
        if len(parsed.errors) >= MAX_ERRORS:
            break
        if not isinstance(row, dict):
            parsed.error(number, "file", _("Each report row must be an object."))
            continue
        bad = len(parsed.errors)
        segment = str(row.get("segment_id", "")).strip()
        sensor = sensors.get(segment)
        if sensor is None:
            parsed.error(
                number, "segment_id", _("No Telraam sensor for segment “%(id)s” in this area.") % {"id": segment}
            )
        start = None
        try:
            start = parse_time(str(row.get("date", "")), tz=UTC)
        except ValueError:
            parsed.error(number, "date", _("“%(value)s” is not a time.") % {"value": row.get("date", "")})
        interval = INTERVALS.get(str(row.get("interval") or row.get("period") or "hourly").lower())
        if interval is None:
            parsed.error(number, "interval", _("Only hourly and quarterly reports can be imported."))
        uptime = row.get("uptime")
        if uptime is not None:
            try:
                uptime = float(uptime)
                if not 0 <= uptime <= 1:
                    raise ValueError(uptime)
            except (TypeError, ValueError):
                parsed.error(number, "uptime", _("The uptime must be a number from 0 to 1."))
        if len(parsed.errors) > bad:
            continue
        found = 0
        for name, prop in CLASSES.items():
            for suffix, direction in SPLITS.items():
                raw = row.get(f"{name}{suffix}")
                if raw is None or raw == "":
                    continue
                try:
                    value = float(raw)
                    if value < 0 or value != value:
                        raise ValueError(raw)
                except (TypeError, ValueError):
                    parsed.error(number, f"{name}{suffix}", _("“%(value)s” is not a count.") % {"value": raw})
                    continue
                observation = ObservationRow(
                    sensor.pk, prop, direction, start, start + interval, value, uptime, 0, number
                )
                if observation.key in seen:
                    parsed.error(
                        number,
                        "date",
                        _("This hour is in the report twice (also row %(line)d).") % {"line": seen[observation.key]},
                    )
                    break
                seen[observation.key] = number
                parsed.rows.append(observation)
                found += 1
        if not found and len(parsed.errors) == bad:
            parsed.error(number, "file", _("The row has no counts (heavy, car, bike, pedestrian)."))
    parsed.lines = total
    progress(total, total)
    return parsed
