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
  Each entry is split over the merchants whose sale earned the points by `OnlinePointsShare` rows written in the
  same transaction (positive for the award, negative for a reversal, with the campaign's part): the settlement
  charges each merchant for its share as it does for points issued at its till.

The locks and ledgers are those of `ledger.py` and `giftcards.py`: the pass's row lock for points, the cards'
locks (primary-key order) for gift-card value, the voucher's row lock for a voucher.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from ..exceptions import VoucherNotFound
from ..models import (
    ONLINE_REASON_PREFIX,
    Campaign,
    EntryKind,
    GiftCard,
    GiftCardEntry,
    GiftCardEntryKind,
    LedgerEntry,
    LoyaltySettings,
    OnlinePointsShare,
    Pass,
    Voucher,
)
from .campaigns import campaign_extra, campaign_points_back, campaigns_for_till
from .giftcards import debit_gift_cards, gift_cards_of_pass, reverse_gift_card_entries, spend_key
from .ledger import credit, debit, derived_key, expire_overdue, lock_pass
from .till import calculate_points
from .vouchers import check_voucher_usable, is_valid_voucher_code, normalise_voucher_code

#: What the webshop writes as the reason of its entries: "webshop <order number>".
REASON_PREFIX = ONLINE_REASON_PREFIX


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


@dataclass(frozen=True)
class OnlinePoints:
    """What one purchase earns: `points` in all (within the daily cap), of which `campaign_points` are the extra of
    `campaign` (None when no campaign extra survived the cap)."""

    points: int
    campaign: Campaign | None = None
    campaign_points: int = 0


def online_points_of(*, member_pass: Pass, purchases: list[OnlinePurchase], rules, now: datetime) -> list[OnlinePoints]:
    """The till's rules per purchase, for the webshop: whole euros × the area's rate × the merchant's multiplier
    (`till.calculate_points`), plus the best running campaign's extra for that merchant (`campaigns.campaign_extra`,
    not stacked, from the campaign's smallest amount); then the daily cap over the member's points today (tills and
    webshop), taken from the first purchases first. As at the till, the campaign's share of a capped purchase is
    `min(extra, points)`. No first-visit bonus: that rewards a visit to the shop."""
    from areas.models import Merchant

    from ..models import MerchantLoyalty

    merchants = Merchant.objects.in_bulk({p.merchant_id for p in purchases})
    multipliers = dict(
        MerchantLoyalty.objects.filter(merchant_id__in=merchants).values_list("merchant_id", "multiplier_permille")
    )
    wanted = []
    for purchase in purchases:
        merchant = merchants[purchase.merchant_id]
        base = calculate_points(
            amount_cents=purchase.earning_cents,
            points_per_euro=rules.points_per_euro,
            multiplier_permille=multipliers.get(merchant.pk, 1000),
        )
        campaign, extra = None, 0
        if purchase.earning_cents > 0:
            campaigns = campaigns_for_till(area_id=member_pass.area_id, merchant=merchant, now=now)
            if campaigns:
                campaign, extra = campaign_extra(
                    campaigns=campaigns,
                    member_pass=member_pass,
                    merchant=merchant,
                    earning_cents=purchase.earning_cents,
                    base_points=base,
                    now=now,
                )
        wanted.append((base + extra, campaign, extra))
    room = max(rules.daily_cap_points - _points_today(member_pass, now), 0) if rules.daily_cap_points else None
    earned = []
    for points, campaign, extra in wanted:
        if room is not None:
            points = min(points, room)
            room -= points
        campaign_points = min(extra, points)
        earned.append(OnlinePoints(points, campaign if campaign_points else None, campaign_points))
    return earned


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
    order as one EARN entry (the key is derived from the order), with one `OnlinePointsShare` per part that earned
    points (whose sale they were, and the campaign's part: what the settlement charges). Returns the points per
    purchase; [] when the order was credited before (its first answer is on the order) or there is no active pass.
    Raises ValueError when two purchases name the same merchant (an order has one part per merchant)."""
    if len({purchase.merchant_id for purchase in purchases}) != len(purchases):
        raise ValueError("One purchase per merchant.")
    member_pass = lock_pass(member=member, area=area) if member is not None else None
    if member_pass is None or not member_pass.is_active or not purchases:
        return []
    key = _order_key(order_ref, "earn")
    if LedgerEntry.objects.filter(request_key=key).exists():
        return []
    rules = LoyaltySettings.for_area(area)
    earned = online_points_of(member_pass=member_pass, purchases=purchases, rules=rules, now=now)
    points = [part.points for part in earned]
    if sum(points) <= 0:
        return points
    entry = credit(
        member_pass,
        points=sum(points),
        kind=EntryKind.EARN,
        request_key=key,
        now=now,
        rules=rules,
        reason=_reason(order_ref),
    )
    OnlinePointsShare.objects.bulk_create(
        OnlinePointsShare(
            entry=entry,
            merchant_id=purchase.merchant_id,
            points=part.points,
            campaign=part.campaign,
            campaign_points=part.campaign_points,
        )
        for purchase, part in zip(purchases, earned, strict=True)
        if part.points > 0
    )
    return points


class PartRefund(NamedTuple):
    """A part of a refunded order for `reverse_online_points`: its merchant (None: the order as a whole, its points
    not kept per part), the points it was awarded, what of it was paid by card or bank, and what was refunded to
    the card in all, this refund included."""

    merchant_id: int | None
    points: int
    paid_cents: int
    refunded_cents: int


@transaction.atomic
def reverse_online_points(
    *, member, area, order_ref: str, shares: list[PartRefund], refund_ref: str, now: datetime
) -> int:
    """Take back the points of a refunded order pro rata per part: `shares` is a `PartRefund` (merchant, points
    awarded, paid by card, refunded to the card in all) per part; Σ floor(points × refunded ÷ paid) are taken back
    in all, so a full refund takes exactly what was awarded. As far as the balance goes; returns the points taken
    now. The REVERSE entry gets negative `OnlinePointsShare`s per merchant that add up to it (`_share_reversal`).
    Idempotent per refund."""
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
    shares = [PartRefund(*share) for share in shares]
    owed = sum(
        share.points * min(share.refunded_cents, share.paid_cents) // share.paid_cents
        for share in shares
        if share.paid_cents > 0
    )
    due = min(owed, earned.points) - taken
    expire_overdue(member_pass, now)
    due = max(0, min(due, member_pass.points_balance))
    if not due:
        return 0
    entry = debit(member_pass, points=due, kind=EntryKind.REVERSE, request_key=key, now=now, reason=_reason(order_ref))
    _share_reversal(entry, earned=earned, parts=shares, taken_before=taken)
    return due


def _share_reversal(entry: LedgerEntry, *, earned: LedgerEntry, parts: list[PartRefund], taken_before: int) -> None:
    """Split a reversal entry over the merchants whose sale earned the points, as negative shares adding up to it.

    Each merchant gives back what its part owes in all (cumulative, like the total) less what it gave back before,
    never more than its award's share; when the balance fell short, the shortfall falls on the last parts (the first
    parts take first). Without a merchant split (`merchant_id` None: the order's points were not kept per part) the
    points are split pro rata to the award's shares, cumulatively. A rounding rest goes to the first merchants with
    points left. A merchant's campaign points come back in proportion: in all floor(campaign × taken ÷ awarded), so
    never more than were given and all of them at a full refund. An order credited before shares existed has no
    award shares: nobody was charged for it, so nobody is credited (no shares)."""
    awarded: dict[int, OnlinePointsShare] = {}
    taken: dict[int, int] = defaultdict(int)
    campaign_taken: dict[int, int] = defaultdict(int)
    for share in OnlinePointsShare.objects.filter(
        entry__member_pass_id=entry.member_pass_id, entry__reason=entry.reason
    ).order_by("entry_id", "pk"):
        if share.entry_id == earned.pk:
            awarded[share.merchant_id] = share
        elif share.entry_id != entry.pk:
            taken[share.merchant_id] -= share.points
            campaign_taken[share.merchant_id] -= share.campaign_points
    if not awarded:
        return
    due = -entry.points
    room = {merchant_id: share.points - taken[merchant_id] for merchant_id, share in awarded.items()}
    wants: dict[int, int] = defaultdict(int)
    if any(part.merchant_id is not None for part in parts):
        for part in parts:
            if part.merchant_id in awarded and part.paid_cents > 0:
                owed = part.points * min(part.refunded_cents, part.paid_cents) // part.paid_cents
                wants[part.merchant_id] += max(0, owed - taken[part.merchant_id])
        order = [part.merchant_id for part in parts if part.merchant_id in awarded]
    else:
        after = taken_before + due
        for merchant_id, share in awarded.items():
            wants[merchant_id] = max(0, share.points * after // earned.points - taken[merchant_id])
        order = list(awarded)
    take: dict[int, int] = defaultdict(int)
    left = due
    for merchant_id in order:
        step = min(wants[merchant_id], room[merchant_id] - take[merchant_id], left)
        take[merchant_id] += step
        left -= step
    for merchant_id in awarded:
        step = min(room[merchant_id] - take[merchant_id], left)
        take[merchant_id] += step
        left -= step
    rows = []
    for merchant_id, points in take.items():
        if points <= 0:
            continue
        share = awarded[merchant_id]
        campaign_back = campaign_points_back(
            campaign_points=share.campaign_points,
            points=share.points,
            taken_in_all=taken[merchant_id] + points,
            given_back_before=campaign_taken[merchant_id],
        )
        rows.append(
            OnlinePointsShare(
                entry=entry,
                merchant_id=merchant_id,
                points=-points,
                campaign_id=share.campaign_id if campaign_back else None,
                campaign_points=-campaign_back,
            )
        )
    OnlinePointsShare.objects.bulk_create(rows)


__all__ = [
    "OnlinePoints",
    "OnlinePurchase",
    "PartRefund",
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
