"""Control variables per local day: weekday, month, public and school holidays, weather.

`daily_controls(*, area, start, end)` is what every baseline and effect estimate joins its daily series
with. Public holidays come from the `holidays` package for the calendar of the area (its country, or
the country and subdivision set in `AreaDataSettings`) or of one counting point (a counting point may
have its own calendar: a German street is controlled with the German holidays of its state, e.g. DE-NW
for Moers). School holidays: `holidays`' "school" category, NL per region (Noord / Midden / Zuid), BE
per community (Flemish by default). Weather: the `WeatherDay` rows of the area's KNMI station.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays as holidays_lib
import numpy as np
import pandas as pd

COLUMNS = [
    "weekday",
    "month",
    "is_public_holiday",
    "holiday_name",
    "is_school_holiday",
    "temp_mean_c",
    "precipitation_mm",
    "sunshine_h",
]

# The NL school regions by latitude, a first guess only: the regions follow municipalities, so an area
# sets its region in AreaDataSettings (Amersfoort: Midden; Maastricht, Breda: Zuid; Groningen: Noord).
_NL_ZUID_BELOW = 51.9
_NL_NOORD_ABOVE = 52.45


@dataclass(frozen=True)
class Calendar:
    country: str
    subdivision: str | None
    school_country: str | None
    school_region: str | None


def calendar_for(*, area, counting_point=None) -> Calendar:
    """The holiday calendar that applies to an area, or to one of its counting points."""
    from .models import AreaDataSettings

    settings = AreaDataSettings.objects.filter(area=area).first()
    country = (settings.holiday_country if settings and settings.holiday_country else area.country).upper()
    subdivision = (settings.holiday_subdivision if settings else "") or None
    school_region = (settings.school_region if settings else "") or _default_school_region(area)
    school_country = area.country
    if counting_point is not None and counting_point.holiday_country:
        if counting_point.holiday_country.upper() != country:
            # Another country's calendar: its public holidays; school holidays only where we know its region.
            country = counting_point.holiday_country.upper()
            subdivision = counting_point.holiday_subdivision or None
            school_country, school_region = (country, subdivision) if subdivision else (None, None)
        elif counting_point.holiday_subdivision:
            subdivision = counting_point.holiday_subdivision
    return Calendar(country, subdivision, school_country, school_region)


def _default_school_region(area) -> str | None:
    if area.country == "BE":
        return "Flemish"
    if area.country == "NL":
        latitude = float(area.centre_latitude)
        if latitude < _NL_ZUID_BELOW:
            return "Zuid"
        if latitude > _NL_NOORD_ABOVE:
            return "Noord"
        return "Midden"
    return None


def _language(country_class) -> str | None:
    languages = getattr(country_class, "supported_languages", ()) or ()
    return "nl" if "nl" in languages else None


@lru_cache(maxsize=64)
def _days(country: str, subdivision: str | None, years: tuple[int, ...], category: str) -> dict[date, str]:
    country_class = holidays_lib.country_holidays(country, years=[]).__class__
    if category not in getattr(country_class, "supported_categories", ("public",)):
        return {}
    if subdivision and subdivision not in getattr(country_class, "subdivisions", ()):
        aliases = getattr(country_class, "subdivisions_aliases", {}) or {}
        if subdivision not in aliases:
            subdivision = None
    table = holidays_lib.country_holidays(
        country, subdiv=subdivision, years=list(years), categories=(category,), language=_language(country_class)
    )
    return dict(table.items())


def public_holidays(*, country: str, subdivision: str | None, start: date, end: date) -> dict[date, str]:
    """{day: name} of the public holidays in [start, end) of a calendar (names in Dutch where available)."""
    years = tuple(range(start.year, end.year + 1))
    return {day: name for day, name in _days(country, subdivision, years, "public").items() if start <= day < end}


def school_holidays(*, country: str | None, region: str | None, start: date, end: date) -> dict[date, str]:
    """{day: name} of the school holidays in [start, end) of a region (empty where none is known)."""
    if not country or not region:
        return {}
    years = tuple(range(start.year - 1, end.year + 1))
    return {day: name for day, name in _days(country, region, years, "school").items() if start <= day < end}


def daily_controls(*, area, start: date, end: date, counting_point=None) -> pd.DataFrame:
    """One row per local day in [start, end), indexed by a DatetimeIndex named "date" (midnight, naive):
    weekday (0 = Monday), month, is_public_holiday, holiday_name ("" on other days), is_school_holiday,
    temp_mean_c, precipitation_mm, sunshine_h (NaN where no weather is stored). With `counting_point`, the
    holidays are those of that counting point's calendar (see `calendar_for`)."""
    index = pd.date_range(start, end, freq="D", inclusive="left", name="date")
    frame = pd.DataFrame(index=index)
    frame["weekday"] = index.day_of_week.astype(int)
    frame["month"] = index.month.astype(int)
    if len(index) == 0:
        for column in COLUMNS[2:]:
            frame[column] = pd.Series(dtype=bool if column.startswith("is_") else float)
        frame["holiday_name"] = pd.Series(dtype=object)
        return frame[COLUMNS]
    calendar = calendar_for(area=area, counting_point=counting_point)
    public = public_holidays(country=calendar.country, subdivision=calendar.subdivision, start=start, end=end)
    school = school_holidays(country=calendar.school_country, region=calendar.school_region, start=start, end=end)
    days = [day.date() for day in index]
    frame["is_public_holiday"] = [day in public for day in days]
    frame["holiday_name"] = [public.get(day, "") for day in days]
    frame["is_school_holiday"] = [day in school for day in days]
    weather = _weather(area=area, start=start, end=end)
    for column in ("temp_mean_c", "precipitation_mm", "sunshine_h"):
        frame[column] = [weather.get(day, {}).get(column, np.nan) for day in days]
        frame[column] = frame[column].astype(float)
    return frame[COLUMNS]


def _weather(*, area, start: date, end: date) -> dict[date, dict[str, float]]:
    from .models import AreaDataSettings, WeatherDay

    station_id = AreaDataSettings.objects.filter(area=area).values_list("weather_station_id", flat=True).first()
    if not station_id:
        return {}
    return {
        row["date"]: {k: (np.nan if v is None else v) for k, v in row.items() if k != "date"}
        for row in WeatherDay.objects.filter(station_id=station_id, date__gte=start, date__lt=end).values(
            "date", "temp_mean_c", "precipitation_mm", "sunshine_h"
        )
    }
