"""Chargebacks: Stripe's `charge.dispute.created` and `charge.dispute.closed`.

The webhook handler (`payments.process_webhook_event`, under the inbox row's lock) re-fetches the dispute from
Stripe first, so events that come twice, late or out of order all end in its current state, and
`apply_dispute` moves our `Dispute` row there under the order's row lock (the lock refunds and payouts take):

- a new dispute (any status) is recorded, the order marked (`Order.dispute_status`), the area's managers e-mailed
  once (`Notice` key `dispute:<id>`); while it is open, `transfers.pay_out_part` holds the parts not paid out yet;
- closed and `won` (or `warning_closed`, an inquiry that never became a chargeback): the hold is released, the
  handed-over parts waiting for it are paid out (after commit);
- closed and `lost`: recorded; the money went back to the customer's bank from the platform's balance. The rule:
  nothing is reversed automatically beyond what Stripe did — transfers already made stay with the merchants, the
  parts not paid out stay held until the collective decides (`settle_lost_dispute`, an admin action): pay the
  merchants anyway (the collective bears the loss; the order's status becomes `settled` and the held parts are
  paid out) or not (they stay unpaid; the merchants bear it). Who decided, and when, is on the dispute.
A closed dispute is final: a later event about it changes nothing. While a dispute is open, and after it is lost,
the order cannot be refunded (`refunds`): Stripe refuses a refund of a disputed charge, and after a lost one the
bank has given the money back already.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..exceptions import DisputeNotSettleable
from ..models import (
    Dispute,
    DisputeSettlement,
    DisputeStatus,
    MerchantOrder,
    MerchantOrderStatus,
    Order,
    Payment,
    Transfer,
)
from ..payments import gateway as stripe_states

logger = logging.getLogger(__name__)

#: Order dispute statuses under which payouts wait.
HOLDING = (DisputeStatus.OPEN, DisputeStatus.LOST)


def status_of(dispute: stripe_states.Dispute) -> str:
    if dispute.status == stripe_states.DISPUTE_LOST:
        return DisputeStatus.LOST
    if dispute.status in stripe_states.DISPUTE_CLOSED_STATUSES:
        return DisputeStatus.WON
    return DisputeStatus.OPEN


def apply_dispute(*, dispute: stripe_states.Dispute, at: datetime | None = None) -> Dispute | None:
    """Bring our record of the dispute to Stripe's state. Idempotent; None when the charge is not ours."""
    from . import notices

    at = at or timezone.now()
    payment = Payment.objects.filter(intent_id=dispute.payment_intent_id).first() if dispute.payment_intent_id else None
    if payment is None and dispute.charge_id:
        payment = Payment.objects.filter(charge_id=dispute.charge_id).first()
    if payment is None:
        logger.warning("dispute %s is about a charge we do not know", dispute.id)
        return None
    new_status = status_of(dispute)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        row = Dispute.objects.filter(provider_dispute_id=dispute.id).first()
        if row is not None and row.status != DisputeStatus.OPEN:
            return row  # decided: final
        if row is None:
            row = Dispute.objects.create(
                order=order,
                provider_dispute_id=dispute.id,
                amount_cents=dispute.amount_cents,
                reason=dispute.reason[:40],
                status=DisputeStatus.OPEN,
                opened_at=at,
            )
            transaction.on_commit(lambda: notices.dispute_opened(row))
        if new_status != DisputeStatus.OPEN:
            row.status, row.closed_at = new_status, at
            row.save(update_fields=["status", "closed_at"])
            transaction.on_commit(lambda: notices.dispute_closed(row))
        Order.objects.filter(pk=order.pk).update(dispute_status=_order_status(order))
        if row.status == DisputeStatus.WON and Order.objects.get(pk=order.pk).dispute_status not in HOLDING:
            transaction.on_commit(lambda: _release(order.pk))
    return row


def _order_status(order: Order) -> str:
    """The order's summary: open while any dispute is open, else lost if any was lost and not settled by paying
    the merchants, else settled, else won."""
    statuses = {
        DisputeStatus.SETTLED if status == DisputeStatus.LOST and settlement == DisputeSettlement.PAY_OUT else status
        for status, settlement in Dispute.objects.filter(order=order).values_list("status", "settlement")
    }
    for status in (DisputeStatus.OPEN, DisputeStatus.LOST, DisputeStatus.SETTLED, DisputeStatus.WON):
        if status in statuses:
            return status
    return ""


def settle_lost_dispute(*, dispute_id: int, settlement: str, by, at: datetime | None = None) -> Dispute:
    """The collective's decision after a lost dispute (once): `pay_out` pays the merchants their held parts (after
    commit), `withhold` leaves them unpaid. Raises DisputeNotSettleable for an open, won or settled dispute."""
    if settlement not in DisputeSettlement.values:
        raise ValueError(f"settlement must be one of {DisputeSettlement.values}")
    with transaction.atomic():
        order_id = Dispute.objects.values_list("order_id", flat=True).get(pk=dispute_id)
        order = Order.objects.select_for_update().get(pk=order_id)
        row = Dispute.objects.get(pk=dispute_id)
        if row.status != DisputeStatus.LOST or row.settlement:
            raise DisputeNotSettleable()
        row.settlement, row.settled_at, row.settled_by = settlement, at or timezone.now(), by
        row.save(update_fields=["settlement", "settled_at", "settled_by"])
        status = _order_status(order)
        Order.objects.filter(pk=order.pk).update(dispute_status=status)
        if status not in HOLDING:
            transaction.on_commit(lambda: _release(order.pk))
    return row


def payouts_held(order: Order) -> bool:
    return order.dispute_status in HOLDING


def _release(order_id: int) -> None:
    """Pay out the handed-over parts that waited for the dispute."""
    from ..tasks_payments import pay_out_part_task

    waiting = MerchantOrder.objects.filter(order_id=order_id, status=MerchantOrderStatus.HANDED_OVER).exclude(
        pk__in=Transfer.objects.filter(part__order_id=order_id).values("part_id")
    )
    for part_id in waiting.values_list("pk", flat=True):
        pay_out_part_task.delay(part_id)
