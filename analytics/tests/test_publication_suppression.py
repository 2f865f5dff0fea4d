"""Where publication meets suppression: the periods a run publishes are suppressed together with what earlier runs
published (analytics.publication.Publication.prepare), and with nothing that is not out yet."""

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics import services
from analytics.models import KpiValue, RunStatus
from analytics.publication import Publication
from analytics.suppression import Relation, suppress_part
from areas.tests.factories import MerchantFactory

from .conftest import AMS
from .factories import Till, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(area):
    area.suppression_k = 10
    area.save(update_fields=["suppression_k"])
    return MerchantFactory(area=area, sector="food", trade_name="Bakkerij")


def figure(area, kpi, *, kind, start, scope="area", scope_id="area"):
    return KpiValue.objects.get(
        area=area,
        kpi=kpi,
        period_kind=kind,
        period_start=start,
        scope=scope,
        scope_id=scope_id,
        purpose="analytics",
        breakdown="",
    )


def test_a_full_run_publishes_a_months_last_day_whose_week_is_not_out_yet(area, shop):
    # given: two members visit on Monday 23 and Monday 30 November 2026 (all hidden, K = 10); on 2 December
    # November is out with its days, but the week of 30 November comes out only with December. The bakery's weeks
    # (up to 23 November) and months (up to November) then cover different days: "its weeks since 1 June = its
    # months since 1 June", a relation only of the whole weeks and months, would pin the area's 30 November down,
    # and every cell around it is hidden already (the run failed: "published by a relation of its own").
    till = Till()
    for i in range(2):
        _user, member_pass = member(area)
        for day in (23, 30):
            till.visit(shop, member_pass, 1_000, datetime(2026, 11, day, 10, 0, tzinfo=AMS) + timedelta(minutes=i))
    # when: the first run (or a run after `analytics_publish --reopen-from`: nothing is stored)
    run = services.recompute(area=area, today=date(2026, 12, 2))
    # then
    assert run.status == RunStatus.DONE
    day = figure(area, "visits", kind="day", start=date(2026, 11, 30))
    assert (day.raw_value, day.is_suppressed) == (2, True)
    assert figure(area, "visits", kind="month", start=date(2026, 11, 1), scope="merchant", scope_id=str(shop.pk))
    assert not KpiValue.objects.filter(area=area, period_kind="week", period_start=date(2026, 11, 30)).exists()


def test_a_month_whose_first_time_visitors_were_hidden_stays_protected_when_its_quarter_comes_out(area, shop):
    # given: 12 members first visit in March; in April they come back with 3 newcomers: April (15 visitors) is
    # shown, its 3 first-time visitors hidden. Published on 15 May.
    till = Till()
    regulars = [member(area)[1] for _ in range(12)]
    newcomers = [member(area)[1] for _ in range(3)]
    for i, member_pass in enumerate(regulars):
        till.visit(shop, member_pass, 1_000, datetime(2026, 3, 3, 10, 0, tzinfo=AMS) + timedelta(minutes=i))
    for i, member_pass in enumerate(regulars + newcomers):
        till.visit(shop, member_pass, 1_000, datetime(2026, 4, 7, 10, 0, tzinfo=AMS) + timedelta(minutes=i))
    services.recompute(area=area, today=date(2026, 5, 15))
    april = figure(area, "first_time_visitors", kind="month", start=date(2026, 4, 1))
    assert (april.raw_value, april.is_suppressed) == (3, True)
    assert not figure(area, "visits", kind="month", start=date(2026, 4, 1)).is_suppressed
    # ... in June all 15 come again with 12 newcomers (no one in May): June's 12 first-time visitors are shown
    for i, member_pass in enumerate(regulars + newcomers + [member(area)[1] for _ in range(12)]):
        till.visit(shop, member_pass, 1_000, datetime(2026, 6, 9, 10, 0, tzinfo=AMS) + timedelta(minutes=i))
    # when: the second quarter comes out with June
    services.recompute(area=area, today=date(2026, 7, 2))
    # then: the quarter's 15 first-time visitors minus June's 12 would be April's hidden 3, in every scope
    for scope, scope_id in (("area", "area"), ("sector", "food"), ("merchant", str(shop.pk))):
        quarter = figure(
            area, "first_time_visitors", kind="quarter", start=date(2026, 4, 1), scope=scope, scope_id=scope_id
        )
        june = figure(area, "first_time_visitors", kind="month", start=date(2026, 6, 1), scope=scope, scope_id=scope_id)
        assert (quarter.raw_value, june.raw_value) == (15, 12)
        assert quarter.is_suppressed or june.is_suppressed, scope
        # ... and the repeat visitors with them (quarter 27 − 15, June 27 − 12: unique − repeat = first-time)
        repeat = figure(area, "repeat_visitors", kind="quarter", start=date(2026, 4, 1), scope=scope, scope_id=scope_id)
        june_repeat = figure(
            area, "repeat_visitors", kind="month", start=date(2026, 6, 1), scope=scope, scope_id=scope_id
        )
        assert repeat.is_suppressed or june_repeat.is_suppressed, scope
    # April stays as it was published
    assert figure(area, "first_time_visitors", kind="month", start=date(2026, 4, 1)).is_suppressed


def _pickups(day: date, subjects, *, converted: int):
    """Pickups of `subjects` on `day` at 9:00, the first `converted` of them followed by a visit at 11:00."""
    at = pd.Timestamp(day, tz=AMS) + pd.Timedelta(hours=9)
    pickups = pd.DataFrame(
        {
            "subject": list(subjects),
            "picked_up_at": [at + timedelta(minutes=i) for i in range(len(subjects))],
            "local_date": pd.Timestamp(day),
        }
    )
    visits = pd.DataFrame({"subject": list(subjects)[:converted], "occurred_at": [at + timedelta(hours=2)] * converted})
    return pickups, visits


def test_a_month_whose_pickup_conversion_was_hidden_stays_protected_when_its_quarter_comes_out(area, shop):
    # given: April published on 15 May with 40 pickups shown and its conversion (4 of 40) hidden
    window = (date(2024, 1, 1), date(2026, 12, 1))
    april = _pickups(date(2026, 4, 7), range(40), converted=4)
    publication = Publication.for_area(area, date(2026, 5, 15))
    rows = services._pickup_rows(*april, k=10, window=window, publication=publication)
    run = services.KpiRun.objects.create(area=area, trigger="direct")
    services._store(
        area=area,
        run=run,
        rows=rows.assign(previous_value=np.nan, last_year_value=np.nan, quality=""),
        k=10,
        publication=publication,
    )
    assert not figure(area, "pickups", kind="month", start=date(2026, 4, 1)).is_suppressed
    assert figure(area, "pickup_conversion", kind="month", start=date(2026, 4, 1)).is_suppressed
    # when: the second quarter comes out with June: 40 other pickups, 20 of them followed by a visit (shown)
    june = _pickups(date(2026, 6, 9), range(100, 140), converted=20)
    both = [pd.concat([a, j], ignore_index=True) for a, j in zip(april, june, strict=True)]
    rows = services._pickup_rows(*both, k=10, window=window, publication=Publication.for_area(area, date(2026, 7, 2)))
    # then: the quarter's 24 converted pickups minus June's 20 would be April's hidden 4
    months = rows[(rows["kpi"] == "pickup_conversion") & (rows["breakdown"] == "")].set_index(
        ["period_kind", "period_start"]
    )
    quarter, june_row = (
        months.loc[("quarter", pd.Timestamp(2026, 4, 1))],
        months.loc[("month", pd.Timestamp(2026, 6, 1))],
    )
    assert (quarter["raw_value"], june_row["raw_value"]) == (24 / 80, 20 / 40)
    assert quarter["suppressed_reason"] or june_row["suppressed_reason"]


def test_a_part_published_before_is_known_when_the_new_ones_are_suppressed():
    # A quarter's 24 first-time visitors = April's 4 (published before, with April) + June's 20 (hidden with June,
    # a secondary cell). Were April's carried row taken for unknown, two hidden parts would stand beside the
    # quarter and it would stay shown; but April's are on the page, so quarter − April gives June's 20 away.
    relations = [Relation.parent(0, [1, 2])]
    cells = np.array(["", "", "secondary"], dtype=object)
    part, rest = np.array([24, 0, 20]), np.array([56, 0, 20])  # a carried row keeps no people: 0
    reasons = suppress_part(cells, k=10, part_people=part, rest_people=rest, relations=relations, known=[0, 1, 0])
    assert reasons[0] == "secondary"
    assert suppress_part(cells, k=10, part_people=part, rest_people=rest, relations=relations)[0] == ""
