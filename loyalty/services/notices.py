"""Messages the pass sends by itself: the notice of points about to expire.

Members are told at least `LoyaltySettings.expiry_notice_days` (30 or more) days before points expire.
The job runs daily and picks lots expiring within the notice period plus one day, so a lot is always
announced between that many days and one day more ahead. Each lot is announced once: the lots are
marked (`PointLot.expiry_notified_at`, a conditional update) in the transaction that queues the
e-mail, and the e-mail leaves after the commit, so a second run, or two at once, never tell twice.

It is a message about the member's own account (the pass contract), not marketing: it needs no consent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Min, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from areas.models import ShoppingArea

from ..models import LoyaltySettings, PassStatus, PointLot

logger = logging.getLogger(__name__)


def _absolute(area: ShoppingArea, url_name: str) -> str:
    path = reverse(url_name)
    return area.site.root_url.rstrip("/") + path if area.site_id else path


def _send(*, area: ShoppingArea, member, points: int, first_expires_at: datetime) -> None:
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
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [member.email])
    try:
        message.send()
    except Exception:  # the lots stay marked: a notice is best effort, the points expire either way
        logger.exception("Expiry notice to pass holder %s could not be sent", member.pk)


def _notify_chunk(area: ShoppingArea, lot_ids: list[int], now: datetime) -> int:
    """Mark the chunk's lots as announced and queue one e-mail per pass; returns the e-mails queued."""
    with transaction.atomic():
        # Only lots nobody marked yet: the conditional update is what makes two runs tell once.
        lots = PointLot.objects.select_for_update(skip_locked=True).filter(
            pk__in=lot_ids, expiry_notified_at__isnull=True
        )
        mine = list(lots.values_list("pk", flat=True))
        if not mine:
            return 0
        PointLot.objects.filter(pk__in=mine).update(expiry_notified_at=now)
        per_pass = (
            PointLot.objects.filter(pk__in=mine)
            .values("member_pass_id")
            .annotate(points=Sum("remaining"), first=Min("expires_at"))
            .order_by("member_pass_id")
        )
        totals = {row["member_pass_id"]: (row["points"], row["first"]) for row in per_pass}
        members = {
            pass_id: member
            for pass_id, member in (
                (lot.member_pass_id, lot.member_pass.member)
                for lot in PointLot.objects.filter(pk__in=mine).select_related("member_pass__member")
            )
        }
        queued = 0
        for pass_id, (points, first) in totals.items():
            member = members[pass_id]
            if not member.email or member.erased_at or not member.is_active:
                continue
            transaction.on_commit(
                lambda member=member, points=points, first=first: _send(
                    area=area, member=member, points=points, first_expires_at=first
                )
            )
            queued += 1
        return queued


def send_expiry_notices(*, now: datetime | None = None, chunk_size: int = 500) -> int:
    """Tell members about points expiring within their area's notice period; returns the e-mails sent.

    Idempotent: a lot is announced once. Blocked and closed passes, and erased accounts, get nothing.
    """
    now = now or timezone.now()
    sent = 0
    for area in ShoppingArea.objects.select_related("site").order_by("pk"):
        rules = LoyaltySettings.for_area(area)
        horizon = now + timedelta(days=rules.expiry_notice_days + 1)
        due = (
            PointLot.objects.filter(
                member_pass__area=area,
                member_pass__status=PassStatus.ACTIVE,
                remaining__gt=0,
                expires_at__gt=now,
                expires_at__lt=horizon,
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
                sent += _notify_chunk(area, chunk, now)
                chunk, passes_in_chunk = [], set()
            passes_in_chunk.add(pass_id)
            chunk.append(lot_id)
        if chunk:
            sent += _notify_chunk(area, chunk, now)
    return sent
