"""The order's payment: one PaymentIntent per order, kept in step with Stripe by webhooks, the success page
and a reconciliation job, all through the one idempotent `sync_payment`.

- `start_payment(order)`: creates (or returns) the PaymentIntent, key `pi:<order>`; no lock is held
  during the Stripe call; the `Payment` row (unique per order and per intent) makes a second call return
  the first row.
- `receive_webhook(payload, signature)`: verifies the signature on the raw body, stores the event once in
  the `WebhookEvent` inbox (keyed by Stripe's event id) and queues `process_webhook_event` after commit.
- `process_webhook_event(event_id)`: under the inbox row's lock, applies the event once. For PaymentIntent
  events the intent is re-fetched from Stripe first (outside any lock): events come late, twice and out of
  order, the intent's current state does not.
- `charge.dispute.created` / `.closed`: the dispute re-fetched (outside any lock), then `disputes.apply_dispute`
  under the order's lock (payouts held while open, released when won, recorded when lost).
- `sync_payment(payment_id, intent)`: under the payment's lock, moves it to Stripe's state; `succeeded`
  and `cancelled` are final; the first `succeeded` calls `orders.mark_order_paid` (itself idempotent).
- `confirm_from_redirect(order)`: the success page; re-fetches only while the payment is still open.
- `confirm_card(order, payment_method)`: the stand-in Stripe.js's card path (localstripe confirms on the
  server; real Stripe.js confirms in the browser). A new card for an intent that cannot be confirmed again — its
  3-D Secure challenge was left open (`requires_action`), or a card was declined on it (localstripe keeps the failed
  charge and refuses a second confirm) — goes on a fresh intent (`_fresh_intent`): the old one cancelled first (so
  it can never be charged as well), a new one created (key `pi:<order>:after:<old intent>`), the order's `Payment`
  row moved to it with a compare-and-set on the old intent id.
- `reconcile_payments(now)`: payments still open after `SHOP_RECONCILE_AFTER_MINUTES` are re-fetched, and
  inbox events never applied are applied (a lost webhook or a lost task).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..models import Order, OrderStatus, Payment, PaymentStatus, WebhookEvent
from ..payments import Intent, get_gateway, keys
from ..payments import gateway as stripe_states
from ..payments.exceptions import GatewayError, NotPayable, PaymentDeclined

logger = logging.getLogger(__name__)

OPEN_STATUSES = (PaymentStatus.REQUIRES_PAYMENT, PaymentStatus.PROCESSING, PaymentStatus.FAILED)
FINAL_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELLED)


def payment_status_of(intent: Intent) -> str:
    """Our status for a Stripe PaymentIntent status."""
    if intent.status == stripe_states.SUCCEEDED:
        return PaymentStatus.SUCCEEDED
    if intent.status in (stripe_states.PROCESSING, stripe_states.REQUIRES_CAPTURE):
        return PaymentStatus.PROCESSING
    if intent.status == stripe_states.CANCELED:
        return PaymentStatus.CANCELLED
    if intent.status == stripe_states.REQUIRES_PAYMENT_METHOD and intent.last_error:
        return PaymentStatus.FAILED
    return PaymentStatus.REQUIRES_PAYMENT


def start_payment(*, order: Order) -> Payment:
    """Create the order's PaymentIntent (or return the one it has). Raises `NotPayable`, `GatewayError`."""
    if existing := Payment.objects.filter(order=order).first():
        return existing
    if order.status != OrderStatus.PENDING or order.total_cents <= 0:
        raise NotPayable()
    # Stripe answers a repeated key with the first intent, so two racing calls get the same one.
    intent = get_gateway().create_payment(
        order_ref=order.public_id,
        amount_cents=order.total_cents,
        currency="eur",
        idempotency_key=keys.payment_key(order.public_id),
        metadata={"order_id": order.pk, "area_id": order.area_id},
    )
    try:
        with transaction.atomic():
            return Payment.objects.create(
                order=order,
                intent_id=intent.id,
                client_secret=intent.client_secret,
                amount_cents=intent.amount_cents,
                currency="eur",
                status=payment_status_of(intent),
            )
    except IntegrityError:  # a concurrent call stored it first
        return Payment.objects.get(order=order)


def sync_payment(*, payment_id: int, intent: Intent, at=None) -> Payment:
    """Bring the payment to the intent's state (Stripe's word is the truth); final states are never left.

    The first move to `succeeded` marks the order paid (shop-buy's `mark_order_paid`, idempotent too).
    """
    from . import orders  # shop-buy's; imported late (orders imports payments)

    at = at or timezone.now()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("order").get(pk=payment_id)
        if payment.status in FINAL_STATUSES:
            return payment
        new_status = payment_status_of(intent)
        fields = {"status": new_status, "method_type": intent.payment_method_type or payment.method_type}
        if new_status == PaymentStatus.SUCCEEDED:
            fields["charge_id"] = intent.charge_id
            fields["method_type"] = fields["method_type"] or "card"  # localstripe does not say; it has cards only
        changed = [name for name, value in fields.items() if getattr(payment, name) != value]
        for name in changed:
            setattr(payment, name, fields[name])
        if changed:
            payment.save(update_fields=[*changed, "updated_at"])
        if new_status == PaymentStatus.SUCCEEDED:
            order = orders.mark_order_paid(order=payment.order, at=at)
            if order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
                # Paid after the order expired, and it could not be revived: the money goes back.
                from ..tasks_payments import refund_late_payment_task

                transaction.on_commit(lambda: refund_late_payment_task.delay(order.pk))
        return payment


def refresh_payment(*, payment: Payment) -> Payment:
    """Re-fetch the intent from Stripe and sync (no lock held during the call)."""
    if payment.status in FINAL_STATUSES:
        return payment
    intent = get_gateway().retrieve_payment(payment.intent_id)
    return sync_payment(payment_id=payment.pk, intent=intent)


def confirm_from_redirect(*, order: Order) -> Payment | None:
    """The success page: the payment as it is now, re-fetched if the webhook has not come yet.

    Safe whether the webhook came before, comes during or after: both end in `sync_payment`.
    """
    payment = Payment.objects.filter(order=order).first()
    if payment is None:
        return None
    return refresh_payment(payment=payment)


def confirm_card(*, order: Order, payment_method: str) -> Intent:
    """Confirm the order's intent on the server with a card the stand-in Stripe.js tokenised; returns the intent
    now in use (`client_secret`: what the browser needs next; `requires_action`: it runs 3-D Secure next;
    `succeeded`: paid, also when an earlier attempt turned out to have gone through).

    Raises `PaymentDeclined`, `NotPayable` (paid, cancelled or expired meanwhile), `GatewayError`.
    """
    payment = Payment.objects.select_related("order").filter(order=order).first()
    if payment is None or order.status != OrderStatus.PENDING or payment.status == PaymentStatus.SUCCEEDED:
        raise NotPayable()
    gateway = get_gateway()
    current = gateway.retrieve_payment(payment.intent_id)
    if current.status != stripe_states.CANCELED:  # a cancelled intent of a pending order is replaced, not synced
        payment = sync_payment(payment_id=payment.pk, intent=current)
    if current.status in (stripe_states.SUCCEEDED, stripe_states.PROCESSING, stripe_states.REQUIRES_CAPTURE):
        return current  # an earlier attempt went through: nothing to confirm
    if current.status in (stripe_states.CANCELED, stripe_states.REQUIRES_ACTION) or current.last_error:
        payment, current = _fresh_intent(payment, current)
        if current.status == stripe_states.SUCCEEDED:
            return current
    try:
        intent = gateway.confirm_payment(
            intent_id=payment.intent_id,
            payment_method=payment_method,
            idempotency_key=keys.confirm_key(payment.intent_id, payment_method),
        )
    except PaymentDeclined:
        refresh_payment(payment=payment)
        raise
    sync_payment(payment_id=payment.pk, intent=intent)
    return intent


def _fresh_intent(payment: Payment, old: Intent) -> tuple[Payment, Intent]:
    """Replace the order's intent `old` by a new one for the same amount (see the module doc). If cancelling finds
    the old intent paid after all (the bank app finished its 3-D Secure meanwhile), that is the answer."""
    gateway = get_gateway()
    order = payment.order
    if old.status != stripe_states.CANCELED:
        try:
            gateway.cancel_payment(intent_id=old.id, idempotency_key=keys.cancel_key(old.id))
        except GatewayError:
            again = gateway.retrieve_payment(old.id)
            if again.status != stripe_states.CANCELED:
                payment = sync_payment(payment_id=payment.pk, intent=again)
                if again.status == stripe_states.SUCCEEDED:
                    return payment, again
                raise
    if not Order.objects.filter(pk=order.pk, status=OrderStatus.PENDING).exists():
        raise NotPayable()  # expired or cancelled while we asked
    intent = gateway.create_payment(
        order_ref=order.public_id,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        idempotency_key=keys.fresh_payment_key(order.public_id, old.id),
        metadata={"order_id": order.pk, "area_id": order.area_id},
    )
    # Compare-and-set on the old intent: a second tab replacing the same intent got the same new one (same key).
    Payment.objects.filter(pk=payment.pk, intent_id=old.id).update(
        intent_id=intent.id,
        client_secret=intent.client_secret,
        amount_cents=intent.amount_cents,
        status=payment_status_of(intent),
        charge_id="",
        method_type="",
        updated_at=timezone.now(),
    )
    logger.info("Order %s: payment %s replaced by %s", order.public_id, old.id, intent.id)
    return Payment.objects.select_related("order").get(pk=payment.pk), intent


# --- webhooks --------------------------------------------------------------------------------------------
def receive_webhook(*, payload: bytes, signature: str) -> WebhookEvent:
    """Verify, store once, queue. Raises `InvalidSignature` (nothing stored)."""
    from ..tasks_payments import process_webhook_event_task

    event = get_gateway().construct_event(payload, signature)
    with transaction.atomic():
        # A retried delivery finds the row (the primary key is Stripe's event id); it is queued again only
        # while it is not applied, in case the first task was lost.
        WebhookEvent.objects.bulk_create(
            [WebhookEvent(event_id=event["id"], type=event.get("type", ""), payload=_minimal(event))],
            ignore_conflicts=True,
        )
        stored = WebhookEvent.objects.get(pk=event["id"])
        if stored.processed_at is None:
            # robust: without a broker the task runs right here; its failure must not turn the stored event's
            # answer into a 500 (the reconciliation job applies it later)
            transaction.on_commit(lambda: process_webhook_event_task.delay(event_id=stored.event_id), robust=True)
    return stored


def _minimal(event: dict) -> dict:
    """What the inbox keeps of an event: which object it is about, nothing more. The handlers re-fetch the object
    from Stripe anyway, and a charge's snapshot carries the card holder's name, e-mail and address, which we do
    not keep."""
    obj = event.get("data", {}).get("object", {}) or {}
    kept = {"id": event["id"], "type": event.get("type", ""), "created": event.get("created")}
    if event.get("account"):
        kept["account"] = event["account"]
    kept["data"] = {"object": {"id": obj.get("id", ""), "object": obj.get("object", "")}}
    return kept


def _payment_of_event(payload: dict) -> Payment | None:
    obj = payload.get("data", {}).get("object", {})
    return Payment.objects.filter(intent_id=obj.get("id", "")).first()


def _prefetch(event: WebhookEvent):
    """Stripe's current intent or account for the event, fetched before any lock is taken."""
    if event.type.startswith("payment_intent."):
        payment = _payment_of_event(event.payload)
        if payment is None or payment.status in FINAL_STATUSES:
            return None
        return get_gateway().retrieve_payment(payment.intent_id)
    if event.type.startswith("charge.dispute."):
        dispute_id = event.payload.get("data", {}).get("object", {}).get("id", "")
        return get_gateway().retrieve_dispute(dispute_id) if dispute_id else None
    if event.type == "account.updated":
        account_id = event.payload.get("account") or event.payload.get("data", {}).get("object", {}).get("id", "")
        if account_id and get_gateway().supports_connect:
            return get_gateway().retrieve_account(account_id)
    return None


def process_webhook_event(*, event_id: str) -> bool:
    """Apply a stored event once. Returns False when it was applied before (by a duplicate delivery)."""
    event = WebhookEvent.objects.filter(pk=event_id, processed_at__isnull=True).first()
    if event is None:
        return False
    try:
        fresh = _prefetch(event)
        with transaction.atomic():
            # The inbox row's lock serialises duplicate deliveries of this event; the second one waits here
            # and then finds it applied.
            locked = WebhookEvent.objects.select_for_update().get(pk=event_id)
            if locked.processed_at is not None:
                return False
            _apply(locked, fresh=fresh)
            locked.processed_at = timezone.now()
            locked.attempts = F("attempts") + 1
            locked.last_error = ""
            locked.save(update_fields=["processed_at", "attempts", "last_error"])
        return True
    except Exception as error:
        WebhookEvent.objects.filter(pk=event_id).update(attempts=F("attempts") + 1, last_error=repr(error)[:2000])
        raise


def _apply(event: WebhookEvent, *, fresh) -> None:
    if fresh is None:
        # Other events (charge.refunded, transfer.created …) only confirm what our own calls recorded.
        return
    if event.type.startswith("payment_intent."):
        payment = _payment_of_event(event.payload)
        if payment is not None:
            sync_payment(payment_id=payment.pk, intent=fresh, at=timezone.now())
    elif event.type == "account.updated":
        from .onboarding import refresh_account_by_id

        refresh_account_by_id(account_id=fresh.id, status=fresh)
    elif event.type.startswith("charge.dispute."):
        from .disputes import apply_dispute

        apply_dispute(dispute=fresh, at=timezone.now())


# --- reconciliation --------------------------------------------------------------------------------------
def reconcile_payments(*, now=None) -> int:
    """Re-fetch open payments older than `SHOP_RECONCILE_AFTER_MINUTES`; apply inbox events left behind.

    Returns how many payments changed status. Each payment is its own transaction; one failure is logged
    and the rest go on.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.SHOP_RECONCILE_AFTER_MINUTES)
    changed = 0
    stale = Payment.objects.filter(
        status__in=OPEN_STATUSES, updated_at__lt=cutoff, order__status=OrderStatus.PENDING
    ).order_by("updated_at")
    for payment in stale.iterator():
        before = payment.status
        try:
            after = refresh_payment(payment=payment).status
        except Exception:
            logger.exception("reconciliation could not refresh payment %s", payment.intent_id)
            continue
        if after != before:
            changed += 1
            logger.warning("reconciliation: payment %s was %s, is %s", payment.intent_id, before, after)
    for event_id in WebhookEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff).values_list(
        "event_id", flat=True
    ):
        try:
            process_webhook_event(event_id=event_id)
        except Exception:
            logger.exception("reconciliation could not apply webhook event %s", event_id)
    from . import refunds, transfers

    refunds.send_pending_refunds(before=cutoff)
    transfers.send_pending_transfers(before=cutoff)
    return changed
