"""Reads of the loyalty app: the member's pass screen, the till's lists and summary, visits for analytics.

Each selector runs a fixed number of queries, whatever the number of rows (tests assert the counts).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can
from agora import rows
from areas.models import Merchant, ShoppingArea
from privacy.exceptions import UnknownPurpose
from privacy.selectors import consented_subject_ids

from . import totp
from .codes import group_card_number, qr_payload
from .exceptions import UnknownSegment
from .models import (
    NAME_PURPOSE,
    ONLINE_REASON_PREFIX,
    WELCOME_REASON,
    Campaign,
    CorrectionStatus,
    EntryKind,
    GiftCard,
    GiftCardEntry,
    GiftCardEntryKind,
    GiftCardStatus,
    LedgerEntry,
    LoyaltySettings,
    Pass,
    PassStatus,
    PointLot,
    PointsCorrection,
    Reward,
    TillKind,
    TillTransaction,
    Voucher,
    VoucherKind,
    online_order,
)
from .segments import is_in_segment

EXPIRING_SOON_DAYS = 60


def pass_for_member(user, area) -> Pass | None:
    """The person's pass in this area, or None (also for anonymous visitors)."""
    if not (user and user.is_authenticated):
        return None
    return Pass.objects.filter(area=area, member=user).select_related("area").first()


def pass_by_number(area, card_number: str) -> Pass | None:
    """The pass with this (printed) card number in this area, with its member, or None: for the desk and the
    managers, who look a pass up by the number a member reads out or shows."""
    return Pass.objects.filter(area=area, card_number=card_number).select_related("member").first()


def current_pass_code(pass_: Pass, *, at: datetime | None = None) -> str:
    """The QR payload the member's app shows at `at` ("AGORA1:<card>:<code>"): for a server-rendered
    fallback and for tests. The app computes the same offline from the secret."""
    return qr_payload(pass_.card_number, totp.code_at(pass_.totp_secret, at or timezone.now()))


#: Reasons `services.rewards` writes in the language of the moment; the history recognises them in any of the site's
#: languages (the title is the manager's, kept as it was) and shows them in the reader's.
REWARD_CHOSEN = gettext_noop("Reward: %(title)s")
REWARD_GIVEN_BACK = gettext_noop("Reward given back: %(title)s")


@cache
def _reason_forms(message: str) -> frozenset[tuple[str, str]]:
    """The text before and after the title of `message`, in each of the site's languages."""
    forms = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            before, _title, after = gettext(message).partition("%(title)s")
        forms.add((before, after))
    return frozenset(forms)


def _title_in(reason: str, message: str) -> str | None:
    """The title in a reason written as `message` in any of the site's languages, else None."""
    for before, after in _reason_forms(message):
        if len(reason) > len(before) + len(after) and reason.startswith(before) and reason.endswith(after):
            return reason[len(before) : len(reason) - len(after)]
    return None


def entry_label(entry: LedgerEntry) -> str:
    """What the history says an entry is, in the reader's language, derived from its kind and links. Reasons written
    in words (a manager's correction, a spend's own text, entries from before a label was derived) show as stored.
    Also for other pages that list entries (the personal-data export): select the till transaction with them."""
    till_kind = entry.till_transaction.kind if entry.till_transaction_id else None
    if (order := online_order(entry.reason)) is not None:
        labels = {
            EntryKind.EARN: _("Online order %(order)s"),
            EntryKind.SPEND: _("Paid online, order %(order)s"),
            EntryKind.REVERSE: _("Online order %(order)s refunded"),
        }
        if entry.kind in labels:
            return str(labels[entry.kind] % {"order": order})
    if entry.kind == EntryKind.EARN:
        if entry.reason == WELCOME_REASON:
            return str(_("Welcome bonus"))
        return str(_("Purchase")) if till_kind else str(_("Earned"))
    if entry.kind == EntryKind.REVERSE:
        if till_kind == TillKind.UNDO:
            # An undo takes the purchase's points back (negative) and gives back those of a reward bought with
            # points at the till (positive, the one such entry).
            return str(_("Reward undone")) if entry.points > 0 else str(_("Purchase undone"))
        if till_kind == TillKind.REFUND:
            return str(_("Refund"))
        if (title := _title_in(entry.reason, REWARD_GIVEN_BACK)) is not None:
            return gettext(REWARD_GIVEN_BACK) % {"title": title}
        return str(_("Reversed"))
    if entry.kind == EntryKind.SPEND:
        if till_kind and entry.till_transaction.reward_id and entry.reason:
            # A reward bought with points at the till: its title is the reason, read as one chosen in the app is.
            return gettext(REWARD_CHOSEN) % {"title": entry.reason}
        if not till_kind and (title := _title_in(entry.reason, REWARD_CHOSEN)) is not None:
            return gettext(REWARD_CHOSEN) % {"title": title}
        return entry.reason or str(_("Spent"))
    if entry.kind == EntryKind.EXPIRE:
        return str(_("Expired"))
    # A manager's correction says why: the member reads it in their history.
    return str(_("Correction: %(reason)s") % {"reason": entry.reason}) if entry.reason else str(_("Correction"))


def last_day(ends_at: datetime, tz) -> date:
    """The last local day of a period that ends at `ends_at` (exclusive): the day before an end at midnight, else the
    day it ends on. Campaigns and rewards are entered as days and stored as ends at the next midnight."""
    ends = timezone.localtime(ends_at, tz)
    return ends.date() - timedelta(days=1) if ends.time() == time.min else ends.date()


def first_and_last_day(campaign: Campaign, tz) -> tuple[date, date]:
    """The campaign's days as its form and its offer page show them (`last_day`)."""
    first = timezone.localtime(campaign.starts_at, tz).date()
    return first, max(last_day(campaign.ends_at, tz), first)


HISTORY_PAGE = 50


def pass_overview(pass_: Pass, *, now: datetime | None = None) -> dict:
    """The member's balance and the points expiring within 60 days per day (the history: `pass_history`).

    `balance` leaves out points past their date that the nightly job has not expired yet.
    `expiring_soon`: [(date in the area's zone, points)], soonest first. One query.
    """
    now = now or timezone.now()
    tz = pass_.area.tz
    overdue = 0
    soon: dict[date, int] = defaultdict(int)
    lots = PointLot.objects.filter(
        member_pass=pass_, remaining__gt=0, expires_at__lte=now + timedelta(days=EXPIRING_SOON_DAYS)
    ).values_list("expires_at", "remaining")
    for expires_at, remaining in lots:
        if expires_at <= now:
            overdue += remaining
        else:
            soon[expires_at.astimezone(tz).date()] += remaining
    return {
        "balance": max(0, pass_.points_balance - overdue),
        "expiring_soon": sorted(soon.items()),
    }


@dataclass(frozen=True)
class HistoryPage:
    entries: list[dict]
    older: int | None  # the `before` of the next page, or None when this page reaches the first entry


def pass_history(
    pass_: Pass, *, before: int | None = None, merchant_id: int | None = None, limit: int = HISTORY_PAGE
) -> HistoryPage:
    """A page of the pass's ledger, newest first: dicts with id, kind, label, points, merchant (name or ""),
    occurred_at, amount_cents (of the till transaction the points were earned or taken back on, signed, else None),
    `made_of` (`_made_of`: what the till recorded about a purchase's points and payment, else None), and `is_undone`
    (the points of a till purchase that was undone since). One query.

    `before`: an entry's id; the page starts just after it in that order (time, then id, so that entries of the
    same moment are neither skipped nor repeated). An id that is not this pass's gives an empty page.
    `merchant_id`: only what happened at that merchant.
    """
    entries = LedgerEntry.objects.filter(member_pass=pass_)
    if merchant_id is not None:
        entries = entries.filter(merchant_id=merchant_id)
    if before is not None:
        at = Subquery(LedgerEntry.objects.filter(member_pass=pass_, pk=before).values("occurred_at")[:1])
        entries = entries.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, pk__lt=before))
    related = ("merchant", "till_transaction", "till_transaction__campaign", "till_transaction__reward")
    # Whether the till transaction was undone, in the same query: the till strikes an undone purchase through.
    undone = TillTransaction.objects.filter(reverses=OuterRef("till_transaction"), kind=TillKind.UNDO)
    entries = entries.select_related(*related).annotate(till_undone=Exists(undone))
    rows_ = list(entries.order_by("-occurred_at", "-pk")[: limit + 1])
    page = [
        {
            "id": entry.pk,
            "kind": entry.kind,
            "label": entry_label(entry),
            "points": entry.points,
            "merchant": entry.merchant.trade_name if entry.merchant_id else "",
            "occurred_at": entry.occurred_at,
            # Signed as the till shows it: an undo or refund takes money back (−€ 10,00).
            "amount_cents": entry.till_transaction.amount_cents if _is_about_the_amount(entry) else None,
            "made_of": _made_of(entry),
            "is_undone": entry.kind == EntryKind.EARN
            and entry.till_transaction_id is not None
            and entry.till_transaction.kind == TillKind.PURCHASE
            and entry.till_undone,
        }
        for entry in rows_[:limit]
    ]
    return HistoryPage(entries=page, older=page[-1]["id"] if len(rows_) > limit else None)


def _is_about_the_amount(entry: LedgerEntry) -> bool:
    """Whether the entry's line carries its till transaction's amount: the purchase's points and their undo or refund
    do; a reward's points spent at the till and given back on an undo are not the purchase, so, as in the app, not."""
    if not entry.till_transaction_id or entry.kind == EntryKind.SPEND:
        return False
    return not (entry.kind == EntryKind.REVERSE and entry.till_transaction.kind == TillKind.UNDO and entry.points > 0)


def _made_of(entry: LedgerEntry) -> dict | None:
    """For the points earned on a till purchase: what the till recorded made them up (campaign points and name,
    first-visit bonus points) and what was paid otherwise than in money, which earned none (voucher, reward with its
    title, gift card), in cents. None for other entries."""
    purchase = entry.till_transaction if entry.till_transaction_id else None
    if purchase is None or purchase.kind != TillKind.PURCHASE or entry.kind != EntryKind.EARN:
        return None
    return {
        "campaign_points": purchase.campaign_points,
        "campaign": purchase.campaign.shown_name if purchase.campaign_id else "",
        "bonus_points": purchase.bonus_points,
        "voucher_cents": purchase.voucher_cents,
        "reward_cents": purchase.reward_cents,
        "reward": purchase.reward.shown_title if purchase.reward_id else "",
        "giftcard_cents": purchase.giftcard_cents,
    }


def history_merchants(pass_: Pass) -> list[tuple[int, str]]:
    """The merchants in the pass's ledger, as (id, trade name) by name: what its history can be narrowed to."""
    return list(
        LedgerEntry.objects.filter(member_pass=pass_, merchant__isnull=False)
        .values_list("merchant_id", "merchant__trade_name")
        .distinct()
        .order_by("merchant__trade_name", "merchant_id")
    )


def _day_bounds(area, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=area.tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=area.tz)
    return start, end


def till_summary(merchant, day: date) -> dict:
    """The merchant's day at the till, in the area's time zone: a Z-report for the pass.

    `count` is purchases less the undone ones; `amount_cents` and `points` are net of that day's undos
    and refunds, as are the parts paid otherwise (`voucher_cents`, `reward_cents`, `giftcard_cents`: what
    the till takes in vouchers and gift cards, for the cash-up). `giftcard_cents` includes the gift cards paid by
    number on the till's gift-card page (`giftcard_by_number_cents`, net of their undos), which belong to no till
    transaction. Also `purchases`, `undone`, `refunds`. Two queries (plus the area when not loaded).
    """
    start, end = _day_bounds(merchant.area, day)
    totals = TillTransaction.objects.filter(merchant=merchant, occurred_at__gte=start, occurred_at__lt=end).aggregate(
        purchases=Count("pk", filter=Q(kind=TillKind.PURCHASE)),
        undone=Count("pk", filter=Q(kind=TillKind.UNDO)),
        refunds=Count("pk", filter=Q(kind=TillKind.REFUND)),
        amount_cents=Coalesce(Sum("amount_cents"), 0),
        points=Coalesce(Sum("points"), 0),
        voucher_cents=Coalesce(Sum("voucher_cents"), 0),
        reward_cents=Coalesce(Sum("reward_cents"), 0),
        giftcard_cents=Coalesce(Sum("giftcard_cents"), 0),
    )
    by_number = GiftCardEntry.objects.filter(
        merchant=merchant,
        till_transaction__isnull=True,
        kind__in=[GiftCardEntryKind.SPEND, GiftCardEntryKind.REVERSE],
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).aggregate(taken=Coalesce(-Sum("amount_cents"), 0))["taken"]
    totals["giftcard_cents"] += by_number
    count = totals["purchases"] - totals["undone"]
    return {"day": day, "count": count, "giftcard_by_number_cents": by_number, **totals}


def gift_card_payments_by_number(merchant, day: date) -> list[dict]:
    """The gift cards paid with by number on the till's gift-card page that day (they belong to no till
    transaction): each payment's time, card (its last four digits), amount taken and whether it was undone, oldest
    first. One query."""
    start, end = _day_bounds(merchant.area, day)
    payments = (
        GiftCardEntry.objects.filter(
            merchant=merchant,
            till_transaction__isnull=True,
            kind=GiftCardEntryKind.SPEND,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .select_related("card")
        .annotate(undone=Count("reversals"))
        .order_by("occurred_at", "pk")
    )
    return [
        {
            "occurred_at": entry.occurred_at,
            "card": f"•••• {entry.card.number[-4:]}",  # enough to find it again; the number is half the key
            "cents": -entry.amount_cents,
            "undone": entry.undone,
        }
        for entry in payments
    ]


@dataclass(frozen=True)
class RecentTillTransaction:
    id: int
    kind: str
    member_first_name: str
    amount_cents: int
    points: int
    occurred_at: datetime
    receipt_number: str
    can_undo: bool
    is_undone: bool
    refundable_cents: int  # what may still be refunded (purchases only)

    @property
    def kind_label(self) -> str:
        return str(TillKind(self.kind).label)


def recent_till_transactions(
    merchant, limit: int | None = 10, *, now: datetime | None = None, day: date | None = None
) -> list[RecentTillTransaction]:
    """The merchant's latest till transactions, newest first, each saying whether it can still be undone; with
    `day`, those of that day in the area's time zone (`limit` None: all of them).

    Only this merchant's own rows: staff never see other shops' scans. A member's first name only when they
    consented to merchants recognising them (`share_with_merchants`). Four queries.
    """
    now = now or timezone.now()
    window = timedelta(minutes=LoyaltySettings.for_area(merchant.area_id).undo_window_minutes)
    rows = TillTransaction.objects.filter(merchant=merchant)
    if day is not None:
        start, end = _day_bounds(merchant.area, day)
        rows = rows.filter(occurred_at__gte=start, occurred_at__lt=end)
    rows = (
        rows.select_related("member_pass__member")
        .annotate(
            undo_count=Count("reversals", filter=Q(reversals__kind=TillKind.UNDO)),
            reversed_cents=Coalesce(-Sum("reversals__amount_cents"), 0),
        )
        .order_by("-occurred_at", "-pk")
    )
    rows = list(rows[:limit] if limit is not None else rows)
    try:
        consenting = consented_subject_ids(merchant.area, NAME_PURPOSE)
    except UnknownPurpose:  # a database without the purposes (never in production: a migration makes them)
        consenting = None
    members = {row.member_pass.member_id for row in rows}
    named = set(consenting.filter(pk__in=members)) if consenting is not None and members else set()
    result = []
    for row in rows:
        is_purchase = row.kind == TillKind.PURCHASE
        refundable = row.amount_cents - row.reversed_cents if is_purchase and not row.undo_count else 0
        result.append(
            RecentTillTransaction(
                id=row.pk,
                kind=row.kind,
                member_first_name=row.member_pass.member.first_name if row.member_pass.member_id in named else "",
                amount_cents=row.amount_cents,
                points=row.points,
                occurred_at=row.occurred_at,
                receipt_number=row.receipt_number,
                can_undo=refundable > 0 and now - row.occurred_at <= window,
                is_undone=bool(row.undo_count),
                refundable_cents=max(0, refundable),
            )
        )
    return result


def visits(area, start: datetime, end: datetime) -> QuerySet:
    """Pass scans in the area in [start, end) for analytics: rows (pass_id, merchant_id, occurred_at,
    amount_cents), oldest first. Undone scans (till mistakes) are left out; refunds do not undo a visit.

    A lazy queryset of named tuples: iterate with `.iterator()` over long periods. It holds no consent
    filter: analytics keeps only passes whose member consented (privacy.selectors.consented_subject_ids).
    """
    return (
        TillTransaction.objects.filter(
            member_pass__area=area, kind=TillKind.PURCHASE, occurred_at__gte=start, occurred_at__lt=end
        )
        .exclude(reversals__kind=TillKind.UNDO)
        .annotate(pass_id=F("member_pass_id"))
        .order_by("occurred_at", "pk")
        .values_list("pass_id", "merchant_id", "occurred_at", "amount_cents", named=True)
    )


#: The kinds of redemption analytics counts: a voucher (fixed or percentage), a reward (chosen for points).
REDEEMED_VOUCHER, REDEEMED_REWARD = "voucher", "reward"


def till_redemptions(area, start: datetime, end: datetime) -> list[tuple]:
    """Vouchers and rewards used at the area's tills in [start, end), for analytics: rows (pass_id, merchant_id,
    kind, value_cents, occurred_at), oldest first. `kind` is "reward" for a reward voucher or a reward redeemed
    for points at the till, "voucher" otherwise; the value is what it paid of the purchase. A purchase paid with
    both gives two rows; an undone purchase gives none (its voucher is usable again). No consent filter (as
    `visits`). One query."""
    rows = (
        TillTransaction.objects.filter(
            member_pass__area=area, kind=TillKind.PURCHASE, occurred_at__gte=start, occurred_at__lt=end
        )
        .filter(Q(voucher__isnull=False) | Q(reward__isnull=False))
        .exclude(reversals__kind=TillKind.UNDO)
        .order_by("occurred_at", "pk")
        .values_list(
            "member_pass_id",
            "merchant_id",
            "occurred_at",
            "voucher_id",
            "voucher__kind",
            "voucher_cents",
            "reward_id",
            "reward_cents",
        )
    )
    found = []
    for pass_id, merchant_id, at, voucher_id, voucher_kind, voucher_cents, reward_id, reward_cents in rows:
        is_reward_voucher = voucher_kind == VoucherKind.REWARD
        if voucher_id is not None:
            kind = REDEEMED_REWARD if is_reward_voucher else REDEEMED_VOUCHER
            found.append((pass_id, merchant_id, kind, voucher_cents, at))
        # A reward voucher also names its reward on the purchase: that is the same redemption, not a second.
        if reward_id is not None and not is_reward_voucher:
            found.append((pass_id, merchant_id, REDEEMED_REWARD, reward_cents, at))
    return found


def online_redemptions(area, start: datetime, end: datetime) -> list[tuple]:
    """Vouchers of the area used by webshop orders in [start, end), for analytics: rows (order number, kind,
    redeemed_at), oldest first; kind as in `till_redemptions`. What each paid is the order's (the webshop's
    `voucher_orders`). One query."""
    rows = (
        Voucher.objects.filter(area=area, redeemed_at__gte=start, redeemed_at__lt=end)
        .exclude(redeemed_online="")
        .order_by("redeemed_at", "pk")
        .values_list("redeemed_online", "kind", "redeemed_at")
    )
    return [(ref, REDEEMED_REWARD if kind == VoucherKind.REWARD else REDEEMED_VOUCHER, at) for ref, kind, at in rows]


def pass_subjects(area, *, member_ids: QuerySet) -> QuerySet:
    """The area's passes whose member is in `member_ids` (a values queryset, e.g. privacy's
    `consented_subject_ids`), for analytics: rows (pass_id, pseudonym, postcode, age_band, joined_at).
    No names, e-mails, user ids or card numbers; filtered in the database, one query."""
    return (
        Pass.objects.filter(area=area, member_id__in=member_ids)
        .annotate(pass_id=F("pk"), pseudonym=F("member__pseudonym"))
        .order_by("pk")
        .values_list("pass_id", "pseudonym", "postcode", "age_band", "joined_at", named=True)
    )


def expiring_points(area, *, start: datetime, end: datetime) -> QuerySet:
    """Per pass of the area, the points in lots expiring in [start, end): rows (pass_id, member_id, points,
    first_expires_at). For the notice members get at least 30 days ahead (run daily over [now + 30 d,
    now + 31 d)); blocked and closed passes are left out. One query, a lazy queryset of named tuples.
    """
    return (
        PointLot.objects.filter(
            member_pass__area=area,
            member_pass__status=PassStatus.ACTIVE,
            remaining__gt=0,
            expires_at__gte=start,
            expires_at__lt=end,
        )
        .values("member_pass_id")
        .annotate(
            pass_id=F("member_pass_id"),
            member_id=F("member_pass__member_id"),
            points=Sum("remaining"),
            first_expires_at=Min("expires_at"),
        )
        .order_by("member_pass_id")
        .values_list("pass_id", "member_id", "points", "first_expires_at", named=True)
    )


# --- Rewards, vouchers, campaigns --------------------------------------------------------------------------


def available_rewards_filter(now: datetime) -> Q:
    """The rewards a member may choose at `now`: active, in their period, in stock."""
    return (
        Q(is_active=True)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        & (Q(stock__isnull=True) | Q(stock__gt=0))
    )


def rewards_for(area, *, now: datetime | None = None) -> QuerySet:
    """The area's rewards a member may choose now (active, in their period, in stock), cheapest first. One query."""
    now = now or timezone.now()
    return (
        Reward.objects.filter(available_rewards_filter(now), area=area)
        .select_related("merchant")
        .order_by("cost_points", "title", "pk")
    )


@dataclass(frozen=True)
class VoucherWallet:
    """`usable`: not used and not ended, soonest-ending first (including ones that start later).
    `past`: used or ended in the last `recent_days`, newest first."""

    usable: list
    past: list


def voucher_wallet(member_pass: Pass, *, now: datetime | None = None, recent_days: int = 30) -> VoucherWallet:
    """The member's vouchers for the wallet screen, each with its merchants, and its reward (with the points spent)
    or campaign and funder: what it is and where it came from. Two queries."""
    now = now or timezone.now()
    since = now - timedelta(days=recent_days)
    vouchers = (
        Voucher.objects.filter(member_pass=member_pass)
        .filter(
            Q(redeemed_at__isnull=True, expires_at__gt=since) | Q(redeemed_at__gte=since),
        )
        .select_related("reward", "spend_entry", "campaign", "funded_by_merchant")
        .prefetch_related(Prefetch("merchants", queryset=Merchant.objects.order_by("trade_name")))
        .order_by("expires_at", "pk")
    )
    usable, past = [], []
    for voucher in vouchers:
        (usable if voucher.redeemed_at is None and voucher.expires_at > now else past).append(voucher)
    past.sort(key=lambda voucher: voucher.redeemed_at or voucher.expires_at, reverse=True)
    return VoucherWallet(usable=usable, past=past)


def campaigns_between(area, start: datetime, end: datetime) -> QuerySet:
    """The area's campaigns running at any moment of [start, end) (active or not), oldest first, with their
    merchants: for analytics' campaign effects. Two queries when iterated."""
    return (
        Campaign.objects.filter(area=area, starts_at__lt=end, ends_at__gt=start)
        .prefetch_related("merchants")
        .order_by("starts_at", "pk")
    )


def offers_for(member_pass: Pass, *, now: datetime | None = None) -> list:
    """The campaigns running now that the member may benefit from: those for everyone, and segment ones only
    when the member is in the segment (and so consents to marketing). Two queries, plus two per segment."""
    now = now or timezone.now()
    campaigns = (
        Campaign.objects.filter(area_id=member_pass.area_id, is_active=True, starts_at__lte=now, ends_at__gt=now)
        .prefetch_related("merchants")
        .order_by("ends_at", "pk")
    )
    membership: dict[str, bool] = {}
    offers = []
    for campaign in campaigns:
        if campaign.segment:
            if campaign.segment not in membership:
                try:
                    membership[campaign.segment] = is_in_segment(member_pass, campaign.segment, now=now)
                except UnknownSegment:
                    membership[campaign.segment] = False
            if not membership[campaign.segment]:
                continue
        offers.append(campaign)
    return offers


# --- Gift cards ------------------------------------------------------------------------------------------


def gift_cards_for_pass(member_pass: Pass, *, now: datetime | None = None) -> list[dict]:
    """The gift cards on a member's pass that are still valid (expiring after `now`), soonest-expiring first.

    Dicts with id, number_display, balance_cents, expires_at, status, is_usable (active, with value left),
    is_used_up (nothing left), is_blocked. One query.
    """
    now = now or timezone.now()
    rows = (
        GiftCard.objects.filter(member_pass=member_pass, expires_at__gt=now)
        .order_by("expires_at", "pk")
        .values_list("pk", "number", "balance_cents", "expires_at", "status")
    )
    return [
        {
            "id": pk,
            "number_display": group_card_number(number),
            "balance_cents": balance,
            "expires_at": expires_at,
            "status": status,
            "is_usable": status == GiftCardStatus.ACTIVE and balance > 0,
            "is_used_up": balance <= 0,
            "is_blocked": status == GiftCardStatus.BLOCKED,
        }
        for pk, number, balance, expires_at, status in rows
    ]


#: Who holds gift-card value that is taken but not paid for yet: callables (member_pass) → the order references
#: whose online spends are only reserved. The webshop registers its unpaid orders (`shop.apps`); loyalty never
#: imports the shop.
_GIFT_CARD_HOLDERS: list = []


def register_gift_card_holder(holder) -> None:
    if holder not in _GIFT_CARD_HOLDERS:
        _GIFT_CARD_HOLDERS.append(holder)


def gift_card_holds(member_pass: Pass) -> dict[int, list[tuple[str, int]]]:
    """Card id → [(order reference, cents)]: the value an unpaid webshop order took from the card and has not given
    back (the pass shows it as reserved for that order, not as spent). One query per holder, and one when any holds."""
    refs = {ref for holder in _GIFT_CARD_HOLDERS for ref in holder(member_pass)}
    if not refs:
        return {}
    reasons = {f"{ONLINE_REASON_PREFIX} {ref}": ref for ref in refs}
    spends = (
        GiftCardEntry.objects.filter(card__member_pass=member_pass, kind=GiftCardEntryKind.SPEND, reason__in=reasons)
        .annotate(back=Coalesce(Sum("reversals__amount_cents"), 0))
        .order_by("pk")
        .values_list("card_id", "reason", "amount_cents", "back")
    )
    holds: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for card_id, reason, amount, back in spends:
        if (held := -amount - back) > 0:
            holds[card_id].append((reasons[reason], held))
    return dict(holds)


def _online_place(reason: str) -> str:
    order = online_order(reason)
    return str(_("Webshop, order %(order)s") % {"order": order}) if order is not None else ""


def pass_gift_cards_history(member_pass: Pass) -> list[dict]:
    """Every gift card on the member's pass, valid ones first (soonest-expiring first), each with its entries newest
    first: where it was loaded, spent, reversed or expired. Dicts with number_display, balance_cents, expires_at,
    is_usable, is_used_up, is_blocked and entries (dicts with kind, label, amount_cents, merchant, occurred_at).
    Two queries."""
    now = timezone.now()
    entries = GiftCardEntry.objects.select_related("merchant").order_by("-occurred_at", "-pk")
    cards = GiftCard.objects.filter(member_pass=member_pass).prefetch_related(Prefetch("entries", queryset=entries))
    cards = cards.order_by("pk")
    history = [_card_history(card, now) for card in cards]
    return sorted(history, key=lambda card: (not card["is_valid"], card["expires_at"]))


def _card_history(card: GiftCard, now: datetime) -> dict:
    return {
        "number_display": group_card_number(card.number),
        "balance_cents": card.balance_cents,
        "expires_at": card.expires_at,
        "is_valid": card.expires_at > now,
        "is_usable": card.status == GiftCardStatus.ACTIVE and card.balance_cents > 0 and card.expires_at > now,
        "is_used_up": card.balance_cents <= 0,
        "is_blocked": card.status == GiftCardStatus.BLOCKED,
        "entries": [
            {
                "kind": entry.kind,
                "label": entry.get_kind_display(),
                "amount_cents": entry.amount_cents,
                "merchant": entry.merchant.trade_name if entry.merchant_id else _online_place(entry.reason),
                "occurred_at": entry.occurred_at,
            }
            for entry in card.entries.all()
        ],
    }


def gift_card_history(card: GiftCard) -> dict:
    """One gift card as `pass_gift_cards_history` gives each: for its holder on the balance page. One query."""
    entries = GiftCardEntry.objects.select_related("merchant").order_by("-occurred_at", "-pk")
    prefetch_related_objects([card], Prefetch("entries", queryset=entries))
    return _card_history(card, timezone.now())


def gift_card_statement(area, number: str) -> dict | None:
    """A gift card of the area by its number, for the collective's desk: the card (with its pass), every
    entry with its merchant, and every block, unblock and PIN-lock clearing with who did it, oldest first.
    None when there is no such card. Three queries."""
    card = GiftCard.objects.filter(area=area, number=number).select_related("member_pass", "area").first()
    if card is None:
        return None
    entries = list(card.entries.select_related("merchant").order_by("occurred_at", "pk"))
    loaded = sum(entry.amount_cents for entry in entries if entry.kind == GiftCardEntryKind.LOAD)
    changes = list(card.changes.select_related("by").order_by("occurred_at", "pk"))
    return {"card": card, "entries": entries, "loaded_cents": loaded, "changes": changes}


def till_reward_choices(merchant, *, now: datetime | None = None) -> list[tuple[int, str]]:
    """The rewards a till may redeem for points: the collective's and this merchant's own, active, in their
    period and in stock, as (id, "title · cost") pairs for the till's choice. One query."""
    now = now or timezone.now()
    rewards = (
        Reward.objects.filter(available_rewards_filter(now), area_id=merchant.area_id)
        .filter(Q(merchant__isnull=True) | Q(merchant=merchant))
        .order_by("cost_points", "title")
    )
    return [
        (reward.pk, _("%(title)s · %(points)s points") % {"title": reward.shown_title, "points": reward.cost_points})
        for reward in rewards
    ]


# --- The merchant of a till --------------------------------------------------------------------------------------

TILL_ACTION = "merchant.operate_till"


@cache
def till_merchant_sql() -> str:
    q = connection.ops.quote_name
    return f"""
        SELECT {rows.columns("m", Merchant)}, {rows.columns("a", ShoppingArea)}, {rows.columns("s", LoyaltySettings)}
        FROM {q(Merchant._meta.db_table)} m
        JOIN {q(ShoppingArea._meta.db_table)} a ON a.id = m.area_id
        LEFT JOIN {q(LoyaltySettings._meta.db_table)} s ON s.area_id = a.id
        WHERE m.id = %s
    """


def till_merchant(user, pk: int) -> Merchant:
    """The merchant whose till `user` operates, with its area and the area's rules (when it has them): 404 when they
    may not even view it (another shop's staff, a member: its existence is not leaked), 403 when they may view but not
    operate it (an area manager) — as `get_for_action_or_404` decides, in one plain query, as it is asked on every
    scan (the permission checks read the memberships the request already has)."""
    with connection.cursor() as cursor:
        cursor.execute(till_merchant_sql(), [pk])
        row = cursor.fetchone()
    if row is None:
        raise Http404
    objects = []
    for model in (Merchant, ShoppingArea, LoyaltySettings):
        values, row = row[: rows.width(model)], row[rows.width(model) :]
        objects.append(rows.from_row(model, values) if values[0] is not None else None)
    merchant, area, rules = objects
    merchant.area = area
    if rules is not None:
        area.loyalty_settings = rules
    if not can(user, "merchant.view", merchant):
        raise Http404
    if not can(user, TILL_ACTION, merchant):
        raise PermissionDenied
    return merchant


# --- Corrections by the area's managers ----------------------------------------------------------------------------


def waiting_corrections(area, *, member_pass: Pass | None = None) -> list[PointsCorrection]:
    """The area's corrections waiting for a second manager (of one pass only, when given), oldest first, each with
    its pass, member and who asked. One query."""
    waiting = PointsCorrection.objects.filter(area=area, status=CorrectionStatus.PENDING)
    if member_pass is not None:
        waiting = waiting.filter(member_pass=member_pass)
    return list(
        waiting.select_related("member_pass", "member_pass__member", "requested_by").order_by("requested_at", "pk")
    )


def applied_corrections(area, *, limit: int = 30) -> list[LedgerEntry]:
    """The area's latest corrections of points (ledger entries of kind ADJUST, the admin's too), newest first, each
    with its pass, who made it and who approved it. One query."""
    return list(
        LedgerEntry.objects.filter(member_pass__area=area, kind=EntryKind.ADJUST)
        .select_related("member_pass", "by", "approved_by")
        .order_by("-occurred_at", "-pk")[:limit]
    )


def rejected_corrections(area, *, since: datetime) -> list[PointsCorrection]:
    """The area's corrections decided since `since` not to be applied, newest first. One query."""
    return list(
        PointsCorrection.objects.filter(area=area, status=CorrectionStatus.REJECTED, decided_at__gte=since)
        .select_related("member_pass", "requested_by", "decided_by")
        .order_by("-decided_at", "-pk")
    )
