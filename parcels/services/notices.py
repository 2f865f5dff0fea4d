"""Messages to recipients: "ready for pickup" at intake, reminders, the "last day" notice, and after a pickup.

- Each notice is a `ParcelNotice` row, unique per (parcel, kind, day), claimed *before* the e-mail leaves: a job
  run twice (or two workers at once) sends it once. When sending fails the claim is given back, so the next
  run tries again; a worker dying between claim and send loses that one notice (at most once, never twice).
- One e-mail per recipient and moment: parcels sharing a pickup code that are due the same notice go together.
- The e-mail is HTML with a plain-text alternative, in the recipient's language (their account's, else the
  area's first) and the area's time zone, with the area's name and colour, the point's address and opening
  notes, the pickup code in large type and the pickup QR as an inline PNG (many mail clients drop inline SVG);
  the code is the fallback when images are blocked.
- Reminders go on the point's `reminder_days` after intake (the latest one due, never a backlog), the last-day
  notice on the parcel's last storage day; both from `SEND_FROM_HOUR` local time, nothing to parcels that left.
"""

from __future__ import annotations

import io
import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import ngettext

from ..models import NoticeKind, Parcel, ParcelNotice
from ..selectors import pickup_qr_payload
from ..states import ParcelState

logger = logging.getLogger(__name__)

#: Reminders and the last-day notice are not sent before this hour, local time (the job runs hourly).
SEND_FROM_HOUR = 8
#: The Content-ID of the inline QR image.
QR_CID = "pickup-qr"
#: How the e-mails and every page say a parcel's last day: the day's date with its weekday ("dinsdag 8 december
#: 2026"), from `last_day` (the template filter `parcel_days.last_day` for the pages).
LAST_DAY_FORMAT = "l j F Y"


# --- Facts about a parcel -----------------------------------------------------------------------------------


def last_day(parcel: Parcel) -> date | None:
    """The last day the parcel waits, in its area's zone (`storage_until` is the midnight after it)."""
    if parcel.storage_until is None:
        return None
    return (parcel.storage_until.astimezone(parcel.point.area.tz) - timedelta(seconds=1)).date()


def recipient_language(parcel: Parcel) -> str:
    """The recipient's account language, else the area's first language."""
    preferred = getattr(parcel.recipient, "preferred_language", "") if parcel.recipient_id else ""
    return preferred or (parcel.point.area.languages or [settings.LANGUAGE_CODE])[0]


def due_notice(parcel: Parcel, *, now: datetime) -> tuple[str, int] | None:
    """(kind, day) of the reminder or last-day notice due for a waiting parcel at `now`, or None.

    On the last day: the last-day notice (it replaces a reminder falling on that day). Before it: the latest
    reminder day reached (a job that missed a day sends one reminder, not a backlog).
    """
    zone = parcel.point.area.tz
    local = now.astimezone(zone)
    final = last_day(parcel)
    if final is None or local.hour < SEND_FROM_HOUR:
        return None
    today = local.date()
    if today == final:
        return NoticeKind.LAST_DAY, 0
    if today > final:
        return None
    received = parcel.received_at.astimezone(zone).date()
    reached = [day for day in parcel.point.reminder_day_list if day > 0 and received + timedelta(days=day) <= today]
    return (NoticeKind.REMINDER, max(reached)) if reached else None


def qr_png(payload: str) -> bytes:
    """The pickup QR as a PNG (qrcode with Pillow), big enough to scan from a phone held to the desk scanner."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


# --- Claims ---------------------------------------------------------------------------------------------------


def _claim(parcel_ids, *, kind: str, day: int, now: datetime) -> list[int]:
    """The parcels whose notice this caller now holds (the unique constraint refuses a second claim)."""
    claimed = []
    for parcel_id in parcel_ids:
        try:
            with transaction.atomic():
                ParcelNotice.objects.create(parcel_id=parcel_id, kind=kind, day=day, claimed_at=now)
        except IntegrityError:
            continue
        claimed.append(parcel_id)
    return claimed


def _settle(parcel_ids, *, kind: str, day: int, sent: bool, now: datetime) -> None:
    notices = ParcelNotice.objects.filter(parcel_id__in=parcel_ids, kind=kind, day=day, sent_at__isnull=True)
    if sent:
        notices.update(sent_at=now)
    else:
        notices.delete()  # give the claim back: the next run tries again


# --- The e-mail ------------------------------------------------------------------------------------------------


def _subject(kind: str, count: int, point_name: str) -> str:
    texts = {
        NoticeKind.READY: ngettext(
            "Your parcel is ready at %(point)s", "%(count)d parcels are ready for you at %(point)s", count
        ),
        NoticeKind.REMINDER: ngettext(
            "Reminder: your parcel is waiting at %(point)s",
            "Reminder: %(count)d parcels are waiting for you at %(point)s",
            count,
        ),
        NoticeKind.LAST_DAY: ngettext(
            "Last day: pick up your parcel at %(point)s today",
            "Last day: pick up your %(count)d parcels at %(point)s today",
            count,
        ),
        NoticeKind.PICKED_UP: ngettext(
            "Your parcel was picked up at %(point)s", "Your %(count)d parcels were picked up at %(point)s", count
        ),
    }
    return texts[kind] % {"point": point_name, "count": count}


def _voucher_context(voucher, zone) -> dict | None:
    if voucher is None:
        return None
    from loyalty.services.vouchers import group_voucher_code

    merchants = sorted(merchant.trade_name for merchant in voucher.merchants.all())
    euros = f"{voucher.value_cents // 100},{voucher.value_cents % 100:02d}"
    return {
        "code": group_voucher_code(voucher.code),
        "value": f"€ {euros}",
        "expires_on": date_format((voucher.expires_at.astimezone(zone) - timedelta(seconds=1)).date(), "DATE_FORMAT"),
        "merchants": merchants,
        "in_wallet": voucher.member_pass_id is not None,
    }


def build_notice_email(kind: str, parcels: list[Parcel], *, voucher=None) -> EmailMultiAlternatives:
    """The e-mail of one notice about `parcels` (one recipient, one point), in the recipient's language."""
    parcel = parcels[0]
    point = parcel.point
    area = point.area
    zone = area.tz
    finals = [day for day in (last_day(p) for p in parcels) if day]
    with translation.override(recipient_language(parcel)), timezone.override(zone):
        subject = _subject(kind, len(parcels), point.name)
        handed_out_at = parcel.handed_out_at.astimezone(zone) if parcel.handed_out_at else None
        context = {
            "kind": kind,
            "subject": subject,
            "area": area,
            "point": point,
            "address": ", ".join(part for part in (point.street, f"{point.postcode} {point.city}".strip()) if part),
            "recipient_name": parcel.recipient_name,
            "parcels": [{"carrier": p.carrier.name, "tracking_code": p.tracking_code} for p in parcels],
            "pickup_code": parcel.pickup_code,
            "qr_cid": QR_CID,
            "last_day": date_format(min(finals), LAST_DAY_FORMAT) if finals else "",
            "handed_out_at": date_format(handed_out_at, "DATETIME_FORMAT") if handed_out_at else "",
            "by_proxy": parcel.picked_up_by_proxy,
            "voucher": _voucher_context(voucher, zone),
            "is_waiting": kind != NoticeKind.PICKED_UP,
        }
        text = render_to_string("parcels/email/notice.txt", context)
        html = render_to_string("parcels/email/notice.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [parcel.recipient_email])
    message.attach_alternative(html, "text/html")
    if context["is_waiting"] and parcel.pickup_token:
        # multipart/related: the HTML refers to the image by its Content-ID.
        message.mixed_subtype = "related"
        image = MIMEImage(qr_png(pickup_qr_payload(parcel)), "png")
        image.add_header("Content-ID", f"<{QR_CID}>")
        image.add_header("Content-Disposition", "inline", filename="pickup-qr.png")
        message.attach(image)
    return message


def _deliver(kind: str, parcels: list[Parcel], *, day: int, now: datetime, voucher=None) -> bool:
    """Send the notice whose claims the caller holds; settle the claims (sent, or given back)."""
    ids = [parcel.pk for parcel in parcels]
    try:
        build_notice_email(kind, parcels, voucher=voucher).send()
    except Exception:  # the mail server: the claim goes back and the next run tries again
        logger.exception("Notice %s for parcels %s could not be sent", kind, ids)
        _settle(ids, kind=kind, day=day, sent=False, now=now)
        return False
    _settle(ids, kind=kind, day=day, sent=True, now=now)
    return True


def _with_relations(parcels):
    return parcels.select_related("point__area", "carrier", "recipient")


# --- The notices ---------------------------------------------------------------------------------------------


def send_ready_notice(*, parcel_id: int, now: datetime | None = None) -> bool:
    """E-mail the recipient that their parcel waits, with the code and QR (listing all their parcels waiting
    under the same code); once per parcel. Returns whether an e-mail was sent."""
    now = now or timezone.now()
    parcel = _with_relations(Parcel.objects.waiting().filter(pk=parcel_id)).first()
    if parcel is None or not parcel.recipient_email:
        return False
    if not _claim([parcel.pk], kind=NoticeKind.READY, day=0, now=now):
        return False
    Parcel.objects.filter(pk=parcel.pk, notified_at__isnull=True).update(notified_at=now)
    together = list(
        _with_relations(Parcel.objects.waiting().filter(point_id=parcel.point_id, pickup_code=parcel.pickup_code))
        .exclude(pk=parcel.pk)
        .order_by("received_at", "pk")
    )
    # The others are listed, but only this parcel's notice is claimed: theirs went (or goes) on their own.
    message_parcels = [parcel, *together]
    try:
        build_notice_email(NoticeKind.READY, message_parcels).send()
    except Exception:
        logger.exception("Ready notice for parcel %s could not be sent", parcel.pk)
        _settle([parcel.pk], kind=NoticeKind.READY, day=0, sent=False, now=now)
        return False
    _settle([parcel.pk], kind=NoticeKind.READY, day=0, sent=True, now=now)
    return True


def send_due_reminders(*, now: datetime | None = None) -> int:
    """The reminders and last-day notices due at `now` (see `due_notice`), one e-mail per recipient, point and
    notice. Safe to run twice, also at once (the claims). Returns how many e-mails were sent."""
    now = now or timezone.now()
    candidates = _with_relations(
        Parcel.objects.waiting().filter(storage_until__gt=now).exclude(recipient_email="").exclude(pickup_code="")
    ).order_by("pk")
    due: dict[tuple, list[Parcel]] = defaultdict(list)
    for parcel in candidates.iterator(chunk_size=500):
        if notice := due_notice(parcel, now=now):
            due[(parcel.point_id, parcel.pickup_code, *notice)].append(parcel)
    if not due:
        return 0
    ids = [parcel.pk for group in due.values() for parcel in group]
    already = set(
        ParcelNotice.objects.filter(parcel_id__in=ids, kind__in=[NoticeKind.REMINDER, NoticeKind.LAST_DAY]).values_list(
            "parcel_id", "kind", "day"
        )
    )
    sent = 0
    for (_point_id, _code, kind, day), group in due.items():
        fresh = [parcel.pk for parcel in group if (parcel.pk, kind, day) not in already]
        claimed = set(_claim(fresh, kind=kind, day=day, now=now))
        if claimed and _deliver(kind, [p for p in group if p.pk in claimed], day=day, now=now):
            sent += 1
    return sent


def send_pickup_notice(*, parcel_ids, now: datetime | None = None) -> bool:
    """After a handout: e-mail the recipient a receipt of the pickup (who cannot have been there learns of it),
    with the pickup voucher when the point gives one (`conversion.issue_pickup_voucher`, idempotent per
    handout). Once per handout (the claim is on its first parcel). Returns whether an e-mail was sent."""
    from .conversion import issue_pickup_voucher

    now = now or timezone.now()
    parcels = list(
        _with_relations(Parcel.objects.filter(pk__in=list(parcel_ids), state=ParcelState.PICKED_UP)).order_by("pk")
    )
    if not parcels or not parcels[0].recipient_email:
        return False
    first = parcels[0]
    if not _claim([first.pk], kind=NoticeKind.PICKED_UP, day=0, now=now):
        return False
    try:
        voucher = issue_pickup_voucher(parcels=parcels, now=now)
    except Exception:
        _settle([first.pk], kind=NoticeKind.PICKED_UP, day=0, sent=False, now=now)
        raise
    return _deliver(NoticeKind.PICKED_UP, parcels, day=0, now=now, voucher=voucher)
