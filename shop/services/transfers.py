"""Merchants' payouts (Stripe Connect, separate charges and transfers).

- `pay_out_part(part_id)`: a handed-over part of a paid order is paid out once: goods + delivery − refunds
  so far − commission (on the goods left) − the share of a voucher the merchant funds (`money.payout_of_part`).
  Stripe carries at most the part's share of the card charge less its card refunds, from the order's charge
  (`source_transaction`), in the order's `transfer_group`, key `tr:<part id>`; the rest (what the gift card or a
  collective voucher paid) is `Transfer.collective_cents`, owed by the collective and settled outside Stripe (the
  merchant's statement shows it). So an order's transfers never exceed its charge. A part paid entirely by gift
  card or voucher gets a `Transfer` row of 0 cents through Stripe and no Stripe call. Refunded lines are never in
  it: refunds and payouts take the same lock (the order row), so a refund is either counted here or reversed later.
- `reverse_for_refund(refund_id)`: a refund on a part paid out before it brings the payout to what the part's
  refunds up to it say: the Stripe transfer is reversed by its share (key `trr:<refund id>`), the collective owes
  the rest less (`TransferReversal.collective_cents`; negative when a card refund moves money from the Stripe side
  to the collective's), the commission it no longer earns goes back.

Like refunds, each runs in two steps: the row (unique key) under the lock, then the Stripe call after
commit without locks; a retry finds the row and repeats the call with the same key.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Sum

from ..models import (
    MerchantOrder,
    MerchantOrderStatus,
    MerchantShop,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    Transfer,
    TransferReversal,
)
from ..payments import get_gateway, keys
from .disputes import HOLDING
from .money import payout_of_part, refunded_of_part

logger = logging.getLogger(__name__)

PAID_ORDER_STATUSES = (OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.COMPLETED)


def pay_out_part(*, part_id: int) -> Transfer | None:
    """Pay a handed-over part out to its merchant (once). None when it cannot be paid out yet:
    not handed over, order not paid, merchant without an enabled payout account, nothing left, or a
    gateway without Connect (localstripe in the demo), or the order's charge disputed (`disputes`: held until the
    dispute is won). Raises `GatewayError` (the task retries)."""
    gateway = get_gateway()
    if not gateway.supports_connect:
        logger.info("no Stripe Connect: part %s is not paid out", part_id)
        return None
    with transaction.atomic():
        part = MerchantOrder.objects.select_related("order").get(pk=part_id)
        Order.objects.select_for_update().get(pk=part.order_id)  # the lock refunds of this order take too
        transfer = Transfer.objects.filter(part_id=part_id).first()
        if transfer is None:
            transfer = _new_transfer(part)
            if transfer is None:
                return None
    return _send_transfer(transfer)


def _new_transfer(part: MerchantOrder) -> Transfer | None:
    if part.status != MerchantOrderStatus.HANDED_OVER or part.order.status not in PAID_ORDER_STATUSES:
        return None
    if Order.objects.filter(pk=part.order_id, dispute_status__in=HOLDING).exists():
        logger.warning("part %s: the order's charge is disputed; the payout waits", part.pk)
        return None
    shop = MerchantShop.objects.filter(merchant_id=part.merchant_id).first()
    if shop is None or not shop.stripe_account_id or not shop.payouts_enabled:
        logger.warning("part %s: merchant %s has no payout account yet", part.pk, part.merchant_id)
        return None
    payout = payout_of_part(part, refunded_of_part(part))
    if payout.due <= 0:
        return None
    return Transfer.objects.create(
        part=part,
        idempotency_key=keys.transfer_key(part.pk),
        amount_cents=payout.stripe,
        collective_cents=payout.collective,
        commission_cents=payout.commission,
        destination=shop.stripe_account_id,
    )


def _send_transfer(transfer: Transfer) -> Transfer:
    if transfer.provider_transfer_id or not transfer.amount_cents:
        return transfer  # sent, or nothing for Stripe (the collective pays it all)
    part = transfer.part
    payment = Payment.objects.filter(order_id=part.order_id, status=PaymentStatus.SUCCEEDED).first()
    provider_id = get_gateway().transfer(
        amount_cents=transfer.amount_cents,
        destination=transfer.destination,
        transfer_group=part.order.public_id,
        # From the order's own charge: the amount is at most the part's share of it.
        source_transaction=payment.charge_id if payment else "",
        idempotency_key=transfer.idempotency_key,
    )
    Transfer.objects.filter(pk=transfer.pk, provider_transfer_id="").update(provider_transfer_id=provider_id)
    transfer.provider_transfer_id = provider_id
    return transfer


def reverse_for_refund(*, refund_id: int) -> TransferReversal | None:
    """Take a later refund's merchant share back from the part's transfer (once per refund)."""
    with transaction.atomic():
        refund = Refund.objects.select_related("part").get(pk=refund_id)
        if refund.part_id is None:
            return None
        Order.objects.select_for_update().get(pk=refund.order_id)
        reversal = TransferReversal.objects.filter(refund=refund).first()
        if reversal is None:
            reversal = _new_reversal(refund)
            if reversal is None:
                return None
    if not reversal.provider_reversal_id and reversal.amount_cents:
        transfer = reversal.transfer
        if not transfer.provider_transfer_id:
            _send_transfer(transfer)
            transfer.refresh_from_db()
        provider_id = get_gateway().reverse_transfer(
            transfer_id=transfer.provider_transfer_id,
            amount_cents=reversal.amount_cents,
            idempotency_key=reversal.idempotency_key,
        )
        TransferReversal.objects.filter(pk=reversal.pk, provider_reversal_id="").update(
            provider_reversal_id=provider_id
        )
        reversal.provider_reversal_id = provider_id
    return reversal


def _new_reversal(refund: Refund) -> TransferReversal | None:
    transfer = Transfer.objects.filter(part_id=refund.part_id).first()
    # A refund made before the payout is already left out of the transfer.
    if transfer is None or refund.created_at <= transfer.created_at:
        return None
    earlier = TransferReversal.objects.filter(transfer=transfer).aggregate(
        amount=Sum("amount_cents"), commission=Sum("commission_cents"), collective=Sum("collective_cents")
    )
    # The payout as the refunds up to this one say, against what the transfer and earlier reversals left.
    after = payout_of_part(refund.part, refunded_of_part(refund.part, until=refund.created_at))
    amount = max(transfer.amount_cents - (earlier["amount"] or 0) - after.stripe, 0)
    commission_back = max(transfer.commission_cents - (earlier["commission"] or 0) - after.commission, 0)
    collective = transfer.collective_cents - (earlier["collective"] or 0) - after.collective
    if amount <= 0 and not collective and not commission_back:
        return None
    return TransferReversal.objects.create(
        transfer=transfer,
        refund=refund,
        idempotency_key=keys.reversal_key(refund.pk),
        amount_cents=amount,
        commission_cents=commission_back,
        collective_cents=collective,
    )


def send_pending_transfers(*, before) -> int:
    """Reconciliation: transfers and reversals written but never confirmed by Stripe are sent again."""
    if not get_gateway().supports_connect:
        return 0
    sent = 0
    pending = Transfer.objects.filter(
        provider_transfer_id="", amount_cents__gt=0, created_at__lt=before
    ).select_related("part__order")
    reversals = TransferReversal.objects.filter(provider_reversal_id="", amount_cents__gt=0, created_at__lt=before)
    try:
        for transfer in pending:
            _send_transfer(transfer)
            sent += 1
        for refund_id in reversals.values_list("refund_id", flat=True):
            reverse_for_refund(refund_id=refund_id)
            sent += 1
    except Exception:
        logger.exception("payouts could not be sent; the next run tries again")
    return sent
