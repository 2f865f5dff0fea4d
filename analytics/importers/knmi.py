"""KNMI daily station files (`etmgeg_<STN>.txt`), with or without KNMI's legend at the top.

The header line names the columns (`# STN,YYYYMMDD,DDVEC,…,TG,TN,…,SQ,…,RH,…`); values are space-padded,
comma-separated; an empty cell is a missing value. Units converted on import: TG/TN/TX from 0.1 °C to °C,
RH from 0.1 mm to mm, SQ from 0.1 h to h; −1 in RH or SQ means "less than 0.05" and is stored as 0.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _

from ..models import WeatherDay
from .base import MAX_ERRORS, PROGRESS_EVERY, Parsed, Progress, decode, no_progress

# Names of the KNMI automatic stations (https://www.knmi.nl/nederland-nu/klimatologie/daggegevens).
STATIONS = {
    209: "IJmond",
    210: "Valkenburg",
    215: "Voorschoten",
    225: "IJmuiden",
    235: "De Kooy",
    240: "Schiphol",
    242: "Vlieland",
    248: "Wijdenes",
    249: "Berkhout",
    251: "Hoorn (Terschelling)",
    257: "Wijk aan Zee",
    258: "Houtribdijk",
    260: "De Bilt",
    265: "Soesterberg",
    267: "Stavoren",
    269: "Lelystad",
    270: "Leeuwarden",
    273: "Marknesse",
    275: "Deelen",
    277: "Lauwersoog",
    278: "Heino",
    279: "Hoogeveen",
    280: "Eelde",
    283: "Hupsel",
    285: "Huibertgat",
    286: "Nieuw Beerta",
    290: "Twenthe",
    308: "Cadzand",
    310: "Vlissingen",
    311: "Hoofdplaat",
    312: "Oosterschelde",
    313: "Vlakte van De Raan",
    315: "Hansweert",
    316: "Schaar",
    319: "Westdorpe",
    323: "Wilhelminadorp",
    324: "Stavenisse",
    330: "Hoek van Holland",
    331: "Tholen",
    340: "Woensdrecht",
    343: "Rotterdam Geulhaven",
    344: "Rotterdam",
    348: "Cabauw",
    350: "Gilze-Rijen",
    356: "Herwijnen",
    370: "Eindhoven",
    375: "Volkel",
    377: "Ell",
    380: "Maastricht",
    391: "Arcen",
}
TENTHS = {"TG": "temp_mean_c", "TN": "temp_min_c", "TX": "temp_max_c", "RH": "precipitation_mm", "SQ": "sunshine_h"}


def parse(data: bytes, *, progress: Progress = no_progress) -> Parsed:
    parsed = Parsed()
    text, _encoding = decode(data)
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if "STN" in line and "YYYYMMDD" in line and "," in line), None)
    if header_at is None:
        parsed.error(0, "file", _("This is not a KNMI daily file: no “STN,YYYYMMDD,…” header line."))
        return parsed
    header = [name.strip().lstrip("#").strip() for name in lines[header_at].split(",")]
    missing = [name for name in ("STN", "YYYYMMDD", *TENTHS) if name not in header]
    if missing:
        parsed.error(header_at + 1, "file", _("Columns missing: %(columns)s.") % {"columns": ", ".join(missing)})
        return parsed
    position = {name: header.index(name) for name in ("STN", "YYYYMMDD", *TENTHS)}
    body = [
        (number, line)
        for number, line in enumerate(lines[header_at + 1 :], start=header_at + 2)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    total = len(body)
    seen: dict[date, int] = {}
    station_code = None
    for done, (number, line) in enumerate(body, start=1):
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
        if len(parsed.errors) >= MAX_ERRORS:
            break
        values = [value.strip() for value in line.split(",")]
        if len(values) < len(header):
            parsed.error(
                number,
                "file",
                _("The line has %(found)d fields, the header %(expected)d.")
                % {"found": len(values), "expected": len(header)},
            )
            continue
        try:
            code = int(values[position["STN"]])
            day = datetime.strptime(values[position["YYYYMMDD"]], "%Y%m%d").date()
        except ValueError:
            parsed.error(
                number, "YYYYMMDD", _("“%(value)s” is not a date (YYYYMMDD).") % {"value": values[position["YYYYMMDD"]]}
            )
            continue
        if station_code is None:
            station_code = code
        elif code != station_code:
            parsed.error(number, "STN", _("One station per file: this line is of station %(code)d.") % {"code": code})
            continue
        fields = {}
        bad = False
        for column, name in TENTHS.items():
            raw = values[position[column]]
            if raw == "":
                fields[name] = None
                continue
            try:
                tenths = int(raw)
            except ValueError:
                parsed.error(number, column, _("“%(value)s” is not a whole number.") % {"value": raw})
                bad = True
                continue
            if column in ("RH", "SQ") and tenths == -1:
                tenths = 0
            fields[name] = tenths / 10
        if bad:
            continue
        if day in seen:
            parsed.error(
                number, "YYYYMMDD", _("This day is in the file twice (also on line %(line)d).") % {"line": seen[day]}
            )
            continue
        seen[day] = number
        parsed.weather.append(WeatherDay(date=day, **fields))
    if station_code is None and not parsed.errors:
        parsed.error(0, "file", _("The file has no days."))
    if station_code is not None:
        parsed.station = (station_code, STATIONS.get(station_code, f"KNMI {station_code}"))
    parsed.lines = total
    progress(total, total)
    return parsed
