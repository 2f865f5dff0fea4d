"""Money back to the customer: lines, a merchant's part, or the whole order, through Stripe Refunds.

- `refund_lines(order, lines, reason, by, idempotency_key)`: the lines' frozen gross amounts go back — to
  the card or bank first (up to the part's share of the charge, less the part's earlier refunds), then to the
  gift cards likewise (`money.split_refund`); what a voucher paid is not paid out. All lines must be of one
  merchant's part.
- `refund_part(part, …)` / `cancel_order(order, by, reason)`: what is left of a part (delivery included
  while it is not handed over), for one or every part.

Two steps, so a crash or a Stripe outage loses nothing and does nothing twice: (1) under the order's row
lock (the same lock `transfers.pay_out_part` takes, so a payout and a refund of one part never cross)
— and not while the customer's bank disputes the charge, nor after it gave the money back (`disputes`) —
the `Refund` is written with its lines — the caller's key is unique, a retry finds it — the stock goes
back and the loyalty reversal is booked; (2) after commit, without locks, Stripe is asked with the key
`re:<refund key>` (a retry of step 2 returns Stripe's first refund). A part already paid out gets a
transfer reversal queued (`transfers.reverse_for_refund`).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from ..models import (
    DisputeStatus,
    MerchantOrder,
    MerchantOrderStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundLine,
    Transfer,
)
from ..payments import get_gateway, keys
from ..payments.exceptions import NotRefundable, RefundTooLarge
from . import money

logger = logging.getLogger(__name__)

REFUNDABLE_ORDER_STATUSES = (OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.COMPLETED)


def refund_lines(
    *,
    order: Order,
    lines: dict[int, int],
    reason: str,
    by,
    idempotency_key: str,
    restock: bool = True,
) -> Refund:
    """Refund `quantity` of each line (line id → quantity). Replaying the key returns the first refund.

    `restock=False` for lines the merchant does not have (marked unavailable): nothing goes back on the shelf.
    Raises `NotRefundable` (order not paid, lines of several parts or of another order), `RefundTooLarge`.
    """
    refund = _record(order=order, lines=lines, reason=reason, by=by, idempotency_key=idempotency_key, restock=restock)
    return _send_after_commit(refund)


def refund_part(*, part: MerchantOrder, reason: str, by, idempotency_key: str, restock: bool = True) -> Refund | None:
    """Refund what is left of a part: its lines, and its delivery fee while it is not handed over.

    Returns None when nothing is left to refund.
    """
    refund = _record(
        order=part.order, lines=None, part=part, reason=reason, by=by, idempotency_key=idempotency_key, restock=restock
    )
    return _send_after_commit(refund) if refund else None


def refund_late_payment(*, order_id: int) -> Refund | None:
    """A payment that succeeded after its order expired or was cancelled unpaid (and could not be revived by
    `orders.mark_order_paid`) goes back in full, key `late:<order>`. Idempotent."""
    order = Order.objects.get(pk=order_id)
    payment = Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).first()
    if payment is None or order.status not in (OrderStatus.EXPIRED, OrderStatus.CANCELLED) or order.paid_at:
        return None
    with transaction.atomic():
        Order.objects.select_for_update().get(pk=order.pk)
        refund, _created = Refund.objects.get_or_create(
            idempotency_key=f"late:{order.public_id}",
            defaults={
                "order": order,
                "amount_cents": payment.amount_cents,
                "card_cents": payment.amount_cents,
                "reason": _("The payment came after the order had expired."),
            },
        )
    return _send_after_commit(refund)


def cancel_order(*, order: Order, by, reason: str) -> list[Refund]:
    """Cancel a paid order: each part's remainder refunded (keys `cancel:<order>:<part>`), the order cancelled.

    Idempotent: a second call finds the refunds and the status.
    """
    refunds = []
    for part in order.parts.order_by("pk"):
        refund = refund_part(part=part, reason=reason, by=by, idempotency_key=f"cancel:{order.public_id}:{part.pk}")
        if refund:
            refunds.append(refund)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.CANCELLED:
            from django.utils import timezone

            locked.status = OrderStatus.CANCELLED
            locked.cancelled_at = timezone.now()
            locked.save(update_fields=["status", "cancelled_at"])
            MerchantOrder.objects.filter(order=locked).exclude(status=MerchantOrderStatus.HANDED_OVER).update(
                status=MerchantOrderStatus.CANCELLED
            )
    order.refresh_from_db()
    return refunds


def _record(*, order, lines, reason, by, idempotency_key, restock, part=None) -> Refund | None:
    from . import loyalty_bridge, notices, stock  # shop-buy's

    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if previous := Refund.objects.filter(idempotency_key=idempotency_key).first():
            if previous.order_id != order.pk:
                raise NotRefundable(_("This request was used for another order."))
            return previous
        if locked.status not in REFUNDABLE_ORDER_STATUSES:
            raise NotRefundable()
        _refuse_if_disputed(locked)
        refunded_qty = _refunded_quantities(locked)
        if part is not None:
            order_lines = list(OrderLine.objects.filter(part=part).order_by("pk"))
            lines = {
                line.pk: line.quantity - refunded_qty.get(line.pk, 0)
                for line in order_lines
                if line.quantity > refunded_qty.get(line.pk, 0)
            }
            order_lines = [line for line in order_lines if line.pk in lines]
        else:
            if not lines or any(quantity <= 0 for quantity in lines.values()):
                raise RefundTooLarge(_("Choose at least one line and a quantity above zero."))
            order_lines = list(
                OrderLine.objects.filter(pk__in=lines, part__order=locked).select_related("part").order_by("pk")
            )
            if len(order_lines) != len(lines):
                raise NotRefundable(_("These lines are not in this order."))
            parts = {line.part_id for line in order_lines}
            if len(parts) != 1:
                raise NotRefundable(_("Refund the lines of one shop at a time."))
            part = order_lines[0].part
        for line in order_lines:
            if lines[line.pk] > line.quantity - refunded_qty.get(line.pk, 0):
                raise RefundTooLarge(
                    _("At most %(count)d of “%(title)s” can still be refunded.")
                    % {"count": line.quantity - refunded_qty.get(line.pk, 0), "title": line.shown_title}
                )
        already = Refund.objects.filter(part=part).aggregate(total=Sum("amount_cents"))["total"] or 0
        amount = _amount(part, order_lines, lines, refunded_qty=refunded_qty, already=already)
        if amount <= 0:
            return None
        if already + amount > part.goods_cents + part.delivery_cents:
            raise RefundTooLarge()
        card, gift_card = money.split_refund(part, amount, earlier=money.refunded_of_part(part))
        refund = Refund.objects.create(
            order=locked,
            part=part,
            idempotency_key=idempotency_key,
            amount_cents=amount,
            card_cents=card,
            gift_card_cents=gift_card,
            reason=reason[:200],
            created_by=by if getattr(by, "pk", None) else None,
        )
        RefundLine.objects.bulk_create(
            [
                RefundLine(
                    refund=refund,
                    line=line,
                    quantity=lines[line.pk],
                    amount_cents=line.unit_price_cents * lines[line.pk],
                )
                for line in order_lines
            ]
        )
        if restock:
            for line in order_lines:
                if line.variant_id:
                    stock.restock(line=line, quantity=lines[line.pk])
        loyalty_bridge.reverse_for_refund(order=locked, refund=refund)
        if not refund.card_cents:  # nothing for Stripe: the customer hears now (else when Stripe confirms)
            # robust: the refund is written; a mail server down must not turn that into an error page
            transaction.on_commit(lambda: notices.refunded(refund), robust=True)
        return refund


def _refunded_quantities(order: Order) -> dict[int, int]:
    return dict(
        RefundLine.objects.filter(line__part__order=order)
        .values("line")
        .annotate(total=Sum("quantity"))
        .values_list("line", "total")
    )


def _amount(part, order_lines, lines: dict[int, int], *, refunded_qty: dict[int, int], already: int) -> int:
    """What refunding `lines` (line id → quantity) of `part` pays back: the lines at their unit price, and the
    delivery fee when they are the last of a part not handed over (it was never delivered)."""
    goods = sum(line.unit_price_cents * lines[line.pk] for line in order_lines)
    delivery = 0
    if part.status != MerchantOrderStatus.HANDED_OVER:
        remaining = sum(line.quantity - refunded_qty.get(line.pk, 0) for line in part.lines.all())
        if remaining == sum(lines.values()) and already < part.goods_cents + part.delivery_cents:
            delivery = part.delivery_cents
    return goods + delivery


def refund_amount_for(*, part: MerchantOrder, lines: dict[int, int]) -> int:
    """What `refund_lines` would pay back for `lines` of `part` now (read only: the merchant's confirmation step
    shows it before anything is written)."""
    order_lines = list(OrderLine.objects.filter(pk__in=lines, part=part).order_by("pk"))
    already = Refund.objects.filter(part=part).aggregate(total=Sum("amount_cents"))["total"] or 0
    return _amount(part, order_lines, lines, refunded_qty=_refunded_quantities(part.order), already=already)


def _refuse_if_disputed(order: Order) -> None:
    """A charge the customer's bank disputes cannot be refunded (Stripe refuses it, and the stock and points would
    already be back): while the dispute is open, wait for the decision; once it is lost, the bank has already given the
    money back, and a refund would pay it twice. After a won dispute refunds work as before."""
    if order.dispute_status == DisputeStatus.OPEN:
        raise NotRefundable(
            _("The customer's bank is looking into a dispute about this payment: refund it once that is decided.")
        )
    if order.dispute_status in (DisputeStatus.LOST, DisputeStatus.SETTLED):
        raise NotRefundable(
            _("The customer's bank already gave this payment back after a dispute: a refund would pay it twice.")
        )


def _send_after_commit(refund: Refund) -> Refund:
    """Step 2 now, or — when the caller's own transaction is still open (a merchant marking a line unavailable
    holds the order's lock) — right after it commits, so no lock is held while Stripe is asked."""
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _queue_send(refund.pk))
        return refund
    return _send(refund)


def _queue_send(refund_id: int) -> None:
    """Queue step 2 after the commit. The refund is written by then, so a failure here — Stripe down while the
    task runs in this request (CELERY_TASK_ALWAYS_EAGER: the demo, the tests), or no broker — must not reach the
    caller as an error: the merchant would retry and refund again. It is logged, and `send_pending_refunds` (the
    reconciliation job, every few minutes) sends it with the same key."""
    from ..tasks_payments import send_refund_task

    try:
        send_refund_task.delay(refund_id)
    except Exception:
        logger.warning("refund %s not sent yet; the reconciliation job sends it", refund_id, exc_info=True)


def is_sent(refund: Refund) -> bool:
    """Has the money gone back: nothing for Stripe, or Stripe has confirmed the card part (read afresh)."""
    return not refund.card_cents or Refund.objects.filter(pk=refund.pk).exclude(provider_refund_id="").exists()


def send_refund(*, refund_id: int) -> Refund:
    return _send(Refund.objects.get(pk=refund_id))


def _send(refund: Refund) -> Refund:
    """Step 2: the card part to Stripe (key `re:<refund key>`), then the transfer reversal."""
    from ..tasks_payments import reverse_transfer_task
    from . import notices  # shop-buy's

    if refund.card_cents and not refund.provider_refund_id:
        payment = Payment.objects.get(order_id=refund.order_id, status=PaymentStatus.SUCCEEDED)
        refund_id = get_gateway().refund(
            intent_id=payment.intent_id,
            amount_cents=refund.card_cents,
            idempotency_key=keys.refund_key(refund.idempotency_key),
        )
        # Whoever records Stripe's answer first tells the customer; a concurrent retry does not.
        recorded = Refund.objects.filter(pk=refund.pk, provider_refund_id="").update(provider_refund_id=refund_id)
        refund.provider_refund_id = refund_id
        if recorded:
            notices.refunded(refund)
    if refund.part_id and Transfer.objects.filter(part_id=refund.part_id).exists():
        transaction.on_commit(lambda: reverse_transfer_task.delay(refund_id=refund.pk))
    return refund


def send_pending_refunds(*, before) -> int:
    """Reconciliation: card refunds written but never confirmed by Stripe (an outage, a crash) are sent again."""
    sent = 0
    pending = Refund.objects.filter(provider_refund_id="", card_cents__gt=0, created_at__lt=before).order_by("pk")
    for refund in pending:
        try:
            _send(refund)
        except Exception:
            logger.exception("refund %s could not be sent; the next run tries again", refund.idempotency_key)
            continue
        sent += 1
    return sent
