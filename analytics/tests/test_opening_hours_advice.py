"""Opening-hours advice on a hand-made week of footfall."""

from datetime import date, time, timedelta

import pandas as pd

from analytics.opening_hours import advise, is_open_in_hour, open_hours_of, sector_open_hours

MONDAY = date(2026, 3, 2)
SHOP = ((time(9), time(12)), (time(13, 30), time(18)))  # closed for lunch 12:00–13:30, Sunday closed


def week_of_footfall(weeks: int = 2) -> pd.DataFrame:
    """Footfall per hour: 100 an hour from 9 to 18, 400 at 12 and 300 at 13 (lunch of the business park),
    50 at 18–19, nothing at night; on Sunday 20 an hour from 12 to 17."""
    rows = []
    for offset in range(7 * weeks):
        day = MONDAY + timedelta(days=offset)
        for hour in range(24):
            if day.weekday() == 6:
                value = 20 if 12 <= hour < 17 else 0
            elif hour == 12:
                value = 400
            elif hour == 13:
                value = 300
            elif 9 <= hour < 18:
                value = 100
            elif hour == 18:
                value = 50
            else:
                value = 0
            rows.append((day, hour, value))
    return pd.DataFrame(rows, columns=["local_date", "hour", "value"])


def shop_hours(weeks: int = 2) -> dict:
    return {
        MONDAY + timedelta(days=offset): (
            [] if (MONDAY + timedelta(days=offset)).weekday() == 6 else open_hours_of(SHOP)
        )
        for offset in range(7 * weeks)
    }


def test_an_hour_is_open_when_the_shop_is_open_at_half_past():
    assert open_hours_of(SHOP) == [9, 10, 11, 13, 14, 15, 16, 17]
    assert not is_open_in_hour(SHOP, 12)


def test_lunch_comes_first_with_its_footfall():
    advice = advise(week_of_footfall(), shop_hours())

    # Lunch at 12 on the six shopping days, busiest first, each with 400 people against an open-hours median of 100.
    assert [(a.weekday, a.hour) for a in advice] == [(0, 12), (1, 12), (2, 12), (3, 12), (4, 12)]
    assert all(a.footfall == 400 and a.ratio == 4.0 and a.closed_share == 1.0 and a.days == 2 for a in advice)


def test_quiet_closed_hours_are_not_advised():
    advice = advise(week_of_footfall(), shop_hours(), top=50)
    hours = {(a.weekday, a.hour) for a in advice}
    assert {(day, 12) for day in range(6)} <= hours
    assert not any(hour == 18 for _day, hour in hours)  # 50 passers-by: below the open-hours median
    assert not any(day == 6 for day, _hour in hours)  # Sunday's 20 an hour
    assert len(hours) == 6


def test_an_hour_open_on_most_days_is_not_advised():
    hours = shop_hours()
    # The shop stays open over lunch on the first week's days: half of each weekday's days are then open.
    for offset in range(6):
        hours[MONDAY + timedelta(days=offset)] = open_hours_of(((time(9), time(18)),))
    advice = advise(week_of_footfall(), hours)
    assert [(a.weekday, a.hour, a.closed_share) for a in advice][:1] == [(0, 12, 0.5)]
    hours[MONDAY + timedelta(days=7)] = open_hours_of(((time(9), time(18)),))  # and the second Monday too
    assert (0, 12) not in {(a.weekday, a.hour) for a in advise(week_of_footfall(), hours)}


def test_a_sector_is_closed_when_fewer_than_half_of_its_merchants_are_open():
    other = ((time(10), time(17)),)
    assert 12 not in sector_open_hours({1: SHOP, 2: SHOP, 3: other})
    assert 12 in sector_open_hours({1: SHOP, 2: other})
    assert sector_open_hours({}) == []


def test_no_footfall_gives_no_advice():
    assert advise(pd.DataFrame(columns=["local_date", "hour", "value"]), shop_hours()) == []
