"""Opening-hours advice: hours with high footfall while a merchant (or most of a sector) is closed.

Pure functions: footfall per local date and hour (sensor counts of persons, or pass scans in the area where
there are no sensors) and each merchant's periods per date (regular hours with the exceptions applied, from
`areas.selectors.list_merchants`). An hour counts as open when the merchant is open at half past.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, time

import pandas as pd

Periods = tuple[tuple[time, time], ...]
#: Advise an hour closed on at least this share of its weekdays in the period.
CLOSED_SHARE = 0.5
TOP = 5


@dataclass(frozen=True)
class Advice:
    weekday: int  # 0 Monday
    hour: int  # local, the hour starting then
    footfall: float  # mean per day of that weekday
    ratio: float  # against the median footfall of the hours the merchant (sector) is open
    closed_share: float  # of the period's days of that weekday
    days: int

    def as_dict(self) -> dict:
        return asdict(self)


def is_open_in_hour(periods: Periods, hour: int) -> bool:
    middle = time(hour, 30)
    return any(opens <= middle < closes for opens, closes in periods)


def hourly_footfall(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows (local_date, hour, value) summed per date and hour (several counting points or visits add up)."""
    if rows.empty:
        return pd.DataFrame(columns=["local_date", "hour", "value"])
    return rows.groupby(["local_date", "hour"], as_index=False)["value"].sum()


def advise(
    footfall: pd.DataFrame,
    open_by_date: Mapping[date, Iterable[int]],
    *,
    top: int = TOP,
) -> list[Advice]:
    """The hours, busiest first, that were closed on at least half of their weekdays and had at least the median
    footfall of the open hours. `footfall`: (local_date, hour, value); `open_by_date`: the open hours per date
    (every date of the period, also closed days with no hours). Dates without footfall data are left out."""
    if footfall.empty:
        return []
    frame = hourly_footfall(footfall)
    have_data = set(frame["local_date"])
    slots: dict[tuple[int, int], dict] = {}
    for day, open_hours in open_by_date.items():
        if day not in have_data:
            continue
        open_set = set(open_hours)
        for hour in range(24):
            slot = slots.setdefault((day.weekday(), hour), {"days": 0, "closed": 0})
            slot["days"] += 1
            slot["closed"] += hour not in open_set
    values = frame.set_index(["local_date", "hour"])["value"]
    rows = []
    for (weekday, hour), slot in slots.items():
        dates = [day for day in open_by_date if day in have_data and day.weekday() == weekday]
        total = sum(float(values.get((day, hour), 0.0)) for day in dates)
        rows.append((weekday, hour, total / slot["days"], slot["closed"] / slot["days"], slot["days"]))
    table = pd.DataFrame(rows, columns=["weekday", "hour", "footfall", "closed_share", "days"])
    open_hours = table[table["closed_share"] < CLOSED_SHARE]
    if open_hours.empty or table["footfall"].max() <= 0:
        return []
    baseline = float(open_hours["footfall"].median())
    candidates = table[
        (table["closed_share"] >= CLOSED_SHARE) & (table["footfall"] >= baseline) & (table["footfall"] > 0)
    ]
    candidates = candidates.sort_values(["footfall", "weekday", "hour"], ascending=[False, True, True]).head(top)
    return [
        Advice(
            weekday=int(row.weekday),
            hour=int(row.hour),
            footfall=round(float(row.footfall), 1),
            ratio=round(float(row.footfall) / baseline, 2) if baseline > 0 else 0.0,
            closed_share=round(float(row.closed_share), 2),
            days=int(row.days),
        )
        for row in candidates.itertuples()
    ]


def open_hours_of(periods: Periods) -> list[int]:
    return [hour for hour in range(24) if is_open_in_hour(periods, hour)]


def sector_open_hours(periods_by_merchant: Mapping[int, Periods]) -> list[int]:
    """The hours in which at least half of the sector's merchants are open (at half past)."""
    if not periods_by_merchant:
        return []
    count = len(periods_by_merchant)
    return [
        hour
        for hour in range(24)
        if sum(is_open_in_hour(periods, hour) for periods in periods_by_merchant.values()) * 2 >= count
    ]
