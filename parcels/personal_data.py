"""Registers the parcel point's personal data with the privacy registry.

A parcel and its pre-announcement hold the recipient's name and e-mail (and their account, when a member).
They are the person's own when linked to the account or sent to one of its confirmed e-mail addresses (an
address typed at sign-up but never confirmed could be someone else's: their parcels are not this person's to
export or erase). On erasure (and by
`services.erase_recipient_data` after each point's retention period) the name, e-mail, account link and
QR token are blanked; the parcel itself stays, as the carriers' bookkeeping (codes, states, fees). Events
name staff and desk devices, never the recipient.
"""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.registry import register

from .models import Announcement, Parcel
from .selectors import verified_emails


def _by_email(person) -> Q:
    emails = verified_emails(person)  # stored lower-cased, as the intake and announcements store them
    return Q(recipient_email__in=emails) if emails else Q(pk__in=[])


def _parcels_of(person) -> Q:
    return Q(recipient=person.pk) | _by_email(person)


def _announcements_of(person) -> Q:
    return Q(member=person.pk) | _by_email(person)


register(
    Parcel,
    label=_("Your parcels at the parcel point"),
    subject_path=_parcels_of,
    fields=[
        "point",
        "carrier",
        "tracking_code",
        "state",
        "recipient_name",
        "recipient_email",
        "received_at",
        "storage_until",
        "handed_out_at",
        "picked_up_by_proxy",
    ],
    on_erase="anonymise",
    anonymise={
        "recipient_name": "",
        "recipient_email": "",
        "recipient": None,
        "pickup_token": "",
        "recipient_erased_at": lambda parcel: timezone.now(),
    },
    order=40,
)
register(
    Announcement,
    label=_("Parcels you expect at the parcel point"),
    subject_path=_announcements_of,
    fields=["point", "carrier", "tracking_code", "recipient_name", "recipient_email", "source", "expected_on"],
    on_erase="anonymise",
    anonymise={
        "recipient_name": "",
        "recipient_email": "",
        "member": None,
        "recipient_erased_at": lambda announcement: timezone.now(),
    },
    order=40,
)
