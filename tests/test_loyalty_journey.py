"""The city pass in a real browser (the system Chromium driven by Playwright) against a live server:
the shopper's rotating code is made in the browser and must be the server's RFC 6238 code; a merchant who
logged in with a second factor types it at the till; the shopper sees the points."""

from __future__ import annotations

import contextlib
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Error as PlaywrightError

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, StaffMembershipFactory, UserFactory, current_totp_code, give_totp
from cms.services import create_area_site
from loyalty import services, totp
from loyalty.codes import group_voucher_code, is_valid_card_number, new_gift_card_number, new_voucher_code
from loyalty.models import Pass, TillTransaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def new_page(browser, **options):
    context = browser.new_context(locale="nl-NL", **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def site(live_server, area):
    from privacy.default_purposes import ensure_default_purposes

    ensure_default_purposes()  # a transactional test starts from an empty database
    create_area_site(area=area, hostname="localhost", port=int(live_server.url.rsplit(":", 1)[1]), is_default=True)
    return live_server.url


def verified(user):
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def log_in(page, base: str, user, *, next_url: str, totp_secret: str | None = None) -> None:
    """Through the login form, and allauth's second step with a real code from the authenticator."""
    page.goto(f"{base}/nl/accounts/login/?next={next_url}")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    if totp_secret:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.locator("input[name=code]").fill(current_totp_code(totp_secret))
        page.locator("input[name=code]").press("Enter")
    page.wait_for_url(re.compile(re.escape(next_url)))


# Resolves once the service worker is active and holds a copy of this page (evaluate awaits the promise).
WAIT_FOR_OFFLINE_COPY = """async () => {
    const registration = await navigator.serviceWorker.ready;
    for (let attempt = 0; attempt < 100; attempt++) {
        if (registration.active && registration.active.state === "activated") {
            for (const name of await caches.keys()) {
                if (await (await caches.open(name)).match(location.href)) return true;
            }
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("the service worker kept no copy of the pass");
}"""


# The key the pass page keeps in IndexedDB: a WebCrypto key object, not the secret.
STORED_KEY = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("agora-pass");
    open.onerror = reject;
    open.onsuccess = () => {
        const card = document.querySelector("[data-pass]").dataset.cardNumber;
        const get = open.result.transaction("keys").objectStore("keys").get(card);
        get.onsuccess = () => {
            const key = get.result.key;
            resolve({extractable: key.extractable, hash: key.algorithm.hash.name, usages: key.usages});
        };
    };
})"""


def shown_code(page) -> str:
    page.locator("[data-code][data-value]").wait_for()
    return page.locator("[data-code]").get_attribute("data-value")


def test_a_shopper_joins_a_merchant_awards_points_at_the_till_and_the_shopper_sees_them(site, browser, area):
    # given: a shop whose owner has an authenticator app, and a shopper with an account
    merchant = MerchantFactory(area=area, trade_name="Kaashandel De Vries")
    owner = verified(UserFactory(first_name="Pieter"))
    StaffMembershipFactory(user=owner, role=Role.MERCHANT_OWNER, merchant=merchant)
    owner_secret = give_totp(owner)
    shopper = verified(UserFactory(first_name="Sanne"))

    # when: the shopper logs in and joins, giving only an age group and the consent it is kept for
    shop_page = new_page(browser)
    log_in(shop_page, site, shopper, next_url="/nl/mijn/join/")
    shop_page.locator("select[name=age_band]").select_option("35-44")
    shop_page.locator("input[name=consent_analytics]").check()
    shop_page.locator("main form button[type=submit]").click()
    shop_page.wait_for_url(re.compile(r"/nl/mijn/$"))

    # then: the pass shows their name, the card number and a rotating code made in the browser
    member_pass = Pass.objects.get(member=shopper, area=area)
    assert (member_pass.postcode, member_pass.age_band) == ("", "35-44")
    assert "Sanne" in shop_page.locator(".pass").inner_text()
    assert shop_page.locator("[data-card]").inner_text() == member_pass.card_number_display
    code = shown_code(shop_page)
    assert re.fullmatch(r"\d{6}", code)
    now = time.time()
    assert code in {totp.code_at(member_pass.totp_secret, now + drift) for drift in (-30, 0, 30)}
    payload = shop_page.locator(".pass__qr svg").get_attribute("data-payload")
    assert payload == f"AGORA1:{member_pass.card_number}:{code}"
    balance_before = int(shop_page.locator("[data-balance] strong").inner_text())

    # when: the owner logs in with password and authenticator code, opens the till, and types the
    # shopper's card number and current code (as read off the shopper's screen) and an amount
    till_page = new_page(browser)
    log_in(till_page, site, owner, next_url="/nl/kassa/", totp_secret=owner_secret)
    till_page.wait_for_url(re.compile(rf"/nl/kassa/{merchant.pk}/$"))
    code_now = shown_code(shop_page)
    card_now = shop_page.locator("[data-card]").inner_text()
    till_page.locator("[data-code-input]").fill(f"{card_now} {code_now}")
    till_page.locator("[data-code-input]").press("Enter")  # as a scanner ends: no amount yet, so on to it
    assert till_page.evaluate("document.activeElement.name") == "amount"
    till_page.locator("[data-amount-input]").fill("12,50")
    assert till_page.locator("[data-amount-preview]").inner_text().replace("\u00a0", " ") == "€ 12,50"
    till_page.locator("[data-amount-input]").press("Enter")

    # then: the till shows the points and the new balance, but not the shopper's name: she did not
    # consent to merchants recognising her
    result = till_page.locator("[data-result]")
    result.wait_for()
    purchase = TillTransaction.objects.get()
    assert purchase.amount_cents == 1250 and purchase.points > 0
    assert "Sanne" not in result.inner_text()
    assert str(purchase.balance_after) in result.inner_text()
    # ready for the next customer: the cursor is back in the code field, with a new key
    assert till_page.evaluate("document.activeElement.name") == "code"
    assert till_page.locator("input[name=request_key]").first.input_value() != str(purchase.request_key)

    # and: the shopper's page, reloaded, shows the new balance
    shop_page.reload()
    assert int(shop_page.locator("[data-balance] strong").inner_text()) == balance_before + purchase.points
    assert shop_page.locator("[data-balance] strong").inner_text() == str(purchase.balance_after)


def test_the_code_made_in_the_browser_is_the_servers_totp_and_rotates_every_30_seconds(site, browser, area):
    shopper = verified(UserFactory(first_name="Sanne"))
    member_pass = services.join_pass(user=shopper, area=area)
    page = new_page(browser)
    moment = datetime(2026, 3, 14, 12, 0, 10, tzinfo=UTC)
    page.clock.set_fixed_time(moment)
    log_in(page, site, shopper, next_url="/nl/mijn/")

    assert shown_code(page) == totp.code_at(member_pass.totp_secret, moment)
    assert page.locator("[data-seconds]").inner_text() == "20"  # 10 s into the step: 20 s left

    later = moment + timedelta(seconds=30)
    page.clock.set_fixed_time(later)
    expected = totp.code_at(member_pass.totp_secret, later)
    page.wait_for_function("code => document.querySelector('[data-code]').dataset.value === code", arg=expected)
    payload = page.locator(".pass__qr svg").get_attribute("data-payload")
    assert payload == f"AGORA1:{member_pass.card_number}:{expected}"
    assert services.parse_pass_code(payload).otp == expected
    # the secret stays out of the page: the browser keeps a non-extractable key
    assert member_pass.totp_secret not in page.content()
    assert page.evaluate(STORED_KEY) == {"extractable": False, "hash": "SHA-1", "usages": ["sign"]}


def test_the_pass_shows_its_code_without_network_once_installed(site, browser, area):
    shopper = verified(UserFactory(first_name="Sanne"))
    member_pass = services.join_pass(user=shopper, area=area)
    page = new_page(browser)
    log_in(page, site, shopper, next_url="/nl/mijn/")
    shown_code(page)
    # the service worker takes over and keeps a copy of the pass screen
    page.evaluate(WAIT_FOR_OFFLINE_COPY)

    page.context.set_offline(True)
    page.reload()
    code = shown_code(page)
    assert code in {totp.code_at(member_pass.totp_secret, time.time() + drift) for drift in (-30, 0, 30)}
    assert page.locator("[data-card]").inner_text() == member_pass.card_number_display
    assert page.locator("[data-offline-note]").is_visible()


def test_logging_out_from_any_page_takes_the_pass_off_the_phone(site, browser, area):
    # given: a member whose phone holds the pass offline
    shopper = verified(UserFactory(first_name="Sanne"))
    services.join_pass(user=shopper, area=area)
    page = new_page(browser)
    log_in(page, site, shopper, next_url="/nl/mijn/")
    shown_code(page)
    page.evaluate(WAIT_FOR_OFFLINE_COPY)

    # when: they log out from another page than the pass (its own script cleans up on the pass page only)
    page.goto(f"{site}/nl/privacy/consents/")
    with page.expect_response(lambda response: "/accounts/logout/" in response.url) as logout:
        page.get_by_role("button", name="Uitloggen").click()
    assert logout.value.all_headers().get("clear-site-data") == '"cache", "storage"'
    page.wait_for_load_state()

    # then: the browser holds no cached pages and no pass key of the site any more
    left = page.evaluate("async () => (await caches.keys()).length + (await indexedDB.databases()).length")
    assert left == 0
    # and offline, the phone has no pass and no code to show a till
    page.context.set_offline(True)
    with contextlib.suppress(PlaywrightError):  # no service worker any more: the browser's "no internet" page
        page.goto(f"{site}/nl/mijn/")
    assert page.locator("[data-code]").count() == 0


def test_offline_the_history_is_its_newest_page_even_after_reading_older_ones(site, browser, area):
    from loyalty.tests.factories import award, cashier_for, rules_for

    # given: a member with more entries than one page holds
    rules_for(
        area, max_scans_per_member_per_hour=0, max_scans_per_member_per_merchant_per_day=0, daily_cap_points=10**6
    )
    shopper = verified(UserFactory(first_name="Sanne"))
    member_pass = services.join_pass(user=shopper, area=area)
    merchant = MerchantFactory(area=area, trade_name="Kaashandel De Vries")
    cashier = cashier_for(merchant)
    now = datetime.now(UTC)
    for minutes in range(55, 0, -1):
        award(merchant, member_pass, 100 * minutes, at=now - timedelta(minutes=minutes), by=cashier)
    newest = f"+{member_pass.entries.order_by('-occurred_at', '-pk').first().points}"
    page = new_page(browser)
    log_in(page, site, shopper, next_url="/nl/mijn/")
    shown_code(page)
    page.evaluate(WAIT_FOR_OFFLINE_COPY)

    # when: they read their history and then its older page, online
    page.goto(f"{site}/nl/mijn/history/")
    page.evaluate(WAIT_FOR_OFFLINE_COPY)
    page.get_by_role("link", name="Oudere boekingen").click()
    page.wait_for_url(re.compile(r"before="))
    assert page.get_by_role("link", name="Nieuwste boekingen").is_visible()

    # then: without network, the history is the newest page, not the older one read last
    page.context.set_offline(True)
    page.goto(f"{site}/nl/mijn/history/")
    assert page.locator(".history__points").first.inner_text().split()[0] == newest
    assert page.get_by_role("link", name="Nieuwste boekingen").count() == 0


def test_on_a_phone_a_long_staff_menu_folds_away_and_the_till_starts_on_the_first_screen(site, browser, area):
    merchant = MerchantFactory(area=area, trade_name="Kaashandel De Vries")
    owner = verified(UserFactory(first_name="Pieter"))
    StaffMembershipFactory(user=owner, role=Role.MERCHANT_OWNER, merchant=merchant)
    owner_secret = give_totp(owner)
    phone = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, site, owner, next_url="/nl/kassa/", totp_secret=owner_secret)
    phone.wait_for_url(re.compile(rf"/nl/kassa/{merchant.pk}/$"))

    # the menu is one "Menu" button, and the till's code field is on the first screen
    toggle = phone.locator(".site-nav__toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not phone.locator("#site-nav-list").is_visible()
    field = phone.locator("[data-code-input]").bounding_box()
    assert field["y"] + field["height"] < 844 / 2
    # opening it shows every link, the till's marked as the current page
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert phone.locator("#site-nav-list a[aria-current=page]").is_visible()

    # on a wide screen (the tablet turned, a desk's monitor) the menu is open and there is no button
    toggle.click()
    phone.set_viewport_size({"width": 1280, "height": 900})
    assert phone.locator("#site-nav-list").is_visible() and not toggle.is_visible()


def test_a_scanner_puts_a_voucher_or_a_gift_card_in_its_own_field_wherever_the_cursor_was(site, browser, area):
    merchant = MerchantFactory(area=area)
    cashier = verified(UserFactory())
    StaffMembershipFactory(user=cashier, role=Role.MERCHANT_STAFF, merchant=merchant)
    secret = give_totp(cashier)
    page = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(page, site, cashier, next_url=f"/nl/kassa/{merchant.pk}/", totp_secret=secret)
    voucher, gift_card = group_voucher_code(new_voucher_code()), new_gift_card_number()

    # a keyboard-wedge scanner types a voucher's code and Enter into the pass's field (where the cursor waits)
    page.keyboard.type(voucher)
    page.keyboard.press("Enter")
    assert page.locator("[data-voucher-input]").input_value() == voucher
    assert page.locator("[data-code-input]").input_value() == ""
    assert page.locator("details[data-otherwise]").get_attribute("open") is not None

    # the cashier typed the amount, then the customer's gift card is scanned: the amount stays, the number moves
    page.locator("[data-amount-input]").fill("12,50")
    page.locator("[data-amount-input]").focus()
    page.keyboard.type(gift_card)
    page.keyboard.press("Enter")
    assert page.locator("[data-amount-input]").input_value() == "12,50"
    assert page.locator("[data-giftcard-number-input]").input_value() == gift_card

    # "20" typed by hand, then a gift card whose 18 digits with it would also read as a pass and its code: the
    # scanner's burst of keys is the gift card
    ambiguous = next(n for n in iter(new_gift_card_number, None) if is_valid_card_number(("20" + n)[:12]))
    page.locator("[data-amount-input]").fill("")
    page.locator("[data-amount-input]").press_sequentially("20", delay=150)
    # a hand's pause before the scan; generous, as a busy CI machine can deliver queued keys close together
    page.wait_for_timeout(600)
    page.keyboard.type(ambiguous)
    page.keyboard.press("Enter")
    assert page.locator("[data-amount-input]").input_value() == "20"
    assert page.locator("[data-giftcard-number-input]").input_value() == ambiguous


def test_on_a_phone_the_pass_pages_tab_row_shows_the_current_page_and_fades_where_more_tabs_are(site, browser, area):
    shopper = verified(UserFactory(first_name="Sanne"))
    services.join_pass(user=shopper, area=area)
    phone = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, site, shopper, next_url="/nl/mijn/")
    tabs = phone.locator("nav.app-nav")

    def inside_screen(link) -> bool:
        box = link.bounding_box()
        return box["x"] >= 0 and box["x"] + box["width"] <= 390

    # the first tabs fit; the row is wider than the phone and fades at its end, where the others are
    phone.goto(f"{site}/nl/mijn/history/")
    assert inside_screen(tabs.get_by_role("link", name="Geschiedenis"))
    assert not inside_screen(tabs.get_by_role("link", name="Aanbiedingen"))
    assert tabs.evaluate("bar => [...bar.classList]") == ["app-nav", "tabs--more-after"]

    # the last tab's page opens with that tab in sight, not cut off at the edge
    phone.goto(f"{site}/nl/mijn/offers/")
    current = tabs.locator("a[aria-current=page]")
    assert current.inner_text() == "Aanbiedingen" and inside_screen(current)
    assert "tabs--more-before" in tabs.evaluate("bar => [...bar.classList]")


def test_a_staff_members_own_pages_open_under_their_name_and_close_as_a_menu_does(site, browser, area):
    merchant = MerchantFactory(area=area, trade_name="Kaashandel De Vries")
    owner = verified(UserFactory(first_name="Pieter"))
    StaffMembershipFactory(user=owner, role=Role.MERCHANT_OWNER, merchant=merchant)
    owner_secret = give_totp(owner)
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    log_in(page, site, owner, next_url="/nl/kassa/", totp_secret=owner_secret)
    page.wait_for_url(re.compile(rf"/nl/kassa/{merchant.pk}/$"))
    name = page.locator(".site-nav__personal summary")
    own = page.locator(".site-nav__personal").get_by_role("link", name="Mijn privacy")

    # the till is in the menu; their privacy page is not, until they open the menu under their name
    assert page.locator("#site-nav-list > li > a", has_text="Kassa").is_visible()
    assert name.inner_text().endswith("Pieter") and not own.is_visible()
    name.click()
    assert own.is_visible()
    # a click elsewhere closes it, and so does Escape (which puts the focus back on the name)
    page.locator("h1").click()
    assert not own.is_visible()
    name.click()
    page.keyboard.press("Escape")
    assert not own.is_visible()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    # and logging out is in it
    name.click()
    page.locator(".site-nav__personal").get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(re.compile(r"/nl/"))
    assert page.get_by_role("link", name="Inloggen").is_visible()


def _a_member_whose_phone_keeps_the_pass_and_history(site, browser, area):
    """A member with one purchase, who opened the pass and the history online: the service worker keeps both."""
    from loyalty.tests.factories import award, cashier_for

    shopper = verified(UserFactory(first_name="Sanne"))
    member_pass = services.join_pass(user=shopper, area=area)
    merchant = MerchantFactory(area=area, trade_name="Kaashandel De Vries")
    cashier = cashier_for(merchant)
    award(merchant, member_pass, 2000, at=datetime.now(UTC) - timedelta(hours=1), by=cashier)
    page = new_page(browser)
    log_in(page, site, shopper, next_url="/nl/mijn/")
    shown_code(page)
    page.evaluate(WAIT_FOR_OFFLINE_COPY)
    page.goto(f"{site}/nl/mijn/history/")
    page.evaluate(WAIT_FOR_OFFLINE_COPY)
    kept_at = datetime.now(UTC)
    return page, member_pass, merchant, cashier, kept_at


# The service worker fetches the pages: a route on the context sees its requests (a page's route would not).
def test_a_slow_server_keeps_the_history_waiting_for_the_fresh_page_not_the_pass(site, browser, area):
    from loyalty.tests.factories import award

    # given: a phone that kept the history, and a purchase made since
    page, member_pass, merchant, cashier, _kept_at = _a_member_whose_phone_keeps_the_pass_and_history(
        site, browser, area
    )
    award(merchant, member_pass, 5500, at=datetime.now(UTC), by=cashier)
    newest = f"+{member_pass.entries.order_by('-occurred_at', '-pk').first().points}"

    # when: the server takes 5 s to answer the history (longer than the pass waits at the till)
    def slowly(route):
        time.sleep(5)
        route.continue_()

    page.context.route(re.compile(r"/nl/mijn/history/$"), slowly)
    started = time.monotonic()
    page.goto(f"{site}/nl/mijn/history/", timeout=30_000)

    # then: the fresh history, after the wait: not the saved copy, and not the pass under the history's address
    assert time.monotonic() - started >= 5
    assert page.locator("[data-pass]").count() == 0
    assert page.locator(".history__points").first.inner_text().split()[0] == newest
    assert page.locator("[data-saved-copy]").count() == 0


def test_an_unreachable_server_shows_a_pages_own_saved_copy_with_its_time_or_the_offline_page(site, browser, area):
    from loyalty.tests.factories import award

    # given: a phone that kept the pass and the history (not the rewards), and a purchase made since
    page, member_pass, merchant, cashier, kept_at = _a_member_whose_phone_keeps_the_pass_and_history(
        site, browser, area
    )
    kept = member_pass.entries.order_by("-occurred_at", "-pk").first().points
    award(merchant, member_pass, 5500, at=datetime.now(UTC), by=cashier)

    # when: the phone counts as online, but the server does not answer
    page.context.route(re.compile(r"/nl/mijn/"), lambda route: route.abort("connectionrefused"))

    # then: the history is its own saved copy, saying so and from when
    page.goto(f"{site}/nl/mijn/history/")
    assert page.locator("[data-pass]").count() == 0
    assert page.locator(".history__points").first.inner_text().split()[0] == f"+{kept}"
    note = page.locator("[data-saved-copy]")
    assert note.is_visible()
    saved_at = datetime.fromisoformat(note.locator("time").get_attribute("datetime").replace("Z", "+00:00"))
    assert abs(saved_at - kept_at) < timedelta(minutes=1)
    # a page the phone never kept is the offline page, not the pass under the rewards' address
    page.goto(f"{site}/nl/mijn/rewards/")
    assert page.locator("[data-pass]").count() == 0
    assert page.get_by_role("heading", name="Je bent offline").is_visible()
    # the pass itself still falls back on its saved copy, without the note (it says as of when its balance is)
    page.goto(f"{site}/nl/mijn/")
    assert shown_code(page)
    assert page.locator("[data-saved-copy]").count() == 0
