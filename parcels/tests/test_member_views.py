"""My parcels (/mijn/pakketten/): expected, ready with the QR, history; only the member's own; "I expect a parcel"."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from areas.tests.factories import UserFactory
from parcels import services
from parcels.exceptions import RecipientRequired
from parcels.models import Announcement, AnnouncementSource, ParcelWatch

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


def test_a_member_notes_a_parcel_they_expect_without_announcing_it(client, point, person):
    client.force_login(person)
    response = client.post(URL, {"point": point.pk, "tracking_code": UPS_CODES[0].lower(), "carrier": ""})
    assert response.status_code == 302
    note = ParcelWatch.objects.get()
    assert (note.member, note.point, note.carrier.code, note.tracking_code) == (person, point, "ups", UPS_CODES[0])
    assert not Announcement.objects.exists()  # a note names no recipient
    assert UPS_CODES[0] in client.get(URL).content.decode()  # expected
    client.post(URL, {"point": point.pk, "tracking_code": UPS_CODES[0], "carrier": "ups"})
    assert ParcelWatch.objects.count() == 1  # noting it again changes nothing


def test_a_bad_code_is_shown_on_the_form_and_nothing_is_registered(client, point, person):
    client.force_login(person)
    response = client.post(URL, {"point": point.pk, "tracking_code": "1Z5R89390357567128", "carrier": "ups"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Announcement.objects.exists()


def test_someone_elses_announcement_and_note_are_not_shown(client, point, person):
    other = confirmed(UserFactory())
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[1],
        recipient_name="",
        recipient_email=other.email,
        source=AnnouncementSource.WEBSHOP,
        member=other,
    )
    services.expect_parcel(point=point, tracking_code=UPS_CODES[2], by=other)
    client.force_login(person)
    page = client.get(URL).content.decode()
    assert UPS_CODES[1] not in page and UPS_CODES[2] not in page


def test_visitors_are_sent_to_log_in(client, area):
    assert client.get(URL).status_code == 302


# --- "I expect a parcel" is a request to be told, never a claim ----------------------------------------------


def note(client, point, code, carrier=""):
    return client.post(URL, {"point": point.pk, "tracking_code": code, "carrier": carrier}, follow=True)


def test_a_members_note_never_blocks_the_carriers_announcement_nor_names_the_recipient(
    client, point, staff, person, now
):
    # given: a member notes someone else's tracking code
    client.force_login(confirmed(person))
    note(client, point, UPS_CODES[0])
    # when: the carrier announces it for its real recipient, in a file with another parcel, and it comes in
    data = (
        "tracking_code;recipient_name;recipient_email\n"
        f"{UPS_CODES[0]};Echte Ontvanger;echt@example.org\n"
        f"{UPS_CODES[1]};Bo Peters;bo@example.org\n"
    ).encode()
    imported = services.import_announcements_csv(point=point, carrier_code="ups", data=data, by=staff)
    parcel = services.receive_parcel(point=point, raw_code=UPS_CODES[0], by=staff, request_key=key(), now=now).parcel
    # then: the whole file went in, and the parcel is the real recipient's, with nothing of the member's
    assert imported.new == 2
    assert (parcel.recipient_name, parcel.recipient_email, parcel.recipient) == (
        "Echte Ontvanger",
        "echt@example.org",
        None,
    )
    page = client.get(URL).content.decode()
    assert parcel.pickup_code not in page and "<svg" not in page
    assert UPS_CODES[0] in page  # still "expected", as for any note: nothing tells them it came for someone else


def test_an_unannounced_parcel_a_member_noted_asks_the_desk_for_the_label(client, point, staff, person, now):
    client.force_login(confirmed(person))
    note(client, point, UPS_CODES[0])
    with pytest.raises(RecipientRequired):
        services.receive_parcel(point=point, raw_code=UPS_CODES[0], by=staff, request_key=key(), now=now)
    # the label names someone else: it is theirs, the member sees nothing of it
    parcel = receive(point, staff, code=UPS_CODES[0], name="Bo Peters", email="bo@example.org", at=now)
    assert parcel.recipient is None
    assert parcel.pickup_code not in client.get(URL).content.decode()


def test_the_parcel_is_the_members_when_its_label_names_their_confirmed_address(client, point, staff, person, now):
    client.force_login(confirmed(person))
    note(client, point, UPS_CODES[0])
    parcel = receive(point, staff, code=UPS_CODES[0], name="Whoever", email=person.email.upper(), at=now)
    page = client.get(URL).content.decode()
    assert parcel.pickup_code in page and "<svg" in page
    expected = page[page.index('id="expected-title"') : page.index('id="history-title"')]
    assert UPS_CODES[0] not in expected  # the note is done: the parcel is listed as ready instead


def test_every_code_gets_the_same_answer(client, point, staff, person):
    # given: one code announced for someone else, one noted by another member, one nobody knows
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[1],
        recipient_name="Bo Peters",
        recipient_email="bo@example.org",
        source=AnnouncementSource.API,
    )
    services.expect_parcel(point=point, tracking_code=UPS_CODES[2], by=UserFactory())
    client.force_login(person)
    answers = set()
    for code in UPS_CODES[1:]:
        response = note(client, point, code)
        assert response.status_code == 200 and "errorlist" not in response.content.decode()
        answers.add(str(next(iter(response.context["messages"]))))
    # then: the same words for each, and each is noted for this member too
    with translation.override("nl"):  # the page's language
        assert answers == {_("Noted. When this parcel arrives for you, we will let you know.")}
    assert ParcelWatch.objects.filter(member=person).count() == 3
    assert Announcement.objects.get().recipient_email == "bo@example.org"  # untouched
