"""Misread and foreign codes at intake: a wrong check digit, a slot label, a code of no carrier, the webshop's own
strict format. Only carriers whose codes look like the scan are offered; nothing is offered to every carrier."""

import pytest
from django.utils import translation

from parcels import barcodes, services
from parcels.exceptions import InvalidTrackingCode, NotACarrierCode, SlotLabelScanned, UnknownCarrier
from parcels.models import Parcel

from .factories import THREE_S_CODE, UPS_CODES, ParcelPointFactory, agree, key, slot, webshop_code

pytestmark = pytest.mark.django_db

UPS_MISREAD = "1Z999AA10123456780"  # UPS's shape, wrong check digit


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def scan(point, staff, raw_code, *, now, **extra):
    return services.receive_parcel(point=point, raw_code=raw_code, by=staff, request_key=key(), now=now, **extra)


def test_a_wrong_check_digit_says_scan_again_and_offers_only_the_carrier_of_that_format(point, staff, now):
    asked = scan(point, staff, UPS_MISREAD, now=now)
    assert asked.needs_carrier_choice and asked.candidates == ("ups",)
    assert asked.reason == barcodes.INVALID_CHECK_DIGIT


def test_a_webshop_code_with_a_wrong_check_digit_is_a_misread_and_never_asked_about(point, staff, now):
    good = webshop_code()
    misread = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidTrackingCode, match="Wrong check digit"):
        scan(point, staff, misread, now=now)
    assert not Parcel.objects.exists()


@pytest.mark.parametrize("code", ["HELLO-123", "ORDER 4711/B", "3SKEIS0092117033SKEIS009211696"])
def test_a_code_of_no_carrier_is_refused_and_never_offered_to_the_webshop(point, staff, now, code):
    with pytest.raises(NotACarrierCode, match="not a carrier's tracking code"):
        scan(point, staff, code, now=now)
    # an answer the desk never offered (a forged or stale form) is refused too
    with pytest.raises(InvalidTrackingCode):
        scan(point, staff, code, now=now, carrier_code="webshop", recipient_name="A", recipient_email="a@example.org")
    assert not Parcel.objects.exists()


def test_an_unknown_code_is_offered_only_to_the_carriers_whose_codes_look_like_it(point, staff, now):
    asked = scan(point, staff, "0009999123", now=now)  # 10 digits: a DHL Express or GLS number, if any
    assert asked.needs_carrier_choice and asked.candidates == ("dhl", "gls") and asked.reason == barcodes.UNKNOWN
    with pytest.raises(UnknownCarrier):
        scan(point, staff, "0009999123", now=now, carrier_code="postnl", recipient_name="A", recipient_email="a@e.org")
    taken = scan(point, staff, "0009999123", now=now, carrier_code="gls", recipient_name="A", recipient_email="a@e.org")
    assert taken.parcel.carrier.code == "gls"


def test_an_ambiguous_code_still_offers_its_carriers(point, staff, now):
    asked = scan(point, staff, THREE_S_CODE, now=now)
    assert set(asked.candidates) == {"postnl", "dhl"} and asked.reason == barcodes.AMBIGUOUS


def test_a_slot_label_scanned_at_intake_says_so(point, staff, now, area):
    here = slot(point, "B", "1", "4")
    elsewhere = slot(ParcelPointFactory(area=area), "B", "1", "3")
    with pytest.raises(SlotLabelScanned, match="label of slot B1-4"):
        scan(point, staff, here.label_code.lower(), now=now)
    for label in (elsewhere.label_code.lower(), f"LOC-{point.pk}-XX-9"):
        with pytest.raises(SlotLabelScanned, match="of no slot at this point"):
            scan(point, staff, label, now=now)
    assert not Parcel.objects.exists()


def test_a_returns_code_may_still_be_anything(point, staff, now):
    # a printerless return's QR payload is the return's code: every carrier of the point may be its carrier
    asked = services.drop_off_return(point=point, raw_code="RTN-7Q2K9XW4", by=staff, request_key=key(), now=now)
    assert asked.needs_carrier_choice and "dhl" in asked.candidates


def test_a_point_without_the_carrier_is_told_whose_code_it_looks_like(area, staff, now):
    point = ParcelPointFactory(area=area)
    agree(point, "postnl")
    with pytest.raises(UnknownCarrier, match="looks like UPS's"):
        scan(point, staff, UPS_CODES[0], now=now)
    with pytest.raises(InvalidTrackingCode, match="Wrong check digit"):  # a misread first of all
        scan(point, staff, UPS_MISREAD, now=now)


def test_possible_carriers_follow_the_shapes_of_their_codes():
    assert barcodes.possible_carriers(UPS_MISREAD) == ("ups",)
    assert barcodes.possible_carriers(THREE_S_CODE) == ("postnl", "dhl")
    assert barcodes.possible_carriers("JJD000000000055550001") == ("dhl",)
    assert barcodes.possible_carriers(webshop_code()) == ("webshop",)
    for code in ("HELLO-123", "LOC-1-B1-4", "AG12345", ""):
        assert barcodes.possible_carriers(code) == (), code
