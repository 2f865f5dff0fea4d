"""Each KPI on a small hand-made frame; the expected figures are worked out by hand in the comments."""

from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from analytics import kpis

AMS = ZoneInfo("Europe/Amsterdam")
FASHION, FOOD = "fashion", "food"
SECTOR = {10: FASHION, 11: FASHION, 12: FOOD}


def visits_frame(rows) -> pd.DataFrame:
    """rows: (subject, merchant_id, 'YYYY-MM-DD HH:MM', amount_cents) in Amsterdam time."""
    frame = pd.DataFrame(rows, columns=["subject", "merchant_id", "at", "amount_cents"])
    frame["occurred_at"] = pd.to_datetime(frame["at"]).dt.tz_localize(AMS)
    frame["local_date"] = frame["occurred_at"].dt.tz_localize(None).dt.normalize()
    frame["sector"] = frame["merchant_id"].map(SECTOR)
    frame["postcode4"] = None
    frame["country"] = None
    frame["age_band"] = frame["subject"].map({1: "25-34", 2: "25-34", 3: None})
    return frame.drop(columns=["at"])


# Subject 1 visits merchant 10 and (the same day) merchant 12 in March, and 10 again in April.
# Subject 2 visits merchant 10 twice in March. Subject 3 visits merchant 11 once in April.
VISITS = visits_frame(
    [
        (1, 10, "2026-03-02 10:00", 1_000),  # Monday
        (1, 12, "2026-03-02 15:00", 500),
        (2, 10, "2026-03-03 11:00", 3_000),  # Tuesday
        (2, 10, "2026-03-10 12:00", 1_000),  # Tuesday
        (1, 10, "2026-04-06 10:00", 2_000),
        (3, 11, "2026-04-07 16:00", 4_000),
    ]
)


def cell(cells, scope_id, start):
    row = cells[(cells["scope_id"] == scope_id) & (cells["period_start"] == pd.Timestamp(start))]
    assert len(row) == 1, row
    return row.iloc[0]


def test_area_month_cells():
    cells = kpis.visit_cells(VISITS, scope="area", kind="month")
    march = cell(cells, "area", "2026-03-01")
    # 4 visits by 2 people; 1000 + 500 + 3000 + 1000 = 5500 cents; the biggest spender (2) has 4000.
    assert (march.visits, march.n, march.spend_cents, march.spend_cents_top) == (4, 2, 5_500, 4_000)
    # Both are new in March; member-days (1, 2 Mar), (2, 3 Mar), (2, 10 Mar): one with two merchants.
    assert (march.first_time_visitors, march.repeat_visitors) == (2, 0)
    assert (march.combination_days, march.member_days) == (1, 3)
    april = cell(cells, "area", "2026-04-01")
    # Subject 1 came back (repeat), subject 3 is new.
    assert (april.visits, april.n, april.spend_cents, april.first_time_visitors, april.repeat_visitors) == (
        2,
        2,
        6_000,
        1,
        1,
    )


def test_derived_kpis():
    cells = kpis.visit_cells(VISITS, scope="area", kind="month")
    derived = kpis.derive(cells)
    march = cells.index[cells["period_start"] == pd.Timestamp("2026-03-01")][0]
    assert derived["visit_frequency"][march] == pytest.approx(4 / 2)
    assert derived["spend_per_visit_cents"][march] == pytest.approx(5_500 / 4)
    assert derived["spend_per_visitor_cents"][march] == pytest.approx(5_500 / 2)
    assert derived["combination_share"][march] == pytest.approx(1 / 3)


def test_merchant_and_sector_cells():
    merchants = kpis.visit_cells(VISITS, scope="merchant", kind="month")
    m10 = cell(merchants, "10", "2026-03-01")
    # Merchant 10 in March: visits of 1 (2 Mar) and 2 (3 and 10 Mar); 1's day was a combination day.
    assert (m10.visits, m10.n, m10.spend_cents, m10.combination_days, m10.member_days) == (3, 2, 5_000, 1, 3)
    m10_april = cell(merchants, "10", "2026-04-01")
    assert (m10_april.first_time_visitors, m10_april.repeat_visitors) == (0, 1)
    sectors = kpis.visit_cells(VISITS, scope="sector", kind="month")
    fashion = cell(sectors, FASHION, "2026-04-01")
    # Fashion in April: 1 (seen in fashion in March: repeat) and 3 (new).
    assert (fashion.visits, fashion.n, fashion.first_time_visitors, fashion.repeat_visitors) == (2, 2, 1, 1)
    food = cell(sectors, FOOD, "2026-03-01")
    assert (food.visits, food.n, food.spend_cents, food.combination_days) == (1, 1, 500, 1)


def test_weeks_start_on_monday_and_quarters_add_up():
    weeks = kpis.visit_cells(VISITS, scope="area", kind="week")
    first = cell(weeks, "area", "2026-03-02")
    assert (first.visits, first.n) == (3, 2)
    assert cell(weeks, "area", "2026-03-09").visits == 1
    quarters = kpis.visit_cells(VISITS, scope="area", kind="quarter")
    # Q1 is March's 4 visits; Q2 is April's 2 (subject 1 returns, subject 3 is new).
    q1, q2 = cell(quarters, "area", "2026-01-01"), cell(quarters, "area", "2026-04-01")
    assert (q1.visits, q1.n, q1.spend_cents, q1.first_time_visitors) == (4, 2, 5_500, 2)
    assert (q2.visits, q2.n, q2.spend_cents, q2.first_time_visitors) == (2, 2, 6_000, 1)
    year = cell(kpis.visit_cells(VISITS, scope="area", kind="year"), "area", "2026-01-01")
    assert (year.visits, year.n, year.spend_cents, year.first_time_visitors) == (6, 3, 11_500, 3)


def test_active_members_count_the_twelve_months_up_to_the_period():
    active = kpis.active_members(VISITS, scope="area", kind="month")
    by_month = dict(zip(active["period_start"].astype(str), active["value"], strict=True))
    assert by_month == {"2026-03-01": 2, "2026-04-01": 3}
    # Twelve months after April 2026 nobody is active any more in that window; March 2027 still sees April.
    later = visits_frame([(9, 10, "2027-03-15 10:00", 100)])
    active = kpis.active_members(pd.concat([VISITS, later], ignore_index=True), scope="area", kind="month")
    march_2027 = active[active["period_start"] == pd.Timestamp("2027-03-01")]["value"].iloc[0]
    assert march_2027 == 3  # 1 and 3 (April 2026 is within the twelve months ending March 2027) and 9


def test_pickup_conversion_counts_a_visit_within_24_hours():
    pickups = pd.DataFrame(
        {
            "subject": [2, 3, 1],
            "picked_up_at": pd.to_datetime(["2026-03-10 09:00", "2026-03-20 09:00", "2026-03-01 09:00"]).tz_localize(
                AMS
            ),
        }
    )
    pickups["local_date"] = pickups["picked_up_at"].dt.tz_localize(None).dt.normalize()
    cells = kpis.pickup_cells(pickups, VISITS, kind="month")
    march = cell(cells, "area", "2026-03-01")
    # 2 visits at 12:00 three hours after the pickup: converted. 3 never visits in March. 1 picks up on 1 March
    # 09:00 and visits on 2 March 10:00: 25 hours later, outside the window.
    assert (march.pickups, march.converted, march.n) == (3, 1, 3)


def test_hour_by_weekday_cells():
    cells = kpis.hour_cells(VISITS, scope="area", kind="month")
    march = cells[cells["period_start"] == pd.Timestamp("2026-03-01")]
    assert dict(zip(march["breakdown"], march["value"], strict=True)) == {
        "d0h10": 1,
        "d0h15": 1,
        "d1h11": 1,
        "d1h12": 1,
    }


def test_age_cells_count_unknown_apart():
    cells = kpis.age_cells(VISITS, scope="area", kind="year")
    assert dict(zip(cells["breakdown"], cells["value"], strict=True)) == {"25-34": 2, "unknown": 1}


def test_comparisons_use_previous_period_and_last_year():
    rows = pd.DataFrame(
        {
            "scope_id": ["area"] * 4,
            "breakdown": [""] * 4,
            "period_start": pd.to_datetime(["2025-04-01", "2026-02-01", "2026-03-01", "2026-04-01"]),
            "value": [50.0, 8.0, 10.0, float("nan")],
        }
    )
    compared = kpis.with_comparisons(rows, "month")
    april = compared.iloc[3]
    assert pd.isna(april["previous_value"]) is False and april["previous_value"] == 10.0
    assert april["last_year_value"] == 50.0
    assert compared.iloc[2]["previous_value"] == 8.0
    # Days and weeks compare with the same weekday 52 weeks earlier.
    assert kpis.last_year(pd.Timestamp("2026-03-02"), "week") == pd.Timestamp("2025-03-03")
