"""The whole demo town: every module's seed steps together, as `dev.py demo` runs them."""

from datetime import date

import pytest

from areas.demo import seed_demo
from privacy.default_purposes import ensure_default_purposes

pytestmark = pytest.mark.django_db


def test_every_modules_steps_run_together_as_dev_py_demo_runs_them():
    # The tests of each module seed only their own steps; `dev.py demo` runs them all, one after another, in one
    # transaction: the whole chain must hold together (the shop's parcel point, the site's products and offers,
    # the analytics computed over everything).
    from analytics.models import KpiRun, RunStatus
    from loyalty.models import LedgerEntry, OnlinePointsShare
    from loyalty.services import check_ledger
    from shop.models import Order
    from shop.services.invariants import check_orders

    ensure_default_purposes()
    ctx = seed_demo(seed=1, size="tiny", today=date(2026, 11, 22), log=lambda _line: None)
    assert check_ledger() == [] and check_orders() == []
    assert Order.objects.exists()
    # members' webshop orders earned points, split over the merchants whose sales earned them (the settlement's rows)
    assert Order.objects.filter(points_awarded__gt=0).exists()
    shared = LedgerEntry.objects.filter(online_shares__isnull=False).distinct()
    assert shared.exists()
    for entry in shared:
        assert sum(OnlinePointsShare.objects.filter(entry=entry).values_list("points", flat=True)) == entry.points
    runs = KpiRun.objects.filter(area__in=ctx.areas.values())
    assert [run.status for run in runs] == [RunStatus.DONE] * len(ctx.areas)
