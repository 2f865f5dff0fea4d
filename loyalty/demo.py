"""Demo data for the pass: each area's rules, a pass for every demo member, and a year of till activity.

Visits follow the member's own propensity (from the members step), the merchants' opening hours and
the calendar: busy Saturdays, quiet Mondays, a December peak and a January dip, shopping Sundays and
Christmas late nights, closed holidays. On top: first-visit bonuses, a few typos undone at the till,
refunds some days later, and points expiring lot by lot.

Points are redeemed as the product records it, so that the settlement and analytics see it: a reward from
the area's catalogue paid with points on a purchase at the till, or chosen in the app (a reward voucher,
used on a later purchase at a till, given back, or left to expire). Gift cards are sold at the desk over the
year, most before Sinterklaas and Christmas, on a member's pass (paid with at the till on a purchase) or
standalone with a PIN (paid with by number); they are spent in parts, some to the last cent. None expires
within the year: a card is valid at least two years.

The ledger is simulated here in memory with the same rules as the services (lots, allocations
oldest-expiring first, pro-rata refunds, the daily cap, what a purchase paid otherwise earns nothing) and
written with bulk inserts: calling the services per visit would take an hour for the large demo.
`check_ledger()` and `check_gift_cards()` find it consistent.
"""

from __future__ import annotations

import base64
import bisect
import heapq
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, count
from time import perf_counter
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery

from accounts.roles import Role

# The areas' own demo helpers for deleting many rows at once (append-only ones with their guard off).
from areas.demo import DemoContext, WipeScope, delete_append_only, delete_many, demo_step, demo_wipe
from areas.demo.dates import public_holidays, shopping_sundays
from areas.models import Merchant, MerchantStatus, OpeningHours, StaffMembership
from areas.sectors import Sector
from privacy.models import AppendOnlyModel, CurrentConsent, Purpose

from . import totp
from .codes import (
    CARD_NUMBER_LENGTH,
    GIFT_CARD_NUMBER_LENGTH,
    GIFT_CARD_PREFIX,
    VOUCHER_ALPHABET,
    VOUCHER_CODE_LENGTH,
    luhn_check_digit,
    qr_payload,
    voucher_check_character,
)
from .models import (
    WELCOME_REASON,
    Campaign,
    CampaignKind,
    EntryKind,
    Funder,
    GiftCard,
    GiftCardChange,
    GiftCardEntry,
    GiftCardEntryKind,
    LedgerEntry,
    LotAllocation,
    LoyaltySettings,
    MerchantLoyalty,
    OnlinePointsShare,
    Pass,
    PassStatus,
    PointLot,
    PointsCorrection,
    Reward,
    SettlementPayment,
    SettlementStatement,
    TillKind,
    TillTransaction,
    Voucher,
    VoucherKind,
)
from .services import calculate_points
from .services.giftcards import _expiry_of as giftcard_expiry
from .services.ledger import add_months

#: Each demo area's programme: Amersfoort generous and long, Mechelen with a year's expiry.
RULES = {
    "NL": {"points_per_euro": 1, "welcome_bonus_points": 50, "first_visit_bonus_points": 10, "expiry_months": 24},
    "BE": {"points_per_euro": 1, "welcome_bonus_points": 25, "first_visit_bonus_points": 0, "expiry_months": 12},
}
#: The demo's age bands (from the members step) as the pass stores them.
AGE_BAND = {"18-24": "<25", "65-74": "65+", "75+": "65+"}
#: Median spend (cents) and its spread per sector: a coffee, a loaf, a pair of jeans, a watch.
SPEND = {
    Sector.GROCERIES: (2400, 0.6),
    Sector.FOOD_SPECIALTY: (1500, 0.5),
    Sector.HEALTH_BEAUTY: (2200, 0.6),
    Sector.FASHION: (6500, 0.6),
    Sector.JEWELLERY: (11000, 0.8),
    Sector.BOOKS_TOYS: (2600, 0.6),
    Sector.SPORTS: (5500, 0.7),
    Sector.ELECTRONICS: (8500, 0.9),
    Sector.HOME_LIVING: (4000, 0.7),
    Sector.FLOWERS: (1800, 0.5),
    Sector.OTHER_RETAIL: (3000, 0.7),
    Sector.HOSPITALITY: (2400, 0.6),
    Sector.SERVICES: (3500, 0.5),
    Sector.LEISURE: (2200, 0.5),
}
#: How likely a member is to count a shop of this sector among their regular ones.
POPULARITY = {
    Sector.GROCERIES: 3.0,
    Sector.FOOD_SPECIALTY: 3.0,
    Sector.HOSPITALITY: 2.5,
    Sector.HEALTH_BEAUTY: 2.0,
    Sector.FASHION: 1.6,
    Sector.FLOWERS: 1.2,
}
WEEKDAY_WEIGHT = (0.65, 0.85, 0.95, 1.05, 1.2, 1.7, 0.8)  # Monday … Sunday (when open)
MONTH_WEIGHT = (0.75, 0.8, 0.95, 1.0, 1.0, 0.95, 0.9, 0.9, 0.95, 1.0, 1.1, 1.45)
SHOPPING_SUNDAY_WEIGHT = 1.6
LATE_NIGHT_WEIGHT = 2.0
HISTORY_DAYS = 365
TYPO_SHARE = 0.01  # scans with a mistyped amount, undone at once and scanned again
REFUND_SHARE = 0.006
#: Each area's catalogue: (title, cost in points, value in cents, stock or None, funded by a merchant of this sector,
#: how often members choose it). The year's redemptions leave the stock as it is: what the manager has in stock now.
CATALOGUE = [
    ("€ 5 korting bij elke deelnemende ondernemer", 500, 500, None, None, 4),
    ("2 uur gratis parkeren in de binnenstad", 300, 400, 200, None, 1),
    ("Koffie met gebak", 250, 450, 50, Sector.HOSPITALITY, 3),
    ("Bos seizoensbloemen", 400, 995, 30, Sector.FLOWERS, 2),
]
#: The catalogue's titles in English, for members who read the app in English.
CATALOGUE_EN = {
    "€ 5 korting bij elke deelnemende ondernemer": "€5 off at any participating merchant",
    "2 uur gratis parkeren in de binnenstad": "2 hours' free parking in the town centre",
    "Koffie met gebak": "Coffee and cake",
    "Bos seizoensbloemen": "A bunch of seasonal flowers",
}
TILL_REWARD_SHARE = 0.15  # visits with enough points on which the member pays part with a reward at the till
APP_REWARD_SHARE = 0.05  # visits after which a member with enough points chooses a reward in the app
VOUCHER_USE_SHARE = 0.7  # visits to a shop that takes a reward voucher the member holds, on which they use it
VOUCHER_GIVEN_BACK_SHARE = 0.05  # reward vouchers given back for their points
REWARD_REASON = "Beloning: {title}"  # the services' "Reward: %(title)s" in Dutch, the demo's language
GIVEN_BACK_REASON = "Beloning teruggegeven: {title}"
GIFT_ON_PASS_SHARE = 0.12  # members who are given a gift card on their pass in the year
GIFT_STANDALONE_SHARE = 0.15  # standalone cards sold in the year, per member of the area
#: The demo's member logins are regulars who use what the pass offers, so that a visitor logging in sees it all:
#: visits a month at least, and their shares of reward redemptions at the till and in the app (taken in turns).
SHOWCASE_VISITS_PER_MONTH = 12
SHOWCASE_SHARES = (0.5, 0.5)
GIFT_CARD_USE_SHARE = 0.7  # purchases by a member with gift-card value on the pass that are paid with it
GIFT_AMOUNTS = ((1000, 2), (2000, 3), (2500, 3), (5000, 2), (10000, 1))  # cents, weight
GIFT_PIN = "1234"  # every demo standalone card's PIN (as the desk's demo sales)


@dataclass(eq=False)  # compared and hashed by identity: one object per merchant
class _Shop:
    id: int
    sector: str
    multiplier: int
    by_id: int
    weekly: dict[int, list[tuple[int, int]]]  # weekday → [(opens, closes)] in minutes
    open_until: date | None  # a merchant that left the collective takes no passes after it left


@dataclass(eq=False)
class _Reward:
    row: Reward
    merchant_id: int | None  # None: funded by the collective, taken at every merchant
    weight: int

    def taken_at(self, shop: _Shop) -> bool:
        return self.merchant_id in (None, shop.id)


@dataclass
class _AreaPlan:
    area: object  # the ShoppingArea
    country: str
    tz: ZoneInfo
    rules: LoyaltySettings
    shops: list[_Shop]
    shop_weights: list[float]
    days: list[date]
    cum_weights: list[float]
    special: dict[date, list[tuple[int, int]] | None]  # area-wide hours on a day (None: closed)
    manager_id: int
    rewards: list[_Reward]
    gift_cum_weights: list[float]  # gift cards sold at the desk per day: shop days, peaks before the holidays

    @property
    def area_id(self) -> int:
        return self.area.pk


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _area_plan(ctx: DemoContext, slug: str, rng: random.Random) -> _AreaPlan:
    area = ctx.areas[slug]
    rules, _created = LoyaltySettings.objects.update_or_create(area=area, defaults=RULES[area.country])
    merchants = list(Merchant.objects.filter(pk__in=ctx.merchant_ids[slug]).order_by("pk"))
    # A few merchants pay for extra points: one and a half or double.
    multipliers = {m.pk: 1000 for m in merchants}
    for merchant in rng.sample(merchants, 3):
        multipliers[merchant.pk] = rng.choice((1500, 2000))
    MerchantLoyalty.objects.bulk_create(
        MerchantLoyalty(merchant_id=pk, multiplier_permille=permille)
        for pk, permille in multipliers.items()
        if permille != 1000
    )
    # Who stands at the till: the merchant's own staff login where the demo has one, else (a stand-in
    # for the shop's own people, who have no demo logins) the area manager.
    staff = dict(
        StaffMembership.objects.filter(merchant__in=merchants, role__in=[Role.MERCHANT_STAFF, Role.MERCHANT_OWNER])
        .order_by("role", "pk")
        .values_list("merchant_id", "user_id")
    )
    manager_id = (
        StaffMembership.objects.filter(area=area, role=Role.AREA_MANAGER).order_by("pk").values_list("user_id")[0][0]
    )
    weekly: dict[int, dict[int, list[tuple[int, int]]]] = {m.pk: {} for m in merchants}
    for hours in OpeningHours.objects.filter(merchant__in=merchants).order_by("merchant_id", "weekday", "opens_at"):
        weekly[hours.merchant_id].setdefault(hours.weekday, []).append(
            (_minutes(hours.opens_at), _minutes(hours.closes_at))
        )
    shops = []
    for merchant in merchants:
        if merchant.status == MerchantStatus.PAUSED:
            open_until = ctx.today - timedelta(days=30)
        elif merchant.status == MerchantStatus.LEFT:
            open_until = merchant.left_on
        else:
            open_until = None
        shops.append(
            _Shop(
                merchant.pk,
                merchant.sector,
                multipliers[merchant.pk],
                staff.get(merchant.pk, manager_id),
                weekly[merchant.pk],
                open_until,
            )
        )

    start = ctx.today - timedelta(days=HISTORY_DAYS)
    sunday_hours = [(12 * 60, 17 * 60)] if area.country == "NL" else [(13 * 60, 18 * 60)]
    special: dict[date, list[tuple[int, int]] | None] = {}
    weight_of: dict[date, float] = {}
    for day, _label in shopping_sundays(area.country, start, ctx.today):
        special[day] = sunday_hours
        weight_of[day] = SHOPPING_SUNDAY_WEIGHT
    for year in (start.year, ctx.today.year):
        for christmas_evening in (date(year, 12, 21), date(year, 12, 22)):
            if start <= christmas_evening < ctx.today and christmas_evening.weekday() < 5:
                special[christmas_evening] = [(10 * 60, 21 * 60)]
                weight_of[christmas_evening] = LATE_NIGHT_WEIGHT
    for holiday in public_holidays(area.country, start, ctx.today):
        if holiday.custom == "closed":
            special[holiday.date] = None
        elif holiday.custom == "sunday":
            special[holiday.date] = sunday_hours
        else:
            special[holiday.date] = [(9 * 60 + 30, 16 * 60)]
    days = [start + timedelta(days=n) for n in range(HISTORY_DAYS)]
    weights = [
        0.0
        if special.get(day, ()) is None
        else WEEKDAY_WEIGHT[day.weekday()] * MONTH_WEIGHT[day.month - 1] * weight_of.get(day, 1.0)
        for day in days
    ]
    return _AreaPlan(
        area=area,
        country=area.country,
        tz=ZoneInfo(area.time_zone),
        rules=rules,
        shops=shops,
        shop_weights=[POPULARITY.get(shop.sector, 1.0) for shop in shops],
        days=days,
        cum_weights=list(accumulate(weights)),
        special=special,
        manager_id=manager_id,
        rewards=_catalogue(area, [m for m in merchants if m.status == MerchantStatus.ACTIVE]),
        gift_cum_weights=list(
            accumulate(w * _gift_season(area.country, day) for w, day in zip(weights, days, strict=True))
        ),
    )


def _catalogue(area, merchants: list[Merchant]) -> list[_Reward]:
    """The area's rewards catalogue, made before the year so that the year's members can redeem from it."""
    rewards = []
    for title, cost, value, stock, sector, weight in CATALOGUE:
        funder = next((m for m in merchants if m.sector == sector), None) if sector else None
        if sector and funder is None:
            continue
        row = Reward.objects.create(
            area=area,
            merchant=funder,
            title=title,
            title_en=CATALOGUE_EN[title],
            cost_points=cost,
            value_cents=value,
            stock=stock,
        )
        rewards.append(_Reward(row, funder.pk if funder else None, weight))
    return rewards


def _gift_season(country: str, day: date) -> float:
    """How many more gift cards the desk sells on a day: most in the weeks before Sinterklaas (the 5th of
    December in the Netherlands, the 6th in Belgium) and before Christmas."""
    sinterklaas = date(day.year, 12, 5 if country == "NL" else 6)
    if sinterklaas - timedelta(days=21) <= day <= sinterklaas:
        return 4.0
    if sinterklaas < day <= date(day.year, 12, 24):
        return 5.0
    return 1.0


def _hours_on(plan: _AreaPlan, shop: _Shop, day: date) -> list[tuple[int, int]]:
    if shop.open_until and day > shop.open_until:
        return []
    if day in plan.special:
        area_hours = plan.special[day]
        if area_hours is None:
            return []
        # Hospitality keeps its own hours on a shopping Sunday; shops open with the area.
        return shop.weekly.get(day.weekday(), []) if shop.sector == Sector.HOSPITALITY else area_hours
    return shop.weekly.get(day.weekday(), [])


# --- The in-memory ledger --------------------------------------------------------------------------------


@dataclass
class _Lot:
    row: PointLot
    remaining: int
    expired: int = 0


@dataclass
class _Purchase:
    row: TillTransaction
    lot: _Lot | None
    shop: _Shop
    refunded_cents: int = 0
    due: int = 0  # points the reversals so far should have taken back
    drawn: int = 0  # points they did take back
    undone: bool = False


@dataclass(eq=False)
class _Voucher:
    row: Voucher
    reward: _Reward
    used: bool = False

    def usable(self, shop: _Shop, at: datetime) -> bool:
        return not self.used and self.row.valid_from <= at < self.row.expires_at and self.reward.taken_at(shop)


@dataclass(eq=False)
class _Card:
    row: GiftCard
    balance: int


@dataclass
class _Rows:
    passes: list = field(default_factory=list)
    purchases: list = field(default_factory=list)
    reversals: list = field(default_factory=list)
    # The spend entries of rewards chosen in the app apart: their vouchers are saved before the till transactions
    # that use them, and those before the other entries (which point at till transactions).
    voucher_entries: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    lots: list = field(default_factory=list)
    allocations: list = field(default_factory=list)
    vouchers: list = field(default_factory=list)
    voucher_merchants: list = field(default_factory=list)
    gift_cards: list = field(default_factory=list)
    gift_card_entries: list = field(default_factory=list)


class _Member:
    """One member's pass, replayed event by event with the services' rules."""

    def __init__(self, member_pass: Pass, plan: _AreaPlan, rows: _Rows, rng: random.Random, member_id: int = 0):
        self.member_pass, self.plan, self.rows, self.rng = member_pass, plan, rows, rng
        self.member_id = member_id
        self.lots: list[_Lot] = []
        self.balance = 0
        self.points_by_day: dict[date, int] = {}
        self.visits_at: dict[int, int] = {}  # shop → purchases not undone (for the first-visit bonus)
        self.vouchers: list[_Voucher] = []  # rewards chosen in the app
        self.cards: list[_Card] = []  # gift cards on the pass, soonest-expiring first

    def _key(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _entry(self, kind: str, points: int, at: datetime, rows: list | None = None, **fields) -> LedgerEntry:
        entry = LedgerEntry(member_pass=self.member_pass, kind=kind, points=points, occurred_at=at, **fields)
        entry.request_key = fields.get("request_key") or self._key()
        (self.rows.entries if rows is None else rows).append(entry)
        return entry

    def credit(self, points: int, at: datetime, kind: str, **fields) -> _Lot:
        entry = self._entry(kind, points, at, **fields)
        lot_row = PointLot(
            member_pass=self.member_pass,
            entry=entry,
            points=points,
            earned_at=at,
            expires_at=add_months(at.astimezone(self.plan.tz), self.plan.rules.expiry_months),
        )
        self.rows.lots.append(lot_row)
        lot = _Lot(lot_row, points)
        bisect.insort(self.lots, lot, key=lambda item: item.row.expires_at)
        self.balance += points
        return lot

    def debit(
        self, points: int, at: datetime, kind: str, first: _Lot | None = None, rows: list | None = None, **fields
    ) -> LedgerEntry:
        entry = self._entry(kind, -points, at, rows, **fields)
        order = ([first] if first else []) + [lot for lot in self.lots if lot is not first]
        left = points
        for lot in order:
            take = min(left, lot.remaining)
            if take <= 0:
                continue
            self.rows.allocations.append(LotAllocation(entry=entry, lot=lot.row, points=take))
            lot.remaining -= take
            left -= take
            if not left:
                break
        assert left == 0, "the demo ledger overdrew a pass"
        self.balance -= points
        return entry

    def tell_until(self, moment: datetime) -> None:
        """The expiry notices the nightly job sent up to `moment`: a lot with points left when its notice period
        began was told then (points expire only once told, `ledger._hold_untold`)."""
        notice = timedelta(days=self.plan.rules.expiry_notice_days)
        for lot in self.lots:
            if lot.row.expires_at - notice > moment:
                break
            if lot.remaining and lot.row.expiry_notified_at is None:
                # in UTC: a full 30 days of 24 hours, as the expiry job counts them, across a change of clocks too
                lot.row.expiry_notified_at = lot.row.expires_at.astimezone(UTC) - notice

    def expire_until(self, moment: datetime) -> None:
        self.tell_until(moment)
        for lot in self.lots:
            if lot.row.expires_at > moment:
                break
            if lot.remaining:
                entry = self._entry(EntryKind.EXPIRE, -lot.remaining, lot.row.expires_at)
                self.rows.allocations.append(LotAllocation(entry=entry, lot=lot.row, points=lot.remaining))
                lot.expired, self.balance, lot.remaining = lot.remaining, self.balance - lot.remaining, 0

    def _till(
        self, kind: str, shop: _Shop, at: datetime, amount: int, points: int, spent: int = 0, **fields
    ) -> TillTransaction:
        row = TillTransaction(
            merchant_id=shop.id,
            member_pass=self.member_pass,
            kind=kind,
            amount_cents=amount,
            points=points,
            balance_after=self.balance - spent + points,
            occurred_at=at,
            request_key=self._key(),
            device_id=f"kassa-{shop.id}-1",
            by_id=shop.by_id,
            **fields,
        )
        (self.rows.purchases if kind == TillKind.PURCHASE else self.rows.reversals).append(row)
        day = at.astimezone(self.plan.tz).date()
        self.points_by_day[day] = self.points_by_day.get(day, 0) + points
        return row

    def purchase(
        self,
        shop: _Shop,
        at: datetime,
        amount: int,
        receipt: str,
        *,
        voucher: _Voucher | None = None,
        reward: _Reward | None = None,
        giftcard_cents: int = 0,
    ) -> _Purchase:
        """A purchase at the till, as `award_for_purchase` records it: paid in part with a reward voucher chosen
        in the app, or a reward paid with points here, and gift-card value on the pass; only the rest earns."""
        rules = self.plan.rules
        parts, spent = {}, 0
        if voucher is not None:
            # The points were spent when the reward was chosen; the purchase names them for the settlement.
            voucher_cents = min(voucher.row.value_cents, amount)
            parts = {
                "voucher": voucher.row,
                "voucher_cents": voucher_cents,
                "reward": voucher.reward.row,
                "points_spent": -voucher.row.spend_entry.points,
            }
            voucher.used = True  # marked redeemed by this purchase once both are saved (`_write`)
        elif reward is not None:
            spent = reward.row.cost_points
            parts = {"reward": reward.row, "reward_cents": min(reward.row.value_cents, amount), "points_spent": spent}
        earning = amount - parts.get("voucher_cents", 0) - parts.get("reward_cents", 0) - giftcard_cents
        points = calculate_points(
            amount_cents=earning, points_per_euro=rules.points_per_euro, multiplier_permille=shop.multiplier
        )
        bonus = rules.first_visit_bonus_points if earning and not self.visits_at.get(shop.id) else 0
        points += bonus
        if rules.daily_cap_points:
            today = self.points_by_day.get(at.astimezone(self.plan.tz).date(), 0)
            points = max(0, min(points, rules.daily_cap_points - today))
            bonus = min(bonus, points)
        self.visits_at[shop.id] = self.visits_at.get(shop.id, 0) + 1
        row = self._till(
            TillKind.PURCHASE,
            shop,
            at,
            amount,
            points,
            spent,
            bonus_points=bonus,
            receipt_number=receipt,
            reverses=None,
            giftcard_cents=giftcard_cents,
            **parts,
        )
        if spent:
            # Before the points it earns, as the till does: the reward is paid from the balance it found.
            self.debit(
                spent,
                at,
                EntryKind.SPEND,
                merchant_id=shop.id,
                till_transaction=row,
                reason=reward.row.title[:200],
                by_id=shop.by_id,
            )
        if giftcard_cents:
            self._pay_with_cards(giftcard_cents, at, shop, row)
        lot = None
        if points:
            lot = self.credit(points, at, EntryKind.EARN, merchant_id=shop.id, till_transaction=row, by_id=shop.by_id)
            lot.row.entry.request_key = row.request_key
        return _Purchase(row, lot, shop)

    def reverse(self, purchase: _Purchase, at: datetime, kind: str, refund_cents: int = 0) -> None:
        if purchase.undone or purchase.refunded_cents >= purchase.row.amount_cents:
            return
        if kind == TillKind.UNDO:
            amount = purchase.row.amount_cents - purchase.refunded_cents
            due = purchase.row.points - purchase.due
            purchase.undone = True
            self.visits_at[purchase.shop.id] -= 1
        else:
            amount = min(refund_cents, purchase.row.amount_cents - purchase.refunded_cents)
            total = purchase.row.points * (purchase.refunded_cents + amount) // purchase.row.amount_cents
            due = total - purchase.due
        drawn = 0
        if due > 0 and purchase.lot:
            recoverable = purchase.lot.row.points - purchase.lot.expired - purchase.drawn
            drawn = max(0, min(due, recoverable, self.balance))
        row = self._till(
            kind,
            purchase.shop,
            at,
            -amount,
            -drawn,
            points_unrecovered=max(0, due - drawn),
            receipt_number=purchase.row.receipt_number,
            reverses=purchase.row,
        )
        if drawn:
            self.debit(
                drawn,
                at,
                EntryKind.REVERSE,
                first=purchase.lot,
                merchant_id=purchase.shop.id,
                till_transaction=row,
                by_id=purchase.shop.by_id,
                request_key=row.request_key,
            )
        purchase.refunded_cents += amount
        purchase.due += max(0, due)
        purchase.drawn += drawn

    def _pay_with_cards(self, cents: int, at: datetime, shop: _Shop, row: TillTransaction) -> None:
        """Gift-card value on the pass, soonest-expiring card first: a spend entry per card drawn from."""
        for card in self.cards:
            take = min(cents, card.balance)
            if take <= 0:
                continue
            self.rows.gift_card_entries.append(
                GiftCardEntry(
                    card=card.row,
                    kind=GiftCardEntryKind.SPEND,
                    amount_cents=-take,
                    occurred_at=at,
                    request_key=self._key(),
                    merchant_id=shop.id,
                    till_transaction=row,
                    by_id=shop.by_id,
                )
            )
            card.balance -= take
            cents -= take
            if not cents:
                return
        raise AssertionError("the demo overdrew a gift card")

    def gift_card_value(self) -> int:
        return sum(card.balance for card in self.cards)

    def receive_gift_card(self, card: _Card) -> None:
        self.cards.append(card)
        self.cards.sort(key=lambda item: item.row.expires_at)

    def voucher_for(self, shop: _Shop, at: datetime, amount: int) -> _Voucher | None:
        """A reward voucher the member holds that this shop takes now, worth no more than the purchase."""
        return next(
            (v for v in self.vouchers if v.usable(shop, at) and v.row.value_cents <= amount),
            None,
        )

    def rewards_for(self, shop: _Shop, amount: int) -> list[_Reward]:
        """The catalogue's rewards the member can pay with points at this till on this purchase."""
        return [
            reward
            for reward in self.plan.rewards
            if reward.taken_at(shop) and reward.row.cost_points <= self.balance and reward.row.value_cents <= amount
        ]

    def choose_reward(self, reward: _Reward, at: datetime, voucher_keys: random.Random) -> _Voucher:
        """A reward chosen in the app, as `choose_reward` records it: the points spent, a voucher in the wallet."""
        title = reward.row.title
        entry = self.debit(
            reward.row.cost_points,
            at,
            EntryKind.SPEND,
            rows=self.rows.voucher_entries,
            merchant_id=reward.merchant_id,
            reason=REWARD_REASON.format(title=title)[:200],
            by_id=self.member_id,
        )
        row = Voucher(
            area_id=self.plan.area_id,
            code=_voucher_code(voucher_keys),
            member_pass=self.member_pass,
            kind=VoucherKind.REWARD,
            value_cents=reward.row.value_cents,
            funded_by_merchant_id=reward.merchant_id,
            reward=reward.row,
            spend_entry=entry,
            valid_from=at,
            expires_at=at + timedelta(days=reward.row.voucher_valid_days),
            issued_at=at,
            issued_by_id=self.member_id,
            request_key=self._key(),
        )
        self.rows.vouchers.append(row)
        if reward.merchant_id:
            self.rows.voucher_merchants.append(Voucher.merchants.through(voucher=row, merchant_id=reward.merchant_id))
        voucher = _Voucher(row, reward)
        self.vouchers.append(voucher)
        return voucher

    def give_back(self, voucher: _Voucher, at: datetime) -> None:
        """An unused reward voucher given back in the app, as `cancel_reward_voucher` records it."""
        if voucher.used or at >= voucher.row.expires_at:
            return
        voucher.used = True
        self.credit(
            -voucher.row.spend_entry.points,
            at,
            EntryKind.REVERSE,
            merchant_id=voucher.reward.merchant_id,
            reason=GIVEN_BACK_REASON.format(title=voucher.reward.row.title)[:200],
            by_id=self.member_id,
        )
        voucher.row.expires_at = voucher.row.returned_at = at


def _pick(rewards: list[_Reward], rng: random.Random) -> _Reward:
    return rng.choices(rewards, weights=[reward.weight for reward in rewards])[0]


def _voucher_code(rng: random.Random) -> str:
    """A voucher code as `new_voucher_code` makes them, from the demo's random stream (45 bits: no collisions)."""
    payload = "".join(rng.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_CODE_LENGTH - 1))
    return payload + voucher_check_character(payload)


def _gift_card_number(rng: random.Random, taken: set[str]) -> str:
    while True:
        payload = GIFT_CARD_PREFIX + "".join(str(rng.randint(0, 9)) for _ in range(GIFT_CARD_NUMBER_LENGTH - 2))
        number = payload + luhn_check_digit(payload)
        if number not in taken:
            taken.add(number)
            return number


def _sell_gift_card(
    plan: _AreaPlan, rows: _Rows, rng: random.Random, ctx: DemoContext, at: datetime, member_pass=None, pin_hash=""
) -> _Card:
    """A gift card sold at the desk at `at` with its load entry, as `sell_gift_card` records it."""
    amount = rng.choices([cents for cents, _w in GIFT_AMOUNTS], weights=[w for _c, w in GIFT_AMOUNTS])[0]
    row = GiftCard(
        area_id=plan.area_id,
        number=_gift_card_number(rng, ctx.extra.setdefault("loyalty.gift_card_numbers", set())),
        pin_hash=pin_hash,
        member_pass=member_pass,
        issued_at=at,
        expires_at=giftcard_expiry(plan.area, at, plan.rules),
        sold_by_id=plan.manager_id,
        sold_via="desk",
    )
    rows.gift_cards.append(row)
    rows.gift_card_entries.append(
        GiftCardEntry(
            card=row,
            kind=GiftCardEntryKind.LOAD,
            amount_cents=amount,
            occurred_at=at,
            request_key=uuid.UUID(int=rng.getrandbits(128), version=4),
            by_id=plan.manager_id,
        )
    )
    return _Card(row, amount)


def _gift_sale_at(plan: _AreaPlan, rng: random.Random, first_day: int = 0) -> datetime | None:
    """When the desk sells a gift card: a day weighted by the shop days and the holiday season, in opening time."""
    low = plan.gift_cum_weights[first_day - 1] if first_day else 0.0
    high = plan.gift_cum_weights[-1]
    if first_day >= len(plan.days) or high <= low:
        return None
    index = min(bisect.bisect_right(plan.gift_cum_weights, rng.uniform(low, high)), len(plan.days) - 1)
    minute = rng.randint(10 * 60, 17 * 60 - 1)
    return datetime.combine(plan.days[max(index, first_day)], time(minute // 60, minute % 60), tzinfo=plan.tz)


# --- The step ------------------------------------------------------------------------------------------------


def _visit_count(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method for small means, a rounded normal for large ones)."""
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, n, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        n += 1
        product *= rng.random()
    return n


def _random_pass(rng: random.Random, taken: set[str]) -> tuple[str, str]:
    while True:
        payload = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(CARD_NUMBER_LENGTH - 2))
        number = payload + luhn_check_digit(payload)
        if number not in taken:
            taken.add(number)
            return number, base64.b32encode(rng.randbytes(20)).decode("ascii")


def _simulate(
    profile, plan: _AreaPlan, ctx: DemoContext, rows: _Rows, rng: random.Random, keys, receipts, spends: random.Random
) -> None:
    """One member's year. `rng` draws the visits, `keys` the request keys and codes, `spends` what the member pays
    with (rewards, vouchers, gift cards): a stream of its own, so that the visits do not depend on it."""
    card_number, secret = _random_pass(keys, ctx.extra.setdefault("loyalty.card_numbers", set()))
    with_profile = (profile.user_id, plan.area_id) in ctx.extra["loyalty.profile_consent"]
    member_pass = Pass(
        area_id=plan.area_id,
        member_id=profile.user_id,
        card_number=card_number,
        totp_secret=secret,
        postcode=profile.postcode if with_profile else "",
        age_band=AGE_BAND.get(profile.age_band, profile.age_band) if with_profile else "",
        joined_at=profile.joined_at,
    )
    rows.passes.append(member_pass)
    member = _Member(member_pass, plan, rows, keys, profile.user_id)
    visits_per_month, till_share, app_share, gift_share = (
        profile.visits_per_month,
        TILL_REWARD_SHARE,
        APP_REWARD_SHARE,
        GIFT_ON_PASS_SHARE,
    )
    showcase, in_the_app_next = profile.user_id in ctx.extra["loyalty.showcase"], False
    if showcase:
        visits_per_month = max(visits_per_month, SHOWCASE_VISITS_PER_MONTH)
        (till_share, app_share), gift_share = SHOWCASE_SHARES, 1.0
    if plan.rules.welcome_bonus_points:
        member.credit(plan.rules.welcome_bonus_points, profile.joined_at, EntryKind.EARN, reason=WELCOME_REASON)

    # A handful of regular shops, plus the odd visit anywhere.
    favourites = list(dict.fromkeys(rng.choices(plan.shops, weights=plan.shop_weights, k=rng.randint(3, 7))))
    regulars = {shop.id for shop in favourites}
    end = datetime.combine(ctx.today, time(3), tzinfo=plan.tz)  # as the nightly expiry job left it
    first_day = max(0, (profile.joined_at.astimezone(plan.tz).date() - plan.days[0]).days + 1)
    low = plan.cum_weights[min(first_day, len(plan.days)) - 1] if first_day else 0.0
    high = plan.cum_weights[-1]
    months = max(0, len(plan.days) - first_day) / 30.4
    events: list = []
    sequence = count()
    for _visit in range(_visit_count(rng, visits_per_month * months) if high > low else 0):
        index = min(bisect.bisect_right(plan.cum_weights, rng.uniform(low, high)), len(plan.days) - 1)
        day = plan.days[max(index, first_day)]
        candidates = favourites if rng.random() < 0.8 else plan.shops
        open_shops = [(shop, hours) for shop in candidates if (hours := _hours_on(plan, shop, day))]
        if not open_shops:
            continue
        shop, hours = rng.choice(open_shops)
        opens, closes = rng.choice(hours)
        minute = int(opens + (closes - opens - 2) * rng.triangular(0, 1, 0.55))
        at = datetime.combine(day, time(minute // 60, minute % 60, rng.randint(0, 59)), tzinfo=plan.tz)
        median, spread = SPEND[shop.sector]
        amount = max(150, int(rng.lognormvariate(math.log(median), spread)))
        heapq.heappush(events, (at, next(sequence), "visit", (shop, amount)))
        # Analytics' demo (analytics/demo_effects.py) injects a known campaign effect: extra visits at the same
        # shop on the same day, drawn from its own random stream so the rest of the year stays as it was.
        if (inject := ctx.extra.get("loyalty.visit_injector")) is not None:
            for _extra in range(inject.extra_visits(plan.area_id, shop.id, day)):
                minute = int(opens + (closes - opens - 2) * inject.rng.random())
                second = inject.rng.randint(0, 59)
                extra_at = datetime.combine(day, time(minute // 60, minute % 60, second), tzinfo=plan.tz)
                extra_amount = max(150, int(inject.rng.lognormvariate(math.log(median), spread)))
                heapq.heappush(events, (extra_at, next(sequence), "visit", (shop, extra_amount)))
    # A gift card on the pass, given by someone who bought it at the desk (most before the holidays).
    if spends.random() < gift_share and (sold_at := _gift_sale_at(plan, spends, first_day)):
        heapq.heappush(events, (sold_at, next(sequence), "gift card", None))

    while events:
        at, _seq, kind, payload = heapq.heappop(events)
        if at >= end:
            continue
        member.expire_until(at)
        if kind == "visit":
            shop, amount = payload
            receipts[shop.id] = receipts.get(shop.id, 0) + 1
            receipt = f"{receipts[shop.id]:06d}" if rng.random() < 0.4 else ""
            if rng.random() < TYPO_SHARE:
                # €45,50 typed as €455,00: undone a minute later, then scanned again with the right amount.
                typo = member.purchase(shop, at, amount * 10, receipt)
                heapq.heappush(events, (at + timedelta(minutes=1), next(sequence), "undo", typo))
                heapq.heappush(events, (at + timedelta(minutes=2), next(sequence), "visit", (shop, amount)))
                continue
            paid_with = {}
            voucher = member.voucher_for(shop, at, amount)
            if voucher is not None and spends.random() < VOUCHER_USE_SHARE:
                paid_with["voucher"] = voucher
            elif not in_the_app_next and (rewards := member.rewards_for(shop, amount)) and spends.random() < till_share:
                paid_with["reward"] = _pick(rewards, spends)
                in_the_app_next = showcase
            if member.cards and spends.random() < GIFT_CARD_USE_SHARE:
                left = amount - (voucher.row.value_cents if "voucher" in paid_with else 0)
                left -= paid_with["reward"].row.value_cents if "reward" in paid_with else 0
                # All of it when the card holds enough, else what is on it (the rest in money): a card used up.
                paid_with["giftcard_cents"] = min(left, member.gift_card_value())
            purchase = member.purchase(shop, at, amount, receipt, **paid_with)
            if rng.random() < REFUND_SHARE:
                cents = amount if rng.random() < 0.4 else int(amount * rng.uniform(0.2, 0.8))
                later = at + timedelta(days=rng.randint(1, 14), minutes=rng.randint(-60, 60))
                heapq.heappush(events, (later, next(sequence), "refund", (purchase, max(1, cents))))
            if (in_the_app_next or not showcase) and spends.random() < app_share:
                # Home again, the member chooses a reward in the app.
                heapq.heappush(events, (at + timedelta(hours=spends.uniform(1, 6)), next(sequence), "choose", None))
        elif kind == "choose":
            # A reward the member can use: the collective's, or one of a shop they go to.
            affordable = [
                reward
                for reward in plan.rewards
                if reward.row.cost_points <= member.balance and reward.merchant_id in (None, *regulars)
            ]
            if affordable:
                voucher = member.choose_reward(_pick(affordable, spends), at, keys)
                in_the_app_next = False
                if spends.random() < VOUCHER_GIVEN_BACK_SHARE:
                    back_at = at + timedelta(days=spends.randint(1, 20), hours=spends.uniform(0, 8))
                    heapq.heappush(events, (back_at, next(sequence), "give back", voucher))
        elif kind == "give back":
            member.give_back(payload, at)
        elif kind == "gift card":
            member.receive_gift_card(_sell_gift_card(plan, rows, spends, ctx, at, member_pass=member_pass))
        elif kind == "undo":
            member.reverse(payload, at, TillKind.UNDO)
        else:
            purchase, cents = payload
            member.reverse(purchase, at, TillKind.REFUND, cents)
    member.expire_until(end)
    member.tell_until(end)
    member_pass.points_balance = member.balance
    for lot in member.lots:
        lot.row.remaining = lot.remaining
    for card in member.cards:
        card.row.balance_cents = card.balance


def _standalone_gift_cards(plan: _AreaPlan, ctx: DemoContext, rows: _Rows, rng: random.Random, count_: int) -> None:
    """Standalone cards (number and PIN) sold at the desk over the year, each spent by its new owner in a few
    payments at the area's shops, as `spend_gift_card` records them: some used up, some partly, a few not yet."""
    end = datetime.combine(ctx.today, time(3), tzinfo=plan.tz)
    pin_hash = ctx.extra.setdefault("loyalty.gift_card_pin", make_password(GIFT_PIN))
    for _card in range(count_):
        sold_at = _gift_sale_at(plan, rng)
        if sold_at is None:
            return
        card = _sell_gift_card(plan, rows, rng, ctx, sold_at, pin_hash=pin_hash)
        at = last = sold_at
        while card.balance and rng.random() < 0.85:  # else it lies in a drawer
            at += timedelta(days=rng.expovariate(1 / 20))
            day = at.astimezone(plan.tz).date()
            if at >= end or day >= ctx.today:
                break
            shop = rng.choices(plan.shops, weights=plan.shop_weights)[0]
            if not (hours := _hours_on(plan, shop, day)):
                continue  # closed that day: another day
            opens, closes = rng.choice(hours)
            minute = rng.randint(opens, closes - 1)
            at = datetime.combine(day, time(minute // 60, minute % 60, rng.randint(0, 59)), tzinfo=plan.tz)
            if not last < at < end:  # the card's entries in the order they happened
                continue
            last = at
            median, spread = SPEND[shop.sector]
            take = min(card.balance, max(150, int(rng.lognormvariate(math.log(median), spread))))
            rows.gift_card_entries.append(
                GiftCardEntry(
                    card=card.row,
                    kind=GiftCardEntryKind.SPEND,
                    amount_cents=-take,
                    occurred_at=at,
                    request_key=uuid.UUID(int=rng.getrandbits(128), version=4),
                    merchant_id=shop.id,
                    by_id=shop.by_id,
                )
            )
            card.balance -= take
        card.row.balance_cents = card.balance


def _write(rows: _Rows) -> None:
    Pass.objects.bulk_create(rows.passes)
    # Instances, not ids, link the rows: each is saved before the rows that point at it.
    LedgerEntry.objects.bulk_create(rows.voucher_entries)
    Voucher.objects.bulk_create(rows.vouchers)
    Voucher.merchants.through.objects.bulk_create(rows.voucher_merchants)
    TillTransaction.objects.bulk_create(rows.purchases)
    TillTransaction.objects.bulk_create(rows.reversals)
    LedgerEntry.objects.bulk_create(rows.entries)
    PointLot.objects.bulk_create(rows.lots)
    LotAllocation.objects.bulk_create(rows.allocations)
    GiftCard.objects.bulk_create(rows.gift_cards)
    GiftCardEntry.objects.bulk_create(rows.gift_card_entries)
    if rows.vouchers:
        # A voucher and the purchase that used it point at each other: the voucher learns its purchase last, in one
        # statement (as `mark_voucher_redeemed` sets it: the purchase and its time).
        used_by = TillTransaction.objects.filter(voucher=OuterRef("pk"), kind=TillKind.PURCHASE).order_by()
        Voucher.objects.filter(pk__gte=rows.vouchers[0].pk, pk__lte=rows.vouchers[-1].pk).filter(
            Exists(used_by)
        ).update(
            redeemed_by=Subquery(used_by.values("pk")[:1]), redeemed_at=Subquery(used_by.values("occurred_at")[:1])
        )


@demo_step(order=100, name="loyalty.passes")
def create_passes(ctx: DemoContext) -> None:
    """Each area's rules, multipliers and rewards catalogue, a pass for every member (the profile only for those
    who consented to analytics), and a year of visits with undos, refunds, rewards redeemed, expiries and gift
    cards."""
    rng, keys, spends = ctx.rng("loyalty.visits"), ctx.rng("loyalty.keys"), ctx.rng("loyalty.spends")
    plans = {slug: _area_plan(ctx, slug, ctx.rng(f"loyalty.area.{slug}")) for slug in ctx.areas}
    ctx.count("rewards", sum(len(plan.rewards) for plan in plans.values()))
    member_logins = [login.email for login in ctx.logins if login.role == "member"]
    ctx.extra["loyalty.showcase"] = set(
        get_user_model().objects.filter(email__in=member_logins).values_list("pk", flat=True)
    )
    ctx.extra["loyalty.profile_consent"] = set(
        CurrentConsent.objects.filter(purpose__code=Purpose.ANALYTICS, state="given").values_list(
            "subject_id", "area_id"
        )
    )
    receipts: dict[int, int] = {}
    simulating = writing = 0.0
    for batch in ctx.member_batches():
        started = perf_counter()
        rows = _Rows()
        for profile in batch:
            _simulate(profile, plans[profile.area_slug], ctx, rows, rng, keys, receipts, spends)
        simulating += perf_counter() - started
        started = perf_counter()
        _write(rows)
        writing += perf_counter() - started
        ctx.count("passes", len(rows.passes))
        ctx.count("till transactions", len(rows.purchases) + len(rows.reversals))
        ctx.count("ledger entries", len(rows.entries) + len(rows.voucher_entries))
        ctx.count("rewards chosen", len(rows.vouchers))
        ctx.count("gift cards", len(rows.gift_cards))
        ctx.count("gift-card entries", len(rows.gift_card_entries))
    # The standalone cards (no pass holds them), in proportion to the area's members.
    started, rows, gifts = perf_counter(), _Rows(), ctx.rng("loyalty.gift_cards")
    for slug, plan in plans.items():
        members = sum(1 for member in ctx.members if member.area_slug == slug)
        _standalone_gift_cards(plan, ctx, rows, gifts, round(members * GIFT_STANDALONE_SHARE))
    _write(rows)
    writing += perf_counter() - started
    ctx.count("gift cards", len(rows.gift_cards))
    ctx.count("gift-card entries", len(rows.gift_card_entries))
    ctx.log(f"  loyalty: {simulating:.1f} s simulating the year, {writing:.1f} s writing it")


@demo_wipe(order=100, name="loyalty.passes")
def wipe_passes(scope: WipeScope) -> None:
    """Every pass in a demo area or of a demo person, or touched by one, with its whole history.

    One statement per table over all those passes (not row by row: the large demo has millions of rows).
    """
    users, in_areas = scope.users, scope.area_ids
    # Passes elsewhere that demo staff acted on, or a pass scanned at a demo shop: normally none.
    touched = {
        *LedgerEntry.objects.filter(Q(by__in=users) | Q(approved_by__in=users))
        .exclude(member_pass__area_id__in=in_areas)
        .values_list("member_pass_id", flat=True),
        *TillTransaction.objects.filter(Q(by__in=users) | Q(merchant__area_id__in=in_areas))
        .exclude(member_pass__area_id__in=in_areas)
        .values_list("member_pass_id", flat=True),
    }
    passes = Pass.objects.filter(Q(area_id__in=in_areas) | Q(member__in=users) | Q(pk__in=touched))
    pass_ids = passes.values("pk")
    # What hangs off the passes and the areas: gift cards, vouchers, the catalogue, campaigns, statements.
    offers = [
        # Corrections point at passes, ledger entries and people.
        (
            PointsCorrection,
            Q(area_id__in=in_areas) | Q(member_pass__in=pass_ids) | Q(requested_by__in=users) | Q(decided_by__in=users),
        ),
        # A statement's payment goes before the statement.
        (SettlementPayment, Q(statement__area_id__in=in_areas)),
        (SettlementStatement, Q(area_id__in=in_areas)),
        # The webshop's points per merchant hang off ledger entries: they go before the entries.
        (OnlinePointsShare, Q(entry__member_pass__in=pass_ids) | Q(merchant__area_id__in=in_areas)),
        # A card's blocks and PIN locks (the desk's), then its entries, then the card.
        (GiftCardChange, Q(card__area_id__in=in_areas) | Q(card__member_pass__in=pass_ids) | Q(by__in=users)),
        (GiftCardEntry, Q(card__area_id__in=in_areas) | Q(card__member_pass__in=pass_ids)),
        (GiftCard, Q(area_id__in=in_areas) | Q(member_pass__in=pass_ids)),
        (Voucher, Q(area_id__in=in_areas) | Q(member_pass__in=pass_ids)),
        (Reward, Q(area_id__in=in_areas)),
        (Campaign, Q(area_id__in=in_areas)),
    ]
    only_demo = not Pass.objects.exclude(pk__in=pass_ids).exists() and not any(
        model._base_manager.exclude(condition).exists() for model, condition in offers
    )
    if connection.vendor == "postgresql" and only_demo:
        # Only demo passes exist (the usual case): empty the tables at once. TRUNCATE skips the per-row
        # foreign-key checks (minutes for the large demo) and the append-only triggers, which are per row.
        tables = [LotAllocation, PointLot, LedgerEntry, TillTransaction, Pass]
        tables += [model for model, _condition in offers]
        tables += [Voucher.merchants.through, Campaign.merchants.through]
        with connection.cursor() as cursor:
            # TRUNCATE refuses while deferred foreign-key checks are pending: run them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(connection.ops.quote_name(t._meta.db_table) for t in tables)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return
    # Statement by statement, in an order the PROTECT checks of `delete_many` accept (the raw deletes of the
    # append-only tables are checked by the database at commit).
    # corrections, payments, statements, webshop shares, gift cards; then vouchers, rewards, campaigns
    first, later = offers[:7], offers[7:]
    # Vouchers point at ledger entries and till transactions: let go of them first (vouchers are not append-only).
    Voucher._base_manager.filter(later[0][1]).update(spend_entry=None, redeemed_by=None, redeemed_at=None)
    for model, condition in first:
        if issubclass(model, AppendOnlyModel):
            delete_append_only(model, condition)
        else:
            delete_many(model._base_manager.filter(condition))
    delete_append_only(LotAllocation, Q(entry__member_pass__in=pass_ids))
    delete_many(PointLot.objects.filter(member_pass__in=pass_ids))
    delete_append_only(LedgerEntry, Q(member_pass__in=pass_ids))
    delete_append_only(TillTransaction, Q(member_pass__in=pass_ids))
    for model, condition in later:
        delete_many(model._base_manager.filter(condition))
    delete_many(passes)


# --- Campaigns, rewards, vouchers and gift cards ----------------------------------------------------------------


def _demo_key(ctx: DemoContext, slug: str, what: str) -> uuid.UUID:
    """A request key that is the same for the same seed: seeding twice never makes a second of anything."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"agora-demo/{ctx.seed}/{slug}/{what}")


def _manager_of(area):
    membership = (
        StaffMembership.objects.filter(area=area, role=Role.AREA_MANAGER, ended_at__isnull=True)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


#: The campaigns' names and descriptions in English (by their Dutch name).
CAMPAIGNS_EN = {
    "Koopavonden december: dubbele punten": (
        "Late-night shopping in December: double points",
        "On the late shopping nights in December the shops are open until 9 pm. You collect double points all month.",
    ),
    "Versweken: dubbele punten bij de speciaalzaak": (
        "Fresh weeks: double points at the specialist shops",
        "At the baker's, the butcher's, the cheese shop and the fishmonger's you collect double points for four weeks.",
    ),
    "We missen je: 50 extra punten": (
        "We miss you: 50 extra points",
        "Not been to the town centre for a while? Your next purchase earns 50 extra points, and a voucher is waiting"
        " for you.",
    ),
    "Zomermarkt: drie keer punten": (
        "Summer market: triple points",
        "Three days of summer market in the town centre: triple points in every participating shop.",
    ),
}


def _campaigns(area, ctx: DemoContext, manager) -> list[Campaign]:
    """A past late-night shopping campaign, a current one for a sector and one for lapsed members, a future one."""
    today = ctx.today
    last_december = date(today.year - 1 if today.month < 12 else today.year, 12, 1)
    specs = [
        ("Koopavonden december: dubbele punten", CampaignKind.MULTIPLIER, 2000, 0, last_december, 31, [], ""),
        (
            "Versweken: dubbele punten bij de speciaalzaak",
            CampaignKind.MULTIPLIER,
            2000,
            0,
            today - timedelta(days=7),
            28,
            [Sector.FOOD_SPECIALTY, Sector.GROCERIES],
            "",
        ),
        ("We missen je: 50 extra punten", CampaignKind.BONUS, 1000, 50, today - timedelta(days=3), 30, [], "lapsed"),
        ("Zomermarkt: drie keer punten", CampaignKind.MULTIPLIER, 3000, 0, today + timedelta(days=60), 3, [], ""),
    ]
    descriptions = {
        "Koopavonden december: dubbele punten": "Op de koopavonden in december zijn de winkels open tot 21.00 uur. "
        "Je spaart die hele maand dubbele punten.",
        "Versweken: dubbele punten bij de speciaalzaak": "Bij de bakker, de slager, de kaaswinkel en de visboer spaar "
        "je vier weken lang dubbele punten.",
        "We missen je: 50 extra punten": "Een tijdje niet in de binnenstad geweest? Bij je volgende aankoop krijg "
        "je 50 punten extra, en er staat een waardebon voor je klaar.",
        "Zomermarkt: drie keer punten": "Drie dagen zomermarkt in de binnenstad: in elke deelnemende winkel drie "
        "keer punten.",
    }
    made = []
    for name, kind, multiplier, bonus, first_day, days, sectors, segment in specs:
        name_en, description_en = CAMPAIGNS_EN[name]
        made.append(
            Campaign.objects.create(
                area=area,
                name=name,
                description=descriptions[name],
                name_en=name_en,
                description_en=description_en,
                starts_at=ctx.at(area, first_day, 9),
                ends_at=ctx.at(area, first_day + timedelta(days=days), 0),  # midnight: the last day is whole
                sectors=[str(sector) for sector in sectors],
                kind=kind,
                multiplier_permille=multiplier,
                bonus_points=bonus,
                segment=segment,
                funded_by=Funder.COLLECTIVE,
                created_by=manager,
            )
        )
    return made


@demo_step(order=110, name="loyalty.offers")
def create_offers(ctx: DemoContext) -> None:
    """Per area, yesterday: campaigns, rewards chosen by members, vouchers, gift cards sold at the desk and paid
    with at the till, all through the services (a few dozen calls)."""
    from . import services

    rng = ctx.rng("loyalty.offers")
    for slug, area in ctx.areas.items():
        manager = _manager_of(area)
        if manager is None:
            continue
        # Yesterday late morning, like the year of visits (which ends yesterday): a demo seeded before eleven
        # would otherwise hold purchases, vouchers and rewards still to come.
        now = ctx.at(area, ctx.today - timedelta(days=1), 11)
        campaigns = _campaigns(area, ctx, manager)
        ctx.count("campaigns", len(campaigns))
        merchants = list(Merchant.objects.filter(area=area, status=MerchantStatus.ACTIVE).order_by("pk"))
        rewards = list(Reward.objects.filter(area=area).order_by("pk"))  # the catalogue of the year (`_catalogue`)
        # Vouchers for the lapsed members who consented to offers, and a few printed in the local paper.
        issued = services.issue_campaign_vouchers(
            campaign=campaigns[2], kind=VoucherKind.FIXED, value_cents=500, valid_days=30, by=manager, now=now
        )
        for number in range(3):
            services.issue_voucher(
                area=area,
                kind=VoucherKind.FIXED,
                value_cents=250,
                expires_at=now + timedelta(days=60),
                by=manager,
                request_key=_demo_key(ctx, slug, f"paper-voucher-{number}"),
                valid_from=now - timedelta(days=1),
            )
        ctx.count("vouchers", issued + 3)
        # Members with points choose a reward in the app.
        rich = list(Pass.objects.filter(area=area, points_balance__gte=600).order_by("-points_balance", "pk")[:12])
        for member_pass in rich:
            reward = rng.choice(rewards[:2])
            services.choose_reward(
                pass_id=member_pass.pk,
                reward_id=reward.pk,
                by=member_pass.member,
                request_key=_demo_key(ctx, slug, f"reward-{member_pass.pk}"),
                now=now,
            )
        ctx.count("rewards chosen", len(rich))
        # Gift cards sold at the desk over the last weeks: some on a member's pass, some standalone with a PIN.
        holders = list(Pass.objects.filter(area=area).order_by("pk")[:200])
        for number in range(10):
            sold_at = now - timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 5))
            on_pass = holders and number % 2 == 0
            services.sell_gift_card(
                area=area,
                amount_cents=rng.choice([1000, 2000, 2500, 5000]),
                by=manager,
                request_key=_demo_key(ctx, slug, f"giftcard-{number}"),
                member_pass=rng.choice(holders) if on_pass else None,
                pin="" if on_pass else "1234",
                now=sold_at,
            )
        ctx.count("gift cards", 10)
        # A few purchases at the till paid partly with a gift card on the pass or a voucher from the paper.
        cashiers = {
            membership.merchant_id: membership.user
            for membership in StaffMembership.objects.filter(
                merchant__area=area, role=Role.MERCHANT_OWNER, ended_at__isnull=True
            ).select_related("user")
        }
        # Shops, not restaurants: these checkouts happen in the morning before eleven.
        tills = [m for m in merchants if m.pk in cashiers and m.sector != Sector.HOSPITALITY]
        paper = list(Voucher.objects.filter(area=area, member_pass__isnull=True, kind=VoucherKind.FIXED).order_by("pk"))
        # Each on another pass: the checkouts go back in time, and a pass's app code of an earlier step would be
        # refused once a later one was used.
        carded = list(
            GiftCard.objects.filter(area=area, member_pass__isnull=False, balance_cents__gte=200)
            .select_related("member_pass")
            .order_by("pk")
        )
        first_cards: dict[int, GiftCard] = {}
        for card in carded:
            first_cards.setdefault(card.member_pass_id, card)
        checkouts = [(card.member_pass, card.balance_cents // 2, None) for card in list(first_cards.values())[:3]]
        others = [member_pass for member_pass in holders if member_pass.pk not in first_cards]
        checkouts += [(others[index], 0, voucher.code) for index, voucher in enumerate(paper[:2])]
        for number, (member_pass, giftcard_cents, voucher_code) in enumerate(checkouts):
            if not tills:
                break
            merchant = tills[number % len(tills)]
            at = now - timedelta(minutes=20 * (number + 1))  # from 10:40 back to 09:20, while the shops are open
            services.award_for_purchase(
                merchant=merchant,
                code=qr_payload(member_pass.card_number, totp.code_at(member_pass.totp_secret, at)),
                amount_cents=giftcard_cents + rng.randint(800, 4000),
                request_key=_demo_key(ctx, slug, f"checkout-{number}"),
                by=cashiers[merchant.pk],
                giftcard_cents=giftcard_cents,
                voucher_code=voucher_code or "",
                now=at,
            )
        ctx.count("checkouts with a gift card or voucher", len(checkouts) if tills else 0)


@demo_step(order=350, name="loyalty.settlement")
def create_statements(ctx: DemoContext) -> None:
    """Per area: the month before last settled as a collective does — every merchant's statement issued on the
    3rd of last month, and most of them paid in the two weeks after (a few still open, each way). Last month stays
    a draft for the manager to issue. After the webshop's orders (which earn points in those months), through
    the services."""
    from . import services

    rng = ctx.rng("loyalty.settlement")
    this_month = ctx.today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    first = (last_month - timedelta(days=1)).replace(day=1)
    period = services.month_period(first.year, first.month)
    for area in ctx.areas.values():
        manager = _manager_of(area)
        if manager is None:
            continue
        issued_at = ctx.at(area, last_month + timedelta(days=2), 10)
        merchants = Merchant.objects.filter(area=area).order_by("trade_name", "pk")
        statements = [
            services.issue_statement(
                merchant=merchant, first_day=period[0], last_day=period[1], by=manager, now=issued_at
            )
            for merchant in merchants
        ]
        ctx.count("settlement statements", len(statements))
        paid = 0
        for statement in statements:
            if statement.net_cents == 0 or rng.random() < 0.2:
                continue
            paid_on = last_month + timedelta(days=rng.randint(4, 17))
            statement.area = area  # no query per statement for its area
            services.record_payment(
                statement=statement,
                paid_on=paid_on,
                reference=f"AFR-{statement.sequence:05d}",
                by=manager,
                now=ctx.at(area, paid_on, 16),
            )
            paid += 1
        ctx.count("settlement payments", paid)


@demo_step(order=360, name="loyalty.corrections")
def create_corrections(ctx: DemoContext) -> None:
    """Per area: two corrections of members' points — a small one the first manager applied last week, and a
    large one the second manager asked for yesterday, waiting for the first (the demo's manager login) to apply."""
    from . import services

    rng = ctx.rng("loyalty.corrections")
    for area in ctx.areas.values():
        managers = [
            membership.user
            for membership in StaffMembership.objects.filter(area=area, role=Role.AREA_MANAGER, ended_at__isnull=True)
            .select_related("user")
            .order_by("pk")[:2]
        ]
        pass_ids = list(
            Pass.objects.filter(area=area, status=PassStatus.ACTIVE).order_by("pk").values_list("pk", flat=True)
        )
        if len(managers) < 2 or len(pass_ids) < 2:
            continue
        small, large = rng.sample(pass_ids, 2)
        services.correct_points(
            pass_id=small,
            points=25,
            reason="Aankoop niet gescand: de kassa lag eruit",
            by=managers[0],
            request_key=_demo_key(ctx, area.slug, "correction-small"),
            now=ctx.at(area, ctx.today - timedelta(days=6), 11),
        )
        threshold = LoyaltySettings.for_area(area).adjustment_approval_threshold
        services.correct_points(
            pass_id=large,
            points=threshold + 150,
            reason="Punten van een grote aankoop niet gescand (bon getoond aan de balie)",
            by=managers[1],
            request_key=_demo_key(ctx, area.slug, "correction-large"),
            now=ctx.at(area, ctx.today - timedelta(days=1), 15),
        )
        ctx.count("points corrections", 2)
