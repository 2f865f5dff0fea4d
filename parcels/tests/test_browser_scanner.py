"""A keyboard-wedge scanner at the intake desk, in a real browser (the system Chromium driven by Playwright): codes
typed a millisecond a key and Enter, the next ones while the desk's answer is still on its way, and a barcode
starting with a digit while the desk asks "which carrier?" (whose number keys answer it)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from parcels import services
from parcels.models import AnnouncementSource, Parcel, SizeClass
from privacy.tests.factories import with_totp

from .factories import THREE_S_CODE, slot, webshop_code
from .test_browser_desk import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Counts the desk's answers ("parcels:ready" on the scan form), installed once the page is there.
COUNT_ANSWERS = """
(() => {
  window.deskAnswers = [];
  document.querySelector("[data-scan-form]").addEventListener("parcels:ready", (event) => {
    window.deskAnswers.push(event.detail.kind);
  });
})();
"""

# A slow line: every request of the page leaves a second late, so the next scans are typed while one is on its way.
SLOW_NETWORK = """
(() => {
  const fetchNow = window.fetch.bind(window);
  window.fetch = (...args) => new Promise((resolve) => setTimeout(resolve, 1000)).then(() => fetchNow(...args));
})();
"""


def announce(point, code: str, carrier: str, name: str) -> None:
    services.announce_parcel(
        point=point,
        carrier_code=carrier,
        tracking_code=code,
        recipient_name=name,
        recipient_email=f"{name.lower()}@example.org",
        source=AnnouncementSource.CSV,
    )


def scanner(page, code: str) -> None:
    """What a wedge scanner does: the code a millisecond a key, then Enter, wherever the focus is."""
    page.keyboard.type(code, delay=1)
    page.keyboard.press("Enter")


def answers(page, count: int) -> list[str]:
    page.wait_for_function(f"window.deskAnswers.length >= {count}")
    return page.evaluate("window.deskAnswers")


def open_intake(page, live_server, point, staff):
    sign_in(page, live_server, with_totp(staff))
    with translation.override("en"):
        page.goto(live_server.url + reverse("parcels:desk_intake", args=[point.pk]))
    page.evaluate(COUNT_ANSWERS)


def test_codes_scanned_while_an_answer_is_on_its_way_are_each_sent_on_their_own(
    live_server, browser_page, point, staff
):
    # given three announced parcels and a slow line to the desk
    slot(point, "A", "1", "1", size_class=SizeClass.L, capacity=6)
    codes = [webshop_code() for _ in range(3)]
    for index, code in enumerate(codes):
        announce(point, code, "webshop", f"Klant{index}")
    page = browser_page
    open_intake(page, live_server, point, staff)
    page.evaluate(SLOW_NETWORK)

    # when the scanner reads them one after the other, without waiting for the desk
    for code in codes:
        scanner(page, code)
    assert page.locator("[data-scan-input]").input_value() == ""  # emptied at every Enter
    assert page.locator("[data-queue]").is_visible()  # the ones waiting their turn are listed

    # then each was sent on its own, in turn: three parcels scanned in, no code made of two
    assert answers(page, 3) == ["received", "received", "received"]
    assert sorted(Parcel.objects.values_list("tracking_code", flat=True)) == sorted(codes)
    assert page.locator("[data-result] [data-outcome=received]").get_attribute("data-code") == codes[-1]
    assert page.locator("[data-queue]").is_hidden()
    assert page.evaluate("document.activeElement === document.querySelector('[data-scan-input]')")


def test_a_barcode_starting_with_a_digit_does_not_answer_which_carrier(live_server, browser_page, point, staff):
    # given a 3S code nobody announced (PostNL or DHL?) and an announced DHL Express number starting with "1"
    dhl_express = "1234567891"  # 123456789 mod 7 = 1: certainly DHL's
    announce(point, dhl_express, "dhl", "Sanne")
    page = browser_page
    open_intake(page, live_server, point, staff)
    scanner(page, THREE_S_CODE)
    assert answers(page, 1) == ["choose_carrier"]
    choices = page.locator("[data-choice]")
    assert choices.count() == 2

    # when the next parcel's barcode is scanned while the question is open
    scanner(page, dhl_express)

    # then its first digit answered nothing: the whole barcode was scanned, and the 3S parcel was not taken in
    assert answers(page, 2)[-1] == "received"
    assert page.locator("[data-result] [data-outcome=received]").get_attribute("data-code") == dhl_express
    assert list(Parcel.objects.values_list("tracking_code", "carrier__code")) == [(dhl_express, "dhl")]

    # when the question is open again and the focus is on a carrier button, a scan still goes to the scan field
    scanner(page, THREE_S_CODE)
    assert answers(page, 3)[-1] == "choose_carrier"
    page.locator("[data-choice='2']").focus()
    scanner(page, "2" + dhl_express[1:])  # another parcel, starting with the number of a carrier
    # sent whole (the desk asks about that code now), and no carrier was chosen for the 3S parcel
    assert answers(page, 4)[-1] == "choose_carrier"
    assert page.locator("[data-result] [data-choices] input[name=code]").input_value() == "2234567891"
    assert Parcel.objects.count() == 1

    # and a person's single number key still answers the question
    scanner(page, THREE_S_CODE)
    assert answers(page, 5)[-1] == "choose_carrier"
    second = page.locator("[data-choice='2']").get_attribute("value")
    page.wait_for_timeout(400)  # a person reads the question first
    page.keyboard.press("2")
    assert answers(page, 6)[-1] == "recipient"
    assert page.locator("[data-recipient-form] input[name=carrier_code]").input_value() == second
