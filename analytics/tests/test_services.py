"""recompute: stored figures, suppression on the way in, consent read when the run starts."""

from datetime import date

import pytest

from analytics import services
from analytics.models import KpiRun, KpiValue, RunStatus

from .conftest import TODAY
from .factories import withdraw


def value(area, kpi, *, kind="month", start=date(2026, 3, 1), scope="area", scope_id="area", purpose="analytics"):
    return KpiValue.objects.get(
        area=area,
        kpi=kpi,
        period_kind=kind,
        period_start=start,
        scope=scope,
        scope_id=scope_id,
        purpose=purpose,
        breakdown="",
    )


def test_recompute_stores_the_figures_with_provenance(area, world):
    run = services.recompute(area=area, today=TODAY)
    assert run.status == RunStatus.DONE and run.progress == 100 and run.rows_written > 0
    assert run.k == 10 and run.code_version
    march = value(area, "visits")
    # 12 bakery + 4 boutique + 1 florist visits in March by 12 members.
    assert (march.value, march.n, march.is_suppressed) == (17.0, 12, False)
    assert value(area, "unique_visitors").value == 12
    # Everyone is new in March and no one in April: "12 new, 0 returning" says it of each of them, so the split
    # rests on a group of 0 and is hidden (docs/analytics-kpis.md, parts of a cell).
    first_time = value(area, "first_time_visitors")
    assert (first_time.value, first_time.raw_value, first_time.suppressed_reason) == (None, 12, "small_group")
    april = value(area, "visits", start=date(2026, 4, 1))
    assert april.value == 12 and april.previous_value == 17
    repeat = value(area, "repeat_visitors", start=date(2026, 4, 1))
    assert (repeat.value, repeat.raw_value, repeat.is_suppressed) == (None, 12, True)
    spend = sum(1_000 + i * 10 for i in range(12)) + 4 * 5_000 + 2_000
    assert value(area, "spend_cents").value == spend
    assert march.provenance["source"] == "loyalty.selectors.visits"
    assert march.provenance["window"] == "2026-03-01/2026-04-01"
    assert march.provenance["suppression"] == {"k": 10, "applied": None}
    assert march.provenance["code_version"] == run.code_version
    assert KpiValue.objects.filter(area=area).exclude(run=run).count() == 0


def test_small_groups_are_hidden_and_their_sector_protected(area, world):
    services.recompute(area=area, today=TODAY)
    bakery = value(area, "visits", scope="merchant", scope_id=str(world["bakery"].pk))
    boutique = value(area, "visits", scope="merchant", scope_id=str(world["boutique"].pk))
    florist = value(area, "visits", scope="merchant", scope_id=str(world["florist"].pk))
    # 4 and 1 visitors: under K.
    assert boutique.is_suppressed and boutique.value is None and boutique.raw_value == 4
    assert florist.is_suppressed and florist.suppressed_reason == "small_group"
    fashion = value(area, "visits", scope="sector", scope_id="fashion")
    assert fashion.is_suppressed and fashion.suppressed_reason == "small_group"  # 5 people
    # The area is food + fashion: with fashion hidden, food is hidden too (or area − food = fashion); and the
    # bakery, food's only merchant, equals food, so it is hidden with it, though 12 people visited it.
    area_cell = value(area, "visits")
    food = value(area, "visits", scope="sector", scope_id="food")
    assert not area_cell.is_suppressed and area_cell.value == 17
    assert food.is_suppressed and food.suppressed_reason == "secondary"
    assert bakery.is_suppressed and bakery.suppressed_reason == "secondary" and bakery.raw_value == 12
    # Every KPI of a hidden cell is hidden, and comparisons with it are empty.
    hidden = KpiValue.objects.filter(
        area=area,
        scope="merchant",
        scope_id=str(world["bakery"].pk),
        period_kind="month",
        period_start=date(2026, 3, 1),
        purpose="analytics",
    )
    assert hidden.count() > 5 and all(v.value is None for v in hidden)
    april = value(area, "visits", scope="merchant", scope_id=str(world["bakery"].pk), start=date(2026, 4, 1))
    assert april.value == 12 and april.previous_value is None


def test_a_member_who_withdraws_is_in_no_figure_computed_afterwards(area, world):
    # (Figures published before the withdrawal stay as they were: test_publication.py.)
    user, _pass = world["members"][0]  # visits the bakery twice, the boutique and the florist once
    withdraw(user, area, "analytics")
    services.recompute(area=area, today=TODAY)
    march = value(area, "visits")
    assert (march.raw_value, march.n) == (17 - 3, 11)
    assert value(area, "unique_visitors", kind="quarter", start=date(2026, 1, 1)).raw_value == 11
    florist = KpiValue.objects.filter(
        area=area, purpose="analytics", scope="merchant", scope_id=str(world["florist"].pk)
    )
    assert not florist.exists()  # the florist's only visitor withdrew
    # Figures for merchants rest on the other consent, which the member still gives.
    shared = value(area, "visits", scope="merchant", scope_id=str(world["bakery"].pk), purpose="share_with_merchants")
    assert shared.raw_value == 6
    withdraw(user, area, "share_with_merchants")
    services.reopen_periods(area=area, since=date(2026, 1, 1))  # a platform admin's recomputation
    services.recompute(area=area, today=TODAY)
    shared = value(area, "visits", scope="merchant", scope_id=str(world["bakery"].pk), purpose="share_with_merchants")
    assert shared.raw_value == 5


def test_request_recompute_queues_one_run_after_commit(area, world, django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    monkeypatch.setattr("analytics.tasks.recompute_area_task.delay", lambda **kw: calls.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.request_recompute(area=area)
    again = services.request_recompute(area=area)
    assert again.pk == run.pk and calls == [{"run_id": run.pk}]
    from analytics.tasks import recompute_area_task

    assert recompute_area_task(run_id=run.pk) > 0
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert recompute_area_task(run_id=run.pk) == 0  # delivered twice: the second does nothing


def test_a_failed_run_keeps_the_previous_figures(area, world, monkeypatch):
    services.recompute(area=area, today=TODAY)
    count = KpiValue.objects.filter(area=area).count()

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "compute_rows", broken)
    with pytest.raises(RuntimeError):
        services.recompute(area=area, today=TODAY)
    assert KpiValue.objects.filter(area=area).count() == count
    assert KpiRun.objects.filter(area=area, status=RunStatus.FAILED).count() == 1
