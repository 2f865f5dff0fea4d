"""The settlement pages on a phone, in a real browser (the system Chromium driven by Playwright) against a live server:
nothing is wider than the screen (a wide table scrolls inside its own box). And the desk's printed gift card lets the
balance page's address break inside the card."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from loyalty.models import GiftCardEntryKind

from .factories import cashier_for, person_with, rules_for
from .test_settlement import at, gift_card, giftcard_entry, till_row

#: Overflow of the page itself: its scrolling width beyond the window's (0 when nothing sticks out).
PAGE_OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def sign_in(page, base_url: str, user) -> None:
    """The browser signed in as `user` at `base_url` (a session made by the test client)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            }
        ]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_settlement_overview_and_statement_fit_a_phone(live_server, browser, area, merchant, member_pass, cashier):
    # given: a month with points, a gift card sold and one taken (the overview's long figure labels)
    rules_for(area, issue_fee_millicents_per_point=1000)
    till_row(merchant, member_pass, when=at(3), by=cashier, points=468)
    card = gift_card(area)
    giftcard_entry(card, GiftCardEntryKind.SPEND, -1250, when=at(4), merchant=merchant)
    manager = person_with(Role.AREA_MANAGER, area=area)
    page = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844}).new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_server.url, manager)

    with translation.override("nl"):
        overview = reverse("loyalty:settlement_overview", kwargs={"area": area.slug})
        statement = reverse("loyalty:settlement_statement", kwargs={"merchant_pk": merchant.pk})
    for path in (overview, statement):
        # when: the manager opens the page on a phone
        page.goto(f"{live_server.url}{path}?month=2026-05")
        # then: the page does not scroll sideways
        assert page.evaluate(PAGE_OVERFLOW) == 0, path
    page.goto(f"{live_server.url}{overview}?month=2026-05")
    label = page.get_by_text("Openstaand cadeaukaartsaldo aan het eind van de periode")
    assert label.bounding_box()["x"] + label.bounding_box()["width"] <= 390


def test_the_printed_gift_cards_web_address_breaks_inside_the_card():
    # The balance page's address is one long word ("https://…/nl/cadeaukaart/saldo/"), longer than the card is wide
    # on a real host name: the card's text may break inside a word rather than run past the card's border.
    css = (Path(__file__).resolve().parents[1] / "static" / "loyalty" / "desk.css").read_text()
    rule = re.search(r"\.giftcard__where\s*\{([^}]*)\}", css)
    assert rule and re.search(r"overflow-wrap:\s*anywhere", rule.group(1))


#: The boxes of the elements matching a selector that are shown (not display: none), as [left, right] in CSS pixels.
SHOWN_BOXES = """selector => [...document.querySelectorAll(selector)]
    .filter(element => element.getClientRects().length)
    .map(element => { const box = element.getBoundingClientRect(); return [box.left, box.right]; })"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_amounts_and_the_net_are_in_view_without_scrolling(
    live_server, browser, area, merchant, other_merchant, member_pass, cashier
):
    # given: a month with every kind of line (points issued, a gift card taken, its commission) at two merchants
    rules_for(area, issue_fee_millicents_per_point=1000, giftcard_commission_permille=25)
    till_row(merchant, member_pass, when=at(3), by=cashier, points=468)
    giftcard_entry(gift_card(area), GiftCardEntryKind.SPEND, -123_450, when=at(4), merchant=merchant)
    till_row(other_merchant, member_pass, when=at(5), by=cashier_for(other_merchant), points=75)
    manager = person_with(Role.AREA_MANAGER, area=area)
    with translation.override("nl"):
        overview = reverse("loyalty:settlement_overview", kwargs={"area": area.slug})
        statement = reverse("loyalty:settlement_statement", kwargs={"merchant_pk": merchant.pk})
    phone = browser.new_context(locale="nl-NL", viewport={"width": 375, "height": 812}).new_page()
    phone.set_default_timeout(20_000)
    sign_in(phone, live_server.url, manager)

    # when: the manager opens the statement on a phone
    phone.goto(f"{live_server.url}{statement}?month=2026-05")
    # then: every line's amount and the net are inside the screen (5 lines and the net), without scrolling
    amounts = phone.evaluate(SHOWN_BOXES, ".settlement-lines .settlement-lines__amount")
    assert len(amounts) == 6
    assert all(left >= 0 and right <= 375 for left, right in amounts), amounts
    assert phone.get_by_role("cell", name="−€ 1.234,50").is_visible()
    # and each line says its quantity and rate under its label
    assert phone.get_by_text("€ 1.234,50 × 2,5 %").is_visible()
    assert not phone.get_by_role("columnheader", name="Tarief").is_visible()

    # when: the overview
    phone.goto(f"{live_server.url}{overview}?month=2026-05")
    # then: each merchant's net and the total net are inside the screen, beside the merchant's name
    nets = phone.evaluate(SHOWN_BOXES, ".settlement-overview .settlement-overview__net")
    assert len(nets) == 3  # two merchants and the total
    assert all(left >= 0 and right <= 375 for left, right in nets), nets
    assert phone.get_by_role("columnheader", name="Netto").bounding_box()["x"] < 375
    # and the heading row is one line high: headings of the columns out of view do not wrap into a tall empty band
    heading_row = phone.locator(".settlement-overview thead tr").first.bounding_box()["height"]
    first_row = phone.locator(".settlement-overview tbody tr").first.bounding_box()["height"]
    assert heading_row <= first_row * 1.5, (heading_row, first_row)

    # and on a wide screen the statement keeps its four columns and the overview its net at the end
    wide = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900}).new_page()
    wide.set_default_timeout(20_000)
    sign_in(wide, live_server.url, manager)
    wide.goto(f"{live_server.url}{statement}?month=2026-05")
    assert wide.get_by_role("columnheader", name="Tarief").is_visible()
    assert not wide.get_by_text("€ 1.234,50 × 2,5 %").is_visible()
    wide.goto(f"{live_server.url}{overview}?month=2026-05")
    headers = wide.evaluate(
        "[...document.querySelectorAll('.settlement-overview thead th')]"
        ".filter(th => th.getClientRects().length).map(th => th.textContent.trim())"
    )
    assert headers[0] == "Ondernemer" and headers[1] == "Status" and headers[-1] == "Netto"
