"""The daily inventory: slots and parcels scanned; missing, unexpected and moved; missing parcels found again."""

from datetime import timedelta

import pytest

from parcels import services
from parcels.exceptions import InventoryFinished, InventoryNotFinished, SlotFirst
from parcels.models import EventKind, InventoryScan, Parcel
from parcels.states import ParcelState

from .factories import UPS_CODES, desk_staff, key, receive, slot, webshop_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelves(point):
    return slot(point, "A", "1", "1", capacity=5), slot(point, "A", "1", "2", capacity=5)


@pytest.fixture
def stock(point, staff, now, shelves):
    """Received yesterday: two parcels in A1-1, one in A1-2."""
    a1, a2 = shelves
    yesterday = now - timedelta(days=1)
    return {
        "a1_first": receive(point, staff, at=yesterday, location=a1),
        "a1_second": receive(point, staff, at=yesterday, location=a1),
        "a2": receive(point, staff, at=yesterday, location=a2),
    }


def scan(count, staff, code, *, now, **extra):
    return services.scan_inventory(count=count, raw_code=code, by=staff, now=now, **extra)


def test_a_complete_inventory_is_clean(point, staff, now, shelves, stock):
    a1, a2 = shelves
    count = services.start_inventory(point=point, by=staff, now=now)
    assert services.start_inventory(point=point, by=staff, now=now) == count  # one at a time
    assert scan(count, staff, a1.label_code.lower(), now=now).kind == "slot"
    first = scan(count, staff, stock["a1_first"].tracking_code, now=now)
    assert first.kind == "parcel" and first.location == a1 and not first.is_elsewhere
    scan(count, staff, stock["a1_second"].tracking_code, now=now)
    scan(count, staff, a2.label_code, now=now)
    scan(count, staff, stock["a2"].tracking_code, now=now)
    result = services.finish_inventory(count=count, by=staff, now=now + timedelta(minutes=8))
    assert result.is_clean and not result.moved and result.scans == 5


def test_missing_unexpected_and_moved(point, staff, now, shelves, stock):
    a1, a2 = shelves
    gone = receive(point, staff, at=now - timedelta(days=2), location=a2)
    services.hand_out_parcels(
        point=point,
        parcel_ids=[gone.pk],
        pickup_code_or_token=gone.pickup_code,
        by=staff,
        request_key=key(),
        now=now - timedelta(hours=2),
    )
    count = services.start_inventory(point=point, by=staff, now=now)
    with pytest.raises(SlotFirst):
        scan(count, staff, stock["a1_first"].tracking_code, now=now)
    scan(count, staff, a1.label_code, now=now)
    scan(count, staff, stock["a1_first"].tracking_code, now=now)
    moved = scan(count, staff, stock["a2"].tracking_code, now=now)  # recorded in A1-2, found in A1-1
    assert moved.is_elsewhere and moved.expected_location == a2
    scan(count, staff, a2.label_code, now=now)
    left = scan(count, staff, gone.tracking_code, now=now)  # handed out, yet on the shelf
    assert left.has_left
    unknown = scan(count, staff, "ZZ-NOT-A-PARCEL", now=now)
    assert unknown.kind == "unknown"
    # a parcel received during the inventory is not expected
    receive(point, staff, at=now + timedelta(minutes=1), location=a2)

    finished_at = now + timedelta(minutes=8)
    result = services.finish_inventory(count=count, by=staff, now=finished_at)

    assert [line.parcel for line in result.missing] == [stock["a1_second"]]
    assert result.missing[0].location == a1
    assert [(line.parcel, line.reason) for line in result.unexpected if line.parcel] == [(gone, "picked_up")]
    assert [line.raw_code for line in result.unexpected if not line.parcel] == ["ZZ-NOT-A-PARCEL"]
    assert [(line.parcel, line.from_location, line.location) for line in result.moved] == [(stock["a2"], a2, a1)]
    assert Parcel.objects.get(pk=stock["a2"].pk).location == a1
    assert stock["a2"].events.order_by("pk").last().kind == EventKind.MOVED
    assert result.unscanned_slots == []
    # the result reads the same later, and finishing again changes nothing
    again = services.inventory_result(count)
    assert [line.parcel for line in again.moved] == [stock["a2"]] and len(again.missing) == 1
    assert services.finish_inventory(count=count, by=staff, now=finished_at + timedelta(hours=1)).moved
    with pytest.raises(InventoryFinished):
        scan(count, staff, a1.label_code, now=now)


def test_missing_parcels_are_marked_and_found_again_by_a_later_scan(point, staff, now, shelves, stock):
    a1, a2 = shelves
    count = services.start_inventory(point=point, by=staff, now=now)
    with pytest.raises(InventoryNotFinished):
        services.mark_missing_parcels(count=count, by=staff, now=now)
    scan(count, staff, a1.label_code, now=now)
    scan(count, staff, stock["a1_first"].tracking_code, now=now)
    result = services.finish_inventory(count=count, by=staff, now=now + timedelta(minutes=5))
    # A1-2 was never scanned: its parcel was not counted, and is not missing
    assert [line.parcel for line in result.missing] == [stock["a1_second"]]
    assert [line.parcel for line in result.uncounted] == [stock["a2"]] and result.unscanned_slots == [a2]

    marked = services.mark_missing_parcels(count=count, by=staff, device="desk-1", now=now + timedelta(minutes=6))
    assert [p.pk for p in marked] == [stock["a1_second"].pk]
    assert Parcel.objects.get(pk=stock["a2"].pk).state == ParcelState.STORED
    event = stock["a1_second"].events.order_by("pk").last()
    assert (event.kind, event.to_state, event.device) == (EventKind.MISSING, ParcelState.MISSING, "desk-1")
    assert "inventaris" in event.note or "inventory" in event.note
    assert services.mark_missing_parcels(count=count, by=staff, now=now + timedelta(minutes=7)) == []

    # the next day's inventory finds one of them in A1-2
    later = now + timedelta(days=1)
    tomorrow = services.start_inventory(point=point, by=staff, now=later)
    assert tomorrow != count
    scan(tomorrow, staff, a2.label_code, now=later)
    found = scan(tomorrow, staff, stock["a1_second"].tracking_code, now=later)
    assert found.is_found_again
    parcel = Parcel.objects.get(pk=stock["a1_second"].pk)
    assert (parcel.state, parcel.location) == (ParcelState.STORED, a2)
    assert parcel.events.order_by("pk").last().kind == EventKind.FOUND
    result = services.finish_inventory(count=tomorrow, by=staff, now=later + timedelta(minutes=5))
    assert [line.parcel for line in result.found] == [parcel]
    # A1-2 was counted this time: its other parcel is missing; A1-1 was not counted
    assert {line.parcel for line in result.missing} == {stock["a2"]}
    assert {line.parcel for line in result.uncounted} == {stock["a1_first"]}


def test_a_missing_parcel_past_its_date_is_found_onto_the_return_list(point, staff, now, shelves):
    a1, _a2 = shelves
    parcel = receive(point, staff, at=now - timedelta(days=3), location=a1)
    count = services.start_inventory(point=point, by=staff, now=now)
    scan(count, staff, a1.label_code, now=now)
    services.finish_inventory(count=count, by=staff, now=now)
    services.mark_missing_parcels(count=count, by=staff, now=now)
    late = now + timedelta(days=20)
    later_count = services.start_inventory(point=point, by=staff, now=late)
    scan(later_count, staff, a1.label_code, now=late)
    assert scan(later_count, staff, parcel.tracking_code, now=late).is_found_again
    assert Parcel.objects.get(pk=parcel.pk).state == ParcelState.EXPIRED


def test_a_found_return_goes_back_to_the_returns(point, staff, now, shelves):
    a1, _a2 = shelves
    parcel = services.drop_off_return(point=point, raw_code=UPS_CODES[0], by=staff, request_key=key(), now=now).parcel
    services.store_parcel(parcel=parcel, location_label_code=a1.label_code, by=staff, now=now)
    later = now + timedelta(hours=1)
    count = services.start_inventory(point=point, by=staff, now=later)
    scan(count, staff, a1.label_code, now=later)
    services.finish_inventory(count=count, by=staff, now=later)
    assert [p.pk for p in services.mark_missing_parcels(count=count, by=staff, now=later)] == [parcel.pk]
    count = services.start_inventory(point=point, by=staff, now=later)
    scan(count, staff, a1.label_code, now=later)
    scan(count, staff, UPS_CODES[0], now=later)
    assert Parcel.objects.get(pk=parcel.pk).state == ParcelState.RETURN_RECEIVED


def test_a_parcel_picked_up_after_the_inventory_is_not_marked_missing(point, staff, now, shelves, stock):
    count = services.start_inventory(point=point, by=staff, now=now)
    for shelf in shelves:  # both slots counted, empty
        scan(count, staff, shelf.label_code, now=now)
    services.finish_inventory(count=count, by=staff, now=now)
    parcel = stock["a2"]
    services.hand_out_parcels(
        point=point,
        parcel_ids=[parcel.pk],
        pickup_code_or_token=parcel.pickup_code,
        by=staff,
        request_key=key(),
        now=now + timedelta(minutes=1),
    )
    marked = services.mark_missing_parcels(count=count, by=staff, now=now + timedelta(minutes=2))
    assert parcel.pk not in {p.pk for p in marked} and len(marked) == 2


def test_staff_of_another_area_cannot_count(point, now, flemish_area, staff):
    from parcels.exceptions import NotAllowed

    outsider = desk_staff(flemish_area)
    with pytest.raises(NotAllowed):
        services.start_inventory(point=point, by=outsider, now=now)
    count = services.start_inventory(point=point, by=staff, now=now)
    with pytest.raises(NotAllowed):
        scan(count, outsider, webshop_code(), now=now)
    assert not InventoryScan.objects.exists()


def test_every_parcel_in_the_house_is_expected_also_those_on_no_slot(point, staff, now, shelves, stock):
    # given: a parcel scanned in and never put on a slot, and a return dropped off (returns have no slot)
    a1, a2 = shelves
    earlier = now - timedelta(hours=2)
    unplaced = receive(point, staff, at=earlier)
    dropped = services.drop_off_return(
        point=point, raw_code=UPS_CODES[0], by=staff, request_key=key(), now=earlier
    ).parcel
    found_later = receive(point, staff, at=earlier)
    # when: every slot is counted with all its parcels, and one unplaced parcel turns up in A1-2
    count = services.start_inventory(point=point, by=staff, now=now)
    scan(count, staff, a1.label_code, now=now)
    scan(count, staff, stock["a1_first"].tracking_code, now=now)
    scan(count, staff, stock["a1_second"].tracking_code, now=now)
    scan(count, staff, a2.label_code, now=now)
    scan(count, staff, stock["a2"].tracking_code, now=now)
    scan(count, staff, found_later.tracking_code, now=now)
    result = services.finish_inventory(count=count, by=staff, now=now + timedelta(minutes=5))
    # then: the two on no slot are listed on their own, not missing, and not marked missing
    assert [line.parcel.pk for line in result.not_on_shelf] == [unplaced.pk, dropped.pk]
    assert not result.missing and not result.uncounted and not result.is_clean
    assert [line.parcel.pk for line in result.moved] == [found_later.pk]  # now on A1-2
    assert services.mark_missing_parcels(count=count, by=staff, now=now + timedelta(minutes=6)) == []
