"""Reconciliation: a webhook that never came, a task that was lost, a refund Stripe never confirmed — the
job re-fetches and repairs, without doing anything twice."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from shop.models import OrderStatus, Payment, PaymentStatus, Refund, WebhookEvent
from shop.services import payments, refunds

from .factories import variant_of
from .payment_helpers import collect, order_with_payment, paid_with_card, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def bread(baker):
    return variant_of(baker, price_cents=325, stock=5)


def _age(minutes=30):
    Payment.objects.update(updated_at=timezone.now() - timedelta(minutes=minutes))


def test_a_missed_webhook_is_recovered_by_reconciliation(fake, area, bread, django_capture_on_commit_callbacks):
    order, payment = order_with_payment(area, [(bread, 1)], fulfilment=collect())
    fake.pay(payment.intent_id, method="ideal")
    fake.drop()  # the webhook never arrives, the shopper closed the tab at the bank
    assert payments.reconcile_payments() == 0  # too recent: left alone
    _age()

    with django_capture_on_commit_callbacks(execute=True):
        changed = payments.reconcile_payments()

    assert changed == 1
    state = snapshot(order)
    assert state["order"][0] == OrderStatus.PAID
    assert state["payment"] == (PaymentStatus.SUCCEEDED, True, "ideal")
    assert payments.reconcile_payments() == 0  # nothing open any more


def test_a_stored_event_whose_task_was_lost_is_applied(fake, area, bread, django_capture_on_commit_callbacks):
    order, payment = order_with_payment(area, [(bread, 1)], fulfilment=collect())
    fake.pay(payment.intent_id)
    [(payload, signature)] = fake.deliveries()
    with transaction.atomic():
        payments.receive_webhook(payload=payload, signature=signature)  # stored; its task never ran
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        payments.reconcile_payments()

    assert WebhookEvent.objects.get().processed_at is not None
    assert snapshot(order)["order"][0] == OrderStatus.PAID


def test_an_unconfirmed_refund_is_sent_again_with_the_same_key(fake, area, bread, django_capture_on_commit_callbacks):
    order = paid_with_card(fake, area, [(bread, 2)], fulfilment=collect())
    line = order.parts.get().lines.get()
    fake.fail_next("refund")  # Stripe is down when the merchant refunds
    with django_capture_on_commit_callbacks(execute=True):  # written; the send after commit fails quietly
        refunds.refund_lines(order=order, lines={line.pk: 1}, reason="", by=None, idempotency_key="down")
    assert Refund.objects.get().provider_refund_id == ""
    Refund.objects.update(created_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        payments.reconcile_payments()

    refund = Refund.objects.get()
    assert refund.provider_refund_id == next(iter(fake.refunds))
    assert [key for call, key in fake.calls if call == "refund"] == ["re:down", "re:down"]
    assert len(fake.refunds) == 1
