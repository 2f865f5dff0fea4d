"""Back-office pages (/<lang>/pakketpunt/<point>/…): returns and receipt, handover and manifest, inventory."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from parcels import services
from parcels.models import Handover, InventoryCount, Parcel
from parcels.states import ParcelState
from privacy.tests.factories import with_totp

from .factories import THREE_S_CODE, UPS_CODES, desk_staff, key, receive, slot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def desk_client(client, staff):
    client.force_login(with_totp(staff))
    return client


def url(name, *args):
    return reverse(f"parcels:{name}", args=args)


def test_a_return_is_scanned_and_its_receipt_shown(desk_client, point, mailoutbox, django_capture_on_commit_callbacks):
    page = desk_client.get(url("returns", point.pk)).content.decode()
    assert "autofocus" in page and 'name="request_key"' in page
    data = {"code": UPS_CODES[0], "request_key": str(uuid.uuid4()), "customer_email": "klant@example.org"}
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(url("returns", point.pk), data)
    parcel = Parcel.objects.get()
    assert response["Location"] == url("return_receipt", point.pk, parcel.pk) + "?new=1"
    receipt = desk_client.get(response["Location"]).content.decode()
    assert "<svg" in receipt and UPS_CODES[0] in receipt and "Return taken in." in receipt
    assert len(mailoutbox) == 1
    # the same scan again (a retry, or the next customer by mistake): the same receipt, no second return
    again = desk_client.post(url("returns", point.pk), {**data, "request_key": str(uuid.uuid4())})
    assert again["Location"].endswith("?again=1") and Parcel.objects.count() == 1


def test_an_ambiguous_return_asks_for_the_carrier(desk_client, point):
    page = desk_client.post(url("returns", point.pk), {"code": THREE_S_CODE, "request_key": str(uuid.uuid4())})
    text = page.content.decode()
    assert page.status_code == 200 and "Which carrier" in text
    assert 'value="postnl"' in text and 'value="dhl"' in text and 'value="ups"' not in text
    response = desk_client.post(
        url("returns", point.pk), {"code": THREE_S_CODE, "carrier": "dhl", "request_key": str(uuid.uuid4())}
    )
    assert response.status_code == 302 and Parcel.objects.get().carrier.code == "dhl"


def test_errors_are_shown_in_dutch(desk_client, point, staff, now):
    receive(point, staff, code=UPS_CODES[1], at=now)
    with translation.override("nl"):
        page = desk_client.post(
            reverse("parcels:returns", args=[point.pk]), {"code": UPS_CODES[1], "request_key": str(uuid.uuid4())}
        )
    text = page.content.decode()
    assert "Dit is een pakket voor een ontvanger, geen retour." in text
    with translation.override("nl"):
        handover = services.open_handover(point=point, carrier_code="ups", by=staff)
        response = desk_client.post(
            reverse("parcels:handover_scan", args=[point.pk, handover.pk]),
            {"code": UPS_CODES[1], "request_key": str(uuid.uuid4())},
            follow=True,
        )
    assert "Gaat niet mee" in response.content.decode()


def test_the_handover_screens_from_carrier_to_manifest(desk_client, point, staff, now):
    parcel = services.drop_off_return(point=point, raw_code=UPS_CODES[0], by=staff, request_key=key(), now=now).parcel
    kept = services.drop_off_return(point=point, raw_code=UPS_CODES[1], by=staff, request_key=key(), now=now).parcel
    page = desk_client.get(url("handovers", point.pk)).content.decode()
    assert "UPS — 2 returns" in " ".join(page.split())
    response = desk_client.post(url("handovers", point.pk), {"carrier": "ups"})
    handover = Handover.objects.get()
    assert response["Location"] == url("handover", point.pk, handover.pk)
    page = desk_client.get(response["Location"]).content.decode()
    assert "0 of 2 scanned" in page and UPS_CODES[0] in page

    scanned = desk_client.post(
        url("handover_scan", point.pk, handover.pk),
        {"code": UPS_CODES[0], "request_key": str(uuid.uuid4())},
        follow=True,
    ).content.decode()
    assert "1 of 2 scanned" in scanned
    refused = desk_client.post(url("handover_close", point.pk, handover.pk), {"driver_name": ""}, follow=True)
    assert "Enter the driver&#x27;s name." in refused.content.decode()

    closed = desk_client.post(url("handover_close", point.pk, handover.pk), {"driver_name": "Jan Bakker"})
    assert closed["Location"] == url("handover_manifest", point.pk, handover.pk)
    manifest = desk_client.get(closed["Location"]).content.decode()
    assert "Jan Bakker" in manifest and "Not handed over" in manifest and UPS_CODES[1] in manifest
    pdf = desk_client.get(url("handover_manifest_pdf", point.pk, handover.pk))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    csv_text = b"".join(desk_client.get(url("handover_manifest_csv", point.pk, handover.pk)).streaming_content).decode()
    assert "Jan Bakker" in csv_text and UPS_CODES[0] in csv_text
    assert Parcel.objects.get(pk=parcel.pk).state == ParcelState.HANDED_TO_CARRIER
    assert Parcel.objects.get(pk=kept.pk).state == ParcelState.RETURN_RECEIVED


def test_the_inventory_screens(desk_client, point, staff, now):
    a1 = slot(point, "A", "1", "1")
    on_shelf = receive(point, staff, at=timezone.now() - timedelta(days=1), location=a1)
    lost_track = receive(point, staff, at=timezone.now() - timedelta(days=1), location=a1)
    response = desk_client.post(url("inventory_start", point.pk), {})
    count = InventoryCount.objects.get()
    assert response["Location"] == url("inventory", point.pk, count.pk)
    first = desk_client.post(response["Location"], {"code": on_shelf.tracking_code}, follow=True).content.decode()
    assert "Scan a slot label first" in first
    desk_client.post(response["Location"], {"code": a1.label_code})
    page = desk_client.post(response["Location"], {"code": on_shelf.tracking_code}, follow=True).content.decode()
    assert f"{on_shelf.tracking_code} in A1-1." in page
    done = desk_client.post(url("inventory_finish", point.pk, count.pk))
    assert done["Location"] == url("inventory_result", point.pk, count.pk)
    result = desk_client.get(done["Location"]).content.decode()
    assert "Missing (1)" in result and lost_track.tracking_code in result
    assert reverse("parcels:desk_parcel", args=[point.pk, lost_track.pk]) in result  # its history, one click away
    # marking them missing needs the tick that says staff looked for them
    unconfirmed = desk_client.post(url("inventory_mark_missing", point.pk, count.pk), follow=True).content.decode()
    assert "Tick the box to confirm" in unconfirmed
    assert Parcel.objects.get(pk=lost_track.pk).state == ParcelState.STORED
    marked = desk_client.post(url("inventory_mark_missing", point.pk, count.pk), {"confirm": "yes"}, follow=True)
    assert "1 parcel marked missing." in marked.content.decode()
    assert Parcel.objects.get(pk=lost_track.pk).state == ParcelState.MISSING


def test_staff_of_another_area_get_a_404(client, point, staff, now, flemish_area):
    parcel = services.drop_off_return(point=point, raw_code=UPS_CODES[0], by=staff, request_key=key(), now=now).parcel
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    count = services.start_inventory(point=point, by=staff, now=now)
    client.force_login(with_totp(desk_staff(flemish_area)))
    for path in (
        url("returns", point.pk),
        url("return_receipt", point.pk, parcel.pk),
        url("handovers", point.pk),
        url("handover", point.pk, handover.pk),
        url("inventory_start", point.pk),
        url("inventory", point.pk, count.pk),
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(url("handover_close", point.pk, handover.pk), {"driver_name": "X"}).status_code == 404
    assert Handover.objects.get().closed_at is None


def test_anonymous_visitors_are_sent_to_log_in(client, point):
    response = client.get(url("returns", point.pk))
    assert response.status_code == 302 and "login" in response["Location"]
