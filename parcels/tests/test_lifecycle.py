"""Expiry each morning (time travel through `now=`), a manager writing a parcel off, erasure after retention."""

from datetime import datetime, timedelta

import pytest

from parcels import services
from parcels.exceptions import InvalidTransition, NotAllowed, ReasonRequired
from parcels.models import Announcement, AnnouncementSource, Parcel, ParcelEvent, ParcelWatch
from parcels.states import ParcelState
from privacy.services import erase_person, export_personal_data

from .conftest import AMSTERDAM
from .factories import UPS_CODES, agree, key, receive


def test_parcels_expire_after_their_last_day(point, staff, now):
    # given a parcel received on Wednesday 10 June (7 days) and a UPS one with 14 days
    agree(point, "ups", storage_days=14)
    week = receive(point, staff, at=now)
    fortnight = receive(point, staff, code=UPS_CODES[0], at=now)
    # on the last day (Wednesday 17 June, late evening), nothing expires
    assert services.expire_overdue_parcels(now=datetime(2026, 6, 17, 23, 59, tzinfo=AMSTERDAM)) == 0
    # the next morning, the 7-day parcel is on the return list
    morning = datetime(2026, 6, 18, 6, 0, tzinfo=AMSTERDAM)
    assert services.expire_overdue_parcels(now=morning) == 1
    assert services.expire_overdue_parcels(now=morning) == 0  # idempotent
    week.refresh_from_db()
    fortnight.refresh_from_db()
    assert (week.state, fortnight.state) == (ParcelState.EXPIRED, ParcelState.RECEIVED)
    event = week.events.get(kind="expired")
    assert (event.by, event.at, event.billable) == (None, morning, "")
    assert services.expire_overdue_parcels(now=datetime(2026, 6, 25, 6, 0, tzinfo=AMSTERDAM)) == 1


def test_an_expired_parcel_is_no_longer_handed_out(point, staff, now):
    from parcels.exceptions import ParcelNotWaiting

    parcel = receive(point, staff, at=now)
    services.expire_overdue_parcels(now=now + timedelta(days=30))
    with pytest.raises(ParcelNotWaiting):
        services.hand_out_parcels(
            point=point, parcel_ids=[parcel.pk], pickup_code_or_token=parcel.pickup_code, by=staff, request_key=key()
        )


def test_only_a_manager_declares_a_parcel_lost_with_a_reason(point, staff, manager, now):
    parcel = receive(point, staff, at=now)
    with pytest.raises(ReasonRequired):
        services.declare_lost(parcel=parcel, reason=" ", by=manager)
    with pytest.raises(NotAllowed):
        services.declare_lost(parcel=parcel, reason="Not on the shelf", by=staff)
    lost = services.declare_lost(parcel=parcel, reason="Not on the shelf since Monday", by=manager, now=now)
    assert lost.state == ParcelState.LOST and lost.left_at == now
    assert lost.events.get(kind="lost").note == "Not on the shelf since Monday"
    with pytest.raises(InvalidTransition):
        services.declare_lost(parcel=parcel, reason="again", by=manager)


def test_recipient_data_is_erased_after_the_retention_period(point, staff, now):
    # given a handed-out announced parcel, and one still waiting
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[0],
        recipient_name="Quirijntje Zwanenburg",
        recipient_email="quirijntje@example.org",
        source=AnnouncementSource.API,
    )
    parcel = receive(point, staff, code=UPS_CODES[0], at=now, name="", email="")
    waiting = receive(point, staff, at=now, name="Quirijntje Zwanenburg", email="quirijntje@example.org")
    services.hand_out_parcels(
        point=point,
        parcel_ids=[parcel.pk],
        pickup_code_or_token=parcel.pickup_code,
        by=staff,
        request_key=key(),
        now=now + timedelta(days=1),
    )
    # a day before the 30 days are over, nothing changes
    assert services.erase_recipient_data(now=now + timedelta(days=30)) == 0
    # then the name, e-mail and token go, from the parcel and its announcement; the waiting parcel keeps them
    assert services.erase_recipient_data(now=now + timedelta(days=31, minutes=1)) == 1
    assert services.erase_recipient_data(now=now + timedelta(days=40)) == 0
    parcel.refresh_from_db()
    waiting.refresh_from_db()
    assert (parcel.recipient_name, parcel.recipient_email, parcel.pickup_token) == ("", "", "")
    assert parcel.recipient_erased_at is not None and parcel.state == ParcelState.PICKED_UP
    announcement = Announcement.objects.get()
    assert (announcement.recipient_name, announcement.recipient_email) == ("", "")
    assert waiting.recipient_email == "quirijntje@example.org"
    events = ParcelEvent.objects.filter(parcel=parcel)
    assert not any("Quirijntje" in f"{e.note}{e.device}" for e in events)


def test_a_members_parcels_are_exported_and_erased_with_them(point, staff, now, person):
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[1],
        recipient_name="",
        recipient_email="",
        member=person,
        source=AnnouncementSource.WEBSHOP,  # the shop's order, for its customer's account
    )
    services.expect_parcel(point=point, tracking_code=UPS_CODES[2], by=person)  # their own note
    parcel = receive(point, staff, code=UPS_CODES[1], at=now, name="", email="")
    assert parcel.recipient == person and parcel.recipient_email == person.email
    export = export_personal_data(subject=person, requested_by=person)
    assert [row["tracking_code"] for row in export["data"]["parcels.parcel"]["rows"]] == [UPS_CODES[1]]
    assert len(export["data"]["parcels.announcement"]["rows"]) == 1
    assert [row["tracking_code"] for row in export["data"]["parcels.parcelwatch"]["rows"]] == [UPS_CODES[2]]
    erase_person(subject=person, requested_by=person)
    parcel = Parcel.objects.get(pk=parcel.pk)
    assert (parcel.recipient_id, parcel.recipient_name, parcel.recipient_email) == (None, "", "")
    assert Announcement.objects.get().member_id is None
    assert not ParcelWatch.objects.exists()


def test_parcels_sent_to_an_address_count_as_the_persons_only_once_it_is_confirmed(point, staff, now, person):
    from allauth.account.models import EmailAddress

    # given a walk-in parcel for the person's address, not linked to the account
    parcel = receive(point, staff, at=now, name="Someone", email=person.email.upper())
    EmailAddress.objects.filter(user=person).delete()
    address = EmailAddress.objects.create(user=person, email=person.email, verified=False, primary=True)

    # an address typed at sign-up but never confirmed may be someone else's: nothing to export or erase
    assert (
        export_personal_data(subject=person, requested_by=person)["data"].get("parcels.parcel", {}).get("rows", [])
        == []
    )

    # once confirmed, the parcel is theirs
    address.verified = True
    address.save()
    rows = export_personal_data(subject=person, requested_by=person)["data"]["parcels.parcel"]["rows"]
    assert [row["tracking_code"] for row in rows] == [parcel.tracking_code]


def test_a_members_old_notes_go_with_the_unarrived_announcements(point, person, now):
    services.expect_parcel(point=point, tracking_code=UPS_CODES[0], by=person, now=now - timedelta(days=200))
    services.expect_parcel(point=point, tracking_code=UPS_CODES[1], by=person, now=now - timedelta(days=5))
    services.erase_recipient_data(now=now)
    assert list(ParcelWatch.objects.values_list("tracking_code", flat=True)) == [UPS_CODES[1]]
