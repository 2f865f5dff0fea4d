"""Pre-announcements: one per parcel code at a point, whoever announces it again."""

import pytest

from parcels import services
from parcels.exceptions import AnnouncementConflict, InvalidRecipient, UnknownCarrier
from parcels.models import Announcement, AnnouncementSource

from .factories import UPS_CODES


def announce(point, **changes):
    fields = {
        "point": point,
        "carrier_code": "ups",
        "tracking_code": UPS_CODES[0],
        "recipient_name": "Sanne de Vries",
        "recipient_email": "sanne@example.org",
        "source": AnnouncementSource.CSV,
    } | changes
    return services.announce_parcel(**fields)


def test_announcing_twice_returns_the_first_announcement(point):
    first = announce(point)
    again = announce(
        point, tracking_code=UPS_CODES[0].lower(), external_reference="row 7", source=AnnouncementSource.API
    )
    assert again == first and Announcement.objects.count() == 1
    assert again.external_reference == "row 7" and again.source == AnnouncementSource.CSV


def test_the_same_parcel_for_someone_else_is_refused(point):
    announce(point)
    with pytest.raises(AnnouncementConflict):
        announce(point, recipient_email="bo@example.org")


def test_unknown_carriers_and_recipients_are_refused(point):
    with pytest.raises(UnknownCarrier):
        announce(point, carrier_code="fedex")
    with pytest.raises(InvalidRecipient):
        announce(point, recipient_email="nope")
    with pytest.raises(InvalidRecipient):
        announce(point, recipient_name="")
    assert not Announcement.objects.exists()


def test_a_shop_announces_for_its_customers_account(point, person):
    announcement = announce(point, recipient_name="", recipient_email="", member=person, source="webshop")
    assert announcement.member == person and announcement.recipient_email == person.email.lower()


def test_a_member_cannot_announce_a_parcel_for_themselves(point, person):
    # A member's own word never says who a parcel is for: their note is `expect_parcel` (a ParcelWatch).
    with pytest.raises(ValueError):
        announce(point, recipient_name="", recipient_email="", member=person, source=AnnouncementSource.MEMBER)
    assert not Announcement.objects.exists()
