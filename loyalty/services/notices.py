"""Messages the pass sends by itself: the notice of points about to expire.

Members are told at least `LoyaltySettings.expiry_notice_days` (30 or more) days before points expire.
The job runs daily and picks lots expiring within the notice period plus one day, so a lot is normally
announced between that many days and one day more ahead. One e-mail per member per run, for all their lots due.

A lot is marked as announced (`PointLot.expiry_notified_at`) only after its e-mail left, per member: a failed send is
logged and its lots stay unmarked, so the next run tries again, while the members already told are not told twice.
A notice that leaves later than the notice period before the date moves the lots' date to the notice period after it
(`expires_at`, under the pass lock, as every change of a pass's lots): members always have the full period. And
points whose member was never told do not expire (`ledger._hold_untold`), so a notice that keeps failing postpones
the expiry rather than letting points go unannounced. Members the notice cannot reach (`ledger.can_be_told`: blocked
or closed passes, erased or inactive accounts) get nothing, and their points expire on their date.

Two runs at once tell a member once: each takes a short lease on the pass in the cache (shared in production) and
reads the pass's unmarked lots again under it, before sending.

It is a message about the member's own account (the pass contract), not marketing: it needs no consent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from itertools import groupby
from operator import attrgetter

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from areas.models import ShoppingArea
from areas.selectors import site_url

from ..models import LoyaltySettings, PointLot
from .ledger import LOTS_THAT_CAN_BE_TOLD, lock_pass

logger = logging.getLogger(__name__)

#: How long a run may take to tell one member before another run may try (a send that hangs longer is retried).
LEASE_SECONDS = 600


def _absolute(area: ShoppingArea, url_name: str) -> str:
    return site_url(area, reverse(url_name))


def _send(*, area: ShoppingArea, member, points: int, first_expires_at: datetime) -> None:
    """Send the notice now; raises whatever the mail backend raises."""
    language = member.preferred_language or (area.languages or [settings.LANGUAGE_CODE])[0]
    with translation.override(language):
        context = {
            "area": area,
            "first_name": member.first_name,
            "points": points,
            "expires_on": first_expires_at.astimezone(area.tz).date(),
            "pass_url": _absolute(area, "loyalty:pass"),
            "history_url": _absolute(area, "loyalty:history"),
        }
        subject = render_to_string("loyalty/email/expiry_notice_subject.txt", context).strip()
        body = render_to_string("loyalty/email/expiry_notice.txt", context)
    EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [member.email]).send()


def _tell(area: ShoppingArea, member, pass_id: int, lot_ids: list[int], *, notice: timedelta, now: datetime) -> bool:
    """Tell the member about these lots of their pass, then mark them; False when nothing was sent (told by another
    run already, or the send failed: then the lots stay unmarked for the next run)."""
    lease = f"loyalty:expiry-notice:{pass_id}"
    if not cache.add(lease, now.isoformat(), timeout=LEASE_SECONDS):
        return False  # another run is telling this member right now
    try:
        # Read under the lease: a run that told this member a moment ago has marked the lots.
        lots = list(PointLot.objects.filter(pk__in=lot_ids, expiry_notified_at__isnull=True, remaining__gt=0))
        if not lots:
            return False
        told_until = now + notice  # the earliest date a lot may have once the member is told now
        try:
            _send(
                area=area,
                member=member,
                points=sum(lot.remaining for lot in lots),
                first_expires_at=min(max(lot.expires_at, told_until) for lot in lots),
            )
        except Exception:
            logger.exception("Expiry notice to pass holder %s could not be sent; the next run tries again", member.pk)
            return False
        with transaction.atomic():
            lock_pass(pk=pass_id)  # the lots' dates change under the pass lock, as every change of its lots
            mine = PointLot.objects.filter(pk__in=[lot.pk for lot in lots])
            mine.filter(remaining__gt=0, expires_at__lt=told_until).update(expires_at=told_until)
            mine.filter(expiry_notified_at__isnull=True).update(expiry_notified_at=now)
        return True
    finally:
        cache.delete(lease)


def _notify_chunk(area: ShoppingArea, lot_ids: list[int], *, notice: timedelta, now: datetime) -> int:
    """One e-mail per pass of the chunk's lots; returns the e-mails sent."""
    lots = (
        PointLot.objects.filter(pk__in=lot_ids, expiry_notified_at__isnull=True)
        .select_related("member_pass__member")
        .order_by("member_pass_id", "pk")
    )
    sent = 0
    for pass_id, of_pass in groupby(lots, key=attrgetter("member_pass_id")):
        of_pass = list(of_pass)
        member = of_pass[0].member_pass.member
        sent += _tell(area, member, pass_id, [lot.pk for lot in of_pass], notice=notice, now=now)
    return sent


def send_expiry_notices(*, now: datetime | None = None, chunk_size: int = 500) -> int:
    """Tell members about points expiring within their area's notice period; returns the e-mails sent.

    Idempotent: a lot is marked once its member was told, and only then; the next run retries the others. Blocked
    and closed passes, and erased or inactive accounts, get nothing.
    """
    now = now or timezone.now()
    sent = 0
    for area in ShoppingArea.objects.select_related("site").order_by("pk"):
        notice = timedelta(days=LoyaltySettings.for_area(area).expiry_notice_days)
        due = (
            PointLot.objects.filter(
                LOTS_THAT_CAN_BE_TOLD,
                member_pass__area=area,
                remaining__gt=0,
                expires_at__gt=now,
                expires_at__lt=now + notice + timedelta(days=1),
                expiry_notified_at__isnull=True,
            )
            .order_by("member_pass_id", "pk")
            .values_list("member_pass_id", "pk")
        )
        chunk: list[int] = []
        passes_in_chunk: set[int] = set()
        for pass_id, lot_id in due.iterator(chunk_size=2000):
            # Whole passes per chunk: one e-mail per pass per run.
            if pass_id not in passes_in_chunk and len(passes_in_chunk) >= chunk_size:
                sent += _notify_chunk(area, chunk, notice=notice, now=now)
                chunk, passes_in_chunk = [], set()
            passes_in_chunk.add(pass_id)
            chunk.append(lot_id)
        if chunk:
            sent += _notify_chunk(area, chunk, notice=notice, now=now)
    return sent
