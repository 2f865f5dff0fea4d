"""Small money rules shared by checkout, refunds, transfers, invariants (and statements): commission, rounding,
and how an order's voucher, gift card and card charge are shared over its parts.

The money flow of a part (ARCHITECTURE §5; docs/architecture.md "Payments"):
- checkout splits the order's voucher over the parts it is valid at (pro rata to their goods) and the gift-card
  value over all parts (pro rata to what the voucher left), to the cent, by largest remainder (`split_funding`);
  the rest of each part is its share of the card charge (`MerchantOrder.card_cents`);
- a refund on a part goes back to the card first, up to the part's card share less its card refunds, then to the
  gift card likewise; the rest was voucher money and is not paid out;
- the merchant is owed goods + delivery − refunds − commission (on the goods left) − the unrefunded share of a
  voucher it funds itself (`payout_of_part`). Stripe transfers at most the part's card share less its card refunds
  from the charge; the rest is owed by the collective, which holds the gift-card money (and funds its vouchers),
  and is settled outside Stripe. So the transfers and card refunds of an order never exceed its charge.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from ..models import MerchantOrder, Refund, RefundLine


def commission_cents(goods_cents: int, commission_bps: int) -> int:
    """The collective's commission on a part's goods, rounded half up to the cent (delivery carries none)."""
    return (max(goods_cents, 0) * commission_bps + 5000) // 10000


def share_pro_rata(total: int, weights: list[int]) -> list[int]:
    """`total` cents over `weights`, to the cent: floors, then the cents left one each to the largest remainders
    (ties: the earlier weight). The shares add up to `total`; a share never exceeds its weight if `total` does not
    exceed their sum."""
    base = sum(weights)
    if total <= 0 or base <= 0:
        return [0] * len(weights)
    shares = [total * weight // base for weight in weights]
    left = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % base), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


def split_funding(
    parts: list[MerchantOrder],
    *,
    voucher_cents: int,
    voucher_merchant_ids: set[int] | None,
    voucher_funder_id: int | None,
    gift_card_cents: int,
) -> None:
    """Set each part's `voucher_cents`, `voucher_by_merchant` and `gift_card_cents` (not saved). `parts` in a fixed
    order (the remainder cents follow it); the voucher goes over the goods of the parts of the merchants it is valid
    at (None: all), the gift card over what each part's voucher share left."""
    eligible = [
        part.goods_cents if voucher_merchant_ids is None or part.merchant_id in voucher_merchant_ids else 0
        for part in parts
    ]
    for part, share in zip(parts, share_pro_rata(voucher_cents, eligible), strict=True):
        part.voucher_cents = share
        part.voucher_by_merchant = bool(share) and voucher_funder_id == part.merchant_id
    left = [part.value_cents - part.voucher_cents for part in parts]
    for part, share in zip(parts, share_pro_rata(gift_card_cents, left), strict=True):
        part.gift_card_cents = share


@dataclass(frozen=True)
class PartRefunds:
    """What was refunded on a part so far: in all, of which goods lines, back to the card, back to the gift card."""

    total: int = 0
    goods: int = 0
    card: int = 0
    gift_card: int = 0

    @property
    def voucher(self) -> int:
        """The voucher's money among the refunds (not paid out to the customer)."""
        return self.total - self.card - self.gift_card


def refunded_of_part(part: MerchantOrder, *, until=None) -> PartRefunds:
    """The part's refunds (those created at or before `until`, when given)."""
    refunds = Refund.objects.filter(part=part)
    lines = RefundLine.objects.filter(refund__part=part)
    if until is not None:
        refunds = refunds.filter(created_at__lte=until)
        lines = lines.filter(refund__created_at__lte=until)
    sums = refunds.aggregate(total=Sum("amount_cents"), card=Sum("card_cents"), gift=Sum("gift_card_cents"))
    goods = lines.aggregate(total=Sum("amount_cents"))["total"] or 0
    return PartRefunds(sums["total"] or 0, goods, sums["card"] or 0, sums["gift"] or 0)


def refunds_of(part: MerchantOrder, refunds) -> PartRefunds:
    """The same from `Refund` rows in memory (with their `lines` prefetched)."""
    refunds = list(refunds)
    return PartRefunds(
        sum(r.amount_cents for r in refunds),
        sum(line.amount_cents for r in refunds for line in r.lines.all()),
        sum(r.card_cents for r in refunds),
        sum(r.gift_card_cents for r in refunds),
    )


def split_refund(part: MerchantOrder, amount: int, *, earlier: PartRefunds) -> tuple[int, int]:
    """(to the card, to the gift card) of a refund of `amount` on the part: the card first, up to the part's card
    share less its card refunds, then the gift card likewise; the rest was the voucher's."""
    card = max(min(amount, part.card_cents - earlier.card), 0)
    gift_card = max(min(amount - card, part.gift_card_cents - earlier.gift_card), 0)
    return card, gift_card


@dataclass(frozen=True)
class Payout:
    """What a handed-over part pays out after its refunds: through Stripe from the charge (`stripe`), owed by the
    collective outside Stripe (`collective`), the commission kept, and the voucher share the merchant funds."""

    stripe: int
    collective: int
    commission: int
    merchant_voucher: int

    @property
    def due(self) -> int:
        return self.stripe + self.collective


def payout_of_part(part: MerchantOrder, refunded: PartRefunds) -> Payout:
    merchant_voucher = max(part.voucher_cents - refunded.voucher, 0) if part.voucher_by_merchant else 0
    left = max(part.value_cents - refunded.total - merchant_voucher, 0)
    # at most what is left: a voucher the merchant funds may leave less than the commission on the goods
    commission = min(commission_cents(part.goods_cents - refunded.goods, part.commission_bps), left)
    due = left - commission
    stripe = max(min(due, part.card_cents - refunded.card), 0)
    return Payout(stripe=stripe, collective=due - stripe, commission=commission, merchant_voucher=merchant_voucher)
