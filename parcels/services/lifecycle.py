"""What happens to parcels without a desk scan: expiry each morning, a manager writing one off, erasure."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.permissions import can

from ..exceptions import NotAllowed, ReasonRequired
from ..models import Announcement, Parcel, ParcelPoint, ParcelWatch
from ..states import WAITING_STATES, ParcelState
from .transitions import lock_parcels, transition

logger = logging.getLogger(__name__)

CHUNK = 200
#: An announced parcel that never arrived: its recipient data goes this long after the retention period.
UNARRIVED_GRACE_DAYS = 60


def expire_overdue_parcels(*, now: datetime | None = None) -> int:
    """Move every waiting parcel past its `storage_until` to its carrier's return list (`expired`); returns how
    many. Idempotent, and safe to run twice at once: each parcel is re-read under its row lock."""
    now = now or timezone.now()
    expired = 0
    while True:
        ids = list(
            Parcel.objects.filter(state__in=WAITING_STATES, storage_until__lte=now)
            .order_by("pk")
            .values_list("pk", flat=True)[:CHUNK]
        )
        if not ids:
            return expired
        with transaction.atomic():
            for parcel in lock_parcels(ids, state__in=WAITING_STATES, storage_until__lte=now):
                transition(parcel, ParcelState.EXPIRED, by=None, device="", at=now)
                expired += 1


@transaction.atomic
def declare_lost(*, parcel: Parcel, reason: str, by, device: str = "", now: datetime | None = None) -> Parcel:
    """Write a parcel off as lost, with a reason; area managers only (`parcels.declare_lost`).

    Raises ReasonRequired, NotAllowed, InvalidTransition (a parcel that already left).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    now = now or timezone.now()
    (locked,) = lock_parcels([parcel.pk])
    if not can(by, "parcels.declare_lost", locked):
        raise NotAllowed()
    locked.left_at = now
    transition(locked, ParcelState.LOST, by=by, device=device, at=now, note=reason)
    return locked


def erase_recipient_data(*, now: datetime | None = None) -> int:
    """Blank the recipient's name, e-mail, account and QR token on parcels that left their point more than its
    `recipient_retention_days` ago, and on their pre-announcements (and on announcements whose parcel never
    came, `UNARRIVED_GRACE_DAYS` later; members' notes as long after they were made). Events name no recipient.
    Idempotent; returns the parcels erased."""
    now = now or timezone.now()
    erased = 0
    blank = {"recipient_name": "", "recipient_email": "", "recipient_erased_at": now}
    for point in ParcelPoint.objects.all().only("pk", "recipient_retention_days"):
        cutoff = now - timedelta(days=point.recipient_retention_days)
        with transaction.atomic():
            parcels = Parcel.objects.filter(point=point, left_at__lte=cutoff, recipient_erased_at__isnull=True)
            announcement_ids = list(parcels.exclude(announcement=None).values_list("announcement_id", flat=True))
            erased += parcels.update(recipient=None, pickup_token="", **blank)
            Announcement.objects.filter(pk__in=announcement_ids).update(member=None, **blank)
            Announcement.objects.filter(
                point=point,
                parcel__isnull=True,
                created_at__lte=cutoff - timedelta(days=UNARRIVED_GRACE_DAYS),
                recipient_erased_at__isnull=True,
            ).update(member=None, **blank)
            # A member's notes ("let me know when it arrives") go as long after as unarrived announcements.
            ParcelWatch.objects.filter(
                point=point, created_at__lte=cutoff - timedelta(days=UNARRIVED_GRACE_DAYS)
            ).delete()
    if erased:
        logger.info("Erased the recipient data of %d parcels", erased)
    return erased
