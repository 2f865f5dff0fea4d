"""Stripe's webhook: signature on the raw body, the inbox keyed by event id, each event applied once, and the
success page — whether the webhook came before or after the shopper's redirect."""

import pytest
from django.db import transaction

from shop.models import OrderStatus, PaymentStatus, WebhookEvent
from shop.payments import PaymentDeclined
from shop.payments.gateway import sign_payload
from shop.services import payments

from .factories import variant_of
from .payment_helpers import deliver, events_applied, order_with_payment, post_webhook, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def bread(baker):
    return variant_of(baker, price_cents=325, stock=5)


def test_a_bad_signature_is_refused_and_nothing_is_stored(fake, area, bread):
    order, payment = order_with_payment(area, [(bread, 2)])
    fake.pay(payment.intent_id)
    [(payload, _signature)] = fake.deliveries()

    wrong_secret = post_webhook(payload, sign_payload(payload, secret="whsec_not_ours"))
    tampered = post_webhook(payload.replace(b"650", b"1", 1), sign_payload(payload, secret=fake.webhook_secret))
    unsigned = post_webhook(payload, "")
    too_old = post_webhook(payload, sign_payload(payload, secret=fake.webhook_secret, timestamp=1_000_000_000))

    assert [r.status_code for r in (wrong_secret, tampered, unsigned, too_old)] == [400] * 4
    assert WebhookEvent.objects.count() == 0
    assert snapshot(order)["order"][0] == OrderStatus.PENDING


def test_a_paid_event_marks_the_order_paid_once_for_three_deliveries(
    fake, area, bread, django_capture_on_commit_callbacks
):
    order, payment = order_with_payment(area, [(bread, 2)])
    fake.pay(payment.intent_id)

    with django_capture_on_commit_callbacks(execute=True):
        statuses = deliver(fake, copies=3)

    assert statuses == [200, 200, 200]
    assert events_applied() == [("payment_intent.succeeded", True)]
    state = snapshot(order)
    assert state["order"][:2] == (OrderStatus.PAID, True)
    assert state["payment"] == (PaymentStatus.SUCCEEDED, True, "card")
    assert state["reservations"] == [("consumed", 2)]
    assert state["stock"] == [(3, 2)]
    assert state["notices"].count("confirmation") == 1


def test_the_success_page_before_the_webhook_confirms_and_the_webhook_is_then_a_no_op(
    fake, area, bread, django_capture_on_commit_callbacks
):
    order, payment = order_with_payment(area, [(bread, 1)])
    fake.pay(payment.intent_id, method="ideal")

    with django_capture_on_commit_callbacks(execute=True):
        after_redirect = payments.confirm_from_redirect(order=order)
    state = snapshot(order)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(fake)

    assert after_redirect.status == PaymentStatus.SUCCEEDED
    assert state["order"][0] == OrderStatus.PAID and state["payment"][2] == "ideal"
    assert snapshot(order) == state
    assert events_applied() == [("payment_intent.succeeded", True)]


def test_the_success_page_after_the_webhook_only_reads(fake, area, bread, django_capture_on_commit_callbacks):
    order, payment = order_with_payment(area, [(bread, 1)])
    fake.pay(payment.intent_id, method="bancontact")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(fake)
    state = snapshot(order)
    calls_before = len(fake.calls)

    assert payments.confirm_from_redirect(order=order).status == PaymentStatus.SUCCEEDED
    assert snapshot(order) == state
    assert len(fake.calls) == calls_before  # no Stripe POST from the success page


def test_the_success_page_while_the_bank_is_still_busy_shows_the_payment_open(fake, area, bread):
    order, payment = order_with_payment(area, [(bread, 1)])
    fake.set_processing(payment.intent_id)

    assert payments.confirm_from_redirect(order=order).status == PaymentStatus.PROCESSING
    assert snapshot(order)["order"][0] == OrderStatus.PENDING


def test_a_decline_is_recorded_and_a_later_success_still_pays(fake, area, bread, django_capture_on_commit_callbacks):
    order, payment = order_with_payment(area, [(bread, 1)])
    with pytest.raises(PaymentDeclined):
        fake.pay(payment.intent_id, method="pm_card_chargeCustomerFail")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(fake)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED

    fake.pay(payment.intent_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(fake)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert snapshot(order)["order"][0] == OrderStatus.PAID


def test_a_late_failure_event_after_success_changes_nothing(fake, area, bread, django_capture_on_commit_callbacks):
    order, payment = order_with_payment(area, [(bread, 1)])
    with pytest.raises(PaymentDeclined):
        fake.pay(payment.intent_id, method="pm_card_chargeCustomerFail")
    fake.hold("payment_intent.payment_failed")  # the failure's webhook is delayed ...
    fake.held.extend(fake.drop())
    fake.pay(payment.intent_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(fake)  # ... the success comes first
    state = snapshot(order)

    fake.release()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(fake)

    assert snapshot(order) == state
    assert state["payment"][0] == PaymentStatus.SUCCEEDED
    assert events_applied() == [("payment_intent.payment_failed", True), ("payment_intent.succeeded", True)]


def test_an_event_we_do_not_handle_is_stored_and_answered(fake, django_capture_on_commit_callbacks):
    event = {"id": "evt_other_1", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
    payload, signature = fake.sign(event)

    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(payload, signature).status_code == 200

    assert events_applied() == [("customer.created", True)]


def test_processing_an_event_twice_by_hand_applies_it_once(fake, area, bread, django_capture_on_commit_callbacks):
    _order, payment = order_with_payment(area, [(bread, 1)])
    fake.pay(payment.intent_id)
    [(payload, signature)] = fake.deliveries()
    with transaction.atomic():
        stored = payments.receive_webhook(payload=payload, signature=signature)  # queued task not run

    with django_capture_on_commit_callbacks(execute=True):
        first = payments.process_webhook_event(event_id=stored.event_id)
    second = payments.process_webhook_event(event_id=stored.event_id)

    assert (first, second) == (True, False)
    assert WebhookEvent.objects.get().attempts == 1


def test_the_inbox_keeps_which_object_an_event_is_about_and_no_personal_data(fake, django_capture_on_commit_callbacks):
    event = {
        "id": "evt_charge_1",
        "type": "charge.refunded",
        "created": 1,
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "billing_details": {"name": "Sanne de Vries", "email": "sanne@example.org"},
            }
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(*fake.sign(event)).status_code == 200

    stored = WebhookEvent.objects.get()
    assert stored.payload["data"] == {"object": {"id": "ch_1", "object": "charge"}}
    assert "sanne" not in str(stored.payload).lower()


def test_a_payment_after_the_order_expired_and_its_stock_sold_is_refunded_in_full(
    fake, area, baker, django_capture_on_commit_callbacks
):
    from shop.models import Refund
    from shop.services import orders

    from .factories import paid_order

    last = variant_of(baker, price_cents=899, stock=1)
    order, payment = order_with_payment(area, [(last, 1)])
    assert orders.expire_order(order=order)  # the reservation lapsed; the intent's cancel has not reached Stripe
    paid_order(area, [(last, 1)])  # someone else buys the last one
    fake.pay(payment.intent_id)  # ... and the first shopper's bank still says yes

    with django_capture_on_commit_callbacks(execute=True):
        deliver(fake)

    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    refund = Refund.objects.get(order=order)
    assert (refund.idempotency_key, refund.card_cents) == (f"late:{order.public_id}", 899)
    assert [r["amount"] for r in fake.refunds.values()] == [899]
