"""Suppression beyond single cells: hidden cells that a total adds up to a small group, and figures that rest on a
part of a cell's people (first-time visitors, combination days, pickups followed by a visit)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics import kpis
from analytics.suppression import SECONDARY, SMALL_GROUP, Relation, protect, suppress, suppress_part


def test_hidden_parts_of_a_shown_total_never_add_up_to_fewer_than_k():
    # 98 unique visitors: 91 inside the catchment, 6 outside, 1 without a postcode (October in the demo). With
    # "outside" and "not known" hidden and the other two shown, 98 − 91 = 7 people would be published.
    table = pd.DataFrame({"cell": ["visitors", "inside", "outside", "unknown"], "n": [98, 91, 6, 1]})
    result = suppress(table, k=30, count_col="n", relations=[Relation.parent(0, [1, 2, 3])])
    shown = dict(zip(result["cell"], result["n"], strict=True))
    assert shown["visitors"] == 98
    assert np.isnan(shown["inside"]) and np.isnan(shown["outside"]) and np.isnan(shown["unknown"])
    assert result["suppressed_reason"].tolist() == ["", SECONDARY, SMALL_GROUP, SMALL_GROUP]


def test_hidden_parts_that_add_up_to_k_or_more_leave_the_rest_shown():
    # 104 visitors, 70 within 5 km: the three hidden bands are 34 people together, not a small group.
    table = pd.DataFrame({"cell": ["visitors", "0-5", "5-15", "15-30", "unknown"], "n": [104, 70, 20, 10, 4]})
    result = suppress(table, k=30, count_col="n", relations=[Relation.parent(0, [1, 2, 3, 4])])
    assert result["n"].tolist()[:2] == [104, 70]
    assert result["is_suppressed"].tolist() == [False, False, True, True, True]


def test_when_every_part_is_hidden_and_still_few_the_total_is_hidden_too():
    # The parts' counts are people per part; where one person can be in several parts (visitors on several days)
    # their sum only bounds the group. With every part hidden and still fewer than K counted, the total goes:
    # then only a difference of hidden cells is published, never a group's size.
    relations = [Relation.parent(0, [1, 2])]
    counts = np.array([40.0, 5.0, 3.0])
    result = protect(np.array([False, True, True]), relations, order=counts, counts=counts, k=30)
    assert result.tolist() == [True, True, True]


def test_first_time_visitors_are_hidden_when_either_they_or_the_returning_visitors_are_few():
    cells = np.array(["", "", "", SMALL_GROUP], dtype=object)
    first_time = np.array([4, 40, 25, 2])
    returning = np.array([93, 2, 30, 5])
    reasons = suppress_part(cells, k=10, part_people=first_time, rest_people=returning)
    # 4 new of 97; 40 new and 2 returning (the 2 are as exposed as the 4); 25 and 30 shown; a hidden cell's part
    # is hidden with it, for its own reason.
    assert reasons.tolist() == [SMALL_GROUP, SMALL_GROUP, "", SMALL_GROUP]


def test_a_hidden_months_first_time_visitors_cannot_be_worked_out_from_the_quarter():
    # A quarter's first-time visitors are its months' (each visitor is new once): 27 = 12 + 12 + 3. With June's
    # 3 hidden and the rest shown, 27 − 12 − 12 = 3 would be published.
    cells = np.array(["", "", "", ""], dtype=object)
    first_time = np.array([27, 12, 12, 3])  # quarter, April, May, June
    returning = np.array([40, 30, 31, 35])
    quarter_of_months = [Relation.parent(0, [1, 2, 3])]
    reasons = suppress_part(cells, k=10, part_people=first_time, rest_people=returning, relations=quarter_of_months)
    assert reasons.tolist() == ["", SECONDARY, "", SMALL_GROUP]


def test_suppress_parts_hides_first_time_and_repeat_visitors_together_and_the_combination_share_apart():
    table = pd.DataFrame(
        {
            "pos": [0, 1],
            "kind": ["cell", "cell"],
            "scope": ["area", "area"],
            "scope_id": ["area", "area"],
            "period_kind": ["month", "month"],
            "period_start": pd.to_datetime(["2026-10-01", "2026-11-01"]),
            "breakdown": ["", ""],
            "n": [97, 104],
            "visits": [250, 262],
            "spend_cents": [1_000_000, 1_300_000],
            "first_time_visitors": [4, 35],
            "repeat_visitors": [93, 69],
            "combination_days": [8, 40],
            "member_days": [209, 230],
            "combination_people": [8, 36],
            "single_day_people": [95, 100],
            "suppressed_reason": ["", ""],
        }
    )
    published = kpis.suppress_parts(table, table.copy(), k=30, relations_of=lambda rows: [])
    october, november = published.iloc[0], published.iloc[1]
    assert october[kpis.reason_column("first_time_visitors")] == SMALL_GROUP
    assert october[kpis.reason_column("repeat_visitors")] == SMALL_GROUP
    assert np.isnan(october["first_time_visitors"]) and np.isnan(october["repeat_visitors"])
    assert october[kpis.reason_column("combination_share")] == SMALL_GROUP and np.isnan(october["combination_days"])
    assert (november["first_time_visitors"], november["repeat_visitors"], november["combination_days"]) == (35, 69, 40)
    derived = kpis.derive(published)
    assert np.isnan(derived["first_time_visitors"][0]) and np.isnan(derived["combination_share"][0])
    assert derived["combination_share"][1] == 40 / 230
