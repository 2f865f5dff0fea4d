"""The shop's one way into the city pass: vouchers and gift-card value pay part of an order, the paid amount earns
points, and refunds, expiry and cancellation give back. Only `loyalty.services` is called (its `online` module);
every key is derived from the order's number there, so each call is safe to repeat.

- `take_voucher` / `take_gift_card`: inside `checkout.place_order`'s transaction (a failure rolls the order back);
  the voucher comes back with the merchants it is valid at and who funds it, for `money.split_funding`.
  `voucher_discount` is the same check without using it (the checkout page's total). Loyalty's refusals are passed
  on as `VoucherNotUsable` with loyalty's message, except where the till's words do not fit a webshop
  (`_webshop_message`: a personal voucher is used by logging in, not by scanning a pass).
- `give_back(order=…)`: the order expired or was cancelled before payment — the voucher is usable again and the
  gift-card value goes back on the cards. Idempotent.
- `award_points(order=…)`: at payment; per merchant part, the till's rules on the part's share of the card payment
  (`MerchantOrder.card_cents`): whole euros × the area's rate × the merchant's multiplier, plus the best running
  campaign, within the daily cap (`loyalty.online_points_of`); nothing on what the gift card or voucher paid. Only
  for a customer with an active pass in the area. Kept per part (`MerchantOrder.points_awarded`) and in all.
- `reverse_for_refund(order=…, refund=…)`: points back pro rata per part to the card refunds of the part
  (cumulative, so partial refunds never take back more than was awarded), each part naming its merchant so loyalty
  credits the merchant whose sale earned them in the settlement; the refund's gift-card part goes back on the cards.
  An order whose points were not kept per part (or a refund of no part) is reversed as a whole; loyalty then splits
  the points taken back over the merchants pro rata to what each was awarded (`loyalty.reverse_online_points`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty import services as loyalty
from loyalty.exceptions import LoyaltyError, VoucherForAnotherPass

from ..exceptions import GiftCardNotUsable, VoucherNotUsable
from ..models import MerchantOrder, Order, Refund


def member_pass_for(user, area):
    return loyalty.pass_of(user, area)


def gift_card_balance(*, user, area, now: datetime | None = None) -> int:
    """What the gift cards on the member's pass in the area could pay now (0 without a pass)."""
    member_pass = member_pass_for(user, area)
    if member_pass is None or not member_pass.is_active:
        return 0
    return loyalty.gift_card_balance(member_pass, now=now or timezone.now())


@dataclass(frozen=True)
class VoucherUse:
    """A voucher used on an order: the discount, the merchants it is valid at (None: all), who funds it (a merchant's
    id; None: the collective)."""

    cents: int
    merchant_ids: set[int] | None
    funder_id: int | None


def _webshop_message(error: LoyaltyError) -> str:
    """Loyalty's message, in the webshop's words where the till's do not fit."""
    if isinstance(error, VoucherForAnotherPass):
        return _("This voucher belongs to someone's city pass. Log in with the account of that pass to use it.")
    return error.message


def _voucher_use(*, area, code: str, user, goods_by_merchant: dict[int, int], now: datetime):
    """The voucher (locked until the caller's transaction ends) and what it takes off these goods. Raises
    LoyaltyError, or VoucherNotUsable when it takes nothing off them."""
    voucher = loyalty.voucher_for_order(code=code, area=area, member_pass=member_pass_for(user, area), now=now)
    valid_at = loyalty.voucher_merchant_ids(voucher)
    eligible = sum(
        cents for merchant_id, cents in goods_by_merchant.items() if valid_at is None or merchant_id in valid_at
    )
    discount = voucher.discount_for(eligible)
    if discount <= 0:
        raise VoucherNotUsable()
    return voucher, VoucherUse(cents=discount, merchant_ids=valid_at, funder_id=voucher.funded_by_merchant_id)


def voucher_discount(*, area, code: str, user, goods_by_merchant: dict[int, int], now: datetime) -> int:
    """What the voucher would take off these goods now (nothing is used). Raises VoucherNotUsable."""
    try:
        with transaction.atomic():  # the voucher's row lock, held only for this read
            return _voucher_use(area=area, code=code, user=user, goods_by_merchant=goods_by_merchant, now=now)[1].cents
    except LoyaltyError as error:
        raise VoucherNotUsable(_webshop_message(error)) from error


def take_voucher(*, order: Order, code: str, user, goods_by_merchant: dict[int, int], now: datetime) -> VoucherUse:
    """Use the voucher on the order's goods of the merchants it is valid at; returns the discount and who funds it.

    Locks the voucher; call inside the checkout's transaction. Raises VoucherNotUsable with loyalty's message (in
    the webshop's words: `_webshop_message`).
    """
    try:
        voucher, use = _voucher_use(area=order.area, code=code, user=user, goods_by_merchant=goods_by_merchant, now=now)
        loyalty.redeem_voucher_online(voucher, order_ref=order.public_id, now=now)
    except LoyaltyError as error:
        raise VoucherNotUsable(_webshop_message(error)) from error
    order.voucher_code = voucher.code
    return use


def take_gift_card(*, order: Order, user, amount_cents: int, now: datetime) -> int:
    """Take up to `amount_cents` of gift-card value on the member's pass; returns what was taken (maybe 0)."""
    if amount_cents <= 0:
        return 0
    member_pass = member_pass_for(user, order.area)
    if member_pass is None or not member_pass.is_active:
        raise GiftCardNotUsable()
    try:
        return loyalty.spend_gift_cards_online(
            member_pass=member_pass, amount_cents=amount_cents, order_ref=order.public_id, now=now
        )
    except LoyaltyError as error:
        raise GiftCardNotUsable(error.message) from error


def give_back(*, order: Order, now: datetime | None = None) -> None:
    """The order will not be paid: the voucher and the gift-card value it took come back. Idempotent."""
    now = now or timezone.now()
    if order.voucher_cents and order.voucher_code:
        loyalty.release_voucher_online(area=order.area, code=order.voucher_code, order_ref=order.public_id)
    if order.gift_card_cents:
        member_pass = member_pass_for(order.user, order.area)
        if member_pass is not None:
            loyalty.give_back_gift_cards_online(member_pass_id=member_pass.pk, order_ref=order.public_id, now=now)


def award_points(*, order: Order, now: datetime | None = None) -> int:
    """Points on what the customer paid by card or bank, per merchant part by the till's rules (the merchant's
    multiplier, a running campaign, the daily cap); stored on the order and its parts. Idempotent (the ledger key)."""
    if order.user_id is None or order.total_cents <= 0:
        return 0
    parts = list(order.parts.order_by("pk"))
    points = loyalty.award_online_points(
        member=order.user,
        area=order.area,
        purchases=[
            loyalty.OnlinePurchase(merchant_id=part.merchant_id, earning_cents=part.card_cents) for part in parts
        ],
        order_ref=order.public_id,
        now=now or timezone.now(),
    )
    if not points:  # awarded before (or no active pass): the order says what it got
        return order.points_awarded
    for part, part_points in zip(parts, points, strict=True):
        if part.points_awarded != part_points:
            MerchantOrder.objects.filter(pk=part.pk).update(points_awarded=part_points)
    total = sum(points)
    if total != order.points_awarded:
        Order.objects.filter(pk=order.pk).update(points_awarded=total)
        order.points_awarded = total
    return total


def reverse_for_refund(*, order: Order, refund: Refund, now: datetime | None = None) -> None:
    """After a refund: the points of its card part back (pro rata per part, cumulative over the order's refunds, per
    merchant for the settlement), and its gift-card part back on the cards the order used. Idempotent per refund."""
    now = now or timezone.now()
    if order.user_id is None:
        return
    member_pass = member_pass_for(order.user, order.area)
    if member_pass is None:
        return
    if refund.gift_card_cents:
        loyalty.return_to_gift_cards_online(
            member_pass_id=member_pass.pk,
            order_ref=order.public_id,
            amount_cents=refund.gift_card_cents,
            refund_ref=refund.idempotency_key,
            now=now,
        )
    if order.points_awarded and refund.card_cents:
        refunded = dict(
            Refund.objects.filter(order=order, created_at__lte=refund.created_at)
            .values_list("part")
            .annotate(total=Sum("card_cents"))
            .values_list("part", "total")
        )
        parts = list(order.parts.order_by("pk"))
        if None not in refunded and sum(part.points_awarded for part in parts) == order.points_awarded:
            shares = [
                loyalty.PartRefund(part.merchant_id, part.points_awarded, part.card_cents, refunded.get(part.pk, 0))
                for part in parts
            ]
        else:
            # A refund of no part, or points awarded before they were kept per part: pro rata to the whole order, with
            # no merchant (loyalty splits what it takes back over the merchants pro rata to what each was awarded).
            shares = [loyalty.PartRefund(None, order.points_awarded, order.total_cents, sum(refunded.values()))]
        loyalty.reverse_online_points(
            member=order.user,
            area=order.area,
            order_ref=order.public_id,
            shares=shares,
            refund_ref=refund.idempotency_key,
            now=now,
        )
