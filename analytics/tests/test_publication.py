"""Publication (analytics.publication): a period's figures come out once, after its month, and then stay as they
are, so that comparing runs cannot single out a member who withdrew; a quarter adds up its months as published."""

from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from analytics import services
from analytics.models import KpiValue
from analytics.publication import next_release, release_date
from loyalty.tests.factories import person_with

from .conftest import AMS, TODAY
from .factories import withdraw

JULY = date(2026, 7, 2)


def cells(area, **filters):
    """Every stored figure of the area as {key: (value, raw_value, is_suppressed, previous, last year)}."""
    return {
        (v.purpose, v.scope, v.scope_id, v.kpi, v.breakdown, v.period_kind, v.period_start): (
            v.value,
            v.raw_value,
            v.is_suppressed,
            v.previous_value,
            v.last_year_value,
        )
        for v in KpiValue.objects.filter(area=area, **filters)
    }


def stored(area, kpi, *, kind, start, scope="area", scope_id="area"):
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


@pytest.mark.parametrize(
    ("kind", "start", "due"),
    [
        ("day", date(2026, 3, 31), date(2026, 4, 1)),
        ("day", date(2026, 3, 2), date(2026, 4, 1)),  # a day waits for its month
        ("week", date(2026, 3, 30), date(2026, 5, 1)),  # 30 March – 5 April: with April
        ("week", date(2026, 3, 23), date(2026, 4, 1)),
        ("month", date(2026, 3, 1), date(2026, 4, 1)),
        ("quarter", date(2026, 1, 1), date(2026, 4, 1)),
        ("year", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_a_period_comes_out_the_first_of_the_month_after_the_one_it_ends_in(kind, start, due):
    assert release_date(start, kind) == due


@pytest.mark.parametrize("today", [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 31)])
def test_the_month_under_way_comes_out_the_first_of_the_next(today):
    assert next_release(today) == date(2027, 1, 1)


def test_a_closed_month_does_not_change_when_a_member_withdraws_and_a_recomputation_is_asked(area, world):
    # given: the figures as published on 15 May (March and April are over), downloaded by someone
    services.recompute(area=area, today=TODAY)
    before = cells(area)
    march = stored(area, "visits", kind="month", start=date(2026, 3, 1))
    assert (march.value, march.raw_value) == (17, 17)
    # when: a member who made 3 of March's visits and 500 cents of April's spend withdraws, and a run follows at once
    user, _pass = world["members"][0]
    withdraw(user, area, "analytics")
    services.recompute(area=area, today=TODAY)
    # then: not one published figure moved, so the two downloads differ in nothing
    assert cells(area) == before
    # nor a month later, when more periods come out beside them
    services.recompute(area=area, today=date(2026, 6, 3))
    after = cells(area)
    assert {key: after[key] for key in before} == before


def test_the_month_under_way_is_not_published(area, world):
    services.recompute(area=area, today=TODAY)
    periods = set(KpiValue.objects.filter(area=area).values_list("period_kind", "period_start").distinct())
    assert ("month", date(2026, 4, 1)) in periods and ("day", date(2026, 4, 6)) in periods
    assert ("quarter", date(2026, 1, 1)) in periods
    # 15 May: May, its days, the week of 27 April – 3 May, the second quarter and 2026 are not out yet.
    assert ("month", date(2026, 5, 1)) not in periods
    assert not any(kind == "day" and start >= date(2026, 5, 1) for kind, start in periods)
    assert ("week", date(2026, 4, 27)) not in periods
    assert ("quarter", date(2026, 4, 1)) not in periods and ("year", date(2026, 1, 1)) not in periods


def test_a_quarter_adds_up_its_months_as_published_and_counts_people_afresh(area, world):
    # given: April published with the 12 members' 12 visits; then member 0 withdraws; everyone visits in June
    services.recompute(area=area, today=TODAY)
    april = stored(area, "visits", kind="month", start=date(2026, 4, 1))
    assert april.value == 12
    user, _pass = world["members"][0]
    withdraw(user, area, "analytics")
    june_10 = datetime(2026, 6, 10, 10, 0, tzinfo=AMS)
    for i, (_user, member_pass) in enumerate(world["members"]):
        world["till"].visit(world["bakery"], member_pass, 700, june_10 + timedelta(minutes=i))
    # when: the run of 2 July publishes June and the second quarter
    services.recompute(area=area, today=JULY)
    # then: June is counted from the members who consent now (11 of them) ...
    june = stored(area, "visits", kind="month", start=date(2026, 6, 1))
    assert (june.raw_value, june.n) == (11, 11)
    # ... and the quarter is April as published plus May and June, so "quarter − its months" gives away nothing
    quarter = stored(area, "visits", kind="quarter", start=date(2026, 4, 1))
    assert quarter.raw_value == april.value + 0 + june.raw_value == 23
    assert stored(area, "unique_visitors", kind="quarter", start=date(2026, 4, 1)).raw_value == 11  # afresh
    # its comparison is with the first quarter as published
    first = stored(area, "visits", kind="quarter", start=date(2026, 1, 1))
    assert quarter.previous_value == first.value
    # April itself still says what it said
    assert stored(area, "visits", kind="month", start=date(2026, 4, 1)).raw_value == 12


def test_a_hidden_month_stays_hidden_when_its_quarter_comes_out(area, world):
    # given: 4 members visit the boutique in April (under K = 10: hidden when April comes out on 15 May) ...
    boutique, till = world["boutique"], world["till"]
    for i, (_user, member_pass) in enumerate(world["members"][:4]):
        till.visit(boutique, member_pass, 3_000, datetime(2026, 4, 20, 11, 0, tzinfo=AMS) + timedelta(minutes=i))
    services.recompute(area=area, today=TODAY)
    scope = {"scope": "merchant", "scope_id": str(boutique.pk)}
    assert stored(area, "visits", kind="month", start=date(2026, 4, 1), **scope).is_suppressed
    # ... and all 12 in June (shown)
    for i, (_user, member_pass) in enumerate(world["members"]):
        till.visit(boutique, member_pass, 1_000, datetime(2026, 6, 11, 11, 0, tzinfo=AMS) + timedelta(minutes=i))
    # when: the second quarter comes out
    services.recompute(area=area, today=JULY)
    june = stored(area, "visits", kind="month", start=date(2026, 6, 1), **scope)
    quarter = stored(area, "visits", kind="quarter", start=date(2026, 4, 1), **scope)
    assert quarter.raw_value == 4 + 12
    # then: quarter − June − May would be April's hidden 4 visits: one of them is hidden too
    assert june.is_suppressed or quarter.is_suppressed


def test_figures_stored_while_their_period_was_under_way_are_published_afresh(area, world):
    # given: figures stored by a run before this rule (every period, the month under way too), on 15 May
    run = services.KpiRun.objects.create(area=area, trigger="direct")
    start, end = services._window(area, TODAY)
    rows = services.compute_rows(area=area, start=start, end=end)
    services._store(area=area, run=run, rows=rows, k=10)
    KpiValue.objects.filter(area=area).update(computed_at=datetime(2026, 5, 15, 4, 30, tzinfo=AMS))
    assert KpiValue.objects.filter(area=area, period_kind="quarter", period_start=date(2026, 4, 1)).exists()
    # when: the next run
    services.recompute(area=area, today=date(2026, 5, 16))
    # then: the second quarter (under way) is gone; April (over when it was computed) stands as it was
    assert not KpiValue.objects.filter(area=area, period_kind="quarter", period_start=date(2026, 4, 1)).exists()
    assert KpiValue.objects.filter(area=area, period_kind="month", period_start=date(2026, 4, 1), run=run).exists()


def test_the_platform_admins_command_publishes_what_is_due_and_reopens_only_when_told(area, world, capsys):
    call_command("analytics_publish", area.slug, "--today", "2026-05-15")
    assert stored(area, "visits", kind="month", start=date(2026, 3, 1)).raw_value == 17
    user, _pass = world["members"][0]
    withdraw(user, area, "analytics")
    with pytest.raises(CommandError, match="--yes"):
        call_command("analytics_publish", area.slug, "--today", "2026-05-15", "--reopen-from", "2026-03-01")
    assert stored(area, "visits", kind="month", start=date(2026, 3, 1)).raw_value == 17
    call_command("analytics_publish", area.slug, "--today", "2026-05-15", "--reopen-from", "2026-03-01", "--yes")
    assert stored(area, "visits", kind="month", start=date(2026, 3, 1)).raw_value == 14
    out = capsys.readouterr().out
    assert "compare" in out  # it says what reopening gives away


# --- What the manager sees ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
def test_the_overview_says_when_figures_come_out_instead_of_offering_a_recomputation(client, area, world):
    services.recompute(area=area, today=TODAY)
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    url = reverse("analytics:overview", kwargs={"area": area.slug})
    with translation.override("en"):
        page = client.get(url, {"period": "month", "start": "2026-03-01"}).content.decode()
    assert "Figures come out once a month" in page and "published ones do not change" in page
    assert "Recompute now" not in page and "Publish the figures that are due" not in page
    # A month whose publication is missing (no run since the 1st): the one case a run now publishes anything.
    services.KpiRun.objects.filter(area=area).update(finished_at=datetime(2020, 1, 1, tzinfo=AMS))
    with translation.override("en"):
        page = client.get(url, {"period": "month", "start": "2026-03-01"}).content.decode()
    assert "Publish the figures that are due" in page
    assert "data-once" in page and 'data-busy-label="Computing…"' in page and "analytics/once.js" in page
