"""The pickup screens' words: the last wrong try, nothing ticked, a code already collected, a name that does not
match, a parcel marked missing that turned up; and the brake that renaming the desk does not release."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parcels import services
from parcels.models import Parcel
from parcels.services.pickup import MAX_WRONG_CODES
from parcels.states import ParcelState
from parcels.views_desk import DEVICE_COOKIE
from privacy.tests.factories import with_totp

from .factories import key, receive, slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(staff):
    return with_totp(staff)


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    client.cookies[DEVICE_COOKIE] = "balie-1"
    return client


def url(name: str, point) -> str:
    return reverse(f"parcels:{name}", args=[point.pk])


def in_dutch(text: str) -> str:
    """The desk's words as the Dutch page shows them (the English text until the catalogue has them)."""
    with translation.override("nl"):
        return _(text)


def test_the_last_wrong_code_says_so_and_a_new_desk_name_does_not_lift_the_pause(desk, point, clerk):
    receive(point, clerk)
    for _attempt in range(MAX_WRONG_CODES):
        page = desk.post(url("desk_pickup", point), {"code": "XXXXXX"}).content.decode()
    assert "Nog 0" not in page
    assert in_dutch("That was the last try: wait a few minutes before the next pickup code.") in page
    # a new name for this desk, or a new browser: still paused
    desk.post(url("desk_device", point), {"device": "balie-2"})
    desk.cookies.pop(DEVICE_COOKIE, None)
    page = desk.post(url("desk_pickup", point), {"code": "XXXXXX"}).content.decode()
    assert "Wacht een paar minuten" in page


def test_handing_out_with_nothing_ticked_asks_to_scan_or_tick_first(desk, point, clerk):
    parcel = receive(point, clerk)
    response = desk.post(url("desk_hand_out", point), {"code": parcel.pickup_code, "request_key": str(uuid.uuid4())})
    page = response.content.decode()
    assert response.status_code == 400
    assert in_dutch("Scan or tick the parcels you hand out first.") in page
    assert "ligt niet (meer) klaar" not in page and f'value="{parcel.pk}"' in page  # the list is still there


@pytest.mark.usefixtures("english")
def test_a_collected_code_and_a_wrong_name_say_what_is_wrong(desk, point, clerk):
    parcel = receive(point, clerk, name="Sanne de Vries")
    wrong_name = desk.post(url("desk_pickup", point), {"code": parcel.pickup_code, "name": "Jansen"})
    assert in_dutch("The pickup code is right, but the name does not match.") in wrong_name.content.decode()
    services.hand_out_parcels(
        point=point, parcel_ids=[parcel.pk], pickup_code_or_token=parcel.pickup_code, by=clerk, request_key=key()
    )
    page = desk.post(url("desk_pickup", point), {"code": parcel.pickup_code}).content.decode()
    handed_out = timezone.localtime(Parcel.objects.get(pk=parcel.pk).handed_out_at, point.area.tz)
    assert f"{handed_out:%H:%M}" in page and "poging" not in page  # when, and no try used up


def test_a_parcel_marked_missing_is_listed_and_handed_out(desk, point, clerk, now):
    shelf = slot(point)
    parcel = receive(point, clerk, at=timezone.now() - timedelta(days=1), location=shelf)
    count = services.start_inventory(point=point, by=clerk)
    services.scan_inventory(count=count, raw_code=shelf.label_code, by=clerk)
    services.finish_inventory(count=count, by=clerk)
    services.mark_missing_parcels(count=count, by=clerk)
    page = desk.post(url("desk_pickup", point), {"code": parcel.pickup_code}).content.decode()
    assert f'value="{parcel.pk}"' in page and in_dutch("marked missing") in page and shelf.name in page
    data = {"code": parcel.pickup_code, "request_key": str(uuid.uuid4()), "parcels": parcel.pk}
    assert desk.post(url("desk_hand_out", point), data).status_code == 302
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.PICKED_UP and parcel.events.filter(kind="found").exists()
