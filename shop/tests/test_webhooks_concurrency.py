"""Each webhook event delivered three times, concurrently, in shuffled order, leaves the same state as one
delivery of each in order (PostgreSQL: the inbox row lock, the payment and order locks under real parallel
connections)."""

import random

import pytest
from django.conf import settings

from shop.models import MerchantShop, WebhookEvent
from shop.payments import PaymentDeclined, use_gateway
from shop.payments.fake import FakeGateway
from shop.services import refunds
from tests.concurrency import run_together

from .factories import variant_of
from .payment_helpers import collect, order_with_payment, post_webhook, snapshot

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("postgres_concurrency"),
]


def _scenario(area, merchant, fake: FakeGateway):
    """A declined card, then a paid one, the merchant's account enabled, and a partial refund: five events."""
    bread = variant_of(merchant, price_cents=325, stock=6)
    cake = variant_of(merchant, price_cents=1450, stock=4)
    order, payment = order_with_payment(area, [(bread, 2), (cake, 1)], fulfilment=collect())
    with pytest.raises(PaymentDeclined):
        fake.pay(payment.intent_id, method="pm_card_chargeCustomerFail")
    fake.pay(payment.intent_id, method="card")
    account = MerchantShop.objects.get(merchant=merchant).stripe_account_id
    fake.enable_account(account)
    return order, fake.deliveries()


def _after_payment(order, fake):
    """The refund's own event (charge.refunded) goes through the inbox too."""
    cake = order.parts.get().lines.get(unit_price_cents=1450)
    refunds.refund_lines(order=order, lines={cake.pk: 1}, reason="", by=None, idempotency_key=f"r:{order.pk}")
    return fake.deliveries()


def test_three_shuffled_concurrent_deliveries_of_every_event_equal_one(area, rules, baker, books):
    with use_gateway(FakeGateway(webhook_secret=settings.STRIPE_WEBHOOK_SECRET)) as fake:
        for merchant in (baker, books):
            account = fake.create_account(
                merchant_ref=str(merchant.pk), email="", country="NL", idempotency_key=f"a{merchant.pk}"
            )
            MerchantShop.objects.filter(merchant=merchant).update(stripe_account_id=account)
        fake.drop()

        # given: one order whose events are each delivered once, in order
        once, events = _scenario(area, baker, fake)
        assert len(events) == 3
        assert [post_webhook(payload, signature).status_code for payload, signature in events] == [200] * 3
        events = _after_payment(once, fake)
        assert [post_webhook(payload, signature).status_code for payload, signature in events] == [200] * len(events)
        expected = snapshot(once)

        # when: the same story for another order, each event three times at once, shuffled
        again, events = _scenario(area, books, fake)
        copies = [pair for pair in events for _ in range(3)]
        random.Random(5).shuffle(copies)
        results = run_together([lambda p=p, s=s: post_webhook(p, s).status_code for p, s in copies])
        assert results == [200] * len(copies), results
        events = _after_payment(again, fake)
        copies = [pair for pair in events for _ in range(3)]
        random.Random(7).shuffle(copies)
        results = run_together([lambda p=p, s=s: post_webhook(p, s).status_code for p, s in copies])
        assert results == [200] * len(copies), results

    # then
    assert snapshot(again) == expected
    assert expected["order"][0] == "paid" and expected["payment"][0] == "succeeded"
    assert expected["notices"].count("confirmation") == 1 and expected["refunds"] == 1
    assert MerchantShop.objects.get(merchant=books).payouts_enabled
    stored = WebhookEvent.objects.all()
    assert all(event.processed_at is not None for event in stored)
    assert len(stored) == 2 * (3 + 1)  # failed, succeeded, account.updated, charge.refunded per order
    assert len(fake.refunds) == 2
