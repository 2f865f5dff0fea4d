"""The money invariant (charge = transfers + commission + refunds, to the cent) after any sequence of line
refunds, part cancellations, handovers, payouts and reversals (hypothesis), and it finds a tampered row."""

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.exceptions_merchant import InvalidPartMove
from shop.models import MerchantShop, Refund, Transfer, TransferReversal
from shop.payments import use_gateway
from shop.payments.exceptions import NotRefundable, RefundTooLarge
from shop.payments.fake import FakeGateway
from shop.services import invariants, refunds, transfers

from .factories import variant_of
from .payment_helpers import collect, hand_over, paid_with_card

pytestmark = pytest.mark.django_db

operation = st.one_of(
    st.tuples(st.just("refund"), st.integers(0, 1), st.integers(0, 2), st.integers(1, 3)),
    st.tuples(st.just("cancel_part"), st.integers(0, 1)),
    st.tuples(st.just("hand_over"), st.integers(0, 1)),
    st.tuples(st.just("pay_out"), st.integers(0, 1)),
)


@pytest.fixture
def world(area, rules, baker, books):
    return {
        "area": area,
        "merchants": (baker, books),
        "goods": [
            [variant_of(baker, price_cents=price, stock=50) for price in (325, 1450, 99)],
            [variant_of(books, price_cents=price, stock=50) for price in (2299, 499, 1)],
        ],
        "keys": iter(range(10**6)),
    }


def _apply(world, order, op) -> None:
    parts = [order.parts.get(merchant=merchant) for merchant in world["merchants"]]
    kind, index = op[0], op[1]
    part = parts[index]
    key = f"k{next(world['keys'])}"
    try:
        if kind == "refund":
            line = list(part.lines.order_by("pk"))[op[2]]
            refund = refunds.refund_lines(order=order, lines={line.pk: op[3]}, reason="", by=None, idempotency_key=key)
        elif kind == "cancel_part":
            refund = refunds.refund_part(part=part, reason="", by=None, idempotency_key=key)
        elif kind == "hand_over":
            hand_over(part)
            return
        else:
            transfers.pay_out_part(part_id=part.pk)
            return
    except (RefundTooLarge, NotRefundable, InvalidPartMove):
        return
    if refund is not None:  # what the after-commit tasks do
        refunds.send_refund(refund_id=refund.pk)
        transfers.reverse_for_refund(refund_id=refund.pk)


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_any_sequence_keeps_charge_equal_to_transfers_commission_and_refunds(world, operations):
    with transaction.atomic(), use_gateway(FakeGateway(webhook_secret=django_settings.STRIPE_WEBHOOK_SECRET)) as fake:
        try:
            for merchant in world["merchants"]:
                account = fake.create_account(
                    merchant_ref=str(merchant.pk), email="", country="NL", idempotency_key=f"a{merchant.pk}"
                )
                fake.enable_account(account)
                MerchantShop.objects.filter(merchant=merchant).update(stripe_account_id=account)
            items = [(variant, 3) for variants in world["goods"] for variant in variants]
            order = paid_with_card(fake, world["area"], items, fulfilment=collect())
            for op in operations:
                _apply(world, order, op)
                assert invariants.check_orders() == [], op
            # the fake Stripe agrees with our rows
            charged = order.payment.amount_cents
            assert sum(r["amount"] for r in fake.refunds.values()) == sum(r.card_cents for r in Refund.objects.all())
            assert sum(r["amount"] for r in fake.refunds.values()) <= charged
            assert sum(t["amount"] - t["amount_reversed"] for t in fake.transfers.values()) == sum(
                t.amount_cents for t in Transfer.objects.all()
            ) - sum(r.amount_cents for r in TransferReversal.objects.all())
        finally:
            transaction.set_rollback(True)


def test_a_tampered_refund_is_found(fake, area, baker, django_capture_on_commit_callbacks):
    bread = variant_of(baker, price_cents=325, stock=5)
    order = paid_with_card(fake, area, [(bread, 2)], fulfilment=collect())
    line = order.parts.get().lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_lines(order=order, lines={line.pk: 1}, reason="", by=None, idempotency_key="t")
    assert invariants.check_orders() == []

    Refund.objects.update(card_cents=order.total_cents + 1, amount_cents=order.total_cents + 1)

    found = {m.what for m in invariants.check_orders()}
    assert "refunds back to card at most the charge" in found
    assert f"part {line.part_id} refunds at most its value" in found
