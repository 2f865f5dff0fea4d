"""Pickup: one code (or the QR) releases all of a recipient's parcels; proxies, ID checks, wrong codes."""

from datetime import timedelta

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from parcels import selectors, services
from parcels.exceptions import (
    AlreadyPickedUp,
    IdCheckRequired,
    NameDoesNotMatch,
    NotAllowed,
    NothingToHandOut,
    ParcelNotWaiting,
    RequestKeyReused,
    TooManyWrongCodes,
    WrongPickupCode,
)
from parcels.models import Billable
from parcels.services.pickup import MAX_WRONG_CODES
from parcels.states import ParcelState

from .factories import UPS_CODES, agree, desk_staff, key, receive, slot


def hand_out(point, staff, parcels, code, *, now, **extra):
    return services.hand_out_parcels(
        point=point,
        parcel_ids=[parcel.pk for parcel in parcels],
        pickup_code_or_token=code,
        by=staff,
        request_key=extra.pop("request_key", None) or key(),
        now=now,
        **extra,
    )


def test_one_code_releases_all_of_a_recipients_parcels(point, staff, now):
    # given Sanne has three parcels waiting (one on a shelf), and Bo one
    shelf = slot(point, "A", "1", "1")
    mine = [
        receive(point, staff, at=now, location=shelf),
        receive(point, staff, at=now),
        receive(point, staff, code=UPS_CODES[0], at=now + timedelta(hours=1)),
    ]
    bos = receive(point, staff, at=now, name="Bo", email="bo@example.org")
    code = mine[0].pickup_code
    # when she tells the code (in lower case, with a space)
    found = services.look_up_for_pickup(point=point, pickup_code_or_token=f"{code[:3]} {code[3:]}".lower(), by=staff)
    # then the desk shows all three, and hands them out at once
    assert {parcel.pk for parcel in found} == {parcel.pk for parcel in mine}
    result = hand_out(point, staff, found, code, now=now + timedelta(days=1), device="desk-1")
    for parcel in mine:
        parcel.refresh_from_db()
        assert parcel.state == ParcelState.PICKED_UP and parcel.handed_out_at == result.handed_out_at
        event = parcel.events.get(kind="picked_up")
        assert (event.billable, event.fee_cents, event.device) == (Billable.PICKUP, 15, "desk-1")
    bos.refresh_from_db()
    assert bos.state == ParcelState.RECEIVED
    assert not selectors.find_waiting_parcels(point=point, pickup_code=code).exists()


def test_the_qr_token_releases_the_parcels_too(point, staff, now):
    parcel = receive(point, staff, at=now)
    payload = selectors.pickup_qr_payload(parcel)
    assert list(selectors.find_waiting_parcels(point=point, token=payload)) == [parcel]
    hand_out(point, staff, [parcel], payload, now=now)
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.PICKED_UP


def test_the_name_narrows_or_finds_waiting_parcels(point, staff, now):
    parcel = receive(point, staff, at=now, name="Sanne de Vries")
    assert list(selectors.find_waiting_parcels(point=point, pickup_code=parcel.pickup_code, name="de vries")) == [
        parcel
    ]
    assert not selectors.find_waiting_parcels(point=point, pickup_code=parcel.pickup_code, name="Jansen").exists()
    assert list(selectors.find_waiting_parcels(point=point, name="Sanne")) == [parcel]
    assert not selectors.find_waiting_parcels(point=point, name="Sa").exists()
    assert not selectors.find_waiting_parcels(point=point).exists()


def test_someone_may_pick_up_on_the_recipients_behalf(point, staff, now):
    parcel = receive(point, staff, at=now)
    hand_out(point, staff, [parcel], parcel.pickup_code, now=now, on_behalf=True)
    parcel.refresh_from_db()
    assert parcel.picked_up_by_proxy and not parcel.id_checked


def test_carriers_requiring_an_id_check_are_refused_without_it(point, staff, now):
    agree(point, "ups", requires_id_check=True)
    parcel = receive(point, staff, code=UPS_CODES[0], at=now)
    with pytest.raises(IdCheckRequired):
        hand_out(point, staff, [parcel], parcel.pickup_code, now=now)
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.RECEIVED
    hand_out(point, staff, [parcel], parcel.pickup_code, now=now, id_checked=True)
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.PICKED_UP and parcel.id_checked


def test_a_parcel_handed_out_once_cannot_be_handed_out_again(point, staff, now):
    parcel = receive(point, staff, at=now)
    request_key = key()
    first = hand_out(point, staff, [parcel], parcel.pickup_code, now=now, request_key=request_key)
    retry = hand_out(point, staff, [parcel], parcel.pickup_code, now=now, request_key=request_key)
    assert retry.replayed and retry.parcels == first.parcels
    with pytest.raises(ParcelNotWaiting):
        hand_out(point, staff, [parcel], parcel.pickup_code, now=now)
    with pytest.raises(RequestKeyReused):
        other = receive(point, staff, at=now)
        hand_out(point, staff, [parcel, other], parcel.pickup_code, now=now, request_key=request_key)
    assert parcel.events.filter(kind="picked_up").count() == 1


def test_wrong_codes_are_limited_per_staff_member_whatever_the_desk_is_called(point, staff, area, now):
    parcel = receive(point, staff, at=now)
    bos = receive(point, staff, at=now, name="Bo", email="bo@example.org")
    # Bo's code does not release Sanne's parcel
    with pytest.raises(WrongPickupCode) as wrong:
        hand_out(point, staff, [parcel], bos.pickup_code, now=now, device="desk-1")
    assert wrong.value.attempts_left == MAX_WRONG_CODES - 1
    for _attempt in range(MAX_WRONG_CODES - 1):
        with pytest.raises(WrongPickupCode):
            services.look_up_for_pickup(point=point, pickup_code_or_token="XXXXXX", by=staff, device="desk-1")
    # paused, even for the right code, and renaming the desk (or a new browser) changes nothing
    with pytest.raises(TooManyWrongCodes):
        hand_out(point, staff, [parcel], parcel.pickup_code, now=now, device="desk-1")
    for device in ("desk-1", "balie-2", ""):
        with pytest.raises(TooManyWrongCodes):
            services.look_up_for_pickup(point=point, pickup_code_or_token=parcel.pickup_code, by=staff, device=device)
    # a colleague at the point is not paused
    hand_out(point, desk_staff(area), [parcel], parcel.pickup_code, now=now, device="desk-1")
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.PICKED_UP


def test_a_collected_parcels_code_says_when_and_is_no_wrong_try(point, staff, now):
    parcel = receive(point, staff, at=now)
    hand_out(point, staff, [parcel], parcel.pickup_code, now=now)
    later = now + timedelta(days=2)
    for _attempt in range(MAX_WRONG_CODES + 1):
        with translation.override("en"), pytest.raises(AlreadyPickedUp) as collected:
            services.look_up_for_pickup(point=point, pickup_code_or_token=parcel.pickup_code, by=staff, now=later)
    assert collected.value.message == "The parcels of this pickup code were picked up on 10 June 2026, 14:00."
    assert collected.value.picked_up_at == now
    with pytest.raises(WrongPickupCode) as wrong:  # not paused: none of those counted
        services.look_up_for_pickup(point=point, pickup_code_or_token="XXXXXX", by=staff, now=later)
    assert wrong.value.attempts_left == MAX_WRONG_CODES - 1


def test_a_right_code_with_another_name_says_the_name_does_not_match(point, staff, now):
    parcel = receive(point, staff, at=now, name="Sanne de Vries")
    for _attempt in range(MAX_WRONG_CODES + 1):
        with pytest.raises(NameDoesNotMatch):
            services.look_up_for_pickup(point=point, pickup_code_or_token=parcel.pickup_code, by=staff, name="Jansen")
    assert services.look_up_for_pickup(point=point, pickup_code_or_token=parcel.pickup_code, by=staff) == [parcel]


def test_handing_out_nothing_asks_to_scan_or_tick_first(point, staff, now):
    parcel = receive(point, staff, at=now)
    with translation.override("en"), pytest.raises(NothingToHandOut) as nothing:
        hand_out(point, staff, [], parcel.pickup_code, now=now)
    assert nothing.value.message == "Scan or tick the parcels you hand out first."


def test_a_parcel_marked_missing_that_turns_up_is_found_by_its_code_and_handed_out(point, staff, now):
    # given: a parcel on its slot that an inventory did not find, marked missing
    shelf = slot(point)
    parcel = receive(point, staff, at=now - timedelta(days=1), location=shelf)
    count = services.start_inventory(point=point, by=staff, now=now)
    services.scan_inventory(count=count, raw_code=shelf.label_code, by=staff, now=now)
    services.finish_inventory(count=count, by=staff, now=now)
    assert [p.pk for p in services.mark_missing_parcels(count=count, by=staff, now=now)] == [parcel.pk]
    # when: the recipient comes with the right code
    later = now + timedelta(hours=1)
    found = services.look_up_for_pickup(point=point, pickup_code_or_token=parcel.pickup_code, by=staff, now=later)
    hand_out(point, staff, found, parcel.pickup_code, now=later, device="desk-1")
    # then: handed out, and its history says it turned up first
    parcel.refresh_from_db()
    assert [p.pk for p in found] == [parcel.pk] and parcel.state == ParcelState.PICKED_UP
    kinds = list(parcel.events.order_by("at", "pk").values_list("kind", "to_state"))
    assert kinds[-3:] == [("missing", "missing"), ("found", "stored"), ("picked_up", "picked_up")]
    with translation.override("nl"):  # the area's language: the note stays in the history as written
        assert parcel.events.get(kind="found").note == _("Marked missing, turned up at pickup")


def test_a_missing_parcel_past_its_last_day_is_not_released(point, staff, now):
    shelf = slot(point)
    parcel = receive(point, staff, at=now - timedelta(days=1), location=shelf)
    count = services.start_inventory(point=point, by=staff, now=now)
    services.scan_inventory(count=count, raw_code=shelf.label_code, by=staff, now=now)
    services.finish_inventory(count=count, by=staff, now=now)
    services.mark_missing_parcels(count=count, by=staff, now=now)
    after = parcel.storage_until + timedelta(minutes=1)
    with pytest.raises(WrongPickupCode):
        services.look_up_for_pickup(point=point, pickup_code_or_token=parcel.pickup_code, by=staff, now=after)


def test_staff_of_another_area_cannot_hand_out(point, staff, now, flemish_area):
    parcel = receive(point, staff, at=now)
    with pytest.raises(NotAllowed):
        hand_out(point, desk_staff(flemish_area), [parcel], parcel.pickup_code, now=now)
    with pytest.raises(NotAllowed):
        services.look_up_for_pickup(point=point, pickup_code_or_token=parcel.pickup_code, by=desk_staff(flemish_area))


def test_finding_a_recipients_parcels_is_one_query(point, staff, now, django_assert_num_queries):
    shelf = slot(point, "A", "1", "1")
    parcels = [receive(point, staff, at=now, location=shelf) for _ in range(3)]
    with django_assert_num_queries(1):
        found = list(selectors.find_waiting_parcels(point=point, pickup_code=parcels[0].pickup_code))
        assert [parcel.location.name for parcel in found] == ["A1-1"] * 3
        assert {parcel.carrier.code for parcel in found} == {"webshop"}
