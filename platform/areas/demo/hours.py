"""Opening hours per kind of business, as town centres in NL and Flanders keep them.

Shops: Monday afternoon only (or closed) for many, Thursday "koopavond" until 21:00 in NL,
Sunday afternoons for some Dutch shops, a lunch break at some small Flemish ones. Hospitality:
daytime for lunchrooms, evenings for restaurants, late for cafés. A period cannot run past
midnight (the model keeps opening before closing), so late cafés close at 23:30 here.
"""

from __future__ import annotations

import random

from areas.sectors import Sector

Period = tuple[int, str, str]  # weekday (0 = Monday), opens, closes

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
SHOP_SECTORS = {
    Sector.FASHION,
    Sector.JEWELLERY,
    Sector.BOOKS_TOYS,
    Sector.SPORTS,
    Sector.ELECTRONICS,
    Sector.HOME_LIVING,
    Sector.OTHER_RETAIL,
    Sector.HEALTH_BEAUTY,
}
_DAYTIME = ("Lunchroom", "Koffie", "IJssalon", "Wafelhuis", "Pannenkoekenhuis", "Bakkerij-Lunchroom", "Theehuis")
_RESTAURANT = ("Restaurant", "Bistro", "Sushi", "Pizzeria", "Tapasbar")


def hospitality_kind(trade_name: str) -> str:
    if trade_name.startswith(_DAYTIME):
        return "daytime"
    if trade_name.startswith(_RESTAURANT):
        return "restaurant"
    if trade_name.startswith("Frituur"):
        return "frituur"
    return "cafe"  # cafés, brasseries, bars, proeflokalen: from late morning until late


def _days(days, opens: str, closes: str) -> list[Period]:
    return [(day, opens, closes) for day in days]


def _shop(country: str, rng: random.Random) -> list[Period]:
    opens = rng.choice(("09:30", "10:00", "10:00"))
    closes = rng.choice(("17:30", "18:00", "18:00"))
    periods: list[Period] = []
    monday = rng.random()
    if country == "NL":
        if monday < 0.55:
            periods.append((MON, "13:00", closes))
        elif monday < 0.9:
            periods.append((MON, "11:00", closes))
        periods += _days((TUE, WED, FRI), opens, closes)
        periods.append((THU, opens, "21:00" if rng.random() < 0.8 else closes))  # koopavond
        periods.append((SAT, opens, rng.choice(("17:00", "17:30"))))
        if rng.random() < 0.35:
            periods.append((SUN, "12:00", "17:00"))
        return periods
    lunch_break = rng.random() < 0.3
    working = (TUE, WED, THU, FRI, SAT) if monday < 0.5 else (MON, TUE, WED, THU, FRI, SAT)
    for day in working:
        if day == MON and monday < 0.8:
            periods.append((MON, "13:00", closes))
        elif lunch_break:
            periods += [(day, opens, "12:30"), (day, "13:30", closes)]
        else:
            periods.append((day, opens, closes))
    return periods


def opening_hours(sector: str, trade_name: str, country: str, rng: random.Random) -> list[Period]:
    nl = country == "NL"
    if sector in SHOP_SECTORS:
        return _shop(country, rng)
    if sector == Sector.GROCERIES:
        if trade_name.startswith("Nachtwinkel"):
            return _days(range(7), "14:00", "23:30")
        if nl:
            return [*_days(range(6), "08:00", "21:00"), (SUN, "12:00", "18:00")]
        return [*_days(range(6), "08:30", "20:00"), (SUN, "09:00", "12:30")]
    if sector == Sector.FOOD_SPECIALTY:
        periods = [*_days((TUE, WED, THU, FRI), "08:00", "18:00"), (SAT, "08:00", "17:00")]
        if nl:
            return ([(MON, "13:00", "18:00")] if rng.random() < 0.5 else []) + periods
        return [*periods, (SUN, "07:30", "13:00")]  # Flemish bakers and butchers open Sunday morning
    if sector == Sector.FLOWERS:
        return [*_days(range(6), "09:00", "18:00"), (SUN, "12:00", "17:00") if nl else (SUN, "09:00", "13:00")]
    if sector == Sector.HOSPITALITY:
        kind = hospitality_kind(trade_name)
        if kind == "daytime":
            closed = () if rng.random() < 0.5 else (MON,)
            return _days([d for d in range(7) if d not in closed], rng.choice(("09:00", "09:30", "10:00")), "17:30")
        if kind == "restaurant":
            return _days((TUE, WED, THU, FRI, SAT, SUN), "17:00", rng.choice(("22:00", "22:30")))
        if kind == "frituur":
            return _days((MON, WED, THU, FRI, SAT, SUN), "11:30", "13:30") + _days(
                (MON, WED, THU, FRI, SAT, SUN), "17:00", "22:00"
            )
        return (
            _days((MON, TUE, WED, THU), "11:00", "23:00")
            + _days((FRI, SAT), "11:00", "23:30")
            + [(SUN, "12:00", "22:00")]
        )
    if sector == Sector.SERVICES:
        if trade_name.startswith(("Kapsalon", "Barbier", "Haarstudio", "Nagelstudio")):
            thursday = (THU, "09:00", "21:00" if nl else "18:00")
            return [*_days((TUE, WED, FRI), "09:00", "18:00"), thursday, (SAT, "08:30", "16:00")]
        return [*_days((MON, TUE, WED, THU, FRI), "09:00", "17:30"), (SAT, "10:00", "16:00")]
    if sector == Sector.LEISURE:
        if trade_name.startswith(("Museumwinkel", "Belevingscentrum", "Atelier")):
            return _days((TUE, WED, THU, FRI, SAT, SUN), "11:00", "17:00")
        return _days(range(7), "12:00", "23:00")
    raise ValueError(f"No opening hours for sector {sector!r}.")
