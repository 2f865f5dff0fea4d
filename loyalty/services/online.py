"""The pass in the webshop: the online counterparts of the till's voucher, gift-card and points calls.

The webshop (`shop.services.loyalty_bridge`) calls these; loyalty knows nothing of the shop. An order is named
by its order number (`order_ref`), and every key is derived from it, so a retried task, a webhook delivered
twice or a payment confirmed by both the webhook and the success page changes nothing the second time:

- vouchers: `voucher_for_order` (locked, the till's rules minus the merchant: the shop applies it to the
  goods of the merchants it is valid at, `voucher_merchant_ids`), `redeem_voucher_online` (compare-and-set on
  the voucher row, `Voucher.redeemed_online` = the order), `release_voucher_online` (an expired or cancelled
  order gives it back: only if that order is the one that used it);
- gift cards: `gift_card_balance` (what the member could use), `spend_gift_cards_online` (SPEND entries
  without a merchant, soonest-expiring card first, keys derived from the order), `give_back_gift_cards_online`
  (REVERSE entries, never twice), `return_to_gift_cards_online` (part of it back, for a refund);
- points: `award_online_points` (per merchant part the till's rules on the part's amount paid by card or bank —
  the merchant's multiplier, the best running campaign, the daily cap: `online_points_of`; one EARN entry per
  order), `reverse_online_points` (pro rata per part to what was refunded, cumulative like the till's refunds).

The locks and ledgers are those of `ledger.py` and `giftcards.py`: the pass's row lock for points, the cards'
locks (primary-key order) for gift-card value, the voucher's row lock for a voucher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from ..exceptions import VoucherNotFound
from ..models import EntryKind, GiftCard, GiftCardEntry, GiftCardEntryKind, LedgerEntry, LoyaltySettings, Pass, Voucher
from .giftcards import debit_gift_cards, gift_cards_of_pass, reverse_gift_card_entries, spend_key
from .ledger import credit, debit, derived_key, expire_overdue, lock_pass
from .till import calculate_points
from .vouchers import check_voucher_usable, is_valid_voucher_code, normalise_voucher_code

#: What the webshop writes as the reason of its entries: "webshop <order number>".
REASON_PREFIX = "webshop"


def _reason(order_ref: str) -> str:
    return f"{REASON_PREFIX} {order_ref}"


def _order_key(order_ref: str, what: str):
    return derived_key(f"shop:{what}:{order_ref}")


def pass_of(member, area) -> Pass | None:
    """The member's pass in the area (active or not), or None: the webshop's customer may have none."""
    if member is None or not getattr(member, "pk", None):
        return None
    return Pass.objects.filter(member=member, area=area).first()


# --- Vouchers ------------------------------------------------------------------------------------------------


def voucher_for_order(*, code: str, area, member_pass: Pass | None, now: datetime) -> Voucher:
    """The voucher with this code in the area, locked until the caller's transaction ends, if it may be used now.

    Raises VoucherNotFound (also for a mistyped code), VoucherAlreadyUsed, VoucherNotYetValid, VoucherExpired,
    VoucherForAnotherPass (all VoucherNotUsable).
    """
    normalised = normalise_voucher_code(code)
    if not is_valid_voucher_code(normalised):
        raise VoucherNotFound()
    voucher = Voucher.objects.select_for_update(of=("self",)).filter(area_id=area.pk, code=normalised).first()
    if voucher is None:
        raise VoucherNotFound()
    check_voucher_usable(voucher, member_pass=member_pass, now=now)
    return voucher


def voucher_merchant_ids(voucher: Voucher) -> set[int] | None:
    """The merchants the voucher is valid at; None: every merchant of the area."""
    ids = set(voucher.merchants.values_list("pk", flat=True))
    return ids or None


def redeem_voucher_online(voucher: Voucher, *, order_ref: str, now: datetime) -> None:
    """Record that the webshop order used the voucher. A compare-and-set: raises VoucherAlreadyUsed if anything
    used it first (a till purchase or another order); the same order again is a no-op."""
    from ..exceptions import VoucherAlreadyUsed

    updated = Voucher.objects.filter(pk=voucher.pk, redeemed_at__isnull=True).update(
        redeemed_online=order_ref, redeemed_at=now
    )
    if not updated and not Voucher.objects.filter(pk=voucher.pk, redeemed_online=order_ref).exists():
        raise VoucherAlreadyUsed()
    voucher.redeemed_online, voucher.redeemed_at = order_ref, voucher.redeemed_at or now


def release_voucher_online(*, area, code: str, order_ref: str) -> bool:
    """Make the voucher usable again if this order used it (the order expired or was cancelled). Idempotent."""
    return bool(
        Voucher.objects.filter(area=area, code=normalise_voucher_code(code), redeemed_online=order_ref).update(
            redeemed_online="", redeemed_at=None
        )
    )


# --- Gift cards ----------------------------------------------------------------------------------------------


def gift_card_balance(member_pass: Pass | None, *, now: datetime) -> int:
    """What the gift cards on the pass hold and may pay with now (active, unexpired), in cents."""
    if member_pass is None:
        return 0
    return sum(card.balance_cents for card in gift_cards_of_pass(member_pass, now=now))


def spend_gift_cards_online(*, member_pass: Pass, amount_cents: int, order_ref: str, now: datetime) -> int:
    """Take up to `amount_cents` from the gift cards on the pass for the order; returns what was taken.

    Locks the cards (primary-key order); call inside the checkout's transaction. The entries' keys are derived
    from the order, so one order draws once (a second call raises IntegrityError, rolling its caller back).
    """
    if amount_cents <= 0:
        return 0
    cards = gift_cards_of_pass(member_pass, now=now, lock=True)
    take = min(amount_cents, sum(card.balance_cents for card in cards))
    if take <= 0:
        return 0
    debit_gift_cards(
        cards,
        take,
        area_id=member_pass.area_id,
        request_key=_order_key(order_ref, "giftcard"),
        by=None,
        now=now,
        reason=_reason(order_ref),
    )
    return take


def _spends_of(member_pass_id: int, order_ref: str) -> list[GiftCardEntry]:
    key = _order_key(order_ref, "giftcard")
    card_ids = list(GiftCard.objects.filter(member_pass_id=member_pass_id).values_list("pk", flat=True))
    return list(
        GiftCardEntry.objects.filter(
            kind=GiftCardEntryKind.SPEND, request_key__in=[spend_key(key, card_id) for card_id in card_ids]
        ).order_by("pk")
    )


@transaction.atomic
def give_back_gift_cards_online(*, member_pass_id: int, order_ref: str, now: datetime) -> int:
    """Give back all the order took from gift cards (it expired or was cancelled unpaid); returns the cents.

    Never twice: a spend reversed already (also in part, by a refund) is passed over.
    """
    spends = _spends_of(member_pass_id, order_ref)
    made = reverse_gift_card_entries(spends, request_key=_order_key(order_ref, "giftcard-back"), by=None, now=now)
    return sum(entry.amount_cents for entry in made)


@transaction.atomic
def return_to_gift_cards_online(
    *, member_pass_id: int, order_ref: str, amount_cents: int, refund_ref: str, now: datetime
) -> int:
    """Put `amount_cents` of a refund back on the cards the order was paid with (latest-expiring spend last);
    returns what was put back, at most what the order took and was not given back yet. Idempotent per
    `refund_ref` (REVERSE entries with keys derived from it)."""
    spends = _spends_of(member_pass_id, order_ref)
    if not spends or amount_cents <= 0:
        return 0
    cards = {
        card.pk: card
        for card in GiftCard.objects.select_for_update(of=("self",))
        .filter(pk__in={spend.card_id for spend in spends})
        .order_by("pk")
    }
    returned = 0
    for spend in spends:
        key = derived_key(f"shop:giftcard-refund:{refund_ref}:{spend.pk}")
        if previous := GiftCardEntry.objects.filter(request_key=key).first():
            returned += previous.amount_cents
            continue
        given = GiftCardEntry.objects.filter(reverses=spend).aggregate(total=Coalesce(Sum("amount_cents"), 0))["total"]
        left = -spend.amount_cents - given
        take = min(left, amount_cents - returned)
        if take <= 0:
            continue
        GiftCardEntry.objects.create(
            card=cards[spend.card_id],
            kind=GiftCardEntryKind.REVERSE,
            amount_cents=take,
            occurred_at=now,
            request_key=key,
            reverses=spend,
            reason=_reason(order_ref),
        )
        GiftCard.objects.filter(pk=spend.card_id).update(balance_cents=cards[spend.card_id].balance_cents + take)
        cards[spend.card_id].balance_cents += take
        returned += take
    return returned


# --- Points --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnlinePurchase:
    """One merchant's part of a webshop order: what of it was paid by card or bank (the till's earning amount)."""

    merchant_id: int
    earning_cents: int


def online_points_of(*, member_pass: Pass, purchases: list[OnlinePurchase], rules, now: datetime) -> list[int]:
    """The till's rules per purchase, for the webshop: whole euros × the area's rate × the merchant's multiplier
    (`till.calculate_points`), plus the best running campaign's extra for that merchant (`campaigns.campaign_extra`,
    not stacked, from the campaign's smallest amount); then the daily cap over the member's points today (tills and
    webshop), taken from the first purchases first. No first-visit bonus: that rewards a visit to the shop."""
    from areas.models import Merchant

    from ..models import MerchantLoyalty
    from .campaigns import campaign_extra, campaigns_for_till

    merchants = Merchant.objects.in_bulk({p.merchant_id for p in purchases})
    multipliers = dict(
        MerchantLoyalty.objects.filter(merchant_id__in=merchants).values_list("merchant_id", "multiplier_permille")
    )
    points = []
    for purchase in purchases:
        merchant = merchants[purchase.merchant_id]
        base = calculate_points(
            amount_cents=purchase.earning_cents,
            points_per_euro=rules.points_per_euro,
            multiplier_permille=multipliers.get(merchant.pk, 1000),
        )
        extra = 0
        if purchase.earning_cents > 0:
            campaigns = campaigns_for_till(area_id=member_pass.area_id, merchant=merchant, now=now)
            if campaigns:
                _campaign, extra = campaign_extra(
                    campaigns=campaigns,
                    member_pass=member_pass,
                    merchant=merchant,
                    earning_cents=purchase.earning_cents,
                    base_points=base,
                    now=now,
                )
        points.append(base + extra)
    if rules.daily_cap_points:
        room = max(rules.daily_cap_points - _points_today(member_pass, now), 0)
        for index, wanted in enumerate(points):
            points[index] = min(wanted, room)
            room -= points[index]
    return points


def _points_today(member_pass: Pass, now: datetime) -> int:
    """The member's points of today for the daily cap: at tills (net of undos and refunds, as the till counts them)
    and earned in the webshop."""
    from ..models import TillTransaction
    from .till import _day_start

    start = _day_start(member_pass.area, now)
    till = TillTransaction.objects.filter(member_pass=member_pass, occurred_at__gte=start).aggregate(
        total=Coalesce(Sum("points"), 0)
    )["total"]
    online = LedgerEntry.objects.filter(
        member_pass=member_pass, kind=EntryKind.EARN, reason__startswith=f"{REASON_PREFIX} ", occurred_at__gte=start
    ).aggregate(total=Coalesce(Sum("points"), 0))["total"]
    return till + online


@transaction.atomic
def award_online_points(*, member, area, purchases: list[OnlinePurchase], order_ref: str, now: datetime) -> list[int]:
    """Points for an order paid online, per merchant part by the till's rules (`online_points_of`), credited once per
    order as one EARN entry (the key is derived from the order). Returns the points per purchase; [] when the order
    was credited before (its first answer is on the order) or there is no active pass."""
    member_pass = lock_pass(member=member, area=area) if member is not None else None
    if member_pass is None or not member_pass.is_active or not purchases:
        return []
    key = _order_key(order_ref, "earn")
    if LedgerEntry.objects.filter(request_key=key).exists():
        return []
    rules = LoyaltySettings.for_area(area)
    points = online_points_of(member_pass=member_pass, purchases=purchases, rules=rules, now=now)
    if sum(points) <= 0:
        return points
    credit(
        member_pass,
        points=sum(points),
        kind=EntryKind.EARN,
        request_key=key,
        now=now,
        rules=rules,
        reason=_reason(order_ref),
    )
    return points


@transaction.atomic
def reverse_online_points(
    *, member, area, order_ref: str, shares: list[tuple[int, int, int]], refund_ref: str, now: datetime
) -> int:
    """Take back the points of a refunded order pro rata per part: `shares` is (points awarded, paid by card,
    refunded to the card in all — this refund included) per part; Σ floor(points × refunded ÷ paid) are taken back
    in all, so a full refund takes exactly what was awarded. As far as the balance goes; returns the points taken
    now. Idempotent per refund."""
    member_pass = lock_pass(member=member, area=area) if member is not None else None
    if member_pass is None:
        return 0
    earned = LedgerEntry.objects.filter(request_key=_order_key(order_ref, "earn")).first()
    if earned is None:
        return 0
    key = derived_key(f"shop:earn-back:{refund_ref}")
    if previous := LedgerEntry.objects.filter(request_key=key).first():
        return -previous.points
    taken = -(
        LedgerEntry.objects.filter(
            member_pass=member_pass, kind=EntryKind.REVERSE, reason=_reason(order_ref), points__lt=0
        ).aggregate(total=Coalesce(Sum("points"), 0))["total"]
    )
    owed = sum(points * min(refunded, paid) // paid for points, paid, refunded in shares if paid > 0)
    due = min(owed, earned.points) - taken
    expire_overdue(member_pass, now)
    due = max(0, min(due, member_pass.points_balance))
    if not due:
        return 0
    debit(member_pass, points=due, kind=EntryKind.REVERSE, request_key=key, now=now, reason=_reason(order_ref))
    return due


__all__ = [
    "OnlinePurchase",
    "award_online_points",
    "gift_card_balance",
    "give_back_gift_cards_online",
    "online_points_of",
    "pass_of",
    "redeem_voucher_online",
    "release_voucher_online",
    "return_to_gift_cards_online",
    "reverse_online_points",
    "spend_gift_cards_online",
    "voucher_for_order",
    "voucher_merchant_ids",
]
