"""The money invariant (charge = transfers + commission + refunds, to the cent) after any sequence of line
refunds, part cancellations, handovers, payouts and reversals (hypothesis), for orders paid by card alone or in part
(or whole) by a gift card or a voucher of the collective or of a merchant; and it finds a tampered row."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.models import VoucherKind
from loyalty.services import issue_voucher
from loyalty.tests.factories import PassFactory, manager_for, rules_for
from loyalty.tests.giftcard_factories import sell
from shop.exceptions_merchant import InvalidPartMove
from shop.models import MerchantShop, Refund, Transfer, TransferReversal
from shop.payments import use_gateway
from shop.payments.exceptions import NotRefundable, RefundTooLarge
from shop.payments.fake import FakeGateway
from shop.services import invariants, orders, refunds, transfers

from .factories import UserFactory, place, variant_of
from .payment_helpers import collect, hand_over, paid_with_card

pytestmark = pytest.mark.django_db

operation = st.one_of(
    st.tuples(st.just("refund"), st.integers(0, 1), st.integers(0, 2), st.integers(1, 3)),
    st.tuples(st.just("cancel_part"), st.integers(0, 1)),
    st.tuples(st.just("hand_over"), st.integers(0, 1)),
    st.tuples(st.just("pay_out"), st.integers(0, 1)),
)


# How the order is paid besides the card: nothing, a gift card of some cents (up to all of it), a voucher of the
# collective or of the bookshop (valid at the bookshop) of some cents.
funding = st.one_of(
    st.just(("card", 0)),
    st.tuples(st.just("gift_card"), st.integers(1, 14019)),
    st.tuples(st.sampled_from(["collective_voucher", "books_voucher"]), st.integers(1, 8397)),
)


@pytest.fixture
def world(area, rules, baker, books):
    member = UserFactory(email="sanne@example.org")
    rules_for(area, welcome_bonus_points=0, points_per_euro=1, daily_cap_points=0)
    return {
        "area": area,
        "member": member,
        "pass": PassFactory(area=area, member=member, now=timezone.now() - timedelta(days=30)),
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
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(funded=funding, operations=st.lists(operation, min_size=1, max_size=12))
def test_any_sequence_keeps_charge_equal_to_transfers_commission_and_refunds(world, funded, operations):
    with transaction.atomic(), use_gateway(FakeGateway(webhook_secret=django_settings.STRIPE_WEBHOOK_SECRET)) as fake:
        try:
            for merchant in world["merchants"]:
                account = fake.create_account(
                    merchant_ref=str(merchant.pk), email="", country="NL", idempotency_key=f"a{merchant.pk}"
                )
                fake.enable_account(account)
                MerchantShop.objects.filter(merchant=merchant).update(stripe_account_id=account)
            items = [(variant, 3) for variants in world["goods"] for variant in variants]  # €140.19
            order = _paid(fake, world, items, funded)
            for op in operations:
                _apply(world, order, op)
                assert invariants.check_orders() == [], op
            # the fake Stripe agrees with our rows
            charged = order.payment.amount_cents if order.total_cents else 0
            assert sum(r["amount"] for r in fake.refunds.values()) == sum(r.card_cents for r in Refund.objects.all())
            assert sum(r["amount"] for r in fake.refunds.values()) <= charged
            assert sum(t["amount"] - t["amount_reversed"] for t in fake.transfers.values()) == sum(
                t.amount_cents for t in Transfer.objects.all()
            ) - sum(r.amount_cents for r in TransferReversal.objects.all())
        finally:
            transaction.set_rollback(True)


def _paid(fake, world, items, funded):
    """The order paid by card, with the gift card or voucher of `funded` paying part (or all) of it."""
    kind, cents = funded
    options = {"user": world["member"], "fulfilment": collect()}
    if kind == "gift_card":
        # the card holds at least what it may pay (and a card is at least €5); the order takes `cents` of it
        sell(world["area"], max(cents, 500), at=timezone.now() - timedelta(days=1), member_pass=world["pass"])
        options["gift_card"] = cents
    elif kind != "card":
        books = world["merchants"][1]
        voucher = issue_voucher(
            area=world["area"],
            kind=VoucherKind.FIXED,
            value_cents=cents,
            expires_at=timezone.now() + timedelta(days=30),
            valid_from=timezone.now() - timedelta(days=1),
            by=manager_for(world["area"]),
            request_key=uuid.uuid4(),
            merchants=[books],
            funded_by_merchant=books if kind == "books_voucher" else None,
        )
        options["voucher_code"] = voucher.code
    if kind == "gift_card" and cents >= 14019:  # nothing left for the card: paid at once
        order = place(world["area"], items, **options)
        return orders.mark_order_paid(order=order, at=timezone.now())
    return paid_with_card(fake, world["area"], items, **options)


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
