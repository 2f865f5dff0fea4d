"""Messages to recipients. For now one plain e-mail: "your parcel is ready", with the pickup code.

(The rich e-mail with the QR code, the reminders and the "last day" notice build on this.)
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Parcel

logger = logging.getLogger(__name__)


def send_ready_notice(*, parcel_id: int) -> bool:
    """E-mail the recipient that their parcel(s) wait, with the pickup code; once per parcel (a conditional
    update marks it first, so a task run twice sends once). Returns whether an e-mail was sent."""
    if not Parcel.objects.filter(pk=parcel_id, notified_at__isnull=True).update(notified_at=timezone.now()):
        return False
    parcel = Parcel.objects.select_related("point__area", "recipient").get(pk=parcel_id)
    if not parcel.recipient_email:
        return False
    waiting = Parcel.objects.waiting().filter(point=parcel.point, pickup_code=parcel.pickup_code).count() or 1
    area = parcel.point.area
    language = getattr(parcel.recipient, "preferred_language", "") or (area.languages or [settings.LANGUAGE_CODE])[0]
    # storage_until is the midnight after the last day the parcel waits.
    last_day = (parcel.storage_until.astimezone(area.tz) - timedelta(seconds=1)).date()
    with translation.override(language):
        subject = ngettext(
            "Your parcel is ready at %(point)s", "%(count)d parcels are ready for you at %(point)s", waiting
        ) % {"point": parcel.point.name, "count": waiting}
        lines = [
            _("Hello %(name)s,") % {"name": parcel.recipient_name},
            "",
            subject + ".",
            _("Your pickup code: %(code)s") % {"code": parcel.pickup_code},
            _("Pick it up at the latest on %(date)s.") % {"date": date_format(last_day, "DATE_FORMAT")},
            "",
            parcel.point.name,
            " ".join(part for part in (parcel.point.street, parcel.point.postcode, parcel.point.city) if part),
            parcel.point.opening_notes,
        ]
    message = EmailMessage(
        subject, "\n".join(lines).strip() + "\n", settings.DEFAULT_FROM_EMAIL, [parcel.recipient_email]
    )
    try:
        message.send()
    except Exception:  # best effort: the parcel waits either way, and the reminders follow
        logger.exception("Ready notice for parcel %s could not be sent", parcel_id)
        return False
    return True
