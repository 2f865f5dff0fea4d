"""Concurrent requests on PostgreSQL: the row locks and unique keys the loyalty services rely on.

Each call runs on a thread with its own database connection, started together at a barrier
(`tests.concurrency.run_together`); the 100-spend test runs on a pool of 50 such threads.
"""

import uuid
from datetime import timedelta

import pytest

from areas.tests.factories import MerchantFactory, UserFactory
from loyalty import services
from loyalty.exceptions import CodeAlreadyUsed, InsufficientPoints
from loyalty.models import EntryKind, LedgerEntry, Pass, PointLot, TillKind, TillTransaction
from loyalty.services import online
from tests.concurrency import run_together

from .factories import PassFactory, award, cashier_for, qr, rules_for, tell_of_expiry

# One group: on one xdist worker, so two of these never hold 50+ connections each at the same time.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("postgres_concurrency"),
]


@pytest.fixture
def till(area, now):
    merchant = MerchantFactory(area=area)
    return merchant, cashier_for(merchant)


def test_fifty_identical_award_requests_make_exactly_one_entry(area, till, now):
    merchant, cashier = till
    member_pass = PassFactory(area=area, now=now)
    request_key, code = uuid.uuid4(), qr(member_pass, now)

    def scan():
        return services.award_for_purchase(
            merchant=merchant, code=code, amount_cents=2750, request_key=request_key, by=cashier, now=now
        )

    results = run_together([scan] * 50)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.transaction_id for r in results}) == 1
    assert sorted(r.is_replay for r in results) == [False] + [True] * 49
    assert {(r.points_awarded, r.balance) for r in results} == {(27, 27)}
    assert TillTransaction.objects.count() == 1
    assert LedgerEntry.objects.filter(member_pass=member_pass).count() == 1
    assert Pass.objects.get(pk=member_pass.pk).points_balance == 27


def test_one_code_scanned_at_fifty_tills_at_once_earns_once(area, now):
    member_pass = PassFactory(area=area, now=now)
    code = qr(member_pass, now)
    tills = [(m, cashier_for(m)) for m in (MerchantFactory(area=area) for _ in range(5))]

    def scan(merchant, cashier):
        return lambda: services.award_for_purchase(
            merchant=merchant, code=code, amount_cents=1000, request_key=uuid.uuid4(), by=cashier, now=now
        )

    results = run_together([scan(*tills[i % 5]) for i in range(50)])

    assert len([r for r in results if not isinstance(r, Exception)]) == 1
    assert all(isinstance(r, CodeAlreadyUsed) for r in results if isinstance(r, Exception)), results
    assert Pass.objects.get(pk=member_pass.pk).points_balance == 10


def test_scans_of_one_pass_at_once_keep_the_daily_cap_and_give_the_first_visit_bonus_once(area, now):
    # A scan that only earns reads the pass without a lock (loyalty.services.till_sql): the facts the rules use (points
    # today, earlier visits) must still be exact when many tills scan the same printed card at the same moment.
    rules_for(
        area,
        daily_cap_points=100,
        first_visit_bonus_points=5,
        max_scans_per_member_per_hour=0,
        max_scans_per_member_per_merchant_per_day=0,
    )
    member_pass = PassFactory(area=area, now=now)
    merchant = MerchantFactory(area=area)
    cashiers = [cashier_for(merchant) for _ in range(4)]

    def scan(cashier):
        return lambda: services.award_for_purchase(
            merchant=merchant,
            code=member_pass.card_number,
            amount_cents=3000,
            request_key=uuid.uuid4(),
            by=cashier,
            now=now,
        )

    results = run_together([scan(cashiers[i % 4]) for i in range(20)])

    assert not [r for r in results if isinstance(r, Exception)], results
    purchases = TillTransaction.objects.filter(member_pass=member_pass)
    assert purchases.count() == 20
    assert sum(r.points_awarded for r in results) == sum(t.points for t in purchases) == 100  # the cap, not 20 × 30
    assert sum(t.bonus_points for t in purchases) == 5  # one first visit
    # Each answer's balance is the balance right after its own purchase: all different, the last one the total.
    assert sorted(r.balance for r in results)[-1] == Pass.objects.get(pk=member_pass.pk).points_balance == 100
    assert len({t.balance_after for t in purchases if t.points}) == len([t for t in purchases if t.points])
    assert services.check_ledger() == []


def _webshop_points(area, merchant, member_pass, now):
    purchases = [online.OnlinePurchase(merchant_id=merchant.pk, earning_cents=3000)]
    online.award_online_points(member=member_pass.member, area=area, purchases=purchases, order_ref="W-1", now=now)


def _nightly_expiry(area, merchant, member_pass, now):
    last = PointLot.objects.filter(member_pass=member_pass).order_by("expires_at").last()
    assert services.expire_points(now=last.expires_at + timedelta(hours=1))  # the member was told (below)


@pytest.mark.parametrize(
    "in_between",
    [
        lambda area, merchant, member_pass, now: award(
            merchant, member_pass, 1000, at=now, by=cashier_for(merchant), code=member_pass.card_number
        ),
        _webshop_points,  # points of the day: the daily cap is one for till and webshop
        _nightly_expiry,  # the balance and the overdue points the till leaves out
    ],
    ids=["another scan", "webshop points", "nightly expiry"],
)
def test_a_scan_read_before_another_change_of_the_pass_writes_nothing(area, till, now, in_between):
    from loyalty.services import till_sql

    merchant, cashier = till
    member_pass = PassFactory(area=area, now=now - timedelta(days=2))
    award(merchant, member_pass, 1000, at=now - timedelta(days=1), by=cashier, code=member_pass.card_number)
    tell_of_expiry()
    read_version = Pass.objects.get(pk=member_pass.pk).till_version
    before = (TillTransaction.objects.count(), LedgerEntry.objects.count(), PointLot.objects.count())
    in_between(area, merchant, member_pass, now)  # comes in between the scan's read and its write
    after = (TillTransaction.objects.count(), LedgerEntry.objects.count(), PointLot.objects.count())
    balance = Pass.objects.get(pk=member_pass.pk).points_balance
    assert after != before  # it did change the pass

    row = {"merchant_id": merchant.pk, "member_pass_id": member_pass.pk, "amount_cents": 5000, "points": 50}
    written = till_sql.write_purchase(
        member_pass=member_pass,
        version=read_version,
        step=None,
        transaction_={**row, "occurred_at": now, "request_key": uuid.uuid4(), "by_id": cashier.pk},
        entry={
            "member_pass_id": member_pass.pk,
            "kind": EntryKind.EARN,
            "points": 50,
            "occurred_at": now,
            "request_key": uuid.uuid4(),
        },
        lot={
            "member_pass_id": member_pass.pk,
            "points": 50,
            "remaining": 50,
            "earned_at": now,
            "expires_at": now + timedelta(days=700),
        },
    )

    assert written is None
    assert (TillTransaction.objects.count(), LedgerEntry.objects.count(), PointLot.objects.count()) == after
    assert Pass.objects.get(pk=member_pass.pk).points_balance == balance


def test_a_hundred_concurrent_spends_against_a_balance_for_one_leave_one_success(area, till, now):
    merchant, cashier = till
    member_pass = PassFactory(area=area, now=now)
    award(merchant, member_pass, 1000, at=now, by=cashier)  # 10 points: enough for one spend of 10
    member = member_pass.member

    def spend():
        return services.spend_points(pass_id=member_pass.pk, points=10, request_key=uuid.uuid4(), by=member, now=now)

    results = run_together([spend] * 100)

    successes = [r for r in results if isinstance(r, LedgerEntry)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    others = [r for r in results if not isinstance(r, LedgerEntry | InsufficientPoints)]
    assert (len(successes), len(refused)) == (1, 99), others[:3]
    assert Pass.objects.get(pk=member_pass.pk).points_balance == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.SPEND).count() == 1
    assert services.check_ledger() == []


def test_identical_concurrent_spends_make_one_entry(area, till, now):
    merchant, cashier = till
    member_pass = PassFactory(area=area, now=now)
    award(merchant, member_pass, 10000, at=now, by=cashier)
    request_key, member = uuid.uuid4(), member_pass.member

    def spend():
        return services.spend_points(pass_id=member_pass.pk, points=30, request_key=request_key, by=member, now=now)

    results = run_together([spend] * 30)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.pk for r in results}) == 1
    assert Pass.objects.get(pk=member_pass.pk).points_balance == 70


def test_concurrent_partial_refunds_never_reverse_more_than_was_awarded(area, till, now):
    merchant, cashier = till
    member_pass = PassFactory(area=area, now=now)
    purchase = award(merchant, member_pass, 10000, at=now, by=cashier)  # 100 points

    def refund():
        return services.refund_purchase(
            merchant=merchant,
            transaction_id=purchase.transaction_id,
            refund_cents=3000,
            request_key=uuid.uuid4(),
            by=cashier,
            now=now,
        )

    results = run_together([refund] * 20)

    assert len([r for r in results if not isinstance(r, Exception)]) == 3  # 3 × €30 fit in €100, a 4th does not
    refunds = TillTransaction.objects.filter(kind=TillKind.REFUND)
    assert sum(-r.amount_cents for r in refunds) == 9000 and sum(-r.points for r in refunds) == 90
    assert Pass.objects.get(pk=member_pass.pk).points_balance == 10


def test_two_expiry_runs_at_once_expire_each_lot_once(area, till, now):
    merchant, cashier = till
    rules_for(area, expiry_months=1)
    passes = [PassFactory(area=area, now=now) for _ in range(30)]
    for member_pass in passes:
        award(merchant, member_pass, 1500, at=now, by=cashier, code=member_pass.card_number)
    tell_of_expiry()
    later = now + timedelta(days=40)

    results = run_together([lambda: services.expire_points(now=later, chunk_size=7)] * 4)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 30
    assert LedgerEntry.objects.filter(kind=EntryKind.EXPIRE).count() == 30
    assert not PointLot.objects.filter(remaining__gt=0).exists()
    assert services.check_ledger() == []


def test_joining_twice_at_once_makes_one_pass(area, now):
    rules_for(area, welcome_bonus_points=20)
    person = UserFactory()
    results = run_together([lambda: services.join_pass(user=person, area=area, now=now)] * 10)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.pk for r in results}) == 1
    assert Pass.objects.get(member=person).points_balance == 20
    assert LedgerEntry.objects.count() == 1
