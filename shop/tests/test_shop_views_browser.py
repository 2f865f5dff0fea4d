"""The webshop in a real browser (the system Chromium driven by Playwright) against a live server and localstripe
with its stand-in Stripe.js: products of two merchants in one cart, paid by card, each merchant sees their part
only, one sends theirs to the parcel point, and once the point scans it in the customer gets its pickup e-mail."""

from __future__ import annotations

import re
import uuid

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory
from cms.services import create_area_site
from parcels.models import Parcel
from parcels.services import receive_parcel
from parcels.tests.factories import ParcelPointFactory, agree, desk_staff
from privacy.tests.factories import with_totp
from shop.models import MerchantOrderStatus, Order, OrderStatus
from shop.payments import use_gateway
from shop.payments.stripe_gateway import StripeGateway

from .factories import SellingMerchantFactory, shop_rules, variant_of
from .localstripe import localstripe_server  # noqa: F401  (the session's localstripe process)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("localstripe")]


@pytest.fixture
def browser_page(browser):
    """This journey reads the shop in English (en-GB)."""
    page = browser.new_context(locale="en-GB").new_page()
    page.set_default_timeout(20_000)
    return page


def sign_in(page, live_server, user) -> None:
    """The browser signed in as `user` (a session made by the test client)."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_two_merchants_one_card_payment_parcel_point_and_the_pickup_notice(
    live_server,
    browser_page,
    area,
    settings,
    localstripe_server,  # noqa: F811
):
    # given: the area's site, its parcel point taking the webshop's parcels, two selling merchants with staff
    create_area_site(area=area, hostname="localhost", port=int(live_server.url.rsplit(":", 1)[1]), is_default=True)
    point = ParcelPointFactory(area=area)
    agree(point, "webshop")
    shop_rules(area, parcel_point=point)
    baker = SellingMerchantFactory(area=area, trade_name="Bakkerij Bol", email="bakker@example.org")
    books = SellingMerchantFactory(area=area, trade_name="Boekhandel Blad", email="boeken@example.org")
    variant_of(baker, slug="brood", title_nl="Zuurdesembrood", title_en="Sourdough loaf", price_cents=450, stock=3)
    variant_of(books, slug="roman", title_nl="Stadsroman", title_en="City novel", price_cents=1995, stock=1)
    baker_staff = with_totp(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=baker).user)
    books_staff = with_totp(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=books).user)
    settings.STRIPE_JS_URL = f"{localstripe_server.base_url}/js.stripe.com/v3/"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_browser"
    gateway = StripeGateway(
        secret_key="sk_test_browser",
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        api_base=localstripe_server.base_url,
        connect=False,
    )
    localstripe_server.configure_webhook(
        url=f"{live_server.url}/shop/stripe/webhook/", secret=settings.STRIPE_WEBHOOK_SECRET, name="browser"
    )
    page = browser_page
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    base = f"{live_server.url}/en/winkelen"

    with use_gateway(gateway):
        # when: the shopper puts a loaf and a book in the cart and checks out
        for merchant, slug in ((baker, "brood"), (books, "roman")):
            page.goto(f"{base}/product/{merchant.slug}/{slug}/")
            page.get_by_role("button", name="Add to cart").click()
            page.wait_for_selector("text=Added to your cart.")
        page.goto(f"{base}/winkelwagen/")
        assert page.get_by_role("heading", name="Bakkerij Bol").is_visible()
        assert page.get_by_role("heading", name="Boekhandel Blad").is_visible()
        page.get_by_role("link", name="Check out").click()
        page.get_by_label("Name").fill("Sanne de Vries")
        page.get_by_label("E-mail").fill("sanne@example.org")
        page.get_by_role("button", name="Place order and pay").click()
        page.wait_for_url(re.compile(r"/winkelen/bestelling/"))

        # and pays by card in the stand-in card element
        page.locator("[data-payment-element] input[placeholder=number]").fill("4242424242424242")
        page.locator("[data-payment-element] input[placeholder=exp_month]").fill("12")
        page.locator("[data-payment-element] input[placeholder=exp_year]").fill(
            "34"
        )  # the stand-in puts "20" before it
        page.locator("[data-payment-element] input[placeholder=cvc]").fill("123")
        page.locator("[data-payment-element] input[placeholder=postal_code]").fill("3811")
        page.locator("[data-payment-submit]").click()

        # then: back on the order page it is paid (whether the webhook came first or not)
        try:
            page.wait_for_selector(".order-status--paid")
        except Exception as error:
            raise AssertionError(f"{console}\n{page.url}\n{page.inner_text('main')}") from error
        order = Order.objects.get()
        assert order.status == OrderStatus.PAID
        assert set(order.parts.values_list("status", flat=True)) == {MerchantOrderStatus.NEW}
        assert "sanne@example.org" in {message.to[0] for message in mail.outbox}

        # and each merchant sees their own part only
        parts = {part.merchant_id: part for part in order.parts.all()}
        sign_in(page, live_server, books_staff)
        page.goto(f"{live_server.url}/en/winkel-beheer/{books.pk}/bestellingen/")
        queue = page.content()
        assert order.public_id in queue
        page.goto(f"{live_server.url}/en/winkel-beheer/{books.pk}/bestellingen/{parts[books.pk].pk}/")
        assert "City novel" in page.content() and "Sourdough" not in page.content()
        page.goto(f"{live_server.url}/en/winkel-beheer/{books.pk}/bestellingen/{parts[baker.pk].pk}/")
        assert "Sourdough" not in page.content()

        # when: the baker accepts, packs and hands the part over at the parcel point
        sign_in(page, live_server, baker_staff)
        page.goto(f"{live_server.url}/en/winkel-beheer/{baker.pk}/bestellingen/{parts[baker.pk].pk}/")
        assert "Sourdough" in page.content() and "City novel" not in page.content()
        page.get_by_role("button", name="Accept the order").click()
        page.get_by_role("button", name="Packed and ready").click()
        page.get_by_role("button", name="On its way to the parcel point").click()
        page.wait_for_selector("text=is on its way to the parcel point")

    # then: it is on its way, not yet in: only the point's own intake scan takes it in
    code = order.parts.get(merchant=baker).parcel_code
    assert code and not Parcel.objects.filter(point=point).exists()
    receive_parcel(point=point, raw_code=code, by=desk_staff(area), request_key=uuid.uuid4())
    # and then the customer has the point's e-mail with the pickup code
    parcel = Parcel.objects.get(point=point)
    assert parcel.tracking_code == order.parts.get(merchant=baker).parcel_code
    pickup = [m for m in mail.outbox if m.to == ["sanne@example.org"] and parcel.pickup_code in m.body]
    assert pickup, [m.subject for m in mail.outbox]
