"""The till after a refusal, in a real browser (the system Chromium driven by Playwright) against a live server: the
cashier scans or types again without touching the screen and the new input replaces the refused one; Enter walks
through a gift card's amount and PIN; the field in error has the cursor, also in the folded-away part.

A keyboard-wedge scanner is keys typed within milliseconds and Enter (`scan`)."""

from __future__ import annotations

import time
import uuid

import pytest

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, StaffMembershipFactory, UserFactory, give_totp
from loyalty import services, totp
from loyalty.codes import group_voucher_code, new_voucher_code
from loyalty.models import GiftCard, TillTransaction
from loyalty.tests.factories import manager_for
from loyalty.tests.giftcard_factories import PIN

from .test_loyalty_journey import log_in, new_page, site, verified  # noqa: F401 - `site` is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def payload(member_pass) -> str:
    """What the member's app shows now, as the scanner reads its QR code."""
    return f"AGORA1:{member_pass.card_number}:{totp.code_at(member_pass.totp_secret, time.time())}"


def scan(page, text: str) -> None:
    page.keyboard.type(text)  # no delay between keys: a scanner's burst
    page.keyboard.press("Enter")


def focused(page) -> str:
    return page.evaluate("document.activeElement.name || document.activeElement.tagName")


def selected(page) -> str:
    """The selected text of the focused field."""
    return page.evaluate(
        "(() => { const f = document.activeElement; return f.value.slice(f.selectionStart, f.selectionEnd); })()"
    )


@pytest.fixture
def till(request, browser, area):
    """The till of a shop, open in the browser of its cashier (logged in with a second factor)."""
    base = request.getfixturevalue("site")  # the live server, as the area's site
    merchant = MerchantFactory(area=area)
    cashier = verified(UserFactory())
    StaffMembershipFactory(user=cashier, role=Role.MERCHANT_STAFF, merchant=merchant)
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    log_in(page, base, cashier, next_url=f"/nl/kassa/{merchant.pk}/", totp_secret=give_totp(cashier))
    return page


def member(area, name: str):
    return services.join_pass(user=verified(UserFactory(first_name=name)), area=area)


def sent(page, action) -> None:
    """Do `action`, which sends the till's form, and wait for the page that answers it."""
    with page.expect_navigation():
        action()
    page.locator("[data-till-form]").wait_for()


def test_after_a_refused_code_the_next_scan_replaces_it_and_is_the_one_sent(till, area):
    page = till
    sanne, piet = member(area, "Sanne"), member(area, "Piet")
    first = payload(sanne)
    scan(page, first)
    assert focused(page) == "amount"
    page.keyboard.type("5,00")
    sent(page, lambda: page.keyboard.press("Enter"))
    assert TillTransaction.objects.filter(member_pass=sanne).count() == 1

    # the same payload again: refused, the cursor in the code with what was refused selected
    scan(page, first)
    page.keyboard.type("5,00")
    sent(page, lambda: page.keyboard.press("Enter"))
    assert page.locator("#code-errors").is_visible()
    assert focused(page) == "code" and selected(page) == first

    # the next customer's code, scanned without touching the screen: it alone is sent (the amount is still there)
    second = payload(piet)
    sent(page, lambda: scan(page, second))
    assert page.locator("[data-result]").is_visible()
    assert TillTransaction.objects.filter(member_pass=piet, amount_cents=500).count() == 1
    assert TillTransaction.objects.count() == 2


def test_a_scan_made_with_the_caret_in_front_of_a_refused_code_is_the_one_sent(till, area):
    page = till
    sanne = member(area, "Sanne")
    page.locator("[data-code-input]").fill("1234 5678 9016")  # a mistyped card number, left in the field
    page.locator("[data-amount-input]").fill("7,50")
    page.locator("[data-code-input]").focus()
    page.keyboard.press("Home")

    sent(page, lambda: scan(page, payload(sanne)))

    assert page.locator("[data-result]").is_visible()
    assert TillTransaction.objects.filter(member_pass=sanne, amount_cents=750).count() == 1


def test_after_a_refused_amount_the_amount_typed_again_replaces_it(till, area):
    page = till
    sanne = member(area, "Sanne")
    scan(page, sanne.card_number)  # a printed card, read by its number
    page.keyboard.type("12.50.")
    sent(page, lambda: page.keyboard.press("Enter"))
    assert page.locator("#amount-errors").is_visible()
    assert focused(page) == "amount" and selected(page) == "12.50."

    page.keyboard.type("12,50", delay=120)  # by hand, a key at a time
    sent(page, lambda: page.keyboard.press("Enter"))

    assert page.locator("[data-result]").is_visible()
    assert TillTransaction.objects.filter(member_pass=sanne, amount_cents=1250).count() == 1


def test_enter_in_a_gift_cards_amount_goes_to_its_pin_and_a_pin_error_puts_the_cursor_back_there(till, area):
    page = till
    sanne = member(area, "Sanne")
    card = services.sell_gift_card(
        area=area, amount_cents=5000, by=manager_for(area), request_key=uuid.uuid4(), member_pass=None, pin=PIN
    )
    scan(page, payload(sanne))
    page.keyboard.type("30,00")
    scan(page, card.number)  # the customer's gift card, scanned in the amount: its number moves to its field
    assert focused(page) == "giftcard" and page.locator("[data-giftcard-number-input]").input_value() == card.number
    page.keyboard.type("20,00")
    page.keyboard.press("Enter")
    assert focused(page) == "giftcard_pin"

    # sent without the PIN (Enter in the empty PIN): asked for, and the cursor is in the gift card's PIN again
    sent(page, lambda: page.keyboard.press("Enter"))
    assert page.locator("details[data-otherwise]").get_attribute("open") is not None
    assert focused(page) == "giftcard_pin"
    # the customer types the PIN: in its own field, not in the pass code
    page.keyboard.type(PIN)
    sent(page, lambda: page.keyboard.press("Enter"))

    assert page.locator("[data-result]").is_visible()
    assert GiftCard.objects.get(pk=card.pk).balance_cents == 3000
    purchase = TillTransaction.objects.get()
    assert (purchase.amount_cents, purchase.member_pass_id) == (3000, sanne.pk)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"voucher_code": group_voucher_code(new_voucher_code())}, "voucher_code"),  # no such voucher
        ({"giftcard": "15"}, "giftcard"),  # no gift card on the pass
        ({"giftcard": "5", "pin": "1234"}, "pin"),  # a printed card without a PIN
    ],
)
def test_an_error_in_the_folded_away_fields_puts_the_cursor_in_the_field_in_error(till, area, fields, field):
    page = till
    sanne = member(area, "Sanne")
    page.locator("[data-code-input]").fill(sanne.card_number if "pin" in fields else payload(sanne))
    page.locator("[data-amount-input]").fill("20")
    page.locator("details[data-otherwise] summary").click()
    for name, value in fields.items():
        page.locator(f"[name={name}]").fill(value)

    sent(page, lambda: page.locator("[data-submit]").click())

    assert page.locator("details[data-otherwise]").get_attribute("open") is not None
    assert focused(page) == field
    assert not TillTransaction.objects.exists()


def test_a_gift_card_paying_more_than_the_amount_has_the_cursor_on_the_gift_card_with_its_text_selected(till, area):
    page = till
    sanne = member(area, "Sanne")
    services.sell_gift_card(
        area=area, amount_cents=5000, by=manager_for(area), request_key=uuid.uuid4(), member_pass=sanne, pin=""
    )
    scan(page, payload(sanne))
    page.keyboard.type("40,00")
    page.locator("details[data-otherwise] summary").click()
    page.locator("[name=giftcard]").fill("45")

    sent(page, lambda: page.locator("[data-submit]").click())

    assert focused(page) == "giftcard" and selected(page) == "45"
    # the error under the gift card, with what is left to pay (in the page's number format: the Dutch till)
    assert "40,00" in page.locator(".field--error", has=page.locator("[name=giftcard]")).inner_text()
    assert not page.locator(".till-form__amount.field--error").count()
    assert not TillTransaction.objects.exists()
