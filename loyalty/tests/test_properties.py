"""Property: whatever members and tills do, in any order, the ledger and its projections agree, and no
balance, lot or reversal goes below zero or beyond what was awarded.

Hypothesis draws sequences of earn / spend / refund / undo / correct / wait / expire / retry operations on
two passes at two merchants; each sequence runs in a savepoint that is rolled back afterwards. Set
LOYALTY_PROPERTY_EXAMPLES for a longer run (CI nightly: 10000).
"""

import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from areas.tests.factories import MerchantFactory
from loyalty import services
from loyalty.exceptions import LoyaltyError
from loyalty.models import Pass, PointLot, TillKind, TillTransaction

from .factories import PassFactory, cashier_for, manager_for, rules_for

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("LOYALTY_PROPERTY_EXAMPLES", "150"))

operation = st.one_of(
    st.tuples(st.just("earn"), st.integers(0, 1), st.integers(0, 1), st.integers(1, 25_000)),
    st.tuples(st.just("spend"), st.integers(0, 1), st.integers(1, 200)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 25_000)),
    st.tuples(st.just("undo"), st.integers(0, 50)),
    st.tuples(st.just("adjust"), st.integers(0, 1), st.integers(-150, 150).filter(bool)),
    st.tuples(st.just("wait"), st.integers(1, 60 * 24 * 25)),  # minutes, up to 25 days
    st.tuples(st.just("expire")),
    st.tuples(st.just("retry"), st.integers(0, 50)),
)


@dataclass
class World:
    passes: list
    merchants: list
    cashiers: list
    manager: object
    now: object
    purchases: list = field(default_factory=list)  # (merchant index, transaction id)
    requests: list = field(default_factory=list)  # (callable taking a request key, key, first result)


@pytest.fixture
def world(area, now):
    # Points expire after a month, so waits of up to 25 days make lots expire within a sequence.
    rules_for(
        area,
        expiry_months=1,
        welcome_bonus_points=15,
        first_visit_bonus_points=5,
        daily_cap_points=400,
        undo_window_minutes=30,
        max_scans_per_member_per_hour=0,
        max_scans_per_member_per_merchant_per_day=0,
    )
    merchants = [MerchantFactory(area=area), MerchantFactory(area=area)]
    return World(
        passes=[PassFactory(area=area, now=now), PassFactory(area=area, now=now)],
        merchants=merchants,
        cashiers=[cashier_for(m) for m in merchants],
        manager=manager_for(area),
        now=now,
    )


def _apply(world: World, op: tuple) -> None:
    kind = op[0]
    if kind == "wait":
        world.now += timedelta(minutes=op[1])
        return
    if kind == "expire":
        services.expire_points(now=world.now)
        return
    if kind == "retry":
        if world.requests:
            call, request_key, first = world.requests[op[1] % len(world.requests)]
            balances = _balances(world)
            again = call(request_key)
            assert getattr(again, "is_replay", True)
            assert getattr(again, "transaction_id", getattr(again, "pk", None)) == getattr(
                first, "transaction_id", getattr(first, "pk", None)
            )
            assert _balances(world) == balances  # a retry changes nothing
        return
    now = world.now
    if kind == "earn":
        _, p, m, cents = op
        member_pass, merchant, cashier = world.passes[p], world.merchants[m], world.cashiers[m]

        def call(request_key):
            return services.award_for_purchase(
                merchant=merchant,
                code=member_pass.card_number,
                amount_cents=cents,
                request_key=request_key,
                by=cashier,
                now=now,
            )

        result = _remember(world, call)
        if result:
            world.purchases.append((m, result.transaction_id))
    elif kind == "spend":
        _, p, points = op
        member_pass = world.passes[p]
        _remember(
            world,
            lambda request_key: services.spend_points(
                pass_id=member_pass.pk, points=points, request_key=request_key, by=member_pass.member, now=now
            ),
        )
    elif kind in ("refund", "undo") and world.purchases:
        m, transaction_id = world.purchases[op[1] % len(world.purchases)]
        merchant, cashier = world.merchants[m], world.cashiers[m]
        if kind == "undo":
            _remember(
                world,
                lambda request_key: services.undo_till_transaction(
                    merchant=merchant, transaction_id=transaction_id, request_key=request_key, by=cashier, now=now
                ),
            )
        else:
            amount = TillTransaction.objects.get(pk=transaction_id).amount_cents
            cents = 1 + (op[2] - 1) % amount
            _remember(
                world,
                lambda request_key: services.refund_purchase(
                    merchant=merchant,
                    transaction_id=transaction_id,
                    refund_cents=cents,
                    request_key=request_key,
                    by=cashier,
                    now=now,
                ),
            )
    elif kind == "adjust":
        _, p, points = op
        member_pass = world.passes[p]
        _remember(
            world,
            lambda request_key: services.adjust_points(
                pass_id=member_pass.pk,
                points=points,
                reason="Correctie",
                by=world.manager,
                request_key=request_key,
                now=now,
            ),
        )


def _remember(world: World, call):
    request_key = uuid.uuid4()
    try:
        result = call(request_key)
    except LoyaltyError:
        return None  # refused by a rule (not enough points, window closed, ...): nothing may have changed
    world.requests.append((call, request_key, result))
    return result


def _balances(world: World) -> list[int]:
    return list(Pass.objects.filter(pk__in=[p.pk for p in world.passes]).order_by("pk").values_list("points_balance"))


def _check_invariants(world: World) -> None:
    assert services.check_ledger(pass_ids=[p.pk for p in world.passes]) == []
    assert all(balance >= 0 for (balance,) in _balances(world))
    assert not PointLot.objects.filter(remaining__lt=0).exists()
    for purchase in TillTransaction.objects.filter(kind=TillKind.PURCHASE):
        reversed_ = purchase.reversals.aggregate(
            cents=Sum("amount_cents"), points=Sum("points"), unrecovered=Sum("points_unrecovered")
        )
        refunded_cents = -(reversed_["cents"] or 0)
        due = -(reversed_["points"] or 0) + (reversed_["unrecovered"] or 0)
        assert 0 <= refunded_cents <= purchase.amount_cents
        assert 0 <= due <= purchase.points  # never more than was awarded, over any number of reversals
        assert purchase.reversals.filter(kind=TillKind.UNDO).count() <= 1


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_any_sequence_keeps_the_ledger_equal_to_its_projections_and_never_negative(world, operations):
    start = world.now
    with transaction.atomic():
        try:
            for op in operations:
                _apply(world, op)
                _check_invariants(world)
        finally:
            transaction.set_rollback(True)  # the next sequence starts from the same two fresh passes
            world.now, world.purchases, world.requests = start, [], []
