"""Settlement between the collective and its merchants: what each merchant owes or is owed for a period.

For merchant M and a period of whole local days [first_day, last_day] in the area's time zone (`area.tz`),
rows count by their `occurred_at` in [first_day 00:00, last_day + 1 00:00) local time:

1. **Points issued** (M pays the scheme): Σ `TillTransaction.points` over M's till transactions (undo and
   refund rows are negative, so reversals net out), plus Σ `OnlinePointsShare.points` of M's shares of the
   webshop's ledger entries (by the entry's `occurred_at`; a refund's shares are negative), minus Σ
   `campaign_points` of the till rows and shares whose campaign is funded by the collective (the collective pays
   for its own campaigns). Fee = points × `issue_fee_millicents_per_point`. So a till receipt's points can be
   more than the statement charges: `CampaignPoints` counts the campaign points by who pays for them, and the
   statement shows the points earned, the collective's campaign points (not charged) and the points issued.
2. **Points redeemed** (the scheme pays M back): Σ `points_spent` over M's till transactions whose reward is
   funded by the collective (`reward.merchant` empty); rewards a merchant funds are not reimbursed.
   Refund = points × `redeem_refund_millicents_per_point`.
3. **Collective vouchers** (paid back in full): Σ `voucher_cents` over M's till transactions whose voucher is
   not a reward voucher (`kind != "reward"`) and is funded by the collective (`funded_by_merchant` empty).
4. **Gift cards taken** (paid back, less a commission): −Σ `GiftCardEntry.amount_cents` over the entries with
   `merchant = M` and kind spend or reverse, with or without a till transaction (standalone card spends
   count). Commission = takings × `giftcard_commission_permille` / 1000, on a line of its own.

Money: every line is computed in integer millicents (1/1000 cent) and rounded once, to whole cents, half up
(away from zero, so a line's size does not depend on its sign). No floats anywhere. The net is the exact sum
of the lines' cents: positive, the merchant owes the collective; negative, the collective pays the merchant.

Every line is traceable: `statement_detail_rows` yields each till transaction, webshop share (named by its
ledger entry and the order number) and gift-card entry with its share of each quantity, computed by the same
database expressions as the totals, so the rows always add up to the lines.

Rates are the area's rates when a statement is computed. `issue_statement` stores a closed period's
statement once (`SettlementStatement`, append-only) with its rates and amounts; later it is shown from the
stored numbers. An open period, or one not issued yet, is a draft computed live.

Payment: `record_payment` records once that an issued statement was settled in full (`SettlementPayment`,
append-only: the day the money moved, the net as its amount, the bank transfer's reference). A statement with a
zero net has nothing to pay. The overview totals what issued statements still leave open, each way.

Every read runs a fixed number of queries, whatever the number of rows (sums in the database; detail rows
are streamed with `.iterator()`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Max, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can

from ..exceptions import (
    InvalidPaymentDate,
    InvalidPaymentReference,
    LoyaltyError,
    NotAllowed,
    NothingToPay,
    StatementNotIssued,
)
from ..models import (
    EntryKind,
    Funder,
    GiftCardEntry,
    GiftCardEntryKind,
    LoyaltySettings,
    OnlinePointsShare,
    SettlementPayment,
    SettlementStatement,
    TillTransaction,
    VoucherKind,
    online_order,
)

#: Issuing a statement is the area manager's (the people who see the collective's overview).
ISSUE_ACTION = "loyalty.issue_settlement"
#: Recording that an issued statement was paid is the area manager's too (a separate action, so that it can
#: be given to someone else, a treasurer say, without the right to issue).
PAYMENT_ACTION = "loyalty.record_settlement_payment"
#: A bank transfer's reference (SEPA allows 35 structured or 140 free characters; 60 covers what people type).
REFERENCE_MAX_LENGTH = 60
#: The longest period one statement may cover.
MAX_PERIOD_DAYS = 366
MILLICENTS_PER_CENT = 1000


class InvalidPeriod(LoyaltyError):
    default_message = _("Choose a period of whole days: the first day on or before the last, at most a year.")


class PeriodNotClosed(LoyaltyError):
    default_message = _("A statement can be issued only after the last day of its period.")


class OverlappingStatement(LoyaltyError):
    default_message = _("Another issued statement of this merchant covers part of this period.")


# --- Periods --------------------------------------------------------------------------------------------


def check_period(first_day: date, last_day: date) -> None:
    """Raise InvalidPeriod unless [first_day, last_day] is a period of 1 to 366 whole days."""
    if last_day < first_day or (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidPeriod()


def month_period(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a calendar month."""
    first_day = date(year, month, 1)
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return first_day, next_month - timedelta(days=1)


def local_window(area, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """[start, end) of the period in the area's zone: local midnight of the first day to that after the last."""
    tz = area.tz
    return datetime.combine(first_day, time.min, tzinfo=tz), datetime.combine(
        last_day + timedelta(days=1), time.min, tzinfo=tz
    )


def is_closed(area, last_day: date, *, now: datetime | None = None) -> bool:
    """Has the period's last local day ended?"""
    return last_day < timezone.localdate(now or timezone.now(), timezone=area.tz)


# --- Rates, quantities and lines (pure) -----------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    issue_fee_millicents_per_point: int
    redeem_refund_millicents_per_point: int
    giftcard_commission_permille: int

    @classmethod
    def of_area(cls, area) -> Rates:
        rules = LoyaltySettings.for_area(area)
        return cls(
            rules.issue_fee_millicents_per_point,
            rules.redeem_refund_millicents_per_point,
            rules.giftcard_commission_permille,
        )


@dataclass(frozen=True)
class Quantities:
    """What the four rules count for one merchant and period (points, or cents)."""

    points_issued: int = 0
    points_redeemed: int = 0
    voucher_cents: int = 0
    giftcard_cents: int = 0

    def __add__(self, other: Quantities) -> Quantities:
        return Quantities(
            self.points_issued + other.points_issued,
            self.points_redeemed + other.points_redeemed,
            self.voucher_cents + other.voucher_cents,
            self.giftcard_cents + other.giftcard_cents,
        )


@dataclass(frozen=True)
class CampaignPoints:
    """The campaign points among the points members earned at a merchant, by who pays for them: the collective's
    own campaigns (not charged: left out of `points_issued`) and the merchant's (charged: part of `points_issued`).
    Points earned (the till receipts' and webshop shares' points) = points issued + `collective`."""

    collective: int = 0
    merchant: int = 0

    def __add__(self, other: CampaignPoints) -> CampaignPoints:
        return CampaignPoints(self.collective + other.collective, self.merchant + other.merchant)


@dataclass(frozen=True)
class StatementLine:
    """One line: `quantity` units × `millicents_per_unit`, signed by `direction` (+1: the merchant owes)."""

    code: str
    label: str
    quantity: int
    unit: str  # "points" or "cents"
    millicents_per_unit: int
    direction: int
    amount_cents: int

    @property
    def amount_millicents(self) -> int:
        return self.direction * self.quantity * self.millicents_per_unit


def round_millicents(millicents: int) -> int:
    """Whole cents, half up (away from zero): 1500 → 2, 1499 → 1, −1500 → −2."""
    return int((Decimal(millicents) / MILLICENTS_PER_CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


#: code, label, unit, direction, which quantity, which rate (None: 1000 millicents per cent, i.e. 100 %)
LINE_DEFINITIONS = (
    ("points_issued", _("Points issued"), "points", +1, "points_issued", "issue_fee_millicents_per_point"),
    (
        "points_redeemed",
        _("Points redeemed for rewards"),
        "points",
        -1,
        "points_redeemed",
        "redeem_refund_millicents_per_point",
    ),
    ("collective_vouchers", _("Vouchers of the collective"), "cents", -1, "voucher_cents", None),
    ("gift_cards", _("Gift cards taken"), "cents", -1, "giftcard_cents", None),
    (
        "gift_card_commission",
        _("Commission on gift cards"),
        "cents",
        +1,
        "giftcard_cents",
        "giftcard_commission_permille",
    ),
)
#: The SettlementStatement field that stores each line's amount.
AMOUNT_FIELDS = {
    "points_issued": "issue_fee_cents",
    "points_redeemed": "redeem_refund_cents",
    "collective_vouchers": "voucher_refund_cents",
    "gift_cards": "giftcard_refund_cents",
    "gift_card_commission": "giftcard_commission_cents",
}


def _rate(rates: Rates, name: str | None) -> int:
    # A commission of n ‰ on cents is n millicents per cent: cents × n / 1000 cents.
    return MILLICENTS_PER_CENT if name is None else getattr(rates, name)


def statement_lines(quantities: Quantities, rates: Rates) -> tuple[StatementLine, ...]:
    """The statement's lines, each rounded once to cents."""
    lines = []
    for code, label, unit, direction, quantity_name, rate_name in LINE_DEFINITIONS:
        quantity, rate = getattr(quantities, quantity_name), _rate(rates, rate_name)
        amount = direction * round_millicents(quantity * rate)
        lines.append(StatementLine(code, str(label), quantity, unit, rate, direction, amount))
    return tuple(lines)


@dataclass(frozen=True)
class Statement:
    """A merchant's statement for a period: issued (`stored` set, numbers from the stored row) or a draft."""

    merchant: object
    first_day: date
    last_day: date
    rates: Rates
    quantities: Quantities
    lines: tuple[StatementLine, ...]
    computed_at: datetime
    stored: SettlementStatement | None = None
    is_closed: bool = True
    merchant_details: dict = field(default_factory=dict)
    # Counted live, for an issued statement too (its row stores the quantities, not these): they explain the
    # points issued, they are no amount of the statement.
    campaign_points: CampaignPoints = CampaignPoints()

    @property
    def net_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def points_earned(self) -> int:
        """The points members earned at the merchant (as the till receipts and webshop orders show them): the
        points issued and the collective's campaign points, which the merchant is not charged for."""
        return self.quantities.points_issued + self.campaign_points.collective

    @property
    def is_draft(self) -> bool:
        return self.stored is None

    @property
    def number(self) -> str:
        return self.stored.number if self.stored else ""

    @property
    def area(self):
        return self.merchant.area

    def line(self, code: str) -> StatementLine:
        return next(line for line in self.lines if line.code == code)

    @property
    def payment(self) -> SettlementPayment | None:
        """The issued statement's recorded payment, if any (no query when the row was read with its payment)."""
        # The reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError, when there is none.
        return getattr(self.stored, "payment", None) if self.stored else None

    @property
    def payment_status(self) -> str:
        """One of PAYMENT_STATUSES for an issued statement: paid, open, or nothing to pay (a zero net); "" for a
        draft, which nobody pays."""
        if self.stored is None:
            return ""
        if self.payment is not None:
            return PAID
        return NOTHING_TO_PAY if self.stored.net_cents == 0 else OPEN


#: An issued statement's payment status.
PAID, OPEN, NOTHING_TO_PAY = "paid", "open", "nothing_to_pay"
PAYMENT_STATUSES = (PAID, OPEN, NOTHING_TO_PAY)


def merchant_details(merchant) -> dict:
    """The merchant's name, address and numbers as a statement prints them."""
    return {
        "trade_name": merchant.trade_name,
        "legal_name": merchant.legal_name,
        "street": merchant.street,
        "postcode": merchant.postcode,
        "city": merchant.city,
        "registration_number": merchant.registration_number,
        "vat_number": merchant.vat_number,
    }


def _from_stored(
    merchant, row: SettlementStatement, *, now: datetime, campaign_points: CampaignPoints = CampaignPoints()
) -> Statement:
    rates = Rates(
        row.issue_fee_millicents_per_point, row.redeem_refund_millicents_per_point, row.giftcard_commission_permille
    )
    quantities = Quantities(row.points_issued, row.points_redeemed, row.voucher_cents, row.giftcard_cents)
    # The stored amounts, not recomputed ones: an issued statement never changes.
    lines = tuple(
        StatementLine(
            line.code,
            line.label,
            line.quantity,
            line.unit,
            line.millicents_per_unit,
            line.direction,
            getattr(row, AMOUNT_FIELDS[line.code]),
        )
        for line in statement_lines(quantities, rates)
    )
    return Statement(
        merchant,
        row.first_day,
        row.last_day,
        rates,
        quantities,
        lines,
        now,
        row,
        True,
        row.merchant_details,
        campaign_points,
    )


# --- Database expressions: the same ones for totals and for detail rows ---------------------------------

_ZERO = Value(0, output_field=IntegerField())


def _campaign_points(funder: str):
    """A till transaction's or webshop share's campaign points when `funder` pays for its campaign, else 0."""
    return Case(When(campaign__funded_by=funder, then=F("campaign_points")), default=_ZERO)


def _points_issued():
    """Rule 1 over a till transaction or a webshop share (both have `points`, `campaign` and `campaign_points`):
    its points, less the campaign's when the collective funds the campaign."""
    return F("points") - _campaign_points(Funder.COLLECTIVE)


def _campaign_parts() -> dict:
    """The campaign points of a till transaction or webshop share, by who pays for them (`CampaignPoints`)."""
    return {
        "campaign_collective": _campaign_points(Funder.COLLECTIVE),
        "campaign_merchant": _campaign_points(Funder.MERCHANT),
    }


def _till_parts() -> dict:
    """Each till transaction's share of rules 1–3, as expressions over the row and its campaign/reward/voucher."""
    non_reward_kinds = [kind for kind in VoucherKind.values if kind != VoucherKind.REWARD]
    return {
        "issued": _points_issued(),
        "redeemed": Case(
            When(Q(reward__isnull=False, reward__merchant__isnull=True), then=F("points_spent")), default=_ZERO
        ),
        "vouchers": Case(
            When(
                Q(voucher__kind__in=non_reward_kinds, voucher__funded_by_merchant__isnull=True),
                then=F("voucher_cents"),
            ),
            default=_ZERO,
        ),
    }


def _giftcard_taken() -> F:
    return -F("amount_cents")


TAKEN_GIFTCARD_KINDS = [GiftCardEntryKind.SPEND, GiftCardEntryKind.REVERSE]


def _till_rows(area, first_day: date, last_day: date):
    start, end = local_window(area, first_day, last_day)
    return TillTransaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end).order_by()


def _online_rows(area, first_day: date, last_day: date):
    """The webshop's shares of points, by their ledger entry's time."""
    start, end = local_window(area, first_day, last_day)
    return OnlinePointsShare.objects.filter(entry__occurred_at__gte=start, entry__occurred_at__lt=end).order_by()


def _giftcard_rows(area, first_day: date, last_day: date):
    start, end = local_window(area, first_day, last_day)
    return GiftCardEntry.objects.filter(
        kind__in=TAKEN_GIFTCARD_KINDS, occurred_at__gte=start, occurred_at__lt=end, merchant__isnull=False
    ).order_by()


def _sum(expression):
    return Coalesce(Sum(expression), _ZERO)


def merchant_quantities(merchant, first_day: date, last_day: date) -> Quantities:
    """The four rules' quantities for one merchant and period. Three queries."""
    return _merchant_figures(merchant, first_day, last_day)[0]


def _merchant_figures(merchant, first_day: date, last_day: date) -> tuple[Quantities, CampaignPoints]:
    """The quantities and the campaign points of one merchant and period. Three queries."""
    parts = {**_till_parts(), **_campaign_parts()}
    till = (
        _till_rows(merchant.area, first_day, last_day)
        .filter(merchant=merchant)
        .aggregate(**{name: _sum(expression) for name, expression in parts.items()})
    )
    online = (
        _online_rows(merchant.area, first_day, last_day)
        .filter(merchant=merchant)
        .aggregate(
            issued=_sum(_points_issued()), **{name: _sum(expression) for name, expression in _campaign_parts().items()}
        )
    )
    giftcards = (
        _giftcard_rows(merchant.area, first_day, last_day)
        .filter(merchant=merchant)
        .aggregate(taken=_sum(_giftcard_taken()))
    )
    quantities = Quantities(till["issued"] + online["issued"], till["redeemed"], till["vouchers"], giftcards["taken"])
    return quantities, _campaign_of(till) + _campaign_of(online)


def _campaign_of(row: dict) -> CampaignPoints:
    return CampaignPoints(row["campaign_collective"], row["campaign_merchant"])


def _area_quantities(area, first_day: date, last_day: date) -> tuple[dict[int, Quantities], dict[int, CampaignPoints]]:
    """Quantities and campaign points per merchant id of the area. Three queries."""
    parts = {**_till_parts(), **_campaign_parts()}
    result: dict[int, Quantities] = {}
    campaigns: dict[int, CampaignPoints] = {}

    def add(merchant_id: int, quantities: Quantities, campaign_points: CampaignPoints = CampaignPoints()) -> None:
        result[merchant_id] = result.get(merchant_id, Quantities()) + quantities
        campaigns[merchant_id] = campaigns.get(merchant_id, CampaignPoints()) + campaign_points

    till = (
        _till_rows(area, first_day, last_day)
        .filter(merchant__area=area)
        .values("merchant_id")
        .annotate(**{name: _sum(expression) for name, expression in parts.items()})
    )
    for row in till:
        add(row["merchant_id"], Quantities(row["issued"], row["redeemed"], row["vouchers"], 0), _campaign_of(row))
    online = (
        _online_rows(area, first_day, last_day)
        .filter(merchant__area=area)
        .values("merchant_id")
        .annotate(
            issued=_sum(_points_issued()), **{name: _sum(expression) for name, expression in _campaign_parts().items()}
        )
    )
    for row in online:
        add(row["merchant_id"], Quantities(points_issued=row["issued"]), _campaign_of(row))
    giftcards = (
        _giftcard_rows(area, first_day, last_day)
        .filter(merchant__area=area)
        .values("merchant_id")
        .annotate(taken=_sum(_giftcard_taken()))
    )
    for row in giftcards:
        add(row["merchant_id"], Quantities(giftcard_cents=row["taken"]))
    return result, campaigns


# --- Statements -----------------------------------------------------------------------------------------


def compute_statement(
    *, merchant, first_day: date, last_day: date, rates: Rates | None = None, now: datetime | None = None
) -> Statement:
    """A live (draft) statement with the area's current rates (or `rates`). Four queries.

    Raises InvalidPeriod.
    """
    check_period(first_day, last_day)
    now = now or timezone.now()
    rates = rates or Rates.of_area(merchant.area)
    quantities, campaign_points = _merchant_figures(merchant, first_day, last_day)
    return Statement(
        merchant,
        first_day,
        last_day,
        rates,
        quantities,
        statement_lines(quantities, rates),
        now,
        None,
        is_closed(merchant.area, last_day, now=now),
        merchant_details(merchant),
        campaign_points,
    )


def get_statement(*, merchant, first_day: date, last_day: date, now: datetime | None = None) -> Statement:
    """The issued statement of exactly this period (its stored numbers, with the campaign points counted live), else
    a live draft. Five queries at most. Raises InvalidPeriod."""
    check_period(first_day, last_day)
    now = now or timezone.now()
    stored = (
        SettlementStatement.objects.filter(merchant=merchant, first_day=first_day, last_day=last_day)
        .select_related("created_by", "payment")
        .first()
    )
    if stored is not None:
        campaign_points = _merchant_figures(merchant, first_day, last_day)[1]
        return _from_stored(merchant, stored, now=now, campaign_points=campaign_points)
    return compute_statement(merchant=merchant, first_day=first_day, last_day=last_day, now=now)


#: The detail rows' sources, in the order rows of the same moment are listed.
DETAIL_SOURCES = ("till", "webshop", "gift_card")
#: A webshop share's kind, by its ledger entry's kind: the order earned points, or a refund took some back.
WEBSHOP_KINDS = {EntryKind.EARN: "order", EntryKind.REVERSE: "refund"}


@dataclass(frozen=True)
class DetailRow:
    """One till transaction, webshop share of points or gift-card entry, and its share of each quantity."""

    occurred_at: datetime
    source: str  # one of DETAIL_SOURCES
    reference: int  # the TillTransaction's, LedgerEntry's (webshop) or GiftCardEntry's id
    kind: str  # a TillKind, a GiftCardEntryKind, or for the webshop "order" or "refund"
    receipt_number: str  # the till's receipt number, or the webshop's order number
    till_transaction_id: int | None
    points_issued: int = 0
    points_redeemed: int = 0
    voucher_cents: int = 0
    giftcard_cents: int = 0
    # What the receipt or order shows, and the campaign in it: points_issued = points_earned − campaign
    # points the collective pays for.
    points_earned: int = 0
    campaign: str = ""  # the campaign's name
    campaign_points: CampaignPoints = CampaignPoints()

    @property
    def sort_key(self):
        return (self.occurred_at, DETAIL_SOURCES.index(self.source), self.reference)


def statement_detail_rows(*, merchant, first_day: date, last_day: date, chunk_size: int = 2000) -> Iterator[DetailRow]:
    """Every till transaction, webshop share of points and taken gift-card entry of the merchant in the period,
    oldest first, with its share of each line's quantity: they add up to `merchant_quantities` exactly. Three
    queries, streamed. Raises InvalidPeriod."""
    check_period(first_day, last_day)
    till = (
        _till_rows(merchant.area, first_day, last_day)
        .filter(merchant=merchant)
        .annotate(**{f"part_{name}": expression for name, expression in _till_parts().items()})
        .order_by("occurred_at", "pk")
        .annotate(**_campaign_parts())
        .values_list(
            "occurred_at",
            "pk",
            "kind",
            "receipt_number",
            "part_issued",
            "part_redeemed",
            "part_vouchers",
            "points",
            "campaign__name",
            "campaign_collective",
            "campaign_merchant",
        )
    )
    online = (
        _online_rows(merchant.area, first_day, last_day)
        .filter(merchant=merchant)
        .annotate(issued=_points_issued(), **_campaign_parts())
        # One share per merchant and entry: the entry's id orders and names the row.
        .order_by("entry__occurred_at", "entry_id")
        .values_list(
            "entry__occurred_at",
            "entry_id",
            "entry__kind",
            "entry__reason",
            "issued",
            "points",
            "campaign__name",
            "campaign_collective",
            "campaign_merchant",
        )
    )
    giftcards = (
        _giftcard_rows(merchant.area, first_day, last_day)
        .filter(merchant=merchant)
        .annotate(taken=_giftcard_taken())
        .order_by("occurred_at", "pk")
        .values_list("occurred_at", "pk", "kind", "till_transaction_id", "taken")
    )
    till_rows = (
        DetailRow(
            at,
            "till",
            pk,
            kind,
            receipt,
            pk,
            issued,
            redeemed,
            vouchers,
            points_earned=earned,
            campaign=campaign or "",
            campaign_points=CampaignPoints(collective, by_merchant),
        )
        for (at, pk, kind, receipt, issued, redeemed, vouchers, earned, campaign, collective, by_merchant) in (
            till.iterator(chunk_size=chunk_size)
        )
    )
    online_rows = (
        DetailRow(
            at,
            "webshop",
            entry_id,
            WEBSHOP_KINDS.get(kind, kind),
            online_order(reason) or reason,
            None,
            issued,
            points_earned=earned,
            campaign=campaign or "",
            campaign_points=CampaignPoints(collective, by_merchant),
        )
        for at, entry_id, kind, reason, issued, earned, campaign, collective, by_merchant in online.iterator(
            chunk_size=chunk_size
        )
    )
    giftcard_rows = (
        DetailRow(at, "gift_card", pk, kind, "", till_id, giftcard_cents=taken)
        for at, pk, kind, till_id, taken in giftcards.iterator(chunk_size=chunk_size)
    )
    # heapq.merge is a generator: nothing is queried until the first row is asked for.
    return heapq.merge(till_rows, online_rows, giftcard_rows, key=lambda row: row.sort_key)


def issue_statement(
    *, merchant, first_day: date, last_day: date, by, now: datetime | None = None
) -> SettlementStatement:
    """Store the statement of a closed period with the area's current rates, once: issuing the same period
    again returns the first statement. Numbers run per area without gaps.

    Raises NotAllowed (not the area's manager), InvalidPeriod, PeriodNotClosed, OverlappingStatement.
    """
    check_period(first_day, last_day)
    if not can(by, ISSUE_ACTION, merchant.area):
        raise NotAllowed()
    now = now or timezone.now()
    if not is_closed(merchant.area, last_day, now=now):
        raise PeriodNotClosed()
    try:
        return _issue(merchant=merchant, first_day=first_day, last_day=last_day, by=by, now=now)
    except IntegrityError:
        # Another request issued the same period at the same moment (SQLite has no row lock): return theirs.
        previous = SettlementStatement.objects.filter(merchant=merchant, first_day=first_day, last_day=last_day).first()
        if previous is None:
            raise
        return previous


@transaction.atomic
def _issue(*, merchant, first_day, last_day, by, now) -> SettlementStatement:
    area = merchant.area
    LoyaltySettings.for_area(area)
    # The area's settings row lock serialises issuing in the area: the overlap check and the next number are
    # read and written by one request at a time (the unique constraints back both).
    rules = LoyaltySettings.objects.select_for_update().get(area_id=area.pk)
    statements = SettlementStatement.objects.filter(merchant=merchant)
    if previous := statements.filter(first_day=first_day, last_day=last_day).first():
        return previous
    if statements.filter(first_day__lte=last_day, last_day__gte=first_day).exists():
        raise OverlappingStatement()
    rates = Rates(
        rules.issue_fee_millicents_per_point,
        rules.redeem_refund_millicents_per_point,
        rules.giftcard_commission_permille,
    )
    statement = compute_statement(merchant=merchant, first_day=first_day, last_day=last_day, rates=rates, now=now)
    last_number = SettlementStatement.objects.filter(area=area).aggregate(last=Max("sequence"))["last"] or 0
    amounts = {AMOUNT_FIELDS[line.code]: line.amount_cents for line in statement.lines}
    return SettlementStatement.objects.create(
        area=area,
        merchant=merchant,
        sequence=last_number + 1,
        first_day=first_day,
        last_day=last_day,
        time_zone=area.time_zone,
        issue_fee_millicents_per_point=rates.issue_fee_millicents_per_point,
        redeem_refund_millicents_per_point=rates.redeem_refund_millicents_per_point,
        giftcard_commission_permille=rates.giftcard_commission_permille,
        points_issued=statement.quantities.points_issued,
        points_redeemed=statement.quantities.points_redeemed,
        voucher_cents=statement.quantities.voucher_cents,
        giftcard_cents=statement.quantities.giftcard_cents,
        net_cents=statement.net_cents,
        merchant_details=merchant_details(merchant),
        created_at=now,
        created_by=by,
        **amounts,
    )


# --- Payment ----------------------------------------------------------------------------------------------------


def payment_days(area, stored: SettlementStatement, *, now: datetime | None = None) -> tuple[date, date]:
    """The days a payment of the issued statement may be dated: from the local day it was issued to today."""
    tz = area.tz
    return timezone.localdate(stored.created_at, timezone=tz), timezone.localdate(now or timezone.now(), timezone=tz)


def record_payment(
    *, statement: Statement | SettlementStatement, paid_on: date, reference: str = "", by, now: datetime | None = None
) -> SettlementPayment:
    """Record that an issued statement was settled in full on `paid_on` (a local day from the day it was issued
    to today), for its net, once: recording it again returns the first payment, whatever was asked the second
    time. Needs `loyalty.record_settlement_payment` on the area.

    Raises NotAllowed, StatementNotIssued, NothingToPay (zero net), InvalidPaymentDate, InvalidPaymentReference.
    """
    stored = statement if isinstance(statement, SettlementStatement) else statement.stored
    area = statement.area
    if not can(by, PAYMENT_ACTION, area):
        raise NotAllowed()
    if stored is None:
        raise StatementNotIssued()
    if previous := SettlementPayment.objects.filter(statement=stored).first():
        return previous
    if stored.net_cents == 0:
        raise NothingToPay()
    reference = (reference or "").strip()
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise InvalidPaymentReference()
    earliest, latest = payment_days(area, stored, now=now)
    if not earliest <= paid_on <= latest:
        raise InvalidPaymentDate(
            gettext(
                "Enter a payment date from %(earliest)s to %(latest)s: not before the statement was issued, "
                "not in the future."
            )
            % {
                "earliest": formats.date_format(earliest, "j F Y"),
                "latest": formats.date_format(latest, "j F Y"),
            },
            earliest=earliest,
            latest=latest,
        )
    try:
        with transaction.atomic():
            payment = SettlementPayment.objects.create(
                statement=stored,
                paid_on=paid_on,
                amount_cents=stored.net_cents,  # settled in full: the net, with its sign
                reference=reference,
                recorded_at=now or timezone.now(),
                recorded_by=by,
            )
    except IntegrityError:
        # Another manager recorded this statement's payment at the same moment: the one-to-one's unique index
        # refused ours (on PostgreSQL after waiting for theirs to commit). Return theirs.
        payment = SettlementPayment.objects.filter(statement=stored).first()
        if payment is None:
            raise
    stored.payment = payment  # the caller's statement shows it without another query
    return payment


# --- The collective's overview --------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewRow:
    merchant: object
    statement: Statement

    @property
    def amounts(self) -> dict[str, int]:
        return {line.code: line.amount_cents for line in self.statement.lines}

    @property
    def has_nothing_to_settle(self) -> bool:
        """A draft whose every amount is zero (and so its net), without campaign points: nothing issued, nothing
        owed either way."""
        statement = self.statement
        return (
            statement.is_draft
            and not any(line.amount_cents for line in statement.lines)
            and statement.campaign_points == CampaignPoints()
        )


@dataclass(frozen=True)
class Overview:
    """Every merchant's statement for a period (issued ones from their stored numbers), their totals, and the
    area's gift-card float: sold in the period, and outstanding (all entries) at the period's end."""

    area: object
    first_day: date
    last_day: date
    rates: Rates
    rows: tuple[OverviewRow, ...]
    giftcards_sold_cents: int
    giftcards_outstanding_cents: int
    is_closed: bool

    @property
    def totals(self) -> dict[str, int]:
        totals = {code: 0 for code, *_rest in LINE_DEFINITIONS}
        for row in self.rows:
            for code, amount in row.amounts.items():
                totals[code] += amount
        return totals

    @property
    def total_quantities(self) -> Quantities:
        total = Quantities()
        for row in self.rows:
            total += row.statement.quantities
        return total

    @property
    def total_campaign_points(self) -> CampaignPoints:
        total = CampaignPoints()
        for row in self.rows:
            total += row.statement.campaign_points
        return total

    @property
    def net_cents(self) -> int:
        return sum(row.statement.net_cents for row in self.rows)

    @property
    def open_to_collective_cents(self) -> int:
        """What merchants still owe the collective on issued statements not paid yet (drafts are not owed yet)."""
        return sum(
            row.statement.net_cents
            for row in self.rows
            if row.statement.payment_status == OPEN and row.statement.net_cents > 0
        )

    @property
    def open_to_merchants_cents(self) -> int:
        """What the collective still owes merchants on issued statements not paid yet, as a positive amount."""
        return -sum(
            row.statement.net_cents
            for row in self.rows
            if row.statement.payment_status == OPEN and row.statement.net_cents < 0
        )


def settlement_overview(*, area, first_day: date, last_day: date, now: datetime | None = None) -> Overview:
    """One row per merchant of the area (those without activity too), with totals that are the sums of the
    rows. Seven queries at most, whatever the number of merchants and rows. Raises InvalidPeriod."""
    from areas.models import Merchant

    check_period(first_day, last_day)
    now = now or timezone.now()
    rates = Rates.of_area(area)
    closed = is_closed(area, last_day, now=now)
    merchants = list(Merchant.objects.filter(area=area).order_by("trade_name", "pk"))
    for merchant in merchants:
        merchant.area = area  # no query per merchant for its area
    stored = {
        row.merchant_id: row
        for row in SettlementStatement.objects.filter(area=area, first_day=first_day, last_day=last_day).select_related(
            "payment"
        )
    }
    live, live_campaigns = _area_quantities(area, first_day, last_day)
    rows = []
    for merchant in merchants:
        campaign_points = live_campaigns.get(merchant.pk, CampaignPoints())
        if merchant.pk in stored:
            statement = _from_stored(merchant, stored[merchant.pk], now=now, campaign_points=campaign_points)
        else:
            quantities = live.get(merchant.pk, Quantities())
            lines = statement_lines(quantities, rates)
            details = merchant_details(merchant)
            statement = Statement(
                merchant, first_day, last_day, rates, quantities, lines, now, None, closed, details, campaign_points
            )
        rows.append(OverviewRow(merchant, statement))
    start, end = local_window(area, first_day, last_day)
    float_ = GiftCardEntry.objects.filter(card__area=area, occurred_at__lt=end).aggregate(
        sold=_sum(
            Case(When(kind=GiftCardEntryKind.LOAD, occurred_at__gte=start, then=F("amount_cents")), default=_ZERO)
        ),
        outstanding=_sum(F("amount_cents")),
    )
    return Overview(area, first_day, last_day, rates, tuple(rows), float_["sold"], float_["outstanding"], closed)


def open_statements(*, area, excluding: tuple[date, date] | None = None) -> list[SettlementStatement]:
    """The area's issued statements still to be paid — no payment recorded and a net that is not zero — of every
    period, oldest period first, each with its merchant. `excluding` leaves one period out (the overview shows its
    own statements already). One query."""
    rows = SettlementStatement.objects.filter(area=area, payment__isnull=True).exclude(net_cents=0)
    if excluding is not None:
        rows = rows.exclude(first_day=excluding[0], last_day=excluding[1])
    return list(rows.select_related("merchant").order_by("first_day", "last_day", "merchant__trade_name", "pk"))
