"""Intake: carrier recognised or asked, announcement matched, duplicates shown, slot suggested, recipient told."""

from datetime import datetime, timedelta

import pytest

from parcels import selectors, services
from parcels.barcodes import make_webshop_code
from parcels.exceptions import (
    InvalidRecipient,
    LocationFull,
    LocationTooSmall,
    NotAllowed,
    RecipientRequired,
    UnknownCarrier,
    UnknownLocation,
)
from parcels.models import (
    AnnouncementSource,
    Billable,
    CarrierAgreement,
    LearnedCarrierPrefix,
    Parcel,
    ParcelEvent,
    RefusalReason,
    SizeClass,
)
from parcels.states import ParcelState

from .conftest import AMSTERDAM
from .factories import (
    THREE_S_CODE,
    UPS_CODES,
    ParcelPointFactory,
    agree,
    key,
    receive,
    recipient_lock,
    slot,
    webshop_code,
)


def scan(point, staff, raw_code, *, now, **extra):
    return services.receive_parcel(
        point=point, raw_code=raw_code, by=staff, request_key=extra.pop("request_key", None) or key(), now=now, **extra
    )


def test_an_announced_parcel_is_matched_and_its_recipient_told(
    point, staff, now, django_capture_on_commit_callbacks, mailoutbox
):
    # given
    announcement = services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code="1z5r 8939 0357 5671 27",
        recipient_name="Sanne de Vries",
        recipient_email="Sanne@Example.org",
        source=AnnouncementSource.WEBSHOP,
        external_reference="order 1001",
    )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = scan(point, staff, UPS_CODES[0], now=now, device="desk-1")
    # then
    parcel = result.parcel
    assert not result.is_duplicate and not result.needs_carrier_choice
    assert result.announcement == announcement == parcel.announcement
    assert (parcel.carrier.code, parcel.tracking_code, parcel.state) == ("ups", UPS_CODES[0], ParcelState.RECEIVED)
    assert (parcel.recipient_name, parcel.recipient_email) == ("Sanne de Vries", "sanne@example.org")
    assert len(parcel.pickup_code) == 6 and len(parcel.pickup_token) >= 32
    (event,) = parcel.events.all()
    assert (event.kind, event.from_state, event.to_state, event.by, event.device) == (
        "received",
        "",
        "received",
        staff,
        "desk-1",
    )
    assert (event.billable, event.fee_cents) == (Billable.INTAKE, 25)
    (message,) = mailoutbox
    assert message.to == ["sanne@example.org"] and parcel.pickup_code in message.body
    assert Parcel.objects.get(pk=parcel.pk).notified_at is not None


def test_a_second_scan_shows_the_same_parcel_and_makes_no_duplicate(point, staff, now):
    first = scan(point, staff, UPS_CODES[1], now=now, recipient_name="Ada", recipient_email="ada@example.org")
    again = scan(point, staff, f"  {UPS_CODES[1].lower()} ", now=now + timedelta(minutes=5))
    assert again.is_duplicate and again.parcel == first.parcel
    assert Parcel.objects.count() == 1 and ParcelEvent.objects.count() == 1


def test_a_retried_request_returns_the_first_answer(point, staff, now):
    request_key = key()
    first = scan(
        point,
        staff,
        UPS_CODES[2],
        now=now,
        recipient_name="Ada",
        recipient_email="ada@example.org",
        request_key=request_key,
    )
    retry = scan(
        point,
        staff,
        UPS_CODES[2],
        now=now,
        recipient_name="Ada",
        recipient_email="ada@example.org",
        request_key=request_key,
    )
    assert retry.parcel == first.parcel and ParcelEvent.objects.count() == 1


def test_a_retry_after_the_carriers_agreement_ended_still_gets_its_first_answer(point, staff, now):
    request_key = key()
    first = scan(
        point,
        staff,
        UPS_CODES[2],
        now=now,
        recipient_name="Ada",
        recipient_email="ada@example.org",
        request_key=request_key,
    )
    CarrierAgreement.objects.filter(point=point, carrier__code="ups").update(is_active=False)

    retry = scan(
        point,
        staff,
        UPS_CODES[2],
        now=now,
        recipient_name="Ada",
        recipient_email="ada@example.org",
        request_key=request_key,
    )

    assert retry.is_duplicate and retry.parcel == first.parcel and ParcelEvent.objects.count() == 1
    # a new scan of that carrier's code is not taken in, for it nor for another carrier
    with pytest.raises(UnknownCarrier):
        scan(point, staff, UPS_CODES[3], now=now, recipient_name="Bo", recipient_email="bo@example.org")


def test_a_retry_answers_with_the_first_parcel_whatever_was_scanned(point, staff, now):
    agree(point, "webshop", max_size_class=SizeClass.L, accept_oversize=False)
    codes, request_key = (webshop_code(), webshop_code()), key()
    first = scan(point, staff, codes[0], now=now, recipient_name="Ada", recipient_email="ada@example.org")
    refused = scan(point, staff, codes[1], now=now, size_class="XL", request_key=request_key)
    retry = scan(point, staff, codes[1], now=now, size_class="XL", request_key=request_key)
    assert retry.is_duplicate and retry.parcel == refused.parcel and retry.is_refused
    # the same key with the other parcel's code (a desk that reused a key) still gives the first answer
    again = scan(point, staff, codes[0], now=now, request_key=request_key)
    assert again.is_duplicate and again.parcel == refused.parcel != first.parcel
    assert Parcel.objects.count() == 2 and ParcelEvent.objects.count() == 2


def test_a_scan_reads_the_retry_the_duplicate_and_the_announcement_in_one_query(
    point, staff, now, django_assert_num_queries
):
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[0],
        recipient_name="Sanne de Vries",
        recipient_email="sanne@example.org",
        source=AnnouncementSource.WEBSHOP,
    )
    # the transaction's savepoint and release, memberships, agreements, the scan's look-ups, (on PostgreSQL the
    # recipient's lock), pickup code, parcel and event (in their own savepoint), slot suggestion
    with django_assert_num_queries(11 + recipient_lock()):
        result = scan(point, staff, UPS_CODES[0], now=now)
    assert result.parcel.recipient_name == "Sanne de Vries" and result.announcement.parcel == result.parcel
    # savepoint and release, agreements, the look-ups (the parcel with them), slot suggestion
    with django_assert_num_queries(5):
        again = scan(point, staff, UPS_CODES[0], now=now)
    assert again.is_duplicate and again.parcel == result.parcel


def test_an_unknown_recipient_needs_the_short_form(point, staff, now):
    with pytest.raises(RecipientRequired):
        scan(point, staff, UPS_CODES[3], now=now)
    with pytest.raises(InvalidRecipient):
        scan(point, staff, UPS_CODES[3], now=now, recipient_name="Ada", recipient_email="not an address")
    assert not Parcel.objects.exists()
    parcel = scan(point, staff, UPS_CODES[3], now=now, recipient_name="Ada", recipient_email="ada@example.org").parcel
    assert parcel.recipient_name == "Ada" and parcel.announcement is None


def test_an_ambiguous_code_asks_which_carrier_and_the_answer_is_learned(point, staff, now):
    # given a 3S code, which PostNL and DHL both print
    asked = scan(point, staff, THREE_S_CODE, now=now)
    assert asked.parcel is None and asked.needs_carrier_choice
    assert set(asked.candidates) == {"postnl", "dhl"} and asked.reason == "ambiguous"
    # when staff answer DHL
    answered = scan(
        point, staff, THREE_S_CODE, now=now, carrier_code="dhl", recipient_name="Ada", recipient_email="ada@example.org"
    )
    # then the parcel is DHL's and the customer code is remembered
    assert answered.parcel.carrier.code == "dhl"
    assert LearnedCarrierPrefix.objects.get(point=point).prefix == "3SDEVC"
    next_one = scan(point, staff, "3SDEVC172649266", now=now, recipient_name="Bo", recipient_email="bo@example.org")
    assert next_one.parcel.carrier.code == "dhl" and not next_one.needs_carrier_choice


def test_an_announcement_settles_an_ambiguous_code(point, staff, now):
    services.announce_parcel(
        point=point,
        carrier_code="postnl",
        tracking_code=THREE_S_CODE,
        recipient_name="Ada",
        recipient_email="ada@example.org",
        source=AnnouncementSource.CSV,
    )
    result = scan(point, staff, THREE_S_CODE, now=now)
    assert result.parcel.carrier.code == "postnl" and result.announcement is not None


@pytest.mark.usefixtures("english")
def test_a_carrier_without_an_agreement_is_refused(area, staff, now):
    point = ParcelPointFactory(area=area)
    agree(point, "webshop")
    with pytest.raises(UnknownCarrier):
        scan(
            point, staff, UPS_CODES[0], now=now, carrier_code="ups", recipient_name="A", recipient_email="a@example.org"
        )
    # not one of the point's carriers, and never offered to the webshop: its codes are the platform's own
    with pytest.raises(UnknownCarrier, match=r"(?i)looks like ups"):
        scan(point, staff, UPS_CODES[0], now=now)


def test_oversize_is_refused_or_recorded_per_the_agreement(point, staff, now):
    agree(point, "ups", max_size_class=SizeClass.L, max_weight_grams=20_000)
    refused = scan(point, staff, UPS_CODES[0], now=now, size_class=SizeClass.XL)
    assert refused.is_refused and refused.parcel.refused_reason == RefusalReason.TOO_LARGE
    assert refused.parcel.is_oversize and refused.parcel.recipient_email == ""
    assert refused.parcel.events.get().billable == Billable.NONE
    again = scan(point, staff, UPS_CODES[0], now=now)
    assert again.is_duplicate and again.is_refused

    agree(point, "ups", accept_oversize=True)
    taken = scan(
        point, staff, UPS_CODES[1], now=now, weight_grams=25_000, recipient_name="A", recipient_email="a@example.org"
    )
    assert taken.parcel.state == ParcelState.RECEIVED and taken.parcel.is_oversize


def test_storage_lasts_the_agreed_days_in_the_areas_time_zone(point, staff, now):
    parcel = receive(point, staff, at=now)
    assert parcel.storage_until == datetime(2026, 6, 18, 0, 0, tzinfo=AMSTERDAM)
    agree(point, "ups", storage_days=14)
    late_evening = datetime(2026, 6, 10, 23, 30, tzinfo=AMSTERDAM)
    ups = receive(point, staff, code=UPS_CODES[0], at=late_evening)
    assert ups.storage_until == datetime(2026, 6, 25, 0, 0, tzinfo=AMSTERDAM)


def test_a_recipients_parcels_share_one_pickup_code(point, staff, now):
    first = receive(point, staff, at=now, email="sanne@example.org")
    second = receive(point, staff, at=now, email="SANNE@example.org")
    someone_else = receive(point, staff, at=now, email="bo@example.org")
    assert (first.pickup_code, first.pickup_token) == (second.pickup_code, second.pickup_token)
    assert someone_else.pickup_code != first.pickup_code


def test_the_slot_suggestion_respects_size_and_free_capacity(point, staff, now):
    small = slot(point, "A", "1", "1", size_class=SizeClass.S, capacity=2)
    medium = slot(point, "A", "1", "2", size_class=SizeClass.M, capacity=1)
    large = slot(point, "B", "1", "1", size_class=SizeClass.L, capacity=3)
    assert (
        scan(
            point, staff, webshop_code(), now=now, size_class="S", recipient_name="A", recipient_email="a@example.org"
        ).suggested_location
        == small
    )
    first_m = scan(
        point, staff, webshop_code(), now=now, size_class="M", recipient_name="B", recipient_email="b@example.org"
    )
    assert first_m.suggested_location == medium
    services.store_parcel(parcel=first_m.parcel, location_label_code=medium.label_code.lower(), by=staff, now=now)
    # the M slot is full: the next M parcel goes to the L slot
    second_m = scan(
        point, staff, webshop_code(), now=now, size_class="M", recipient_name="C", recipient_email="c@example.org"
    )
    assert second_m.suggested_location == large
    # an XL parcel fits nowhere
    assert (
        scan(
            point, staff, webshop_code(), now=now, size_class="XL", recipient_name="D", recipient_email="d@example.org"
        ).suggested_location
        is None
    )


def test_a_recipients_next_parcel_is_suggested_next_to_their_others(point, staff, now):
    slot(point, "A", "1", "1", capacity=5)
    other = slot(point, "A", "1", "2", capacity=5)
    first = receive(point, staff, at=now, email="sanne@example.org", location=other)
    assert first.state == ParcelState.STORED and first.location == other
    result = scan(point, staff, webshop_code(), now=now, recipient_name="Sanne", recipient_email="sanne@example.org")
    assert result.suggested_location == other


def test_the_suggestion_counts_parcels_still_in_house_and_prefers_the_emptiest_slot(point, staff, now):
    # given two M slots of this point, a smaller slot out of use, an S slot of another point and an XL slot
    a = slot(point, "A", "1", "1", size_class=SizeClass.M, capacity=3)
    b = slot(point, "B", "1", "1", size_class=SizeClass.M, capacity=3)
    slot(point, "A", "0", "1", size_class=SizeClass.S, capacity=5, is_active=False)
    slot(ParcelPointFactory(area=point.area), "A", "0", "1", size_class=SizeClass.S, capacity=5)
    xl = slot(point, "C", "1", "1", size_class=SizeClass.XL, capacity=1)
    on_a = [receive(point, staff, at=now, email="a@example.org", location=a) for _ in range(2)]
    receive(point, staff, at=now, email="b@example.org", location=b)
    # then the emptier of the smallest slots that fit, whatever the zone
    assert selectors.suggest_location(point=point, size_class="S", recipient_email="new@example.org") == b
    # when the parcels on A are picked up, they no longer take room there
    services.hand_out_parcels(
        point=point,
        parcel_ids=[p.pk for p in on_a],
        pickup_code_or_token=on_a[0].pickup_code,
        by=staff,
        request_key=key(),
        now=now,
    )
    assert selectors.suggest_location(point=point, size_class="S", recipient_email="new@example.org") == a
    # an oversize parcel goes to the XL slot only, until it is full
    assert selectors.suggest_location(point=point, size_class="S", is_oversize=True) == xl
    receive(point, staff, at=now, email="c@example.org", size_class="XL", location=xl)
    assert selectors.suggest_location(point=point, size_class="S", is_oversize=True) is None


def test_a_slot_with_the_recipients_parcels_wins_over_a_smaller_emptier_one(point, staff, now):
    small = slot(point, "A", "1", "1", size_class=SizeClass.S, capacity=5)
    large = slot(point, "B", "1", "1", size_class=SizeClass.L, capacity=5)
    receive(point, staff, at=now, email="sanne@example.org", size_class="L", location=large)
    assert selectors.suggest_location(point=point, size_class="S", recipient_email="SANNE@example.org ") == large
    assert selectors.suggest_location(point=point, size_class="S", recipient_email="bo@example.org") == small
    assert selectors.suggest_location(point=point, size_class="S") == small


def test_storing_checks_the_slot(point, staff, now):
    small = slot(point, "A", "1", "1", size_class=SizeClass.S, capacity=1)
    medium = slot(point, "A", "1", "2", size_class=SizeClass.M, capacity=5)
    parcel = receive(point, staff, at=now, size_class="M")
    with pytest.raises(UnknownLocation):
        services.store_parcel(parcel=parcel, location_label_code="LOC-999-Z9-9", by=staff, now=now)
    with pytest.raises(LocationTooSmall):
        services.store_parcel(parcel=parcel, location_label_code=small.label_code, by=staff, now=now)
    stored = services.store_parcel(
        parcel=parcel, location_label_code=medium.label_code, by=staff, device="desk-2", now=now
    )
    assert stored.state == ParcelState.STORED and stored.location == medium
    letter = receive(point, staff, at=now, size_class="S", location=small)
    another_letter = receive(point, staff, at=now, size_class="S")
    with pytest.raises(LocationFull):
        services.store_parcel(parcel=another_letter, location_label_code=small.label_code, by=staff, now=now)
    # scanning another slot for a parcel on a shelf records a move
    services.store_parcel(parcel=letter, location_label_code=medium.label_code, by=staff, now=now)
    assert [e.kind for e in letter.events.order_by("pk")] == ["received", "stored", "moved"]


def test_the_label_code_is_made_from_the_slot(point):
    assert slot(point, "b", "2", "3").label_code == f"LOC-{point.pk}-B2-3"


def test_staff_of_another_area_cannot_take_parcels_in(point, now, flemish_area):
    from .factories import desk_staff

    outsider = desk_staff(flemish_area)
    with pytest.raises(NotAllowed):
        scan(point, outsider, make_webshop_code(5), now=now, recipient_name="A", recipient_email="a@example.org")
