"""The money invariant of every paid order, checked nightly: what came in equals what went out or is held.

Per order: card charge + gift card + voucher = Σ payouts (through Stripe and owed by the collective, less
reversals) + Σ commission kept + Σ refunds + the voucher share merchants fund themselves + what is held for parts
not paid out yet — to the cent. And on Stripe's side: Σ transfers (less reversals) + Σ card refunds ≤ the charge
(the rest of the charge stays with the platform: commission and what the collective's side needs). The parts are
checked one by one so a mismatch says where it is: the parts' voucher, gift-card and card shares add up to the
order's; a paid-out part's transfer, collective share and commission must be what its goods, delivery, funding and
refunds give (`money.payout_of_part`); refunds may not exceed the part, nor its card or gift-card share; the
payment must be the order's total.

Read-only: a mismatch is a bug (or a tampered row) for a person to look into. `check_orders` logs and
returns them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import Prefetch, Sum

from ..models import MerchantOrder, Order, OrderStatus, PaymentStatus, Refund, Transfer
from .money import payout_of_part, refunds_of

logger = logging.getLogger(__name__)

CHECKED_STATUSES = (OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)


@dataclass(frozen=True)
class Mismatch:
    order_id: int
    public_id: str
    what: str
    expected: int
    found: int

    def __str__(self) -> str:
        return f"{self.public_id}: {self.what}: expected {self.expected}, found {self.found}"


def check_orders(*, since=None) -> list[Mismatch]:
    """Every paid (or paid and cancelled) order created since `since` (all when None)."""
    orders = Order.objects.filter(status__in=CHECKED_STATUSES, paid_at__isnull=False)
    if since is not None:
        orders = orders.filter(created_at__gte=since)
    orders = orders.select_related("payment").prefetch_related(
        Prefetch("parts", queryset=MerchantOrder.objects.order_by("pk")),
        Prefetch("refunds", queryset=Refund.objects.prefetch_related("lines")),
    )
    transfers = {
        transfer.part_id: transfer
        for transfer in Transfer.objects.filter(part__order__in=orders).annotate(
            reversed_amount=Sum("reversals__amount_cents"),
            reversed_commission=Sum("reversals__commission_cents"),
            reversed_collective=Sum("reversals__collective_cents"),
        )
    }
    mismatches: list[Mismatch] = []
    for order in orders.iterator(chunk_size=500):
        mismatches.extend(check_order(order, transfers))
    for mismatch in mismatches:
        logger.error("money invariant: %s", mismatch)
    return mismatches


def check_order(order: Order, transfers: dict[int, Transfer]) -> list[Mismatch]:
    found: list[Mismatch] = []

    def expect(what: str, expected: int, actual: int) -> None:
        if expected != actual:
            found.append(Mismatch(order.pk, order.public_id, what, expected, actual))

    paid_in = order.total_cents + order.gift_card_cents + order.voucher_cents
    if order.total_cents:
        payment = getattr(order, "payment", None)
        succeeded = payment is not None and payment.status == PaymentStatus.SUCCEEDED
        expect("card charge", order.total_cents, payment.amount_cents if succeeded else 0)
    parts = list(order.parts.all())
    expect("parts add up to the order", paid_in, sum(p.goods_cents + p.delivery_cents for p in parts))

    refunds = list(order.refunds.all())
    expect("refunds back to card at most the charge", 0, max(sum(r.card_cents for r in refunds) - order.total_cents, 0))
    expect(
        "refunds back to gift cards at most what they paid",
        0,
        max(sum(r.gift_card_cents for r in refunds) - order.gift_card_cents, 0),
    )
    for refund in refunds:
        expect(
            f"refund {refund.idempotency_key} split",
            0,
            max(refund.card_cents + refund.gift_card_cents - refund.amount_cents, 0),
        )

    expect("parts' card shares add up to the charge", order.total_cents, sum(p.card_cents for p in parts))
    expect("parts' gift-card shares add up", order.gift_card_cents, sum(p.gift_card_cents for p in parts))
    expect("parts' voucher shares add up", order.voucher_cents, sum(p.voucher_cents for p in parts))

    paid_out = commission = refunded_total = held = merchant_vouchers = through_stripe = 0
    for part in parts:
        part_refunds = [r for r in refunds if r.part_id == part.pk]
        refunded = refunds_of(part, part_refunds)
        expect(f"part {part.pk} refunds at most its value", 0, max(refunded.total - part.value_cents, 0))
        expect(f"part {part.pk} card refunds at most its card share", 0, max(refunded.card - part.card_cents, 0))
        expect(
            f"part {part.pk} gift-card refunds at most its gift-card share",
            0,
            max(refunded.gift_card - part.gift_card_cents, 0),
        )
        refunded_total += refunded.total
        transfer = transfers.get(part.pk)
        if transfer is None:
            held += max(part.value_cents - refunded.total, 0)
            continue
        net_amount = transfer.amount_cents - (transfer.reversed_amount or 0)
        net_collective = transfer.collective_cents - (transfer.reversed_collective or 0)
        net_commission = transfer.commission_cents - (transfer.reversed_commission or 0)
        payout = payout_of_part(part, refunded)
        expect(f"part {part.pk} transfer less reversals", payout.stripe, net_amount)
        expect(f"part {part.pk} owed by the collective", payout.collective, net_collective)
        expect(f"part {part.pk} commission", payout.commission, net_commission)
        paid_out += net_amount + net_collective
        through_stripe += net_amount
        commission += net_commission
        merchant_vouchers += payout.merchant_voucher
    # The headline: charge + gift card + voucher = payouts + commission + refunds + merchants' vouchers + still held.
    expect(
        "charge = transfers + commission + refunds + held",
        paid_in,
        paid_out + commission + refunded_total + merchant_vouchers + held,
    )
    # Stripe's side: what left the charge (transfers, card refunds) never exceeds it.
    card_refunds = sum(r.card_cents for r in refunds)
    expect("transfers + card refunds at most the charge", 0, max(through_stripe + card_refunds - order.total_cents, 0))
    return found
