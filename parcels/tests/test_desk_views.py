"""The desk's pages (/<lang>/pakketpunt/…) over the real services: intake, pickup, search, history, labels."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from areas.tests.factories import ShoppingAreaFactory
from parcels import selectors, services
from parcels.models import AnnouncementSource, Parcel, ParcelEvent, SizeClass
from parcels.services.pickup import MAX_WRONG_CODES
from parcels.states import ParcelState
from parcels.views_desk import DEVICE_COOKIE, desk_entry_is_visible
from privacy.tests.factories import with_totp

from .factories import (
    THREE_S_CODE,
    UPS_CODES,
    ParcelPointFactory,
    agree,
    desk_staff,
    receive,
    recipient_lock,
    slot,
    webshop_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(staff):
    return with_totp(staff)


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    client.cookies[DEVICE_COOKIE] = "balie-1"
    return client


@pytest.fixture
def shelf(point):
    return slot(point, "A", "1", "1", size_class=SizeClass.L)


def url(name: str, point, *args) -> str:
    return reverse(f"parcels:{name}", args=[point.pk, *args])


def announce(point, code: str = UPS_CODES[0], carrier: str = "ups", name: str = "Sanne de Vries"):
    return services.announce_parcel(
        point=point,
        carrier_code=carrier,
        tracking_code=code,
        recipient_name=name,
        recipient_email="sanne@example.org",
        source=AnnouncementSource.WEBSHOP,
    )


def scan(**fields) -> dict:
    return {"code": "", "size_class": "", "request_key": str(uuid.uuid4()), **fields}


JSON = {"HTTP_ACCEPT": "application/json"}


# --- Start, home, navigation, authorization ---------------------------------------------------------------


def test_staff_of_one_point_go_straight_to_its_desk_and_get_a_device_name(desk, point):
    response = desk.get(reverse("parcels:desk_start"))
    assert response["Location"] == url("desk_home", point)
    page = desk.get(url("desk_home", point)).content.decode()
    assert url("desk_intake", point) in page and url("desk_pickup", point) in page and "balie-1" in page


def test_a_new_browser_is_given_a_desk_name_it_can_change(client, clerk, point):
    client.force_login(clerk)
    response = client.get(url("desk_home", point))
    assert response.cookies[DEVICE_COOKIE].value.startswith("balie-")
    response = client.post(url("desk_device", point), {"device": "balie-2"})
    assert response.cookies[DEVICE_COOKIE].value == "balie-2"
    response = client.post(url("desk_device", point), {"device": "balie 2 <script>"})
    assert DEVICE_COOKIE not in response.cookies or response.cookies[DEVICE_COOKIE].value == "balie-2"


def test_staff_with_several_points_choose_one(desk, point, area):
    second = ParcelPointFactory(area=area, name="Tweede punt")
    page = desk.get(reverse("parcels:desk_start")).content.decode()
    assert url("desk_home", point) in page and url("desk_home", second) in page


def test_the_navigation_offers_the_parcel_point_to_desk_staff_only(desk, point, person, rf):
    assert reverse("parcels:desk_start") in desk.get(url("desk_home", point)).content.decode()
    request = rf.get("/nl/")
    request.user = person
    assert not desk_entry_is_visible(request)


def test_staff_of_another_area_get_a_404_on_every_desk_page(client, point, shelf):
    other = with_totp(desk_staff(ShoppingAreaFactory()))
    parcel = receive(point, desk_staff(point.area))
    client.force_login(other)
    for name, args in (
        ("desk_home", ()),
        ("desk_intake", ()),
        ("desk_pickup", ()),
        ("desk_search", ()),
        ("desk_labels", ()),
        ("desk_parcel", (parcel.pk,)),
    ):
        assert client.get(url(name, point, *args)).status_code == 404, name
    assert client.post(url("desk_intake", point), scan(code=webshop_code())).status_code == 404
    assert client.get(reverse("parcels:desk_start")).status_code == 404
    assert not Parcel.objects.exclude(pk=parcel.pk).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, point):
    response = client.get(url("desk_intake", point))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Intake -----------------------------------------------------------------------------------------------


def test_an_announced_parcel_is_scanned_in_and_put_on_the_suggested_slot(
    desk, point, shelf, clerk, django_assert_num_queries, django_capture_on_commit_callbacks, mailoutbox
):
    # given
    announce(point)
    page = desk.get(url("desk_intake", point)).content.decode()
    assert "autofocus" in page and 'name="request_key"' in page
    # when the scanner types the code and Enter
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(14 + recipient_lock()):
        response = desk.post(url("desk_intake", point), scan(code=UPS_CODES[0]))
    # then the desk shows the carrier, the recipient and the suggested slot
    parcel = Parcel.objects.get()
    assert response.status_code == 302
    page = desk.get(response["Location"]).content.decode()
    assert 'data-outcome="received"' in page and "Sanne de Vries" in page and shelf.name in page
    assert f'name="pending" value="{parcel.pk}"' in page and f'value="{shelf.label_code}"' in page
    assert len(mailoutbox) == 1 and parcel.pickup_code in mailoutbox[0].body
    # when Enter (nothing scanned) accepts the suggestion
    response = desk.post(url("desk_intake", point), scan(pending=parcel.pk, suggested=shelf.label_code))
    # then it is on the shelf, and the next scan is a fresh one
    parcel.refresh_from_db()
    assert (parcel.state, parcel.location) == (ParcelState.STORED, shelf)
    page = desk.get(response["Location"]).content.decode()
    assert 'data-outcome="stored"' in page and 'name="pending" value=""' in page
    assert list(parcel.events.values_list("kind", "device", "by")) == [
        ("received", "balie-1", clerk.pk),
        ("stored", "balie-1", clerk.pk),
    ]


def test_scanning_a_slot_label_puts_the_parcel_there(desk, point, shelf, django_assert_num_queries):
    other = slot(point, "B", "2", "4", size_class=SizeClass.XL)
    announce(point)
    desk.post(url("desk_intake", point), scan(code=UPS_CODES[0]))
    parcel = Parcel.objects.get()
    with django_assert_num_queries(12):  # the slot's row is read once, locked, by the service
        response = desk.post(
            url("desk_intake", point),
            scan(code=other.label_code.lower(), pending=parcel.pk, suggested=shelf.label_code),
        )
    assert response.status_code == 302
    parcel.refresh_from_db()
    assert (parcel.state, parcel.location) == (ParcelState.STORED, other)


def test_another_parcel_scanned_instead_of_a_slot_is_taken_in_and_the_first_waits(desk, point, shelf):
    announce(point)
    announce(point, UPS_CODES[1])
    desk.post(url("desk_intake", point), scan(code=UPS_CODES[0]))
    first = Parcel.objects.get()
    desk.post(url("desk_intake", point), scan(code=UPS_CODES[1], pending=first.pk, suggested=shelf.label_code))
    assert Parcel.objects.count() == 2
    first.refresh_from_db()
    assert first.state == ParcelState.RECEIVED and first.location is None


def test_a_second_scan_shows_the_parcel_and_its_state_and_makes_no_duplicate(desk, point, shelf, clerk):
    parcel = receive(point, clerk, code=UPS_CODES[2], location=shelf)
    response = desk.post(url("desk_intake", point), scan(code=UPS_CODES[2]))
    page = desk.get(response["Location"]).content.decode()
    assert 'data-outcome="duplicate"' in page and parcel.get_state_display() in page and shelf.name in page
    assert Parcel.objects.count() == 1 and ParcelEvent.objects.filter(parcel=parcel).count() == 2


def test_a_resubmitted_scan_takes_the_parcel_once(desk, point, shelf):
    announce(point)
    data = scan(code=UPS_CODES[0])
    desk.post(url("desk_intake", point), data)
    desk.post(url("desk_intake", point), data)
    assert Parcel.objects.count() == 1 and ParcelEvent.objects.count() == 1


def test_an_ambiguous_code_asks_which_carrier_and_the_answer_takes_it_in(desk, point, shelf):
    # given a 3S code nobody announced: PostNL or DHL
    first = scan(code=THREE_S_CODE)
    page = desk.post(url("desk_intake", point), first).content.decode()
    assert 'data-outcome="choose_carrier"' in page
    assert 'name="carrier_code" value="postnl"' in page and 'name="carrier_code" value="dhl"' in page
    assert f'value="{first["request_key"]}"' in page  # the answer resends the same key
    assert not Parcel.objects.exists()
    # when staff pick PostNL (unannounced, so the desk asks the recipient next)
    page = desk.post(url("desk_intake", point), {**first, "carrier_code": "postnl"}).content.decode()
    assert 'data-outcome="recipient"' in page and 'name="carrier_code" value="postnl"' in page
    # then with the recipient it is taken in as PostNL's
    response = desk.post(
        url("desk_intake", point),
        {**first, "carrier_code": "postnl", "recipient_name": "Bo", "recipient_email": "bo@example.org"},
    )
    assert response.status_code == 302
    assert Parcel.objects.get().carrier.code == "postnl"


def test_an_unannounced_parcel_asks_for_the_recipient_with_errors_in_dutch(desk, point, shelf):
    code = webshop_code()
    page = desk.post(url("desk_intake", point), scan(code=code, size_class="S")).content.decode()
    assert 'data-outcome="recipient"' in page and f'value="{code}"' in page
    # missing name and a broken e-mail: said in Dutch, nothing written
    data = scan(code=code, size_class="S", recipient_name="", recipient_email="bo@", weight_grams="")
    page = desk.post(url("desk_intake", point), data).content.decode()
    assert "Vul de naam van de ontvanger in" in page and "Voer een geldig e-mailadres in." in page
    assert not Parcel.objects.exists()
    # complete: taken in
    data.update(recipient_name="Bo Jansen", recipient_email="bo@example.org", weight_grams="1200")
    response = desk.post(url("desk_intake", point), data)
    assert response.status_code == 302
    parcel = Parcel.objects.get()
    assert (parcel.recipient_name, parcel.size_class, parcel.weight_grams) == ("Bo Jansen", "S", 1200)


def test_an_oversize_parcel_is_refused_in_red(desk, point, shelf):
    agree(point, "ups", max_size_class=SizeClass.L, accept_oversize=False)
    announce(point)
    response = desk.post(url("desk_intake", point), scan(code=UPS_CODES[0], size_class="XL"))
    page = desk.get(response["Location"]).content.decode()
    assert 'data-outcome="refused"' in page and "pdesk-card--bad" in page
    assert Parcel.objects.get().state == ParcelState.REFUSED


def test_the_fetch_variant_answers_json_with_the_panel_and_a_fresh_key(desk, point, shelf, django_assert_num_queries):
    announce(point)
    data = scan(code=UPS_CODES[0])
    with django_assert_num_queries(16 + recipient_lock()):
        response = desk.post(url("desk_intake", point), data, **JSON)
    answer = json.loads(response.content)
    parcel = Parcel.objects.get()
    assert answer["kind"] == "received" and answer["pending"] == parcel.pk
    assert answer["suggested"] == shelf.label_code and answer["request_key"] != data["request_key"]
    assert shelf.name in answer["panel"] and UPS_CODES[0] in answer["recent"] and "Ontvangen" in answer["recent"]
    # Enter accepts the slot (the session is never written: the list of recent scans is read from the events)
    with django_assert_num_queries(13):
        answer = desk.post(
            url("desk_intake", point), scan(pending=parcel.pk, suggested=shelf.label_code), **JSON
        ).json()
    assert answer["kind"] == "stored" and answer["pending"] == ""
    assert shelf.name in answer["panel"] and "In het vak" in answer["recent"]
    # an unreadable scan is a clear error
    response = desk.post(url("desk_intake", point), scan(code="  "), **JSON)
    assert response.status_code == 400 and response.json()["kind"] == "error"


def test_the_intake_lists_the_last_ten_parcels_this_desk_scanned_whoever_stood_at_it(desk, point, shelf, clerk, area):
    # given a parcel scanned in at another desk, and one at a desk of the same name at another point
    elsewhere = receive(point, clerk, device="balie-2")
    other_point = ParcelPointFactory(area=area, name="Tweede punt")
    agree(other_point, "webshop")
    receive(other_point, clerk, device="balie-1")
    # when this desk scans in twelve parcels, then puts the first of them on a slot
    for _ in range(12):
        data = scan(code=webshop_code(), recipient_name="Bo", recipient_email="bo@example.org")
        assert desk.post(url("desk_intake", point), data).status_code == 302
    mine = list(Parcel.objects.filter(point=point).exclude(pk=elsewhere.pk).order_by("pk"))
    desk.post(url("desk_intake", point), scan(pending=mine[0].pk, suggested=shelf.label_code))
    # then a colleague taking over this desk sees its last ten parcels, the one just put on the slot first
    colleague = Client()
    colleague.force_login(with_totp(desk_staff(area)))
    colleague.cookies[DEVICE_COOKIE] = "balie-1"
    page = colleague.get(url("desk_intake", point)).content.decode()
    listed = re.findall(r'class="pdesk-code">([^<]+)<', page)
    assert listed == [mine[0].tracking_code, *(p.tracking_code for p in reversed(mine[3:]))]
    # and the other desk sees only its own parcel
    colleague.cookies[DEVICE_COOKIE] = "balie-2"
    page = colleague.get(url("desk_intake", point)).content.decode()
    assert re.findall(r'class="pdesk-code">([^<]+)<', page) == [elsewhere.tracking_code]


# --- Pickup -----------------------------------------------------------------------------------------------


def test_the_pickup_code_lists_the_parcels_and_hands_them_out(desk, point, shelf, clerk, django_assert_num_queries):
    mine = [receive(point, clerk, location=shelf), receive(point, clerk)]
    code = mine[0].pickup_code
    page = desk.post(url("desk_pickup", point), {"code": code.lower(), "name": ""}).content.decode()
    assert all(f'value="{parcel.pk}"' in page for parcel in mine) and shelf.name in page
    assert "ID-controle verplicht" not in page and "id_checked" not in page
    key = str(uuid.uuid4())
    with django_assert_num_queries(14):
        response = desk.post(
            url("desk_hand_out", point), {"code": code, "request_key": key, "parcels": [p.pk for p in mine]}
        )
    assert response["Location"] == url("desk_pickup", point)
    assert set(Parcel.objects.values_list("state", flat=True)) == {ParcelState.PICKED_UP}
    assert ParcelEvent.objects.filter(kind="picked_up", device="balie-1").count() == 2


def test_the_qr_payload_works_as_the_code(desk, point, shelf, clerk):
    parcel = receive(point, clerk)
    payload = selectors.pickup_qr_payload(parcel)
    page = desk.post(url("desk_pickup", point), {"code": payload}).content.decode()
    assert f'value="{parcel.pk}"' in page
    desk.post(url("desk_hand_out", point), {"code": payload, "request_key": str(uuid.uuid4()), "parcels": parcel.pk})
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.PICKED_UP


def test_scanning_a_parcel_ticks_it_off_without_handing_out(desk, point, clerk):
    parcel = receive(point, clerk, code=UPS_CODES[3])
    data = {"code": parcel.pickup_code, "request_key": str(uuid.uuid4()), "scan": UPS_CODES[3].lower()}
    page = desk.post(url("desk_hand_out", point), data).content.decode()
    assert f'value="{parcel.pk}" id="parcel-{parcel.pk}" data-code="{UPS_CODES[3]}" checked' in page
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.RECEIVED


def test_a_carrier_requiring_id_needs_the_tick(desk, point, clerk):
    agree(point, "ups", requires_id_check=True)
    parcel = receive(point, clerk, code=UPS_CODES[0])
    page = desk.post(url("desk_pickup", point), {"code": parcel.pickup_code}).content.decode()
    assert "ID-controle verplicht" in page and 'name="id_checked"' in page
    data = {"code": parcel.pickup_code, "request_key": str(uuid.uuid4()), "parcels": parcel.pk}
    response = desk.post(url("desk_hand_out", point), data)
    assert response.status_code == 400 and "vraagt een ID-controle" in response.content.decode()
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.RECEIVED
    desk.post(url("desk_hand_out", point), {**data, "id_checked": "on", "on_behalf": "on"})
    parcel.refresh_from_db()
    assert (parcel.state, parcel.id_checked, parcel.picked_up_by_proxy) == (ParcelState.PICKED_UP, True, True)


def test_wrong_codes_are_counted_and_the_desk_paused(desk, point, clerk):
    receive(point, clerk)
    for attempt in range(MAX_WRONG_CODES):
        response = desk.post(url("desk_pickup", point), {"code": "XXXXXX"})
        assert response.status_code == 400
        left = MAX_WRONG_CODES - attempt - 1
        if left:  # the last one says so (test_pickup_screens)
            assert f"Nog {left} poging" in response.content.decode()
    page = desk.post(url("desk_pickup", point), {"code": "XXXXXX"}).content.decode()
    assert "Wacht een paar minuten" in page


# --- Search, history, declare lost, labels --------------------------------------------------------------------


def test_search_finds_parcels_by_code_pickup_code_and_name(desk, point, clerk):
    parcel = receive(point, clerk, code=UPS_CODES[1], name="Sanne de Vries")
    elsewhere = ParcelPointFactory()
    agree(elsewhere, "ups")
    hidden = receive(elsewhere, desk_staff(elsewhere.area), code=UPS_CODES[2], name="Sanne de Vries")
    for query in (UPS_CODES[1].lower(), parcel.pickup_code, "de vries"):
        page = desk.get(url("desk_search", point), {"q": query}).content.decode()
        assert url("desk_parcel", point, parcel.pk) in page, query
        assert UPS_CODES[2] not in page and f"/{hidden.pk}/" not in page


def test_the_history_page_shows_every_event(desk, point, shelf, clerk):
    parcel = receive(point, clerk, device="balie-7", location=shelf)
    services.hand_out_parcels(
        point=point,
        parcel_ids=[parcel.pk],
        pickup_code_or_token=parcel.pickup_code,
        by=clerk,
        request_key=uuid.uuid4(),
        device="balie-7",
    )
    page = desk.get(url("desk_parcel", point, parcel.pk)).content.decode()
    assert [kind for kind in ("received", "stored", "picked_up") if f'data-event="{kind}"' in page] == [
        "received",
        "stored",
        "picked_up",
    ]
    assert "balie-7" in page and shelf.name in page and "0,25" in page
    assert url("desk_declare_lost", point, parcel.pk) not in page


def test_only_managers_may_declare_a_parcel_lost_with_a_reason(client, desk, point, clerk, manager):
    parcel = receive(point, clerk)
    assert (
        url("desk_declare_lost", point, parcel.pk)
        not in desk.get(url("desk_parcel", point, parcel.pk)).content.decode()
    )
    assert desk.post(url("desk_declare_lost", point, parcel.pk), {"reason": "kwijt"}).status_code == 404
    client.force_login(with_totp(manager))
    assert (
        url("desk_declare_lost", point, parcel.pk) in client.get(url("desk_parcel", point, parcel.pk)).content.decode()
    )
    client.post(url("desk_declare_lost", point, parcel.pk), {"reason": ""})
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.RECEIVED
    client.post(url("desk_declare_lost", point, parcel.pk), {"reason": "Niet gevonden bij de inventaris"})
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.LOST
    assert parcel.events.get(kind="lost").note == "Niet gevonden bij de inventaris"


def test_the_labels_page_draws_each_slot_as_a_barcode(desk, point, shelf):
    second = slot(point, "B", "1", "2")
    page = desk.get(url("desk_labels", point)).content.decode()
    assert page.count("<svg") == 2 and f'aria-label="{shelf.label_code}"' in page and second.name in page
