"""Helpers of the payment tests: the FakeGateway in use, webhook delivery through the real view, snapshots.

Import the fixture into a test module (`from .payment_helpers import fake  # noqa: F401`).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from parcels.models import Announcement
from shop.models import Notice, Order, Payment, Refund, Transfer, TransferReversal, WebhookEvent
from shop.payments import use_gateway
from shop.payments.fake import FakeGateway
from shop.services import payments

from .factories import place

WEBHOOK_URL = "/shop/stripe/webhook/"


@pytest.fixture
def fake():
    """A fresh in-memory Stripe for the test, signing with the configured webhook secret."""
    with use_gateway(FakeGateway(webhook_secret=settings.STRIPE_WEBHOOK_SECRET)) as gateway:
        yield gateway


def post_webhook(payload: bytes, signature: str, client: Client | None = None):
    return (client or Client()).post(
        WEBHOOK_URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def deliver(fake: FakeGateway, *, copies: int = 1, shuffle: bool = False, seed: int = 0) -> list[int]:
    """POST the pending events to our webhook view (as Stripe would); returns the status codes."""
    return [
        post_webhook(payload, signature).status_code
        for payload, signature in fake.deliveries(copies=copies, shuffle=shuffle, seed=seed)
    ]


def order_with_payment(area, items, **options) -> tuple[Order, Payment]:
    """A placed (pending) order and its PaymentIntent, as checkout leaves them."""
    order = place(area, items, **options)
    return order, payments.start_payment(order=order)


def snapshot(order: Order) -> dict:
    """What a payment event may change, without ids: compared between single and repeated delivery."""
    order.refresh_from_db()
    payment = Payment.objects.filter(order=order).first()
    return {
        "order": (order.status, order.paid_at is not None, order.points_awarded),
        "payment": (payment.status, bool(payment.charge_id), payment.method_type) if payment else None,
        "parts": sorted(order.parts.values_list("status", flat=True)),
        "reservations": sorted(order.reservations.values_list("state", "quantity")),
        "stock": sorted(
            (line.variant.stock_on_hand, line.quantity)
            for line in (line for part in order.parts.all() for line in part.lines.select_related("variant"))
        ),
        "notices": sorted(Notice.objects.filter(order=order).values_list("kind", flat=True)),
        "announced": Announcement.objects.filter(external_reference__startswith=order.public_id).count(),
        "refunds": Refund.objects.filter(order=order).count(),
        "transfers": Transfer.objects.filter(part__order=order).count(),
        "reversals": TransferReversal.objects.filter(refund__order=order).count(),
    }


def events_applied() -> list[tuple[str, bool]]:
    """(type, applied) of every stored event."""
    return sorted((event.type, event.processed_at is not None) for event in WebhookEvent.objects.all())


def paid_with_card(fake: FakeGateway, area, items, *, method: str = "card", **options) -> Order:
    """A placed order paid through the FakeGateway and applied as the webhook task applies it."""
    order, payment = order_with_payment(area, items, **options)
    intent = fake.pay(payment.intent_id, method=method)
    payments.sync_payment(payment_id=payment.pk, intent=intent)
    fake.drop()  # its webhook is not needed here
    order.refresh_from_db()
    return order


def staff_of(merchant):
    from accounts.roles import Role
    from areas.tests.factories import StaffMembershipFactory

    return StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant).user


def hand_over(part):
    """The merchant's path to a handed-over part (shop-sell's fulfilment services); click and collect."""
    from shop.services import fulfilment

    staff = staff_of(part.merchant)
    part = fulfilment.accept_part(part=part, by=staff)
    part = fulfilment.mark_ready(part=part, by=staff)
    return fulfilment.hand_over_part(part=part, by=staff, to="customer", pickup_code=part.pickup_code)


def collect():
    from shop.models import Fulfilment
    from shop.services.checkout import FulfilmentChoice

    return FulfilmentChoice(kind=Fulfilment.CLICK_AND_COLLECT)
