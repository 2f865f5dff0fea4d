"""Small money rules shared by refunds, transfers, invariants (and statements): commission, rounding."""

from __future__ import annotations

from django.db.models import Sum

from ..models import MerchantOrder, Refund, RefundLine


def commission_cents(goods_cents: int, commission_bps: int) -> int:
    """The collective's commission on a part's goods, rounded half up to the cent (delivery carries none)."""
    return (max(goods_cents, 0) * commission_bps + 5000) // 10000


def refunded_of_part(part: MerchantOrder) -> tuple[int, int]:
    """(all refunded on the part, of which goods) in cents."""
    total = Refund.objects.filter(part=part).aggregate(total=Sum("amount_cents"))["total"] or 0
    goods = RefundLine.objects.filter(refund__part=part).aggregate(total=Sum("amount_cents"))["total"] or 0
    return total, goods


def payout_of_part(part: MerchantOrder, *, refunded: int, refunded_goods: int) -> tuple[int, int]:
    """(transfer amount, commission) for a part after `refunded` cents were refunded on it."""
    commission = commission_cents(part.goods_cents - refunded_goods, part.commission_bps)
    amount = part.goods_cents + part.delivery_cents - refunded - commission
    return max(amount, 0), commission
