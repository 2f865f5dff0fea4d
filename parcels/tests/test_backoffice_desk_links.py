"""The back office and the pre-announcement upload lead back to the desk; the returns' carrier question is answered
with one Enter; the handover's close counts in the right plural; the manifest PDF's title has a readable date."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse
from django.utils import translation

from parcels import manifests, services
from parcels.models import Handover, Parcel
from privacy.tests.factories import with_totp

from .factories import THREE_S_CODE, UPS_CODES, key

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


def test_the_back_office_and_the_upload_link_to_intake_pickup_and_search(desk_client, point, staff):
    count = services.start_inventory(point=point, by=staff)
    for page in (
        url("returns", point.pk),
        url("handovers", point.pk),
        url("inventory_start", point.pk),
        url("inventory", point.pk, count.pk),
        url("upload_announcements", point.pk),
    ):
        text = desk_client.get(page).content.decode()
        nav = re.search(r'<nav class="pdesk-nav[^>]*>(.*?)</nav>', text, re.S)
        assert nav, page
        for desk_page in ("desk_intake", "desk_pickup", "desk_search"):
            assert f'href="{url(desk_page, point.pk)}"' in nav.group(1), (page, desk_page)


def test_the_uploads_example_scrolls_inside_its_box(desk_client, point):
    text = desk_client.get(url("upload_announcements", point.pk)).content.decode()
    assert '<pre class="pdesk-pre">' in text


def test_the_returns_carrier_question_has_the_candidates_only_the_first_chosen_and_focused(desk_client, point):
    page = desk_client.post(url("returns", point.pk), {"code": THREE_S_CODE, "request_key": str(uuid.uuid4())})
    text = page.content.decode()
    select = re.search(r'<select name="carrier"[^>]*>.*?</select>', text, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)"( selected)?', select)
    assert [value for value, _selected in options] == ["dhl", "postnl"]  # by name: DHL, PostNL
    assert options[0][1] == " selected" and "autofocus" in select and "data-enter-submits" in select
    code_field = re.search(r'<input type="text" name="code"[^>]*>', text).group(0)
    assert "autofocus" not in code_field
    # Enter (the form as it stands) answers: the return is taken in, not asked about again
    data = {"code": THREE_S_CODE, "carrier": options[0][0], "request_key": str(uuid.uuid4())}
    assert desk_client.post(url("returns", point.pk), data).status_code == 302
    assert Parcel.objects.get().carrier.code == "dhl"


def test_closing_a_handover_of_one_parcel_says_one_parcel(desk_client, point, staff, now):
    services.drop_off_return(point=point, raw_code=UPS_CODES[0], by=staff, request_key=key(), now=now)
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    services.scan_for_handover(handover=handover, raw_code=UPS_CODES[0], by=staff)
    response = desk_client.post(url("handover_close", point.pk, handover.pk), {"driver_name": "Piet"}, follow=True)
    assert "Handed over to Piet: 1 parcel." in response.content.decode()


def test_the_manifest_pdf_title_has_a_readable_date(point, staff, now):
    services.drop_off_return(point=point, raw_code=UPS_CODES[0], by=staff, request_key=key(), now=now)
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    services.scan_for_handover(handover=handover, raw_code=UPS_CODES[0], by=staff)
    services.close_handover(handover=handover, driver_name="Piet", by=staff, now=now)
    manifest = manifests.build_manifest(Handover.objects.get())
    pdf = manifests.manifest_pdf(manifest)
    assert b"/Title (Handover manifest UPS 10 June 2026, 14:00)" in pdf
