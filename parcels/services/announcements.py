"""Pre-announcements: a parcel expected at a point, from the webshop, a CSV, the API or a member."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from ..exceptions import AnnouncementConflict, InvalidRecipient, InvalidTrackingCode, UnknownCarrier
from ..models import Announcement, AnnouncementSource, Carrier, ParcelPoint


def clean_tracking_code(raw: str) -> str:
    """The code as the barcode module normalises a scan (no spaces, upper case), so announcements match scans."""
    from .. import barcodes

    return barcodes.normalise(raw or "")


@transaction.atomic
def announce_parcel(
    *,
    point: ParcelPoint,
    carrier_code: str,
    tracking_code: str,
    recipient_name: str,
    recipient_email: str,
    source: str,
    member=None,
    external_reference: str = "",
    expected_on: date | None = None,
) -> Announcement:
    """Expect a parcel at the point. Idempotent on (point, carrier, code): announcing it again returns the first
    announcement (filling in what it lacked); announcing it for another e-mail raises AnnouncementConflict.

    Raises UnknownCarrier, InvalidTrackingCode, InvalidRecipient. The caller checks who may announce.
    """
    if source not in AnnouncementSource.values or source == AnnouncementSource.MEMBER:
        # A member's own note never says who a parcel is for: it is a ParcelWatch (`imports.expect_parcel`).
        raise ValueError(f"source must be one of {AnnouncementSource.values} but not 'member'")
    carrier = Carrier.objects.filter(code=carrier_code).first()
    if carrier is None:
        raise UnknownCarrier()
    code = clean_tracking_code(tracking_code)
    if not code:
        raise InvalidTrackingCode()
    name, email = (recipient_name or "").strip()[:150], (recipient_email or "").strip().lower()
    if not email and member is not None:
        email = (member.email or "").lower()
    if not name and member is not None:
        name = member.get_full_name()[:150]
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidRecipient() from error
    if not name:
        raise InvalidRecipient()
    # get_or_create retries the read after losing an insert race, so two announcements at once make one row.
    announcement, created = Announcement.objects.get_or_create(
        point=point,
        carrier=carrier,
        tracking_code=code,
        defaults={
            "recipient_name": name,
            "recipient_email": email,
            "member": member,
            "source": source,
            "external_reference": (external_reference or "")[:100],
            "expected_on": expected_on,
        },
    )
    if created:
        return announcement
    if announcement.recipient_email and announcement.recipient_email.lower() != email:
        raise AnnouncementConflict()
    changed = []
    for field, value in (("member", member), ("expected_on", expected_on), ("external_reference", external_reference)):
        if value and not getattr(announcement, field):
            setattr(announcement, field, value)
            changed.append(field)
    if changed:
        announcement.save(update_fields=changed)
    return announcement
