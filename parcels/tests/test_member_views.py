"""My parcels (/mijn/pakketten/): expected, ready with the QR, history; only the member's own; "I expect a parcel"."""

from allauth.account.models import EmailAddress
from django.urls import reverse

from areas.tests.factories import UserFactory
from parcels import services
from parcels.models import Announcement, AnnouncementSource

from .factories import UPS_CODES, key, receive

URL = reverse("parcels:my_parcels")


def confirmed(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_the_member_sees_their_parcels_ready_with_the_qr_and_their_history(client, point, staff, person, now):
    # given: a parcel sent to the member's confirmed address, one already picked up, one for someone else
    confirmed(person)
    waiting = receive(point, staff, email=person.email.upper(), at=now)
    gone = receive(point, staff, email=person.email, at=now)
    services.hand_out_parcels(
        point=point,
        parcel_ids=[gone.pk, waiting.pk],
        pickup_code_or_token=gone.pickup_code,
        by=staff,
        request_key=key(),
    )
    waiting = receive(point, staff, email=person.email, at=now)
    someone_else = receive(point, staff, email="bo@example.org", name="Bo", at=now)
    client.force_login(person)
    # when
    page = client.get(URL).content.decode()
    # then
    assert waiting.tracking_code in page and waiting.pickup_code in page and "<svg" in page
    assert gone.tracking_code in page  # history
    assert someone_else.tracking_code not in page and someone_else.pickup_code not in page


def test_an_unconfirmed_address_shows_nothing(client, point, staff, person, now):
    parcel = receive(point, staff, email=person.email, at=now)
    client.force_login(person)
    assert parcel.tracking_code not in client.get(URL).content.decode()


def test_a_member_registers_a_parcel_they_expect_with_their_account_only(client, point, person):
    client.force_login(person)
    response = client.post(URL, {"point": point.pk, "tracking_code": UPS_CODES[0].lower(), "carrier": ""})
    assert response.status_code == 302
    announcement = Announcement.objects.get()
    assert (announcement.member, announcement.recipient_email, announcement.source) == (
        person,
        person.email,
        AnnouncementSource.MEMBER,
    )
    assert (announcement.carrier.code, announcement.tracking_code) == ("ups", UPS_CODES[0])
    assert UPS_CODES[0] in client.get(URL).content.decode()  # expected


def test_a_bad_code_is_shown_on_the_form_and_nothing_is_registered(client, point, person):
    client.force_login(person)
    response = client.post(URL, {"point": point.pk, "tracking_code": "1Z5R89390357567128", "carrier": "ups"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Announcement.objects.exists()


def test_someone_elses_announcement_is_not_shown(client, point, person):
    other = UserFactory()
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[1],
        recipient_name="",
        recipient_email="",
        source=AnnouncementSource.MEMBER,
        member=other,
    )
    client.force_login(person)
    assert UPS_CODES[1] not in client.get(URL).content.decode()


def test_visitors_are_sent_to_log_in(client, area):
    assert client.get(URL).status_code == 302
