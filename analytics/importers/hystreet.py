"""Hystreet CSV exports (hourly laser counts of a shopping street), as cities republish them.

The real exports (Moers, Steinstraße, May–July 2022; docs/analytics-data.md) show what to expect:
- `;` between fields, CRLF, German headers ("Zeitpunkt der Messung", "Fußgänger insgesamt Richtung
  Neumarkt", "Erwachsene", "Kinder Richtung Neuer Wall", …); English headers of newer exports are known too;
- Windows-1252/Latin-1 (June, July) or UTF-8 in which ß and º were already lost as U+FFFD (May): the
  encoding is detected, headers are matched without their accented letters, and mis-encoded text flags the
  file's counts `MOJIBAKE`;
- times with their offset ("2022-07-01 00:00:00 +0200"; a time without one is read as Europe/Berlin);
- decimal commas (temperature) and German thousands separators ("1.414");
- one export (July) has an extra empty field after the weather column: every later value sits one column
  to the right and the last column is lost. Detected by the per-direction totals adding up one column
  further along (`quality.columns_shifted`); such rows are read shifted back, flagged `SHIFTED_COLUMNS`,
  and the lost "children towards the second direction" is computed as children − children towards the
  first, flagged `IMPUTED`.

Each hour gives persons (both directions and per direction), adults and children (the same). The first
direction named is "left", the second "right"; their names are kept on the sensor (`left_label`,
`right_label`). The export's own temperature and weather are not imported: the area's KNMI station is the
weather of record.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from ..models import Direction, ObservedProperty
from ..quality import Flag, columns_shifted, is_mojibake
from .base import (
    MAX_ERRORS,
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

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)
TOTAL, ADULTS, CHILDREN = "persons", "adults", "children"
PROPERTY = {TOTAL: ObservedProperty.PERSONS, ADULTS: ObservedProperty.ADULTS, CHILDREN: ObservedProperty.CHILDREN}


def _plain(text: str) -> str:
    """Lower case ASCII letters, digits and spaces only: "Fu\ufffdg\ufffdnger" and "Fußgänger" both become
    "fugnger"-like keys that the keyword rules below match."""
    text = unicodedata.normalize("NFKD", text or "").lower()
    text = "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch == " "))
    return re.sub(r"\s+", " ", text).strip()


def _role(name: str) -> tuple[str, str | None] | None:
    """(role, direction label or None) of a header, or None for a column we do not read."""
    plain = _plain(name)
    direction = None
    match = re.search(r"(?:richtung|direction|towards) (.+)$", plain)
    if match:
        direction = match.group(1).strip()
        plain = plain[: match.start()].strip()
    if direction is None:
        if plain.startswith("ltr "):
            direction, plain = "ltr", plain[4:]
        elif plain.startswith("rtl "):
            direction, plain = "rtl", plain[4:]
    if plain in ("lage", "location", "standort"):
        return ("location", None)
    if plain.startswith("zeitpunkt") or plain in ("timestamp", "time of measurement", "datum"):
        return ("time", None)
    if plain.startswith("erwachsene") or plain.startswith("adult"):
        return (ADULTS, direction)
    if plain.startswith("kinder") or plain.startswith("child"):
        return (CHILDREN, direction)
    if "insgesamt" in plain or "pedestrians count" in plain or plain in ("fugnger", "fussgnger", "pedestrians"):
        return (TOTAL, direction)
    if plain.startswith("fu") and plain.endswith("insgesamt"):
        return (TOTAL, direction)
    if plain.startswith("temperatur"):
        return ("temperature", None)
    if plain.startswith("wetter") or plain.startswith("weather"):
        return ("weather", None)
    return None


def parse(data: bytes, *, sensor, progress: Progress = no_progress) -> Parsed:
    """The observations of one Hystreet export for `sensor` (a Hystreet sensor chosen by the uploader)."""
    parsed = Parsed()
    text, encoding = decode(data)
    lines = text.splitlines()
    if not lines:
        parsed.error(0, "file", _("The file is empty."))
        return parsed
    if encoding != "utf-8":
        parsed.warnings.append(_("The file is in the Windows-1252 (Latin-1) character set; it was read as such."))
    mojibake = is_mojibake(text)
    if mojibake:
        parsed.warnings.append(
            _("Some text in the file was mis-encoded before it reached us (e.g. “%(sample)s”); the counts are marked.")
            % {"sample": next((line.split(";")[0] for line in lines[1:] if is_mojibake(line)), lines[0][:40])}
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(lines[0]))
    header = next(reader, [])
    roles = [_role(name) for name in header]
    columns: dict[tuple[str, str | None], int] = {}
    labels: list[str] = []
    for index, role in enumerate(roles):
        if role is None or role in columns:
            continue
        columns[role] = index
        if role[1] and role[1] not in labels:
            labels.append(role[1])
    if ("time", None) not in columns or (TOTAL, None) not in columns:
        parsed.error(
            1,
            "file",
            _("This is not a Hystreet export: the columns for the time and the pedestrian total are missing."),
        )
        return parsed
    # The display names of the directions, from the header as written ("Neumarkt", "Neuer Wall").
    pretty = {}
    for index, name in enumerate(header):
        role = roles[index]
        if role and role[1] and role[1] not in pretty:
            found = re.search(r"(?:Richtung|direction|towards)\s+(.+)$", name, flags=re.IGNORECASE)
            pretty[role[1]] = found.group(1).strip() if found else role[1]
    left = labels[0] if labels else None
    right = labels[1] if len(labels) > 1 else None
    if left:
        parsed.sensor_labels[sensor.pk] = (pretty.get(left, left), pretty.get(right, right or "") if right else "")
    side = {left: Direction.LEFT, right: Direction.RIGHT, None: Direction.BOTH}

    records = [(reader.line_num, values) for values in reader if any(value.strip() for value in values)]
    if not records:
        parsed.error(0, "file", _("The file has no counts."))
        return parsed
    # Shifted columns: an extra field after the weather pushes every later value one to the right.
    first_count_column = (
        min(index for (role, _d), index in columns.items() if role in PROPERTY and _d is not None) if left else None
    )
    shifted = False
    if left and right and (TOTAL, left) in columns and (TOTAL, right) in columns:
        sample = [[_number(value) for value in values] for _line, values in records[:200]]
        shifted = columns_shifted(
            sample, total=columns[(TOTAL, None)], parts=[columns[(TOTAL, left)], columns[(TOTAL, right)]]
        )
        if shifted:
            parsed.warnings.append(
                _(
                    "From column %(column)d on, the values sit one column to the right (an extra empty field): "
                    "read shifted back; the lost last column was computed from the totals."
                )
                % {"column": first_count_column + 1}
            )
    tz = sensor.area.tz if sensor.area_id else BERLIN
    seen: dict[tuple, int] = {}
    total = len(records)
    for done, (line, values) in enumerate(records, start=1):
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
        if len(parsed.errors) >= MAX_ERRORS:
            break
        row_shifted = (
            shifted
            and first_count_column is not None
            and first_count_column < len(values)
            and not values[first_count_column].strip()
        )
        if not row_shifted and len(values) < len(header):
            parsed.error(
                line,
                "file",
                _("The line has %(found)d fields, the header %(expected)d.")
                % {"found": len(values), "expected": len(header)},
            )
            continue
        raw_time = values[columns[("time", None)]]
        try:
            start = parse_time(raw_time, tz=BERLIN if "+" not in raw_time and "Z" not in raw_time else tz)
        except ValueError:
            parsed.error(
                line, "time", _("“%(value)s” is not a time (expected 2022-07-01 00:00:00 +0200).") % {"value": raw_time}
            )
            continue
        flags = (int(Flag.MOJIBAKE) if mojibake else 0) | (int(Flag.SHIFTED_COLUMNS) if row_shifted else 0)
        cells: dict[tuple[str, str | None], float | None] = {}
        bad = False
        for (role, direction), index in columns.items():
            if role not in PROPERTY:
                continue
            position = (
                index + 1 if row_shifted and first_count_column is not None and index >= first_count_column else index
            )
            raw = values[position] if position < len(values) else None
            if raw is None:
                cells[(role, direction)] = None
                continue
            try:
                cells[(role, direction)] = parse_count(raw)
            except ValueError:
                parsed.error(line, header[index], _("“%(value)s” is not a count.") % {"value": raw})
                bad = True
        if bad:
            continue
        imputed = set()
        if row_shifted and right and cells.get((CHILDREN, right)) is None:
            children, children_left = cells.get((CHILDREN, None)), cells.get((CHILDREN, left))
            if children is not None and children_left is not None and children >= children_left:
                cells[(CHILDREN, right)] = children - children_left
                imputed.add((CHILDREN, right))
        for (role, direction), value in cells.items():
            if value is None:
                continue
            row = ObservationRow(
                sensor.pk,
                PROPERTY[role],
                side.get(direction, Direction.BOTH),
                start,
                start + HOUR,
                value,
                None,
                flags | (int(Flag.IMPUTED) if (role, direction) in imputed else 0),
                line,
            )
            if row.key in seen:
                parsed.error(
                    line, "time", _("This hour is in the file twice (also on line %(line)d).") % {"line": seen[row.key]}
                )
                break
            seen[row.key] = line
            parsed.rows.append(row)
    parsed.lines = total
    progress(total, total)
    return parsed


def _number(value: str) -> float | None:
    try:
        return parse_count(value)
    except ValueError:
        return None
