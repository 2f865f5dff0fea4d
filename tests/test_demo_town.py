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
    # the month before last is settled: every merchant's statement issued, most paid, some still open; and what
    # was issued still matches the rows (no later step adds activity to a settled month)
    from loyalty.models import SettlementPayment, SettlementStatement
    from loyalty.services.settlement import merchant_quantities

    statements = SettlementStatement.objects.select_related("merchant__area")
    assert {(s.first_day, s.last_day) for s in statements} == {(date(2026, 9, 1), date(2026, 9, 30))}
    assert 0 < SettlementPayment.objects.count() < statements.count()
    for statement in statements:
        live = merchant_quantities(statement.merchant, statement.first_day, statement.last_day)
        assert (live.points_issued, live.points_redeemed) == (statement.points_issued, statement.points_redeemed)
        assert (live.voucher_cents, live.giftcard_cents) == (statement.voucher_cents, statement.giftcard_cents)
