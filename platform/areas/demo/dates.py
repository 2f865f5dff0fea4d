"""Public holidays and shopping days of NL and Flanders, computed for a date range.

The `holidays` package is not a dependency; the few days a shopping area's opening hours care
about follow from fixed dates and Easter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


def easter_sunday(year: int) -> date:
    """Western Easter: the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


@dataclass(frozen=True)
class Holiday:
    date: date
    name: str
    # How the shops of a town centre keep it: "closed", or "sunday" (Sunday hours, NL custom on
    # second Christmas Day, Easter Monday, Ascension and Whit Monday), or "short" (closing early).
    custom: str


def _holidays_of_year(country: str, year: int) -> list[Holiday]:
    easter = easter_sunday(year)
    if country == "NL":
        kings_day = date(year, 4, 27)
        if kings_day.weekday() == 6:  # on a Sunday, King's Day moves to the Saturday before
            kings_day -= timedelta(days=1)
        days = [
            Holiday(date(year, 1, 1), "Nieuwjaarsdag", "closed"),
            Holiday(easter, "Eerste Paasdag", "closed"),
            Holiday(easter + timedelta(days=1), "Tweede Paasdag", "sunday"),
            Holiday(kings_day, "Koningsdag", "sunday"),
            Holiday(easter + timedelta(days=39), "Hemelvaartsdag", "sunday"),
            Holiday(easter + timedelta(days=49), "Eerste Pinksterdag", "closed"),
            Holiday(easter + timedelta(days=50), "Tweede Pinksterdag", "sunday"),
            Holiday(date(year, 12, 24), "Kerstavond", "short"),
            Holiday(date(year, 12, 25), "Eerste Kerstdag", "closed"),
            Holiday(date(year, 12, 26), "Tweede Kerstdag", "sunday"),
            Holiday(date(year, 12, 31), "Oudejaarsdag", "short"),
        ]
        if year % 5 == 0:  # Liberation Day is a day off in lustrum years
            days.append(Holiday(date(year, 5, 5), "Bevrijdingsdag", "sunday"))
    elif country == "BE":
        days = [
            Holiday(date(year, 1, 1), "Nieuwjaar", "closed"),
            Holiday(easter + timedelta(days=1), "Paasmaandag", "closed"),
            Holiday(date(year, 5, 1), "Feest van de Arbeid", "closed"),
            Holiday(easter + timedelta(days=39), "O.-L.-Heer-Hemelvaart", "closed"),
            Holiday(easter + timedelta(days=50), "Pinkstermaandag", "closed"),
            Holiday(date(year, 7, 21), "Nationale feestdag", "closed"),
            Holiday(date(year, 8, 15), "O.-L.-Vrouw-Hemelvaart", "closed"),
            Holiday(date(year, 11, 1), "Allerheiligen", "closed"),
            Holiday(date(year, 11, 11), "Wapenstilstand", "closed"),
            Holiday(date(year, 12, 24), "Kerstavond", "short"),
            Holiday(date(year, 12, 25), "Kerstmis", "closed"),
            Holiday(date(year, 12, 31), "Oudejaarsdag", "short"),
        ]
    else:
        raise ValueError(f"No holidays known for {country!r}.")
    return days


def public_holidays(country: str, start: date, end: date) -> list[Holiday]:
    """The holidays (and the short days around Christmas) from `start` up to, not including, `end`."""
    found = [
        holiday
        for year in range(start.year, end.year + 1)
        for holiday in _holidays_of_year(country, year)
        if start <= holiday.date < end
    ]
    return sorted(found, key=lambda h: h.date)


def first_weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def shopping_sundays(country: str, start: date, end: date) -> list[tuple[date, str]]:
    """Sundays on which the whole centre opens: Dutch "koopzondagen" (first Sunday of the month
    and the Sundays before Christmas); Flemish ones at the start of the sales (January, July) and
    before Christmas, the few that Belgian law on Sunday rest allows a town to choose.
    """
    found: dict[date, str] = {}
    month = date(start.year, start.month, 1)
    while month < end:
        if country == "NL":
            found[first_weekday_on_or_after(month, 6)] = "Koopzondag"
        elif month.month in (1, 7):
            found[first_weekday_on_or_after(month.replace(day=3), 6)] = "Soldenzondag"
        if month.month == 12:
            christmas = date(month.year, 12, 25)
            last_sunday = christmas - timedelta(days=(christmas.weekday() + 1) % 7 or 7)
            for sunday in (last_sunday - timedelta(days=7), last_sunday):
                found[sunday] = "Koopzondag voor Kerstmis" if country == "NL" else "Kerstshoppingzondag"
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return sorted((day, label) for day, label in found.items() if start <= day < end)
