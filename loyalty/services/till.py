"""The merchant's till: award points for a purchase, undo a scan, refund (part of) a purchase.

Each call carries the till's `request_key` (a UUID made once per button press and sent again on a
retry). The TillTransaction's unique key makes a retry safe; the lookup under the pass's row lock
only hands back the first answer. The pass lock also serialises everything else about one member
at the till: the TOTP step check, the daily cap, velocity per member, reversals of one purchase.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can
from areas.models import MerchantStatus

from .. import totp
from ..codes import parse_pass_code
from ..exceptions import (
    AlreadyUndone,
    CodeAlreadyUsed,
    CodeExpired,
    DuplicateReceipt,
    InvalidAmount,
    LoyaltyError,
    NotAllowed,
    PassBlocked,
    PassNotFound,
    RefundTooLarge,
    RequestKeyReused,
    TransactionNotFound,
    UndoWindowClosed,
    VelocityLimitExceeded,
)
from ..models import (
    EntryKind,
    LedgerEntry,
    LotAllocation,
    LoyaltySettings,
    MerchantLoyalty,
    Pass,
    TillKind,
    TillTransaction,
)
from .ledger import credit, debit, expire_overdue, lock_pass, open_lots

RECEIPT_MAX_LENGTH = 40
DEVICE_MAX_LENGTH = 64


@dataclass(frozen=True)
class TillResult:
    """What the till shows after a scan, an undo or a refund.

    `points_awarded` is the change of the balance: negative for an undo or a refund. `is_replay` is
    True when this is the stored answer to an earlier request with the same key.
    """

    transaction_id: int
    member_first_name: str
    points_awarded: int
    balance: int
    is_replay: bool = False
    kind: str = TillKind.PURCHASE
    amount_cents: int = 0
    points_unrecovered: int = 0
    occurred_at: datetime | None = None


def _result(transaction_: TillTransaction, *, first_name: str, is_replay: bool = False) -> TillResult:
    return TillResult(
        transaction_id=transaction_.pk,
        member_first_name=first_name,
        points_awarded=transaction_.points,
        balance=transaction_.balance_after,
        is_replay=is_replay,
        kind=transaction_.kind,
        amount_cents=transaction_.amount_cents,
        points_unrecovered=transaction_.points_unrecovered,
        occurred_at=transaction_.occurred_at,
    )


def _replay(previous: TillTransaction, **expected) -> TillResult:
    """The first answer for this request key, if the request is really the same one."""
    if any(getattr(previous, field) != value for field, value in expected.items()):
        raise RequestKeyReused()
    return _result(previous, first_name=previous.member_pass.member.first_name, is_replay=True)


def _previous(request_key: uuid.UUID) -> TillTransaction | None:
    """The transaction made for this request key, if any: asked on every scan, found only on a retry."""
    return TillTransaction.objects.filter(request_key=request_key).first()


def _require_till(by, merchant) -> None:
    if not can(by, "merchant.operate_till", merchant):
        raise NotAllowed()


def calculate_points(*, amount_cents: int, points_per_euro: int, multiplier_permille: int = 1000) -> int:
    """Whole euros × base rate × the merchant's multiplier, rounded down: €23.99 at ×1.5 → 34 points."""
    return (amount_cents // 100) * points_per_euro * multiplier_permille // 1000


def _day_start(area, moment: datetime) -> datetime:
    local_day = moment.astimezone(area.tz).date()
    return datetime.combine(local_day, time.min, tzinfo=area.tz)


def _check_code(member_pass: Pass, otp: str, now: datetime) -> int:
    """The step of a valid, unused TOTP code (the server's step ±1). The caller burns it (`last_totp_step`)
    in the same transaction: each step is accepted once per pass."""
    step = totp.matching_step(member_pass.totp_secret, otp, now)
    if step is None:
        raise CodeExpired()
    # Not only this step but every earlier one is spent: an older screenshot is refused as well.
    if step <= member_pass.last_totp_step:
        raise CodeAlreadyUsed()
    return step


def _accept_code(member_pass: Pass, otp: str, now: datetime) -> None:
    """Check the TOTP code and burn its step at once."""
    step = _check_code(member_pass, otp, now)
    Pass.objects.filter(pk=member_pass.pk).update(last_totp_step=step)
    member_pass.last_totp_step = step


def _lock_for_till(merchant, card_number: str) -> Pass | None:
    """The pass with this number in the merchant's area, locked, with its member, area, the area's rules
    and the merchant's multiplier: all in one query, as it is the hot path of every scan.

    Rules and multiplier may ride along in the locking query because scans never change them. What scans do
    change (the pass's own transactions) is read after the lock, in `_till_facts`.
    """
    multiplier = MerchantLoyalty.objects.filter(merchant=merchant).values("multiplier_permille")[:1]
    return (
        Pass.objects.select_for_update(of=("self",))
        .select_related("member", "area", "area__loyalty_settings")
        .annotate(merchant_multiplier=Subquery(multiplier))
        .filter(area_id=merchant.area_id, card_number=card_number)
        .first()
    )


def _rules_of(member_pass: Pass) -> LoyaltySettings:
    try:
        return member_pass.area.loyalty_settings
    except LoyaltySettings.DoesNotExist:  # the area's first scan: made with the defaults
        return LoyaltySettings.for_area(member_pass.area_id)


def _till_facts(member_pass: Pass, merchant, *, device_id: str, receipt_number: str, now: datetime) -> dict:
    """What the rules of one scan need from earlier till transactions, in one query read under the pass lock:

    - scans of the member in the last hour, and at this merchant today (velocity);
    - points the member got at tills today, net of today's undos and refunds (the daily cap: an undone
      typo does not eat into it);
    - scans at this merchant and at this till device in the last hour (velocity);
    - the member's purchases here that were not undone (the first-visit bonus);
    - purchases here with this receipt number that were not undone (a receipt earns once).

    "Not undone" is purchases less undos: an undo row carries its purchase's pass, merchant and receipt
    number, and a purchase is undone at most once. (A per-row EXISTS would do, but its cost estimate makes
    PostgreSQL JIT-compile the query: 200 ms for a 2 ms query.)

    Per member the counts are exact, as the pass lock serialises them. Per merchant and device they are a
    brake, not a guarantee: two tills may take the last slot at once.
    """
    hour_ago = now - timedelta(hours=1)
    day_start = _day_start(member_pass.area, now)
    at = TillTransaction._meta.get_field("occurred_at")
    hour_ago, day_start, window = (
        at.get_db_prep_value(moment, connection) for moment in (hour_ago, day_start, min(hour_ago, day_start))
    )
    p, m, purchase, undo = member_pass.pk, merchant.pk, TillKind.PURCHASE.value, TillKind.UNDO.value
    # Plain SQL on the hottest path: building this from nine filtered aggregates took the ORM longer than
    # PostgreSQL takes to run it. CASE rather than FILTER, so that SQLite runs it too.
    sql = f"""
        SELECT
            SUM(CASE WHEN member_pass_id = %s AND kind = %s AND occurred_at >= %s THEN 1 ELSE 0 END),
            SUM(CASE WHEN member_pass_id = %s AND merchant_id = %s AND kind = %s AND occurred_at >= %s
                THEN 1 ELSE 0 END),
            SUM(CASE WHEN member_pass_id = %s AND occurred_at >= %s THEN points ELSE 0 END),
            SUM(CASE WHEN merchant_id = %s AND kind = %s AND occurred_at >= %s THEN 1 ELSE 0 END),
            SUM(CASE WHEN merchant_id = %s AND kind = %s AND device_id = %s AND occurred_at >= %s THEN 1 ELSE 0 END),
            SUM(CASE WHEN member_pass_id = %s AND merchant_id = %s AND kind = %s THEN 1 ELSE 0 END),
            SUM(CASE WHEN member_pass_id = %s AND merchant_id = %s AND kind = %s THEN 1 ELSE 0 END),
            SUM(CASE WHEN merchant_id = %s AND receipt_number = %s AND kind = %s THEN 1 ELSE 0 END),
            SUM(CASE WHEN merchant_id = %s AND receipt_number = %s AND kind = %s THEN 1 ELSE 0 END)
        FROM {connection.ops.quote_name(TillTransaction._meta.db_table)}
        WHERE (member_pass_id = %s AND occurred_at >= %s)
           OR (merchant_id = %s AND kind = %s AND occurred_at >= %s)
           OR (member_pass_id = %s AND merchant_id = %s AND kind IN (%s, %s))
           OR (merchant_id = %s AND receipt_number = %s AND receipt_number <> '' AND kind IN (%s, %s))
    """
    params = [
        *(p, purchase, hour_ago),
        *(p, m, purchase, day_start),
        *(p, day_start),
        *(m, purchase, hour_ago),
        *(m, purchase, device_id, hour_ago),
        *(p, m, purchase),
        *(p, m, undo),
        *(m, receipt_number, purchase),
        *(m, receipt_number, undo),
        *(p, window),
        *(m, purchase, hour_ago),
        *(p, m, purchase, undo),
        *(m, receipt_number, purchase, undo),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        values = [value or 0 for value in cursor.fetchone()]
    names = (
        "member_hour",
        "member_merchant_day",
        "points_today",
        "merchant_hour",
        "device_hour",
        "purchases_here",
        "undone_here",
        "receipt_purchases",
        "receipt_undone",
    )
    facts = dict(zip(names, values, strict=True))
    facts["visits_here"] = facts["purchases_here"] - facts["undone_here"]
    facts["receipt_uses"] = facts["receipt_purchases"] - facts["receipt_undone"] if receipt_number else 0
    return facts


def _check_velocity(facts: dict, rules: LoyaltySettings, device_id: str) -> None:
    limits = [
        ("member", rules.max_scans_per_member_per_hour, facts["member_hour"]),
        ("member_merchant", rules.max_scans_per_member_per_merchant_per_day, facts["member_merchant_day"]),
        ("merchant", rules.max_scans_per_merchant_per_hour, facts["merchant_hour"]),
    ]
    if device_id:
        limits.append(("device", rules.max_scans_per_device_per_hour, facts["device_hour"]))
    for name, limit, count in limits:
        if limit and count >= limit:  # 0: no limit
            raise VelocityLimitExceeded(limit=name)


def award_for_purchase(
    *,
    merchant,
    code: str,
    amount_cents: int,
    receipt_number: str = "",
    request_key: uuid.UUID,
    by,
    device_id: str = "",
    now: datetime | None = None,
) -> TillResult:
    """Award points for a purchase of `amount_cents` at `merchant` to the pass the till read.

    `code` is a QR payload or a typed card number with its 6-digit code (checked: the current step ±1,
    each step once per pass), or a printed card's number alone (earning needs no code). Points are
    whole euros × area rate × merchant multiplier, plus the first-visit bonus, within the daily cap.
    A retry with the same request_key returns the first result (is_replay=True).
    Raises InvalidPassCode (CodeExpired), PassNotFound, PassBlocked, CodeAlreadyUsed, InvalidAmount,
    VelocityLimitExceeded, DuplicateReceipt, NotAllowed (not this merchant's till), RequestKeyReused.
    """
    parsed = parse_pass_code(code)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidAmount()
    receipt_number = (receipt_number or "").strip()
    if len(receipt_number) > RECEIPT_MAX_LENGTH:
        raise LoyaltyError(_("A receipt number has at most 40 characters."))
    _require_till(by, merchant)
    request = {
        "merchant": merchant,
        "card_number": parsed.card_number,
        "otp": parsed.otp,
        "amount_cents": amount_cents,
        "receipt_number": receipt_number,
        "request_key": request_key,
        "by": by,
        "device_id": (device_id or "").strip()[:DEVICE_MAX_LENGTH],
        "now": now or timezone.now(),
    }
    try:
        return _award(**request)
    except IntegrityError:
        # The same key for another pass at the same moment (a client bug): never two transactions.
        previous = _previous(request_key)
        if previous is None:
            raise
        return _replay(previous, merchant_id=merchant.pk, kind=TillKind.PURCHASE, amount_cents=amount_cents)


@transaction.atomic
def _award(*, merchant, card_number, otp, amount_cents, receipt_number, request_key, by, device_id, now):
    member_pass = _lock_for_till(merchant, card_number)
    if member_pass is None:
        raise PassNotFound()
    # Under the lock: an identical request that got the lock first has committed by now.
    if previous := _previous(request_key):
        return _replay(
            previous,
            merchant_id=merchant.pk,
            member_pass_id=member_pass.pk,
            kind=TillKind.PURCHASE,
            amount_cents=amount_cents,
        )
    if not member_pass.is_active:
        raise PassBlocked()
    if merchant.status != MerchantStatus.ACTIVE:
        raise NotAllowed(_("This shop does not take part in the pass at the moment."))
    rules = _rules_of(member_pass)
    if amount_cents > rules.max_purchase_cents:
        raise InvalidAmount()
    # The step is burnt with the new balance below (one UPDATE), or alone when nothing is credited.
    step = _check_code(member_pass, otp, now) if otp is not None else None
    facts = _till_facts(member_pass, merchant, device_id=device_id, receipt_number=receipt_number, now=now)
    _check_velocity(facts, rules, device_id)
    if receipt_number and facts["receipt_uses"]:
        raise DuplicateReceipt()

    multiplier = 1000 if member_pass.merchant_multiplier is None else member_pass.merchant_multiplier
    points = calculate_points(
        amount_cents=amount_cents, points_per_euro=rules.points_per_euro, multiplier_permille=multiplier
    )
    bonus = rules.first_visit_bonus_points if not facts["visits_here"] else 0
    points += bonus
    if rules.daily_cap_points:
        points = max(0, min(points, rules.daily_cap_points - facts["points_today"]))
        bonus = min(bonus, points)

    purchase = TillTransaction.objects.create(
        merchant=merchant,
        member_pass=member_pass,
        kind=TillKind.PURCHASE,
        amount_cents=amount_cents,
        receipt_number=receipt_number,
        points=points,
        bonus_points=bonus,
        balance_after=member_pass.points_balance + points,
        occurred_at=now,
        request_key=request_key,
        device_id=device_id,
        by=by,
    )
    burn = {"last_totp_step": step} if step is not None else {}
    if points:
        credit(
            member_pass,
            points=points,
            kind=EntryKind.EARN,
            request_key=request_key,
            now=now,
            rules=rules,
            merchant=merchant,
            till_transaction=purchase,
            by=by,
            pass_updates=burn,
        )
    elif burn:
        Pass.objects.filter(pk=member_pass.pk).update(**burn)
    if step is not None:
        member_pass.last_totp_step = step
    return _result(purchase, first_name=member_pass.member.first_name)


# --- Reversals ---------------------------------------------------------------------------------------


def undo_till_transaction(
    *, merchant, transaction_id: int, request_key: uuid.UUID, by, now: datetime | None = None
) -> TillResult:
    """Undo a purchase scanned at this merchant within the area's undo window: a reversal, never an edit.

    Takes back what is left of the purchase's points (after any partial refunds). Never twice.
    Raises TransactionNotFound (not this merchant's purchase), UndoWindowClosed, AlreadyUndone, NotAllowed.
    """
    _require_till(by, merchant)
    return _reverse_guarded(
        merchant=merchant,
        purchase_id=transaction_id,
        kind=TillKind.UNDO,
        refund_cents=None,
        request_key=request_key,
        by=by,
        now=now or timezone.now(),
    )


def refund_purchase(
    *,
    merchant,
    transaction_id: int,
    refund_cents: int,
    request_key: uuid.UUID,
    by,
    now: datetime | None = None,
) -> TillResult:
    """Reverse the points of (part of) a purchase at this merchant, pro rata to the amount refunded.

    Over several partial refunds the total taken back is floor(points × refunded ÷ amount), so a full
    refund takes back exactly what was awarded and never more. Raises TransactionNotFound,
    InvalidAmount, RefundTooLarge (more than is left of the purchase), AlreadyUndone, NotAllowed.
    """
    if isinstance(refund_cents, bool) or not isinstance(refund_cents, int) or refund_cents <= 0:
        raise InvalidAmount()
    _require_till(by, merchant)
    return _reverse_guarded(
        merchant=merchant,
        purchase_id=transaction_id,
        kind=TillKind.REFUND,
        refund_cents=refund_cents,
        request_key=request_key,
        by=by,
        now=now or timezone.now(),
    )


def _reverse_guarded(**request) -> TillResult:
    try:
        return _reverse(**request)
    except IntegrityError:
        previous = _previous(request["request_key"])
        if previous is None:
            raise
        return _replay(previous, merchant_id=request["merchant"].pk, kind=request["kind"])


@transaction.atomic
def _reverse(*, merchant, purchase_id, kind, refund_cents, request_key, by, now) -> TillResult:
    purchase = TillTransaction.objects.filter(pk=purchase_id, merchant=merchant, kind=TillKind.PURCHASE).first()
    if purchase is None:
        raise TransactionNotFound()
    # The pass lock serialises the reversals of one purchase: two refunds never both see "enough left".
    member_pass = lock_pass(pk=purchase.member_pass_id)
    if previous := _previous(request_key):
        same_amount = {"amount_cents": -refund_cents} if kind == TillKind.REFUND else {}
        return _replay(previous, merchant_id=merchant.pk, kind=kind, reverses_id=purchase.pk, **same_amount)
    rules = LoyaltySettings.for_area(merchant.area_id)
    before = purchase.reversals.aggregate(
        undone=Count("pk", filter=Q(kind=TillKind.UNDO)),
        refunded=Coalesce(-Sum("amount_cents"), 0),
        drawn=Coalesce(-Sum("points"), 0),
        unrecovered=Coalesce(Sum("points_unrecovered"), 0),
    )
    if before["undone"] or before["refunded"] >= purchase.amount_cents:
        raise AlreadyUndone()
    due_before = before["drawn"] + before["unrecovered"]
    if kind == TillKind.UNDO:
        if now - purchase.occurred_at > timedelta(minutes=rules.undo_window_minutes):
            raise UndoWindowClosed()
        amount = purchase.amount_cents - before["refunded"]
        due = purchase.points - due_before
    else:
        if refund_cents > purchase.amount_cents - before["refunded"]:
            raise RefundTooLarge()
        amount = refund_cents
        # Cumulative, so rounding never adds up over partial refunds: at a full refund it is exactly the award.
        due = purchase.points * (before["refunded"] + refund_cents) // purchase.amount_cents - due_before

    drawn, lots = 0, []
    if due > 0:
        expire_overdue(member_pass, now)
        earned = LedgerEntry.objects.select_related("lot").get(till_transaction=purchase, kind=EntryKind.EARN)
        lot = earned.lot
        # Points of this purchase that expired are gone already: taking them again would punish twice.
        expired = LotAllocation.objects.filter(lot=lot, entry__kind=EntryKind.EXPIRE).aggregate(
            total=Coalesce(Sum("points"), 0)
        )["total"]
        recoverable = lot.points - expired - before["drawn"]
        # Spent points are taken back from the balance as far as it goes; the rest is recorded as unrecovered.
        drawn = max(0, min(due, recoverable, member_pass.points_balance))
        lots = [lot, *(other for other in open_lots(member_pass, now) if other.pk != lot.pk)]

    reversal = TillTransaction.objects.create(
        merchant=merchant,
        member_pass=member_pass,
        kind=kind,
        amount_cents=-amount,
        receipt_number=purchase.receipt_number,
        points=-drawn,
        points_unrecovered=max(0, due - drawn),
        balance_after=member_pass.points_balance - drawn,
        occurred_at=now,
        request_key=request_key,
        device_id=purchase.device_id,
        by=by,
        reverses=purchase,
    )
    if drawn:
        debit(
            member_pass,
            points=drawn,
            kind=EntryKind.REVERSE,
            request_key=request_key,
            now=now,
            lots=lots,
            merchant=merchant,
            till_transaction=reversal,
            by=by,
        )
    return _result(reversal, first_name=member_pass.member.first_name)
