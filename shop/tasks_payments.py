"""Background jobs of the shop's payment side. Each is idempotent (safe to run twice, or at once)."""

import logging

from celery import shared_task

from .services import invariants, payments, refunds, transfers

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def process_webhook_event_task(event_id: str) -> bool:
    """Apply one stored Stripe event (a duplicate delivery or a retry finds it applied and does nothing)."""
    return payments.process_webhook_event(event_id=event_id)


@shared_task(acks_late=True)
def reconcile_payments_task() -> int:
    """Every few minutes: re-fetch payments whose webhook has not come; apply inbox events left behind."""
    return payments.reconcile_payments()


@shared_task(acks_late=True)
def send_refund_task(refund_id: int) -> int:
    """A refund's card part to Stripe (key `re:<refund key>`); on failure the reconciliation job sends it."""
    return refunds.send_refund(refund_id=refund_id).pk


@shared_task(acks_late=True)
def refund_late_payment_task(order_id: int) -> int | None:
    """A payment that succeeded after its order expired goes back in full (key `late:<order>`)."""
    refund = refunds.refund_late_payment(order_id=order_id)
    return refund.pk if refund else None


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def pay_out_part_task(part_id: int) -> int | None:
    """A handed-over part's payout to its merchant; the key `tr:<part>` makes a retry return the first transfer."""
    transfer = transfers.pay_out_part(part_id=part_id)
    return transfer.pk if transfer else None


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def reverse_transfer_task(refund_id: int) -> int | None:
    """After a refund of a part already paid out: take the merchant's share back (key `trr:<refund>`)."""
    reversal = transfers.reverse_for_refund(refund_id=refund_id)
    return reversal.pk if reversal else None


@shared_task(acks_late=True)
def check_orders_task() -> int:
    """Nightly: charge = transfers + commission + refunds, per order, to the cent; logs and counts mismatches."""
    mismatches = invariants.check_orders()
    if mismatches:
        logger.error("check_orders found %d orders whose money does not add up", len(mismatches))
    return len(mismatches)
