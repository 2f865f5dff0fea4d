"""Corrections of a pass's points by the area's managers, with four eyes above the area's threshold.

A manager asks for a correction (`correct_points`): within the area's `adjustment_approval_threshold` (in either
direction) it is applied at once, as a ledger entry of kind ADJUST (`ledger.adjust_points`); above it, it waits as a
`PointsCorrection` until another manager of the area applies it (`approve_correction`: the entry then names both) or
either of them, or another, decides it is not applied (`reject_correction`). A correction is decided once; applying
it uses its own request key, so it can never make two entries. Every step is audited.

A deduction never takes off more than the pass has: refused when it is asked for, and checked again when it is
applied (points may have been spent or expired meanwhile: then it cannot be applied as it is, and is not applied
instead). The reason is read in the audit and by the member, so it says what happened (`REASON_MIN_LENGTH`).

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
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.permissions import can
from privacy.models import AuditAction
from privacy.services import log_access

from ..exceptions import (
    CorrectionDecided,
    InsufficientPoints,
    InvalidAdjustment,
    NotAllowed,
    OwnCorrection,
    PassNotFound,
)
from ..models import CorrectionStatus, LedgerEntry, LoyaltySettings, Pass, PointsCorrection
from .ledger import adjust_points, expire_overdue, lock_pass, solo_correction_points

ACTION = "loyalty.adjust_points"
#: The largest correction, either way (an integer column's range, far beyond any real one).
MAX_POINTS = 1_000_000
REASON_MAX_LENGTH = 200
#: A reason is what the audit and the member read about the correction: "x" says nothing, "Bon 4411 niet gescand"
#: does.
REASON_MIN_LENGTH = 10


def points_text(points: int, *, signed: bool = False) -> str:
    """A number of points as the active language writes it: "1 point", "1.620 punten"; `signed`, a change with its
    sign: "+250 points", "−1.620 punten" (a true minus)."""
    number = formats.number_format(abs(points), force_grouping=True)
    if signed and points:
        number = ("+" if points > 0 else "\u2212") + number
    return ngettext("%(points)s point", "%(points)s points", abs(points)) % {"points": number}


def check_correction(*, points, reason: str) -> None:
    """The shape of a correction: a whole number of points other than zero, at most `MAX_POINTS` either way, and a
    reason of `REASON_MIN_LENGTH` to `REASON_MAX_LENGTH` characters. Raises InvalidAdjustment (`errors` per field:
    "points", "reason")."""
    errors: dict[str, list[str]] = {}
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        errors["points"] = [_("Enter a number of points other than zero.")]
    elif abs(points) > MAX_POINTS:
        errors["points"] = [max_points_message()]
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        errors["reason"] = [reason_too_short_message()]
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = [
            _("Keep the reason to %(max)s characters.") % {"max": formats.number_format(REASON_MAX_LENGTH)}
        ]
    if errors:
        raise InvalidAdjustment(next(iter(errors.values()))[0], errors=errors)


def max_points_message() -> str:
    return _("A correction is at most %(max)s points either way.") % {
        "max": formats.number_format(MAX_POINTS, force_grouping=True)
    }


def reason_too_short_message() -> str:
    return ngettext(
        "Say what happened, in at least %(min)s character: the reason is read in the audit and by the member.",
        "Say what happened, in at least %(min)s characters: the reason is read in the audit and by the member.",
        REASON_MIN_LENGTH,
    ) % {"min": REASON_MIN_LENGTH}


def _more_than_the_balance(member_pass: Pass, points: int) -> InsufficientPoints:
    message = _("The pass has %(balance)s: a correction cannot take off more than the pass has.") % {
        "balance": points_text(member_pass.points_balance)
    }
    return InsufficientPoints(
        message, needed=-points, available=member_pass.points_balance, errors={"points": [message]}
    )


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

    Raises InvalidAdjustment (`check_correction`), PassNotFound, NotAllowed, InsufficientPoints (a deduction larger
    than the balance, applied at once or not: `errors` on "points" names the balance).
    """
    check_correction(points=points, reason=reason)
    reason = reason.strip()
    now = now or timezone.now()
    member_pass = Pass.objects.select_related("area", "member").filter(pk=pass_id).first()
    if member_pass is None:
        raise PassNotFound()
    if not can(by, ACTION, member_pass):
        raise NotAllowed()
    threshold = LoyaltySettings.for_area(member_pass.area_id).adjustment_approval_threshold
    with transaction.atomic():
        # Serialises this pass's corrections: the 24 hours' sum below is read after any other one committed.
        locked = lock_pass(pk=pass_id)
        if previous := PointsCorrection.objects.filter(request_key=request_key).first():
            return CorrectionResult(correction=previous, threshold=threshold)
        # A double submit of one applied at once: `adjust_points` returns that entry (its sum now counts it).
        replayed = LedgerEntry.objects.filter(request_key=request_key).exists()
        if points < 0 and not replayed:
            # Refused now rather than waiting for a second manager who could never apply it. Overdue points go
            # first, as they would before the debit.
            expire_overdue(locked, now)
            if locked.points_balance < -points:
                raise _more_than_the_balance(locked, points)
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
        _audit(by, correction, "requested")
    together_with = before if abs(points) <= threshold else 0
    return CorrectionResult(correction=correction, together_with=together_with, threshold=threshold)


def approve_correction(*, correction_id: int, by, now: datetime | None = None) -> PointsCorrection:
    """Apply a waiting correction as a second manager: a ledger entry asked by the first, approved by `by`.

    Raises NotAllowed, OwnCorrection (`by` asked for it), CorrectionDecided (decided already: its `correction` says
    how), InsufficientPoints (the balance no longer covers a deduction: it keeps waiting, and the message says to
    decide it is not applied).
    """
    now = now or timezone.now()
    with transaction.atomic():
        correction = _lock(correction_id, by)
        if correction.requested_by_id == by.pk:
            raise OwnCorrection()
        try:
            entry = adjust_points(
                pass_id=correction.member_pass_id,
                points=correction.points,
                reason=correction.reason,
                by=correction.requested_by,
                approved_by=by,
                request_key=correction.request_key,
                now=now,
            )
        except InsufficientPoints as error:
            raise InsufficientPoints(
                _(
                    "This correction takes off %(points)s, but the pass has only %(balance)s now: it cannot be"
                    " applied. Choose “Do not apply”, and ask for a new correction if some points must still come"
                    " off."
                )
                % {"points": points_text(correction.points), "balance": points_text(error.available)},
                needed=error.needed,
                available=error.available,
            ) from error
        correction.status, correction.decided_by, correction.decided_at, correction.entry = (
            CorrectionStatus.APPLIED,
            by,
            now,
            entry,
        )
        correction.save(update_fields=["status", "decided_by", "decided_at", "entry"])
        _audit(by, correction, "approved")
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
        # The one who asked deciding it is not applied withdraws it; anyone else rejects it.
        _audit(by, correction, "withdrawn" if correction.requested_by_id == by.pk else "rejected")
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


def _audit(by, correction: PointsCorrection, step: str) -> None:
    """The audit log says which step it was ("points_correction 12: approved"); its actor is who took it. The
    correction's id, not its points or reason, which are read on the correction itself."""
    log_access(
        actor=by,
        action=AuditAction.CHANGE,
        subject=correction.member_pass.member,
        obj=correction.member_pass,
        fields=[f"points_correction {correction.pk}: {step}"],
        via="loyalty",
    )
