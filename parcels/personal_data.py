"""Registers the parcel point's personal data with the privacy registry.

A parcel and its pre-announcement hold the recipient's name and e-mail (and their account, when a member); a
member's note "let me know when it arrives" (`ParcelWatch`) holds the code they typed, and goes on erasure.
They are the person's own when linked to the account or sent to one of its confirmed e-mail addresses (an
address typed at sign-up but never confirmed could be someone else's: their parcels are not this person's to
export or erase). On erasure (and by
`services.erase_recipient_data` after each point's retention period) the name, e-mail, account link and
QR token are blanked; the parcel itself stays, as the carriers' bookkeeping (codes, states, fees). Events
name staff and desk devices, never the recipient.
"""

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from privacy.registry import BLOCKS, NOTE, OpenItem, register, register_open_items

from .models import Announcement, AnnouncementSource, Direction, Parcel, ParcelWatch
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
register(
    ParcelWatch,
    label=_("Parcels you asked us to let you know about"),
    subject_path="member",
    fields=["point", "carrier", "tracking_code", "created_at"],
    on_erase="delete",
    order=40,
)


# --- What erasure would cut off (the erasure page lists it before the person confirms) ---------------------------
# A parcel waiting at the point is handed out against the recipient's pickup code and name, which erasure blanks:
# the erasure waits until it is picked up (BLOCKS). A carrier's pre-announcement not yet arrived is only told (NOTE):
# it may never come. The webshop's own parcels are listed by the shop until the point has taken them in.

#: How long an announced parcel that has not arrived is still mentioned.
_EXPECTED_DAYS = 30


def _open_items(person) -> list[OpenItem]:
    items = []
    waiting = (
        Parcel.objects.filter(_parcels_of(person), direction=Direction.INBOUND)
        .waiting()
        .select_related("point__area", "carrier")
        .order_by("received_at", "pk")
    )
    for parcel in waiting:
        values = {"code": parcel.tracking_code, "carrier": parcel.carrier.name, "point": parcel.point.name}
        if parcel.storage_until:
            values["date"] = date_format(timezone.localtime(parcel.storage_until, parcel.point.area.tz), "j F Y")
            text = _("Parcel %(code)s (%(carrier)s) is waiting for you at %(point)s until %(date)s") % values
        else:
            text = _("Parcel %(code)s (%(carrier)s) is waiting for you at %(point)s") % values
        items.append(
            OpenItem(
                ref=f"parcels.parcel:{parcel.pk}",
                effect=BLOCKS,
                text=text,
                advice=_("Pick it up first: we need your pickup code and name to hand it to you."),
                url=reverse("parcels:my_parcels"),
            )
        )
    expected = (
        Announcement.objects.filter(
            _announcements_of(person),
            parcel__isnull=True,
            created_at__gte=timezone.now() - timedelta(days=_EXPECTED_DAYS),
        )
        .exclude(source=AnnouncementSource.WEBSHOP)
        .select_related("point", "carrier")
        .order_by("created_at", "pk")
    )
    for announcement in expected:
        items.append(
            OpenItem(
                ref=f"parcels.announcement:{announcement.pk}",
                effect=NOTE,
                text=_("Parcel %(code)s (%(carrier)s) is expected at %(point)s")
                % {
                    "code": announcement.tracking_code,
                    "carrier": announcement.carrier.name,
                    "point": announcement.point.name,
                },
                advice=_("If it arrives after the erasure, we can no longer tell you: it goes back to the sender."),
            )
        )
    return items


register_open_items("parcels", _open_items)
