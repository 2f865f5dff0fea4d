"""Our own counts format, CSV or JSON (documented in docs/analytics-data.md); also what the API takes.

CSV: UTF-8, `;` or `,`, a header naming the columns in any order:

    sensor;observed_property;direction;start;end;value;uptime
    door-1;store_entrants;in;2026-06-01T10:00:00+02:00;2026-06-01T11:00:00+02:00;153;0.98

JSON: `{"observations": [{...same keys...}]}` or the list alone.

`sensor` is a sensor's id at its provider (`external_id`), found among the area's sensors (`provider`,
optional, default "own", says whose id it is). `observed_property`, `direction` (default "both"), `end`
(default `start` + 1 hour) and `uptime` (0–1, optional) as in `analytics.models`. A time without an
offset is read in the area's time zone.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from django.utils.translation import gettext as _

from ..models import Direction, ObservedProperty, Provider, Sensor
from .base import (
    MAX_ERRORS,
    MAX_ROWS,
    PROGRESS_EVERY,
    ObservationRow,
    Parsed,
    Progress,
    decode,
    no_progress,
    parse_count,
    parse_time,
    sniff_delimiter,
)

COLUMNS = ("sensor", "observed_property", "direction", "start", "end", "value", "uptime", "provider")
REQUIRED = ("sensor", "observed_property", "start", "value")
DEFAULT_INTERVAL = timedelta(hours=1)


def parse_csv(data: bytes, *, area, progress: Progress = no_progress) -> Parsed:
    parsed = Parsed()
    text, encoding = decode(data)
    if encoding != "utf-8":
        parsed.error(0, "file", _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))
        return parsed
    lines = text.splitlines()
    if not lines:
        parsed.error(0, "file", _("The file is empty."))
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(lines[0]))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        parsed.error(
            1,
            "file",
            _("The first line must name the columns; missing: %(columns)s.") % {"columns": ", ".join(missing)},
        )
        return parsed
    records = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        records.append((reader.line_num, dict(zip(header, (value.strip() for value in values), strict=False))))
    return _check(records, area=area, parsed=parsed, progress=progress)


def parse_json(data: bytes | list | dict, *, area, progress: Progress = no_progress) -> Parsed:
    parsed = Parsed()
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            parsed.error(0, "file", _("The file is not valid JSON."))
            return parsed
    items = data.get("observations") if isinstance(data, dict) else data
    if not isinstance(items, list):
        parsed.error(0, "file", _('Expected a list of observations, or {"observations": [...]}.'))
        return parsed
    records = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            parsed.error(number, "file", _("Each observation must be an object."))
            continue
        records.append((number, {str(k).lower(): ("" if v is None else str(v)) for k, v in item.items()}))
    return _check(records, area=area, parsed=parsed, progress=progress)


def _check(records: list[tuple[int, dict]], *, area, parsed: Parsed, progress: Progress) -> Parsed:
    if not records and not parsed.errors:
        parsed.error(0, "file", _("The file has no observations."))
        return parsed
    if len(records) > MAX_ROWS:
        parsed.error(0, "file", _("At most %(count)d observations at once.") % {"count": MAX_ROWS})
        return parsed
    sensors = {(s.provider, s.external_id): s for s in Sensor.objects.filter(area=area)}
    properties = set(ObservedProperty.values)
    directions = set(Direction.values)
    tz = area.tz
    seen: dict[tuple, int] = {}
    total = len(records)
    for done, (line, cells) in enumerate(records, start=1):
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
        if len(parsed.errors) >= MAX_ERRORS:
            break
        bad = len(parsed.errors)
        provider = (cells.get("provider") or Provider.OWN).lower()
        sensor = sensors.get((provider, cells.get("sensor", "")))
        if sensor is None:
            parsed.error(line, "sensor", _("No sensor “%(id)s” in this area.") % {"id": cells.get("sensor", "")})
        prop = cells.get("observed_property", "").lower()
        if prop not in properties:
            parsed.error(
                line,
                "observed_property",
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": prop, "choices": ", ".join(sorted(properties))},
            )
        direction = (cells.get("direction") or Direction.BOTH).lower()
        if direction not in directions:
            parsed.error(
                line,
                "direction",
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": direction, "choices": ", ".join(sorted(directions))},
            )
        start = end = None
        try:
            start = parse_time(cells.get("start", ""), tz=tz)
        except ValueError:
            parsed.error(
                line,
                "start",
                _("“%(value)s” is not a time (use 2026-06-01T10:00:00+02:00).") % {"value": cells.get("start", "")},
            )
        if cells.get("end"):
            try:
                end = parse_time(cells["end"], tz=tz)
            except ValueError:
                parsed.error(
                    line,
                    "end",
                    _("“%(value)s” is not a time (use 2026-06-01T11:00:00+02:00).") % {"value": cells["end"]},
                )
        elif start is not None:
            end = start + DEFAULT_INTERVAL
        if start is not None and end is not None and end <= start:
            parsed.error(line, "end", _("The end must come after the start."))
        value = uptime = None
        try:
            value = parse_count(cells.get("value", ""))
            if value is None:
                parsed.error(line, "value", _("The count is missing."))
        except ValueError:
            parsed.error(
                line,
                "value",
                _("“%(value)s” is not a count (a number, 0 or more).") % {"value": cells.get("value", "")},
            )
        if cells.get("uptime"):
            try:
                uptime = parse_count(cells["uptime"])
                if uptime is not None and uptime > 1:
                    raise ValueError(uptime)
            except ValueError:
                parsed.error(line, "uptime", _("The uptime must be a number from 0 to 1."))
        if len(parsed.errors) > bad:
            continue
        row = ObservationRow(sensor.pk, prop, direction, start, end, value, uptime, 0, line)
        if row.key in seen:
            parsed.error(
                line, "start", _("This count is in the file twice (also on line %(line)d).") % {"line": seen[row.key]}
            )
            continue
        seen[row.key] = line
        parsed.rows.append(row)
    parsed.lines = total
    progress(total, total)
    return parsed
