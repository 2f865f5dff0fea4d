"""The points ledger: credits open lots, debits are allocated to lots, projections follow under a row lock.

Rules every function here keeps:

- Ledger entries and allocations are only inserted. `Pass.points_balance` and `PointLot.remaining`
  are projections, changed only here, only while the pass's row is locked (`lock_pass`): the
  lock serialises every change of one pass's points, so lots never need locks of their own. (The one
  other writer, `till_sql.write_purchase`, credits a purchase's points in a single statement whose UPDATE
  of the pass row holds the same lock while it writes the entry and the lot.)
- A debit draws from lots oldest-expiring first (or in the order given, for reversals), and a
  lot past its date is expired before anything else is drawn, so points are never spent after
  they expired, nor expired after they were spent.
- A lot expires only if its member was told at least `MIN_NOTICE_DAYS` before its date (`services.notices`), or
  cannot be told (a blocked or closed pass, an erased or inactive account): a lot whose notice failed gets a new date
  instead, so the requirement "members are told at least 30 days before points expire" holds for every path that
  expires lots (the nightly job and the debits that expire overdue lots first).
- Every entry has a unique request key. Keys of entries the system makes itself are derived
  (uuid5) from what they are about, so running a job twice cannot make an entry twice.
"""

from __future__ import annotations

import calendar
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can
from privacy.models import AuditAction
from privacy.services import log_access

from ..exceptions import (
    InsufficientPoints,
    InvalidAdjustment,
    InvalidPoints,
    NotAllowed,
    PassBlocked,
    PassNotFound,
    RequestKeyReused,
    SecondApprovalRequired,
)
from ..models import EntryKind, LedgerEntry, LotAllocation, LoyaltySettings, Pass, PassStatus, PointLot

logger = logging.getLogger(__name__)

#: Namespace of the request keys the system derives itself (welcome bonus, expiry of a lot).
KEY_NAMESPACE = uuid.UUID("0b7c3f52-8a2e-5d4b-9c61-3e0f7a1d2b85")


def derived_key(what: str) -> uuid.UUID:
    """A stable request key for an entry the system makes, e.g. ``derived_key(f"expire-lot:{lot.pk}")``."""
    return uuid.uuid5(KEY_NAMESPACE, what)


def lock_pass(**lookup) -> Pass | None:
    """The pass, locked for the rest of the transaction (with its member and area, which are not locked)."""
    return Pass.objects.select_for_update(of=("self",)).select_related("member", "area").filter(**lookup).first()


def add_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` later in the moment's own zone (the 31st becomes the month's last day)."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    shifted = local.replace(year=year, month=month, day=day)
    return shifted


def expiry_of(member_pass: Pass, earned_at: datetime, rules: LoyaltySettings) -> datetime:
    """When points earned at `earned_at` expire: the area's period later, in the area's zone."""
    return add_months(earned_at.astimezone(member_pass.area.tz), rules.expiry_months)


def _change_balance(member_pass: Pass, delta: int, **also) -> None:
    """Move the cached balance (and write `also`, other fields of the locked row, in the same UPDATE).

    With a new till version: a scan of this pass that read it unlocked (`till_sql`) before this change writes
    nothing, and reads again — its facts (the day's points, the balance, the overdue lots) went stale."""
    also = {"till_version": F("till_version") + 1, **also}
    Pass.objects.filter(pk=member_pass.pk).update(points_balance=F("points_balance") + delta, **also)
    member_pass.points_balance += delta


def credit(
    member_pass: Pass,
    *,
    points: int,
    kind: str,
    request_key: uuid.UUID,
    now: datetime,
    rules: LoyaltySettings,
    merchant=None,
    till_transaction=None,
    reason: str = "",
    by=None,
    approved_by=None,
    pass_updates: dict | None = None,
) -> LedgerEntry:
    """Add points in a new lot expiring after the area's period. The caller holds the pass lock.

    `pass_updates`: other fields of the pass to write with the new balance (saves a round trip at the till).
    """
    entry = LedgerEntry.objects.create(
        member_pass=member_pass,
        kind=kind,
        points=points,
        occurred_at=now,
        request_key=request_key,
        merchant=merchant,
        till_transaction=till_transaction,
        reason=reason,
        by=by,
        approved_by=approved_by,
    )
    PointLot.objects.create(
        member_pass=member_pass,
        entry=entry,
        points=points,
        remaining=points,
        earned_at=now,
        expires_at=expiry_of(member_pass, now, rules),
    )
    _change_balance(member_pass, points, **(pass_updates or {}))
    return entry


def open_lots(member_pass: Pass, now: datetime) -> list[PointLot]:
    """The lots a debit may draw from, oldest-expiring first."""
    return list(
        PointLot.objects.filter(member_pass=member_pass, remaining__gt=0, expires_at__gt=now).order_by(
            "expires_at", "pk"
        )
    )


def debit(
    member_pass: Pass,
    *,
    points: int,
    kind: str,
    request_key: uuid.UUID,
    now: datetime,
    lots: list[PointLot] | None = None,
    merchant=None,
    till_transaction=None,
    reason: str = "",
    by=None,
    approved_by=None,
) -> LedgerEntry:
    """Take `points` from the lots (in the order given, else oldest-expiring first) and record where from.

    The caller holds the pass lock, has expired overdue lots and checked the balance; if the lots
    still do not cover the points, InsufficientPoints rolls the whole change back.
    """
    if lots is None:
        lots = open_lots(member_pass, now)
    entry = LedgerEntry.objects.create(
        member_pass=member_pass,
        kind=kind,
        points=-points,
        occurred_at=now,
        request_key=request_key,
        merchant=merchant,
        till_transaction=till_transaction,
        reason=reason,
        by=by,
        approved_by=approved_by,
    )
    left = points
    allocations = []
    for lot in lots:
        if left == 0:
            break
        take = min(left, lot.remaining)
        if take <= 0:
            continue
        allocations.append(LotAllocation(entry=entry, lot=lot, points=take))
        PointLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
        lot.remaining -= take
        left -= take
    if left:
        # The projection said there were enough points, the lots say otherwise: never go below zero.
        logger.error("Pass %s: lots cover %s of %s points to debit", member_pass.pk, points - left, points)
        raise InsufficientPoints(needed=points, available=points - left)
    LotAllocation.objects.bulk_create(allocations)
    _change_balance(member_pass, -points)
    return entry


# --- Expiry ------------------------------------------------------------------------------------------


#: Members are told at least this many days before their points expire (an area may tell earlier, never later).
MIN_NOTICE_DAYS = 30

#: The lots whose member the expiry notice can reach (as `can_be_told`, in a query on lots).
LOTS_THAT_CAN_BE_TOLD = Q(
    member_pass__status=PassStatus.ACTIVE,
    member_pass__member__is_active=True,
    member_pass__member__erased_at__isnull=True,
) & ~Q(member_pass__member__email="")


def can_be_told(member_pass: Pass) -> bool:
    """Whether the expiry notice can reach the pass's member: an active pass of an active, not erased account with an
    e-mail address. Only their points wait for the notice; the others expire on their date (nothing could tell them:
    a blocked or closed pass gets no notices, an erased person has no address)."""
    member = member_pass.member
    return (
        member_pass.status == PassStatus.ACTIVE and member.is_active and member.erased_at is None and bool(member.email)
    )


def _hold_untold(lots: list[PointLot], passes: dict[int, Pass], now: datetime) -> list[PointLot]:
    """The lots that may expire now. A lot whose member could be told but was not told `MIN_NOTICE_DAYS` before its
    date (the notice failed, or the job did not run) does not expire: it gets a new date `MIN_NOTICE_DAYS` from now,
    the notice job tells the member (and moves the date again if it tells them later). Once only: a lot postponed
    before expires on its new date even if every notice since failed (an address that refuses mail would otherwise
    keep its points for ever). The caller holds the locks.
    """
    told_by = timedelta(days=MIN_NOTICE_DAYS)
    due, held = [], []
    for lot in lots:
        told = lot.expiry_notified_at is not None and lot.expiry_notified_at <= lot.expires_at - told_by
        waited = lot.expiry_postponed_at is not None
        (due if told or waited or not can_be_told(passes[lot.member_pass_id]) else held).append(lot)
    if held:
        PointLot.objects.filter(pk__in=[lot.pk for lot in held]).update(
            expires_at=now + told_by, expiry_postponed_at=now
        )
        logger.warning("%d lots did not expire: their members were not told %d days before", len(held), MIN_NOTICE_DAYS)
    untold = [lot for lot in due if lot.expiry_postponed_at is not None and lot.expiry_notified_at is None]
    if untold:
        logger.warning("%d lots expired after their postponement without a notice that reached the member", len(untold))
    return due


def _expire_lots(lots: list[PointLot], passes: dict[int, Pass], now: datetime) -> int:
    """Expire what is left of each lot whose member was told in time (`_hold_untold`): one entry per lot, dated when
    the lot expired.

    The callers hold the locks of the lots' passes and read the lots after taking them.
    """
    if lots:
        # The till's unlocked scan reads the balance and the overdue lots without the pass lock (`till_sql`) and
        # writes only if the pass's till version is unchanged: held or expired here, the pass gets a new one.
        touched = {lot.member_pass_id for lot in lots}
        Pass.objects.filter(pk__in=touched).update(till_version=F("till_version") + 1)
    lots = _hold_untold(lots, passes, now)
    if not lots:
        return 0
    entries = [
        LedgerEntry(
            member_pass_id=lot.member_pass_id,
            kind=EntryKind.EXPIRE,
            points=-lot.remaining,
            occurred_at=lot.expires_at,
            # One expiry per lot, ever: a second run (or a concurrent one) hits the unique key.
            request_key=derived_key(f"expire-lot:{lot.pk}"),
        )
        for lot in lots
    ]
    LedgerEntry.objects.bulk_create(entries)
    LotAllocation.objects.bulk_create(
        LotAllocation(entry=entry, lot=lot, points=lot.remaining) for entry, lot in zip(entries, lots, strict=True)
    )
    PointLot.objects.filter(pk__in=[lot.pk for lot in lots]).update(remaining=0)
    totals: dict[int, int] = defaultdict(int)
    for lot in lots:
        totals[lot.member_pass_id] += lot.remaining
        lot.remaining = 0
    changed = []
    for pass_id, total in totals.items():
        member_pass = passes[pass_id]
        member_pass.points_balance -= total
        changed.append(member_pass)
    Pass.objects.bulk_update(changed, ["points_balance"])
    return len(lots)


def expire_overdue(member_pass: Pass, now: datetime) -> int:
    """Expire this pass's lots past their date (before a debit). The caller holds the pass lock."""
    lots = list(
        PointLot.objects.filter(member_pass=member_pass, remaining__gt=0, expires_at__lte=now).order_by(
            "expires_at", "pk"
        )
    )
    return _expire_lots(lots, {member_pass.pk: member_pass}, now)


@transaction.atomic
def _expire_passes(pass_ids: list[int], now: datetime) -> int:
    # Locks in primary-key order: two runs of the job (or a run and a spend) never deadlock.
    passes = {
        p.pk: p
        for p in Pass.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(pk__in=pass_ids)
        .order_by("pk")
    }
    # Read after the locks: a run that waited for another sees its lots emptied and does nothing.
    lots = list(
        PointLot.objects.filter(member_pass_id__in=pass_ids, remaining__gt=0, expires_at__lte=now).order_by(
            "member_pass_id", "expires_at", "pk"
        )
    )
    return _expire_lots(lots, passes, now)


def expire_points(*, now: datetime | None = None, chunk_size: int = 500) -> int:
    """Expire every lot past its date whose member was told in time; returns how many lots were expired. A lot whose
    member was not told `MIN_NOTICE_DAYS` before gets a new date instead (`_hold_untold`).

    Idempotent and safe to run twice at once: a lot, once empty, is never picked again, and its
    expiry entry has a key derived from the lot. One transaction per chunk of passes, so a long
    run holds few locks at a time and a failure keeps what was done.
    """
    now = now or timezone.now()
    expired = 0
    after = 0
    while True:
        pass_ids = list(
            PointLot.objects.filter(remaining__gt=0, expires_at__lte=now, member_pass_id__gt=after)
            .order_by("member_pass_id")
            .values_list("member_pass_id", flat=True)
            .distinct()[:chunk_size]
        )
        if not pass_ids:
            return expired
        expired += _expire_passes(pass_ids, now)
        after = pass_ids[-1]


# --- Spending and adjusting --------------------------------------------------------------------------


def _replayed_entry(previous: LedgerEntry, *, pass_id: int, kind: str, points: int) -> LedgerEntry:
    if (previous.member_pass_id, previous.kind, previous.points) != (pass_id, kind, points):
        raise RequestKeyReused()
    return previous


def _may_debit(by, member_pass: Pass, merchant) -> bool:
    if merchant is not None:
        return can(by, "merchant.operate_till", merchant)
    return bool(by and by.pk == member_pass.member_id) or can(by, "loyalty.adjust_points", member_pass)


def spend_points(
    *,
    pass_id: int,
    points: int,
    request_key: uuid.UUID,
    by,
    merchant=None,
    reason: str = "",
    now: datetime | None = None,
) -> LedgerEntry:
    """Spend points (a reward, a discount): drawn from the oldest-expiring lots. Returns the spend entry.

    Allowed to the member, to till staff of `merchant` (in the pass's area), or an area manager.
    Replaying the same request_key returns the first entry. Raises InvalidPoints, PassNotFound,
    NotAllowed, PassBlocked, InsufficientPoints (with `needed` and `available`), RequestKeyReused.
    """
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise InvalidPoints()
    try:
        return _spend(pass_id, points, request_key, by, merchant, reason[:200], now or timezone.now())
    except IntegrityError:
        # Only a request key used at the same moment for another pass gets here (a client bug).
        previous = LedgerEntry.objects.filter(request_key=request_key).first()
        if previous is None:
            raise
        return _replayed_entry(previous, pass_id=pass_id, kind=EntryKind.SPEND, points=-points)


@transaction.atomic
def _spend(pass_id, points, request_key, by, merchant, reason, now) -> LedgerEntry:
    member_pass = lock_pass(pk=pass_id)  # serialises every spend on this pass
    if member_pass is None or (merchant is not None and merchant.area_id != member_pass.area_id):
        raise PassNotFound()
    if not _may_debit(by, member_pass, merchant):
        raise NotAllowed()
    # Read under the lock: a retry that waited for its own first attempt finds it here.
    if previous := LedgerEntry.objects.filter(request_key=request_key).first():
        return _replayed_entry(previous, pass_id=pass_id, kind=EntryKind.SPEND, points=-points)
    if not member_pass.is_active:
        raise PassBlocked()
    expire_overdue(member_pass, now)
    if member_pass.points_balance < points:
        raise InsufficientPoints(needed=points, available=member_pass.points_balance)
    return debit(
        member_pass,
        points=points,
        kind=EntryKind.SPEND,
        request_key=request_key,
        now=now,
        merchant=merchant,
        reason=reason,
        by=by,
    )


#: How long a manager's own corrections of one pass count together against the area's threshold.
SOLO_CORRECTION_WINDOW = timedelta(hours=24)


def solo_correction_points(*, pass_id: int, by, now: datetime) -> int:
    """The points `by` corrected on this pass alone (no second manager) in the 24 hours before `now`, as sizes:
    +200 and -200 are 400. Split into small corrections, a large one still needs a second manager; sizes, not the
    net, because a deduction moves a member's points as much as an addition and a pair of opposite corrections
    must not make room for a third. One query."""
    return LedgerEntry.objects.filter(
        member_pass_id=pass_id,
        kind=EntryKind.ADJUST,
        by=by,
        approved_by__isnull=True,
        occurred_at__gt=now - SOLO_CORRECTION_WINDOW,
    ).aggregate(points=Coalesce(Sum(Abs("points")), 0))["points"]


def adjust_points(
    *,
    pass_id: int,
    points: int,
    reason: str,
    by,
    approved_by=None,
    request_key: uuid.UUID | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """A manual correction by an area manager (`loyalty.adjust_points`), positive or negative, with a reason.

    Above the area's threshold (in either direction), or above it together with what `by` corrected on this pass
    alone in the last 24 hours (`solo_correction_points`), a second manager must approve. Audited.
    Raises InvalidAdjustment, PassNotFound, NotAllowed, SecondApprovalRequired, InsufficientPoints.
    """
    reason = (reason or "").strip()
    if isinstance(points, bool) or not isinstance(points, int) or points == 0 or not reason:
        raise InvalidAdjustment()
    request_key = request_key or uuid.uuid4()
    now = now or timezone.now()
    with transaction.atomic():
        member_pass = lock_pass(pk=pass_id)
        if member_pass is None:
            raise PassNotFound()
        if not can(by, "loyalty.adjust_points", member_pass):
            raise NotAllowed()
        if previous := LedgerEntry.objects.filter(request_key=request_key).first():
            return _replayed_entry(previous, pass_id=pass_id, kind=EntryKind.ADJUST, points=points)
        rules = LoyaltySettings.for_area(member_pass.area_id)
        if approved_by is not None and (
            approved_by.pk == by.pk or not can(approved_by, "loyalty.adjust_points", member_pass)
        ):
            raise SecondApprovalRequired()
        if approved_by is None:
            if abs(points) > rules.adjustment_approval_threshold:
                raise SecondApprovalRequired()
            # Read under the pass lock, so two corrections at once cannot both count as within the threshold.
            if (
                solo_correction_points(pass_id=pass_id, by=by, now=now) + abs(points)
                > rules.adjustment_approval_threshold
            ):
                raise SecondApprovalRequired(
                    _(
                        "Together with your own corrections of this pass in the last 24 hours this is more than the "
                        "area's threshold: it needs the approval of a second manager."
                    )
                )
        fields = {"request_key": request_key, "now": now, "reason": reason[:200], "by": by, "approved_by": approved_by}
        if points > 0:
            entry = credit(member_pass, points=points, kind=EntryKind.ADJUST, rules=rules, **fields)
        else:
            expire_overdue(member_pass, now)
            if member_pass.points_balance < -points:
                raise InsufficientPoints(needed=-points, available=member_pass.points_balance)
            entry = debit(member_pass, points=-points, kind=EntryKind.ADJUST, **fields)
        log_access(
            # The balance changes when the second manager approves: theirs is the click (the request is audited apart).
            actor=approved_by or by,
            action=AuditAction.CHANGE,
            subject=member_pass.member,
            obj=member_pass,
            fields=["points_balance"],
            via="loyalty",
        )
        return entry


# --- The nightly check -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerMismatch:
    """A projection that disagrees with the ledger.

    `what`: "balance" (Pass.points_balance vs the sum of entries), "lots" (the sum of lot remainders vs
    the sum of entries), "lot" (a lot's remainder vs its points less its allocations; `object_id` is the
    lot), "allocation" (a debit entry not fully allocated) or "credit" (a credit entry without its lot).
    """

    pass_id: int
    what: str
    expected: int
    actual: int
    object_id: int | None = None


def _mismatches_in(rows: list[tuple[int, int]]) -> list[LedgerMismatch]:
    ids = [pk for pk, _balance in rows]
    ledger = dict(
        LedgerEntry.objects.filter(member_pass_id__in=ids)
        .order_by()
        .values("member_pass_id")
        .annotate(total=Sum("points"))
        .values_list("member_pass_id", "total")
    )
    remaining = dict(
        PointLot.objects.filter(member_pass_id__in=ids)
        .order_by()
        .values("member_pass_id")
        .annotate(total=Sum("remaining"))
        .values_list("member_pass_id", "total")
    )
    found = []
    for pk, balance in rows:
        expected = ledger.get(pk) or 0
        if balance != expected:
            found.append(LedgerMismatch(pk, "balance", expected, balance))
        if (remaining.get(pk) or 0) != expected:
            found.append(LedgerMismatch(pk, "lots", expected, remaining.get(pk) or 0))
    bad_lots = (
        PointLot.objects.filter(member_pass_id__in=ids)
        .annotate(drawn=Coalesce(Sum("allocations__points"), 0))
        .exclude(remaining=F("points") - F("drawn"))
        .values_list("member_pass_id", "pk", "points", "drawn", "remaining")
    )
    found += [LedgerMismatch(p, "lot", points - drawn, rem, lot) for p, lot, points, drawn, rem in bad_lots]
    bad_debits = (
        LedgerEntry.objects.filter(member_pass_id__in=ids, points__lt=0)
        .annotate(allocated=Coalesce(Sum("allocations__points"), 0))
        .exclude(allocated=-F("points"))
        .values_list("member_pass_id", "pk", "points", "allocated")
    )
    found += [LedgerMismatch(p, "allocation", -points, alloc, entry) for p, entry, points, alloc in bad_debits]
    bad_credits = (
        LedgerEntry.objects.filter(member_pass_id__in=ids, points__gt=0)
        .filter(Q(lot__isnull=True) | ~Q(lot__points=F("points")))
        .values_list("member_pass_id", "pk", "points", "lot__points")
    )
    found += [LedgerMismatch(p, "credit", points, lot or 0, entry) for p, entry, points, lot in bad_credits]
    return found


@transaction.atomic
def _repair(pass_id: int) -> None:
    """Recompute one pass's projections from its entries and allocations (never touches the ledger)."""
    member_pass = lock_pass(pk=pass_id)
    for lot in PointLot.objects.filter(member_pass=member_pass).annotate(drawn=Coalesce(Sum("allocations__points"), 0)):
        if lot.remaining != lot.points - lot.drawn:
            PointLot.objects.filter(pk=lot.pk).update(remaining=lot.points - lot.drawn)
    total = LedgerEntry.objects.filter(member_pass=member_pass).aggregate(total=Coalesce(Sum("points"), 0))["total"]
    Pass.objects.filter(pk=pass_id).update(points_balance=total, till_version=F("till_version") + 1)


def _suspects(rows: list[tuple[int, int]]) -> set[int]:
    """Passes of the chunk whose totals disagree, in three grouped queries: the balance against the
    entries; the lots' remainders against their points less what was drawn from them; the credits
    against the lots they opened and the debits against what they drew. Any single wrong row shows up
    in one of these sums; `_mismatches_in` then says which row."""
    ids = [pk for pk, _balance in rows]
    positive, negative = Q(points__gt=0), Q(points__lt=0)
    entries = {
        row["member_pass_id"]: row
        for row in LedgerEntry.objects.filter(member_pass_id__in=ids)
        .order_by()
        .values("member_pass_id")
        .annotate(
            total=Sum("points"),
            credits=Coalesce(Sum("points", filter=positive), 0),
            credit_count=Count("pk", filter=positive),
            debits=Coalesce(-Sum("points", filter=negative), 0),
        )
    }
    lots = {
        row["member_pass_id"]: row
        for row in PointLot.objects.filter(member_pass_id__in=ids)
        .order_by()
        .values("member_pass_id")
        .annotate(remaining=Sum("remaining"), points=Sum("points"), count=Count("pk"))
    }
    drawn = dict(
        LotAllocation.objects.filter(lot__member_pass_id__in=ids)
        .order_by()
        .values("lot__member_pass_id")
        .annotate(total=Sum("points"))
        .values_list("lot__member_pass_id", "total")
    )
    no_entries = {"total": 0, "credits": 0, "credit_count": 0, "debits": 0}
    no_lots = {"remaining": 0, "points": 0, "count": 0}
    suspects = set()
    for pk, balance in rows:
        entry, lot, allocated = entries.get(pk, no_entries), lots.get(pk, no_lots), drawn.get(pk, 0)
        if (
            balance != entry["total"]
            or lot["remaining"] != lot["points"] - allocated
            or (lot["points"], lot["count"]) != (entry["credits"], entry["credit_count"])
            or allocated != entry["debits"]
        ):
            suspects.add(pk)
    return suspects


def _confirmed(pass_id: int) -> list[LedgerMismatch]:
    """The pass's mismatches, read again under its lock: a spend committing while the chunk was read
    can make a pass look wrong for a moment, and the nightly check must not cry wolf."""
    with transaction.atomic():
        member_pass = lock_pass(pk=pass_id)
        return _mismatches_in([(member_pass.pk, member_pass.points_balance)]) if member_pass else []


def check_ledger(*, fix: bool = False, chunk_size: int = 10_000, pass_ids: Iterable[int] | None = None) -> list:
    """Compare every pass's projections with its ledger; returns the LedgerMismatch rows found.

    Reads the passes in chunks by primary key (three grouped queries per chunk), so memory stays flat
    however many passes there are; a pass that looks wrong is read again, row by row, under its lock. With `fix`,
    balances and lot remainders are recomputed from the entries (each pass under its lock); entries
    themselves are never changed: an unallocated debit or a credit without its lot is only reported.
    """
    found: list[LedgerMismatch] = []
    passes = Pass.objects.order_by("pk")
    if pass_ids is not None:
        passes = passes.filter(pk__in=list(pass_ids))
    after = 0
    while True:
        rows = list(passes.filter(pk__gt=after).values_list("pk", "points_balance")[:chunk_size])
        if not rows:
            break
        after = rows[-1][0]
        for pass_id in sorted(_suspects(rows)):
            found += _confirmed(pass_id)
    for mismatch in found:
        logger.error("Ledger mismatch: %s", mismatch)
    if fix:
        for pass_id in sorted({m.pass_id for m in found if m.what in ("balance", "lots", "lot")}):
            _repair(pass_id)
    return found
