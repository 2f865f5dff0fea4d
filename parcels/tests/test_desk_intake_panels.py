"""What the intake desk says about a scan it cannot simply take in: a misread, a code of no carrier, a slot label, a
parcel that left and came back, a refusal by mistake; and where a collected parcel is (nowhere), on every list."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from parcels import services
from parcels.models import AnnouncementSource, EventKind, Parcel, ParcelEvent, SizeClass
from parcels.states import ParcelState
from parcels.views_desk import DEVICE_COOKIE
from privacy.tests.factories import with_totp

from .factories import UPS_CODES, agree, key, receive, slot

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def desk(client, staff):
    client.force_login(with_totp(staff))
    client.cookies[DEVICE_COOKIE] = "balie-1"
    return client


@pytest.fixture
def shelf(point):
    return slot(point, "C", "2", "2", size_class=SizeClass.L)


def url(name: str, point, *args) -> str:
    return reverse(f"parcels:{name}", args=[point.pk, *args])


def scan(**fields) -> dict:
    return {"code": "", "size_class": "", "request_key": str(uuid.uuid4()), **fields}


def post(desk, point, **fields) -> dict:
    return desk.post(url("desk_intake", point), scan(**fields), **JSON).json()


def hidden(panel: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', panel).group(1)


def picked_up(point, staff, shelf, now):
    parcel = receive(point, staff, code=UPS_CODES[0], at=now, location=shelf, device="balie-1")
    services.hand_out_parcels(
        point=point, parcel_ids=[parcel.pk], pickup_code_or_token=parcel.pickup_code, by=staff, request_key=key()
    )
    parcel.refresh_from_db()
    return parcel


def test_a_misread_says_wrong_check_digit_and_offers_only_its_carrier(desk, point):
    answer = post(desk, point, code="1Z999AA10123456780")
    assert answer["kind"] == "choose_carrier"
    assert (
        "Wrong check digit — scan again" in answer["panel"] and 'data-reason="invalid_check_digit"' in answer["panel"]
    )
    assert re.findall(r'name="carrier_code" value="([^"]+)"', answer["panel"]) == ["ups"]


def test_a_code_of_no_carrier_is_an_error_with_no_carriers_to_choose(desk, point):
    answer = post(desk, point, code="HELLO-123")
    assert answer["kind"] == "error" and "not a carrier&#x27;s tracking code" in answer["panel"]
    assert "data-choices" not in answer["panel"] and not Parcel.objects.exists()


def test_an_unknown_code_shows_why_it_asks(desk, point):
    answer = post(desk, point, code="0009999123")
    assert answer["kind"] == "choose_carrier" and 'data-reason="unknown"' in answer["panel"]
    assert re.findall(r'name="carrier_code" value="([^"]+)"', answer["panel"]) == ["dhl", "gls"]


def test_a_slot_label_of_no_slot_here_keeps_the_parcel_waiting_for_its_slot(desk, point, shelf):
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[1],
        recipient_name="Sanne",
        recipient_email="sanne@example.org",
        source=AnnouncementSource.CSV,
    )
    received = post(desk, point, code=UPS_CODES[1])
    parcel = Parcel.objects.get()
    # a mistyped label while the parcel waits: said so, and the parcel still waits for a slot
    answer = post(desk, point, code=f"LOC-{point.pk}-XX-9", pending=parcel.pk, suggested=received["suggested"])
    assert answer["kind"] == "error" and "a slot label, but of no slot at this point" in answer["panel"]
    assert answer["pending"] == parcel.pk and answer["suggested"] == shelf.label_code
    assert "Still waiting for its slot" in answer["panel"]
    # then the right label puts it there
    assert post(desk, point, code=shelf.label_code, pending=parcel.pk)["kind"] == "stored"


def test_a_slot_label_with_no_parcel_waiting_says_scan_the_parcel_first(desk, point, shelf):
    answer = post(desk, point, code=shelf.label_code)
    assert answer["kind"] == "error" and "This is the label of slot C2-2, not a parcel" in answer["panel"]


def test_a_collected_parcel_is_shown_without_its_old_slot_and_can_be_taken_in_again(desk, point, staff, shelf, now):
    # given a parcel picked up from slot C2-2
    first = picked_up(point, staff, shelf, now)
    # when it is scanned again: it was here before, picked up, on no slot; the desk offers to take it in again
    answer = post(desk, point, code=UPS_CODES[0])
    panel = answer["panel"]
    assert answer["kind"] == "duplicate" and "This code was here before" in panel and "Picked up" in panel
    assert "C2-2" not in panel and "data-take-again" in panel
    assert hidden(panel, "again") == "True" and hidden(panel, "carrier_code") == "ups"
    # when staff take it in again: the recipient from the label (the question keeps the "again")
    again = {"code": UPS_CODES[0], "carrier_code": "ups", "again": "True", "request_key": hidden(panel, "request_key")}
    asked = post(desk, point, **again)
    assert asked["kind"] == "recipient" and hidden(asked["panel"], "again") == "True"
    answer = post(desk, point, **again, recipient_name="Bo", recipient_email="bo@example.org")
    # then it is a new arrival, waiting for a slot; the first one is still picked up
    assert answer["kind"] == "received"
    new = Parcel.objects.get(arrival=2)
    assert answer["pending"] == new.pk and Parcel.objects.get(pk=first.pk).state == ParcelState.PICKED_UP
    # and the new arrival's page links to the first
    page = desk.get(url("desk_parcel", point, new.pk)).content.decode()
    assert "Arrival 2 of this code here." in page and url("desk_parcel", point, first.pk) in page


def test_the_lists_show_no_slot_for_a_parcel_that_left(desk, point, staff, shelf, now):
    parcel = picked_up(point, staff, shelf, now)
    search = desk.get(url("desk_search", point), {"q": UPS_CODES[0]}).content.decode()
    row = re.search(r"<tr><td><a[^>]*>" + UPS_CODES[0] + r".*?</tr>", search, re.S).group(0)
    assert "Picked up" in row and "C2-2" not in row
    page = desk.get(url("desk_parcel", point, parcel.pk)).content.decode()
    assert re.search(r"Slot</dt><dd>–</dd>", page)
    recent = desk.get(url("desk_intake", point)).content.decode()
    row = re.search(r"<tr><td><a[^>]*>" + UPS_CODES[0] + r".*?</tr>", recent, re.S).group(0)
    assert "C2-2" not in row


def test_a_refusal_for_weight_says_too_heavy_and_can_be_undone_at_the_desk(desk, point, staff):
    # given an unannounced parcel whose weight was mistyped (40 kg instead of 4)
    agree(point, "ups", max_weight_grams=20_000, accept_oversize=False)
    data = {"code": UPS_CODES[2], "carrier_code": "", "recipient_name": "Bo", "recipient_email": "bo@example.org"}
    answer = post(desk, point, **data, weight_grams="40000")
    refused = Parcel.objects.get()
    assert answer["kind"] == "refused" and refused.state == ParcelState.REFUSED
    assert re.search(r"data-limit>Too heavy<", answer["panel"]) and ">oversize<" not in answer["panel"]
    assert "Undo the refusal and take it in" in answer["panel"]
    # when staff undo it and enter the weight again
    undo = {"code": UPS_CODES[2], "carrier_code": "ups", "again": "True"}
    undo["request_key"] = hidden(answer["panel"], "request_key")
    asked = post(desk, point, **undo)
    assert asked["kind"] == "recipient"
    answer = post(desk, point, **undo, recipient_name="Bo", recipient_email="bo@example.org", weight_grams="4000")
    # then it is taken in, and the refused parcel's history says who undid the refusal, at which desk
    assert answer["kind"] == "received"
    assert Parcel.objects.get(arrival=2).weight_grams == 4000
    undone = ParcelEvent.objects.get(parcel=refused, kind=EventKind.REFUSAL_UNDONE)
    assert (undone.by, undone.device) == (staff, "balie-1")
    history = desk.get(url("desk_parcel", point, refused.pk)).content.decode()
    assert "Refusal undone" in history


def test_a_search_for_a_whole_code_not_found_says_so(desk, point):
    page = desk.get(url("desk_search", point), {"q": "JJD000000000099990001"}).content.decode()
    assert "No parcel found for “JJD000000000099990001”." in page and "at least 3" not in page
    page = desk.get(url("desk_search", point), {"q": "JJ"}).content.decode()
    assert "Give at least 3 characters of the code or the name." in page


def test_a_wrong_code_at_the_pickup_look_up_speaks_of_no_parcels_shown(desk, point):
    page = desk.post(url("desk_pickup", point), {"code": "AAAAAA"}).content.decode()
    assert "No parcels are waiting here for this pickup code." in page and "these parcels" not in page


def test_desk_tables_scroll_in_their_own_wrapper(desk, point, staff, shelf, now):
    parcel = picked_up(point, staff, shelf, now + timedelta(minutes=-5))
    for page in (
        desk.get(url("desk_intake", point)),
        desk.get(url("desk_search", point), {"q": UPS_CODES[0]}),
        desk.get(url("desk_parcel", point, parcel.pk)),
    ):
        text = page.content.decode()
        assert text.count('<table class="pdesk-table') == text.count(
            '<div class="table-wrap"><table class="pdesk-table'
        )
        assert '<table class="pdesk-table' in text
