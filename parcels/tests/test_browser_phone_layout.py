"""The desk on a 390 px phone, in a real browser (the system Chromium driven by Playwright): wide tables scroll inside
their own box and never the page; the ID-check box is as large as the other ticks."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from parcels.models import SizeClass
from privacy.tests.factories import with_totp

from .factories import agree, receive, slot
from .test_browser_desk import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_CODE = "JJD000000000009211654"


def test_desk_pages_fit_a_phone_and_the_id_check_box_is_full_size(live_server, browser, point, staff, now):
    # given a DHL parcel (ID check required) on a slot, scanned in at this desk
    agree(point, "dhl", requires_id_check=True)
    shelf = slot(point, "A", "1", "1", size_class=SizeClass.L)
    parcel = receive(
        point, staff, code=LONG_CODE, name="Karin van der Vlies-de Vries", location=shelf, device="balie-1"
    )
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL").new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_server, with_totp(staff))
    with translation.override("nl"):
        pages = {
            name: live_server.url + reverse(f"parcels:{name}", args=args)
            for name, args in (
                ("desk_intake", [point.pk]),
                ("desk_parcel", [point.pk, parcel.pk]),
                ("upload_announcements", [point.pk]),
                ("desk_pickup", [point.pk]),
            )
        }

    # when each page is shown on the phone: then nothing is wider than the screen
    for name, address in pages.items():
        page.goto(address)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    page.goto(pages["desk_intake"].replace("inname", "zoeken") + "?q=" + LONG_CODE)
    assert page.locator("table.pdesk-table").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "search"

    # and on the pickup list, the ID-check box is as large as the parcels' ticks
    page.goto(pages["desk_pickup"])
    page.locator("[data-scan-input]").fill(parcel.pickup_code)
    page.keyboard.press("Enter")
    page.locator("[data-handout-form]").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "pickup list"
    tick = page.locator("input[name=parcels]").bounding_box()
    id_check = page.locator("input[name=id_checked]").bounding_box()
    assert id_check["width"] >= tick["width"] - 1 and id_check["height"] >= tick["height"] - 1
