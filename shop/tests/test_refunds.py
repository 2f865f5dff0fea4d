"""Refunds: lines, a part, the whole order; the card first, then the gift card; idempotent on retry; never
more than was paid; stock back on the shelf; Stripe asked once per refund even after a crash."""

import pytest

from shop.models import OrderStatus, Refund
from shop.payments.exceptions import NotRefundable, RefundTooLarge
from shop.services import refunds

from .factories import variant_of
from .payment_helpers import collect, paid_with_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def goods(baker, books):
    return {
        "bread": variant_of(baker, price_cents=325, stock=5),
        "cake": variant_of(baker, price_cents=1450, stock=5),
        "novel": variant_of(books, price_cents=2299, stock=2),
    }


def _line(order, variant):
    return next(line for part in order.parts.all() for line in part.lines.all() if line.variant_id == variant.pk)


def test_a_line_refund_goes_back_to_the_card_and_the_shelf(fake, area, goods, django_capture_on_commit_callbacks):
    order = paid_with_card(fake, area, [(goods["bread"], 3), (goods["novel"], 1)])
    bread = _line(order, goods["bread"])

    with django_capture_on_commit_callbacks(execute=True):
        refund = refunds.refund_lines(order=order, lines={bread.pk: 2}, reason="kapot", by=None, idempotency_key="k1")

    refund.refresh_from_db()
    assert (refund.amount_cents, refund.card_cents, refund.gift_card_cents) == (650, 650, 0)
    assert refund.part == bread.part and refund.provider_refund_id.startswith("re_fake")
    assert [(r["amount"], r["payment_intent"]) for r in fake.refunds.values()] == [(650, order.payment.intent_id)]
    assert ("refund", "re:k1") in fake.calls
    goods["bread"].refresh_from_db()
    assert goods["bread"].stock_on_hand == 5 - 3 + 2


def test_the_same_key_again_returns_the_first_refund_and_asks_stripe_once(
    fake, area, goods, django_capture_on_commit_callbacks
):
    order = paid_with_card(fake, area, [(goods["bread"], 3)])
    bread = _line(order, goods["bread"])

    with django_capture_on_commit_callbacks(execute=True):
        first = refunds.refund_lines(order=order, lines={bread.pk: 1}, reason="", by=None, idempotency_key="same")
        again = refunds.refund_lines(order=order, lines={bread.pk: 1}, reason="", by=None, idempotency_key="same")

    assert first.pk == again.pk
    assert Refund.objects.count() == 1 and len(fake.refunds) == 1
    goods["bread"].refresh_from_db()
    assert goods["bread"].stock_on_hand == 5 - 3 + 1


def test_a_crash_after_stripe_refunded_is_repaired_by_the_retry_without_a_second_refund(
    fake, area, goods, django_capture_on_commit_callbacks
):
    order = paid_with_card(fake, area, [(goods["cake"], 2)])
    cake = _line(order, goods["cake"])
    fake.crash_after_next("refund")

    # the refund is written: the failed send after the commit is logged for the retry, not raised at the caller
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_lines(order=order, lines={cake.pk: 1}, reason="", by=None, idempotency_key="crash")
    written = Refund.objects.get()
    assert written.provider_refund_id == ""  # our side never heard Stripe's answer

    with django_capture_on_commit_callbacks(execute=True):
        retried = refunds.refund_lines(order=order, lines={cake.pk: 1}, reason="", by=None, idempotency_key="crash")

    retried.refresh_from_db()
    assert len(fake.refunds) == 1
    assert retried.provider_refund_id == next(iter(fake.refunds))
    assert [key for call, key in fake.calls if call == "refund"] == ["re:crash", "re:crash"]


def test_more_than_was_bought_is_refused_and_nothing_is_written(fake, area, goods, django_capture_on_commit_callbacks):
    order = paid_with_card(fake, area, [(goods["bread"], 2)])
    bread = _line(order, goods["bread"])
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_lines(order=order, lines={bread.pk: 1}, reason="", by=None, idempotency_key="a")

    with pytest.raises(RefundTooLarge):
        refunds.refund_lines(order=order, lines={bread.pk: 2}, reason="", by=None, idempotency_key="b")
    with pytest.raises(RefundTooLarge):
        refunds.refund_lines(order=order, lines={bread.pk: 0}, reason="", by=None, idempotency_key="c")

    assert Refund.objects.count() == 1 and len(fake.refunds) == 1


def test_lines_of_another_order_or_of_two_shops_are_refused(fake, area, goods):
    order = paid_with_card(fake, area, [(goods["bread"], 1), (goods["novel"], 1)])
    other = paid_with_card(fake, area, [(goods["cake"], 1)])

    with pytest.raises(NotRefundable):
        refunds.refund_lines(
            order=order, lines={_line(other, goods["cake"]).pk: 1}, reason="", by=None, idempotency_key="x"
        )
    with pytest.raises(NotRefundable):
        refunds.refund_lines(
            order=order,
            lines={_line(order, goods["bread"]).pk: 1, _line(order, goods["novel"]).pk: 1},
            reason="",
            by=None,
            idempotency_key="y",
        )
    assert not Refund.objects.exists()


def test_an_unpaid_order_cannot_be_refunded(fake, area, goods):
    from .payment_helpers import order_with_payment

    order, _payment = order_with_payment(area, [(goods["bread"], 1)])
    with pytest.raises(NotRefundable):
        refunds.refund_lines(
            order=order, lines={_line(order, goods["bread"]).pk: 1}, reason="", by=None, idempotency_key="z"
        )


def test_a_part_refund_includes_its_delivery_fee_and_cancel_order_refunds_everything_once(
    fake, area, goods, django_capture_on_commit_callbacks
):
    order = paid_with_card(fake, area, [(goods["bread"], 2), (goods["novel"], 1)], fulfilment=collect())
    paid = order.payment.amount_cents

    with django_capture_on_commit_callbacks(execute=True):
        done = refunds.cancel_order(order=order, by=None, reason="klant annuleert")
        again = refunds.cancel_order(order=order, by=None, reason="klant annuleert")

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert sorted(r.amount_cents for r in done) == [650, 2299]
    assert [r.pk for r in again] == [r.pk for r in done]
    assert sum(r["amount"] for r in fake.refunds.values()) == paid
    assert set(order.parts.values_list("status", flat=True)) == {"cancelled"}
    with pytest.raises(NotRefundable):
        refunds.refund_lines(
            order=order, lines={_line(order, goods["bread"]).pk: 1}, reason="", by=None, idempotency_key="late"
        )


def test_the_card_gets_its_part_back_first_then_the_gift_card(
    fake, area, baker, now, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from loyalty.models import GiftCard
    from loyalty.tests.factories import PassFactory, rules_for
    from loyalty.tests.giftcard_factories import sell
    from shop.services import invariants

    from .factories import UserFactory

    member = UserFactory(email="sanne@example.org")
    rules_for(area, welcome_bonus_points=0, points_per_euro=1, daily_cap_points=0)
    member_pass = PassFactory(area=area, member=member, now=now - timedelta(days=30))
    card = sell(area, 1000, at=now - timedelta(days=1), member_pass=member_pass)
    cake = variant_of(baker, price_cents=1450, stock=5)
    order = paid_with_card(fake, area, [(cake, 2)], user=member, gift_card=1000, fulfilment=collect())
    assert (order.total_cents, order.gift_card_cents) == (1900, 1000)
    line = order.parts.get().lines.get()

    with django_capture_on_commit_callbacks(execute=True):
        first = refunds.refund_lines(order=order, lines={line.pk: 1}, reason="", by=None, idempotency_key="g1")
        second = refunds.refund_lines(order=order, lines={line.pk: 1}, reason="", by=None, idempotency_key="g2")

    assert (first.card_cents, first.gift_card_cents) == (1450, 0)
    assert (second.card_cents, second.gift_card_cents) == (450, 1000)
    assert sorted(r["amount"] for r in fake.refunds.values()) == [450, 1450]
    assert GiftCard.objects.get(pk=card.pk).balance_cents == 1000
    member_pass.refresh_from_db()
    assert member_pass.points_balance == 0  # the points of the card payment taken back
    assert invariants.check_orders() == []
