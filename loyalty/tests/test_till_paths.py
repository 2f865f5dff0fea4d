"""Property, on PostgreSQL: a scan that only earns gives the same answer and writes the same rows whether it takes the
pass lock (`till._award`, as every scan does on SQLite and every spend does anywhere) or reads unlocked and writes in
one statement (`till._award_unlocked`, `till_sql`).

Two twins — each a pass and two merchants of the same sector, one merchant with a multiplier — get the same drawn
sequence of scans (amounts, receipt numbers, app codes, printed card numbers, waits, undos), one twin through each
path, under the same rules: base rate, multiplier, two campaigns (one from a minimum amount), the first-visit bonus, a
daily cap, velocity limits, the largest purchase. After every step the answers (or the refusals) and the balances
must be equal.
"""

import os
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from areas.tests.factories import MerchantFactory
from loyalty import services
from loyalty.codes import parse_pass_code
from loyalty.exceptions import LoyaltyError
from loyalty.models import Campaign, CampaignKind, Pass, TillTransaction
from loyalty.services import till

from .factories import PassFactory, cashier_for, qr, rules_for, set_multiplier

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("LOYALTY_PROPERTY_EXAMPLES", "60"))

operation = st.one_of(
    st.tuples(
        st.just("scan"),
        st.integers(0, 1),  # merchant
        st.sampled_from([50, 999, 1000, 2350, 4999, 12_000, 60_000, 2_000_000]),  # cents (the last is too large)
        st.sampled_from(["", "", "", "R1", "R2"]),  # receipt number
        st.booleans(),  # the app's code (else the printed card's number)
    ),
    st.tuples(st.just("wait"), st.sampled_from([1, 20, 90, 60 * 20])),  # minutes
    st.tuples(st.just("undo"), st.integers(0, 20)),
)


@pytest.fixture
def twins(area, now):
    rules_for(
        area,
        points_per_euro=2,
        first_visit_bonus_points=5,
        daily_cap_points=250,
        max_purchase_cents=1_000_000,
        max_scans_per_member_per_hour=4,
        max_scans_per_member_per_merchant_per_day=6,
        undo_window_minutes=30,
    )
    for kind, extra in ((CampaignKind.MULTIPLIER, {"multiplier_permille": 1500}), (CampaignKind.BONUS, {})):
        Campaign.objects.create(
            area=area,
            name=f"Campagne {kind}",
            kind=kind,
            sectors=["fashion"],
            bonus_points=30,
            min_amount_cents=2000 if kind == CampaignKind.BONUS else 0,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
            **extra,
        )
    twins = []
    for _path in ("locked", "unlocked"):
        merchants = [MerchantFactory(area=area, sector="fashion"), MerchantFactory(area=area, sector="fashion")]
        set_multiplier(merchants[1], 1250)
        twins.append(
            {
                "pass": PassFactory(area=area, now=now),
                "merchants": merchants,
                "cashiers": [cashier_for(m) for m in merchants],
            }
        )
    return twins


def _scan(twin, path, *, merchant, cents, receipt, with_code, now):
    member_pass = twin["pass"]
    parsed = parse_pass_code(qr(member_pass, now) if with_code else member_pass.card_number)
    request = {
        "merchant": twin["merchants"][merchant],
        "card_number": parsed.card_number,
        "otp": parsed.otp,
        "amount_cents": cents,
        "receipt_number": receipt,
        "request_key": uuid.uuid4(),
        "by": twin["cashiers"][merchant],
        "device_id": "",
        "voucher_code": "",
        "reward_id": None,
        "giftcard_cents": 0,
        "now": now,
    }
    run = till._award if path == "locked" else till._award_unlocked
    try:
        result = run(**request)
    except LoyaltyError as error:
        return type(error).__name__
    assert result is not None  # no other scan of this pass runs: the unlocked write never has to give up
    return (
        result.points_awarded,
        result.balance,
        result.campaign_points,
        result.campaign_name,
        result.to_pay_cents,
        result.member_first_name,
        result.daily_cap_points,
    )


def _undo(twin, nth, now):
    purchases = list(TillTransaction.objects.filter(member_pass=twin["pass"], kind="purchase").order_by("pk"))
    if not purchases:
        return None
    purchase = purchases[nth % len(purchases)]
    try:
        result = services.undo_till_transaction(
            merchant=purchase.merchant,
            transaction_id=purchase.pk,
            request_key=uuid.uuid4(),
            by=twin["cashiers"][twin["merchants"].index(purchase.merchant)],
            now=now,
        )
    except LoyaltyError as error:
        return type(error).__name__
    return (result.points_awarded, result.balance)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=20))
def test_a_scan_that_only_earns_answers_the_same_locked_or_unlocked(twins, now, operations):
    locked, unlocked = twins
    at = now
    with transaction.atomic():
        try:
            for op in operations:
                if op[0] == "wait":
                    at += timedelta(minutes=op[1])
                    continue
                if op[0] == "undo":
                    answers = [_undo(twin, op[1], at) for twin in twins]
                else:
                    _kind, merchant, cents, receipt, with_code = op
                    scan = {"merchant": merchant, "cents": cents, "receipt": receipt, "with_code": with_code, "now": at}
                    answers = [_scan(locked, "locked", **scan), _scan(unlocked, "unlocked", **scan)]
                assert answers[0] == answers[1], (op, answers)
                balances = [Pass.objects.get(pk=twin["pass"].pk).points_balance for twin in twins]
                assert balances[0] == balances[1], (op, balances)
            rows = [
                list(
                    TillTransaction.objects.filter(member_pass=twin["pass"])
                    .order_by("pk")
                    .values_list("kind", "amount_cents", "points", "bonus_points", "campaign_points", "balance_after")
                )
                for twin in twins
            ]
            assert rows[0] == rows[1]
            assert services.check_ledger(pass_ids=[twin["pass"].pk for twin in twins]) == []
        finally:
            transaction.set_rollback(True)
