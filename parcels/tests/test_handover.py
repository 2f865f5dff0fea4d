"""Carrier handover: the list per carrier, scanning each item, closing with the driver, the manifest."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import translation

from parcels import manifests, selectors, services
from parcels.exceptions import (
    DriverNameRequired,
    HandoverClosed,
    NothingScanned,
    NotOnHandoverList,
    UnknownCarrier,
)
from parcels.models import Billable, Handover, Parcel
from parcels.states import ParcelState

from .factories import UPS_CODES, ParcelPointFactory, key, receive, webshop_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def drop(point, staff, code, now):
    return services.drop_off_return(point=point, raw_code=code, by=staff, request_key=key(), now=now).parcel


def expired(point, staff, now, **extra):
    parcel = receive(point, staff, at=now - timedelta(days=10), **extra)
    services.expire_overdue_parcels(now=now)
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.EXPIRED
    return parcel


def scan(handover, staff, code, **extra):
    return services.scan_for_handover(handover=handover, raw_code=code, by=staff, **extra)


@pytest.fixture
def leaving(point, staff, now):
    """UPS: two returns and an expired parcel; the webshop: one expired parcel; a parcel still waiting."""
    return {
        "ups_returns": [drop(point, staff, UPS_CODES[0], now), drop(point, staff, UPS_CODES[1], now)],
        "ups_expired": expired(point, staff, now, code=UPS_CODES[2]),
        "webshop_expired": expired(point, staff, now),
        "waiting": receive(point, staff, at=now, code=UPS_CODES[3]),
    }


def test_the_list_holds_the_carriers_returns_and_expired_parcels(point, staff, now, leaving):
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    listed = set(selectors.leaving_parcels(point, handover.carrier))
    assert listed == {*leaving["ups_returns"], leaving["ups_expired"]}
    counts = {row["carrier"].code: (row["returns"], row["expired"]) for row in selectors.leaving_counts(point)}
    assert counts["ups"] == (2, 1) and counts["webshop"] == (0, 1) and counts["dhl"] == (0, 0)
    # opening again (another desk) gives the same open handover
    assert services.open_handover(point=point, carrier_code="ups", by=staff) == handover
    with pytest.raises(UnknownCarrier):
        services.open_handover(point=ParcelPointFactory(area=point.area), carrier_code="ups", by=staff)


def test_a_code_not_on_the_list_is_refused_with_the_reason(point, staff, now, leaving):
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    with pytest.raises(NotOnHandoverList, match="not UPS"):
        scan(handover, staff, leaving["webshop_expired"].tracking_code)
    with pytest.raises(NotOnHandoverList, match="Not leaving"):
        scan(handover, staff, UPS_CODES[3])
    with pytest.raises(NotOnHandoverList, match="Not on the list"):
        scan(handover, staff, webshop_code())


def test_a_second_scan_is_a_no_op(point, staff, now, leaving):
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    first = scan(handover, staff, UPS_CODES[0])
    again = scan(handover, staff, f" {UPS_CODES[0].lower()}")
    assert not first.is_repeat and again.is_repeat and again.parcel == first.parcel
    assert services.handover.scanned_parcel_ids(handover, [first.parcel.pk]) == {first.parcel.pk}


def test_scans_are_kept_in_the_database_until_the_close(point, staff, now, leaving):
    from django.core.cache import cache

    from parcels.models import HandoverItem

    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    scanned = scan(handover, staff, UPS_CODES[0]).parcel
    cache.clear()  # a restart of the cache loses nothing

    services.close_handover(handover=handover, driver_name="Driver", by=staff)

    assert HandoverItem.objects.filter(handover=handover).count() == 1
    assert Parcel.objects.get(pk=scanned.pk).state == ParcelState.HANDED_TO_CARRIER


def test_closing_hands_over_only_the_scanned_items_with_the_fee(point, staff, now, leaving):
    # given two of the three UPS items scanned
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    scan(handover, staff, UPS_CODES[0])
    scan(handover, staff, UPS_CODES[2])
    # when
    closed = services.close_handover(
        handover=handover, driver_name="  Jan   Bakker ", by=staff, device="desk-2", now=now
    )
    # then
    assert (closed.driver_name, closed.closed_at) == ("Jan Bakker", now)
    states = dict(Parcel.objects.values_list("tracking_code", "state"))
    assert states[UPS_CODES[0]] == states[UPS_CODES[2]] == ParcelState.HANDED_TO_CARRIER
    assert states[UPS_CODES[1]] == ParcelState.RETURN_RECEIVED
    assert Parcel.objects.get(pk=leaving["webshop_expired"].pk).state == ParcelState.EXPIRED
    events = list(closed.events.order_by("pk"))
    assert len(events) == 2
    assert {(e.billable, e.fee_cents, e.device, e.by) for e in events} == {(Billable.HANDOVER, 5, "desk-2", staff)}
    assert Parcel.objects.get(tracking_code=UPS_CODES[0]).left_at == now
    # the handover is closed: no more scans or closes; the next driver gets a new one
    with pytest.raises(HandoverClosed):
        scan(closed, staff, UPS_CODES[1])
    with pytest.raises(HandoverClosed):
        services.close_handover(handover=closed, driver_name="Jan", by=staff, now=now)
    assert services.open_handover(point=point, carrier_code="ups", by=staff) != closed


def test_nothing_leaves_unscanned(point, staff, now, leaving):
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    with pytest.raises(DriverNameRequired):
        services.close_handover(handover=handover, driver_name=" ", by=staff, now=now)
    with pytest.raises(NothingScanned):
        services.close_handover(handover=handover, driver_name="Jan", by=staff, now=now)
    assert Handover.objects.get(pk=handover.pk).closed_at is None
    assert not Parcel.objects.filter(state=ParcelState.HANDED_TO_CARRIER).exists()


def test_the_manifest_lists_each_item_and_the_totals(point, staff, now, leaving):
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    scan(handover, staff, UPS_CODES[0])
    scan(handover, staff, UPS_CODES[2])
    services.close_handover(handover=handover, driver_name="Jan Bakker", by=staff, now=now)
    # a later handover of the item kept back does not change this manifest
    later = services.open_handover(point=point, carrier_code="ups", by=staff)
    scan(later, staff, UPS_CODES[1])
    services.close_handover(handover=later, driver_name="Piet", by=staff, now=now + timedelta(hours=1))

    manifest = manifests.build_manifest(Handover.objects.get(pk=handover.pk))
    text = "".join(manifests.manifest_csv(manifest))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert ["Carrier", "UPS"] in rows
    assert ["Driver", "Jan Bakker"] in rows and ["Parcel point", point.name] in rows
    items = {row[0]: row[1:] for row in rows if row and row[0] in UPS_CODES}
    assert items == {
        UPS_CODES[0]: ["Return to the carrier", "Return", "Handed over"],
        UPS_CODES[2]: ["For a recipient", "Storage limit passed", "Handed over"],
        UPS_CODES[1]: ["Return to the carrier", "Return", "Not handed over"],
    }
    totals = {row[0]: row[1] for row in rows if len(row) == 2}
    assert totals["Handed over"] == "2" and totals["of which returns"] == "1"
    assert totals["of which expired parcels"] == "1" and totals["Not handed over (stayed at the point)"] == "1"
    assert manifests.manifest_pdf(manifest).startswith(b"%PDF")


def test_the_handover_is_the_points(point, staff, now, flemish_area, leaving):
    from parcels.exceptions import NotAllowed

    from .factories import desk_staff

    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    outsider = desk_staff(flemish_area)
    with pytest.raises(NotAllowed):
        scan(handover, outsider, UPS_CODES[0])
    with pytest.raises(NotAllowed):
        services.close_handover(handover=handover, driver_name="Jan", by=outsider, now=now)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("postgres_concurrency")
def test_two_desks_closing_the_same_handover_at_once_one_wins(point, staff, now):
    from tests.concurrency import run_together

    drop(point, staff, UPS_CODES[0], now)
    drop(point, staff, UPS_CODES[1], now)
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    scan(handover, staff, UPS_CODES[0])
    scan(handover, staff, UPS_CODES[1])

    def desk(n):
        return lambda: services.close_handover(handover=handover, driver_name=f"Driver {n}", by=staff, now=now)

    results = run_together([desk(n) for n in range(6)])
    closed = [r for r in results if not isinstance(r, Exception)]
    assert len(closed) == 1, results
    assert all(isinstance(r, HandoverClosed) for r in results if isinstance(r, Exception)), results
    assert Handover.objects.get(pk=handover.pk).driver_name == closed[0].driver_name
    assert Parcel.objects.filter(state=ParcelState.HANDED_TO_CARRIER).count() == 2
    assert handover.events.count() == 2
