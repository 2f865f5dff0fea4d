"""Corrections of a pass's points by the area's managers, with four eyes above the area's threshold.

A manager asks for a correction (`correct_points`): within the area's `adjustment_approval_threshold` (in either
direction) it is applied at once, as a ledger entry of kind ADJUST (`ledger.adjust_points`); above it, it waits as a
`PointsCorrection` until another manager of the area applies it (`approve_correction`: the entry then names both) or
either of them, or another, decides it is not applied (`reject_correction`). A correction is decided once; applying
it uses its own request key, so it can never make two entries. Every step is audited.

The threshold counts what one manager applies alone to one pass in 24 hours, not one correction: five corrections
of 200 are a correction of 1000 (`ledger.solo_correction_points`, sizes either way). The sum is read under the
pass's row lock, so two corrections sent at once cannot both count as within it; `adjust_points` checks it again.
Corrections another manager approved, and other managers' own, do not count.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.permissions import can
from privacy.models import AuditAction
from privacy.services import log_access

from ..exceptions import CorrectionDecided, InvalidAdjustment, NotAllowed, OwnCorrection, PassNotFound
from ..models import CorrectionStatus, LedgerEntry, LoyaltySettings, Pass, PointsCorrection
from .ledger import adjust_points, lock_pass, solo_correction_points

ACTION = "loyalty.adjust_points"
#: The largest correction, either way (an integer column's range, far beyond any real one).
MAX_POINTS = 1_000_000
REASON_MAX_LENGTH = 200


@dataclass(frozen=True)
class CorrectionResult:
    """`entry` when the correction was applied at once; `correction` when it waits for a second manager.

    `together_with`: when it waits only because of them, the points its manager corrected on this pass alone in the
    last 24 hours (else 0); `threshold`: the area's.
    """

    entry: LedgerEntry | None = None
    correction: PointsCorrection | None = None
    together_with: int = 0
    threshold: int = 0


def correct_points(
    *, pass_id: int, points: int, reason: str, by, request_key: uuid.UUID, now: datetime | None = None
) -> CorrectionResult:
    """Correct the pass's points by `points` (positive or negative) for `reason`: at once when it is, together with
    what `by` corrected on this pass alone in the last 24 hours, within the area's threshold; else a correction
    waiting for a second manager. Sending the same `request_key` again returns the first result.

    Raises InvalidAdjustment, PassNotFound, NotAllowed, InsufficientPoints (a deduction larger than the balance).
    """
    reason = (reason or "").strip()
    if isinstance(points, bool) or not isinstance(points, int) or points == 0 or abs(points) > MAX_POINTS:
        raise InvalidAdjustment()
    if not reason or len(reason) > REASON_MAX_LENGTH:
        raise InvalidAdjustment()
    now = now or timezone.now()
    member_pass = Pass.objects.select_related("area", "member").filter(pk=pass_id).first()
    if member_pass is None:
        raise PassNotFound()
    if not can(by, ACTION, member_pass):
        raise NotAllowed()
    threshold = LoyaltySettings.for_area(member_pass.area_id).adjustment_approval_threshold
    with transaction.atomic():
        # Serialises this pass's corrections: the 24 hours' sum below is read after any other one committed.
        lock_pass(pk=pass_id)
        if previous := PointsCorrection.objects.filter(request_key=request_key).first():
            return CorrectionResult(correction=previous, threshold=threshold)
        # A double submit of one applied at once: `adjust_points` returns that entry (its sum now counts it).
        replayed = LedgerEntry.objects.filter(request_key=request_key).exists()
        before = solo_correction_points(pass_id=pass_id, by=by, now=now)
        if replayed or before + abs(points) <= threshold:
            entry = adjust_points(
                pass_id=pass_id, points=points, reason=reason, by=by, request_key=request_key, now=now
            )
            return CorrectionResult(entry=entry, threshold=threshold)
        try:
            with transaction.atomic():
                correction = PointsCorrection.objects.create(
                    area_id=member_pass.area_id,
                    member_pass=member_pass,
                    points=points,
                    reason=reason,
                    request_key=request_key,
                    requested_by=by,
                    requested_at=now,
                )
        except IntegrityError:
            # The same request at the same moment (a double click): the first one's.
            correction = PointsCorrection.objects.filter(request_key=request_key).first()
            if correction is None:
                raise
        _audit(by, correction)
    together_with = before if abs(points) <= threshold else 0
    return CorrectionResult(correction=correction, together_with=together_with, threshold=threshold)


def approve_correction(*, correction_id: int, by, now: datetime | None = None) -> PointsCorrection:
    """Apply a waiting correction as a second manager: a ledger entry asked by the first, approved by `by`.

    Raises NotAllowed, OwnCorrection (`by` asked for it), CorrectionDecided (decided already: its `correction` says
    how), InsufficientPoints (the balance no longer covers a deduction; it keeps waiting).
    """
    now = now or timezone.now()
    with transaction.atomic():
        correction = _lock(correction_id, by)
        if correction.requested_by_id == by.pk:
            raise OwnCorrection()
        entry = adjust_points(
            pass_id=correction.member_pass_id,
            points=correction.points,
            reason=correction.reason,
            by=correction.requested_by,
            approved_by=by,
            request_key=correction.request_key,
            now=now,
        )
        correction.status, correction.decided_by, correction.decided_at, correction.entry = (
            CorrectionStatus.APPLIED,
            by,
            now,
            entry,
        )
        correction.save(update_fields=["status", "decided_by", "decided_at", "entry"])
        _audit(by, correction)
    return correction


def reject_correction(*, correction_id: int, by, now: datetime | None = None) -> PointsCorrection:
    """Decide that a waiting correction is not applied (the manager who asked may withdraw it this way).

    Raises NotAllowed, CorrectionDecided.
    """
    now = now or timezone.now()
    with transaction.atomic():
        correction = _lock(correction_id, by)
        correction.status, correction.decided_by, correction.decided_at = CorrectionStatus.REJECTED, by, now
        correction.save(update_fields=["status", "decided_by", "decided_at"])
        _audit(by, correction)
    return correction


def _lock(correction_id: int, by) -> PointsCorrection:
    """The waiting correction, locked until the decision commits (two managers deciding at once: one waits, then
    finds it decided)."""
    correction = (
        PointsCorrection.objects.select_for_update(of=("self",))
        .select_related("member_pass", "member_pass__member", "requested_by")
        .filter(pk=correction_id)
        .first()
    )
    if correction is None or not can(by, ACTION, correction.member_pass):
        raise NotAllowed()
    if correction.status != CorrectionStatus.PENDING:
        raise CorrectionDecided(correction=correction)
    return correction


def _audit(by, correction: PointsCorrection) -> None:
    log_access(
        actor=by,
        action=AuditAction.CHANGE,
        subject=correction.member_pass.member,
        obj=correction.member_pass,
        fields=["points_correction"],
        via="loyalty",
    )
