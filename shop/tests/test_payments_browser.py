"""The payment element in a real browser against localstripe: its stand-in Stripe.js, our payment.js, a card
with 3-D Secure, back on the order page, paid (the webhook follows and changes nothing); and paying again after a
3-D Secure challenge left open and a declined card, with the errors in the page's language."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from cms.services import create_area_site
from shop.models import OrderStatus
from shop.payments import use_gateway
from shop.selectors import order_token
from shop.services import payments

from .factories import variant_of
from .payment_helpers import collect, order_with_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("localstripe")]


def test_paying_by_card_with_3d_secure_on_the_stand_in_stripe_js(
    live_server, browser_page, localstripe_server, stripe_gateway, area, baker, settings
):
    # given: the shop on localstripe, its webhooks pointed at the live server
    settings.STRIPE_JS_URL = f"{localstripe_server.base_url}/js.stripe.com/v3/"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_browser"
    settings.STRIPE_WEBHOOK_SECRET = stripe_gateway.webhook_secret
    localstripe_server.configure_webhook(
        url=f"{live_server.url}/shop/stripe/webhook/", secret=stripe_gateway.webhook_secret, name="browser"
    )
    create_area_site(area=area, hostname="localhost", port=int(live_server.url.rsplit(":", 1)[1]), is_default=True)
    page = browser_page
    with use_gateway(stripe_gateway):
        order, _payment = order_with_payment(
            area, [(variant_of(baker, price_cents=1250, stock=3), 2)], fulfilment=collect()
        )
        url = f"{live_server.url}{reverse('shop:order', kwargs={'public_id': order.public_id})}?t={order_token(order)}"

        # when: the shopper fills in a card that asks for 3-D Secure, pays and completes the challenge
        page.goto(url)
        page.get_by_label("Kaartnummer").fill("4000002500003155")
        page.get_by_label("Vervalmaand (MM)").fill("12")
        page.get_by_label("Vervaljaar (JJ)").fill("30")
        page.get_by_label("Beveiligingscode (CVC)").fill("123")
        page.get_by_label("Postcode").fill("3811")
        page.get_by_role("button", name="Betaal").click()
        page.get_by_role("button", name="Complete authentication").click()

        # then: back on the order page, paid
        page.wait_for_url(f"{url}*")
        page.get_by_text("Bedankt!").first.wait_for()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert payments.confirm_from_redirect(order=order).status == "succeeded"


def test_a_3d_secure_left_open_and_a_declined_card_do_not_block_paying_and_errors_read_in_the_pages_language(
    live_server, browser, localstripe_server, stripe_gateway, area, baker, settings
):
    from playwright.sync_api import expect

    # given: the shop on localstripe; a browser set to English on the Dutch order page
    settings.STRIPE_JS_URL = f"{localstripe_server.base_url}/js.stripe.com/v3/"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_browser"
    settings.STRIPE_WEBHOOK_SECRET = stripe_gateway.webhook_secret
    localstripe_server.configure_webhook(
        url=f"{live_server.url}/shop/stripe/webhook/", secret=stripe_gateway.webhook_secret, name="browser"
    )
    create_area_site(area=area, hostname="localhost", port=int(live_server.url.rsplit(":", 1)[1]), is_default=True)
    page = browser.new_context(locale="en-GB").new_page()
    page.set_default_timeout(20_000)

    def pay_with(number: str) -> None:
        page.get_by_label("Kaartnummer").fill(number)
        page.get_by_label("Vervalmaand (MM)").fill("12")
        page.get_by_label("Vervaljaar (JJ)").fill("30")
        page.get_by_label("Beveiligingscode (CVC)").fill("123")
        page.get_by_label("Postcode").fill("3811")
        page.get_by_role("button", name="Betaal").click()

    with use_gateway(stripe_gateway):
        order, _payment = order_with_payment(
            area, [(variant_of(baker, price_cents=1250, stock=3), 2)], fulfilment=collect()
        )
        with translation.override("nl"):
            path = reverse("shop:order", kwargs={"public_id": order.public_id})
        url = f"{live_server.url}{path}?t={order_token(order)}"

        # when: 3-D Secure starts and the shopper leaves it open (the phone switched to the bank app) …
        page.goto(url)
        pay_with("4000002500003155")
        page.get_by_role("button", name="Complete authentication").wait_for()
        # … comes back to the order page, tries a card that is declined …
        page.goto(url)
        pay_with("4000000000000341")
        with translation.override("nl"):
            declined = gettext("The payment was declined. Try another card or payment method.")
        expect(page.locator("[data-payment-error]")).to_have_text(declined)  # the page's Dutch, not the browser's
        # … and pays with another card
        pay_with("4242424242424242")
        page.get_by_text("Bedankt!").first.wait_for()

    # then: paid, once
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert payments.confirm_from_redirect(order=order).status == "succeeded"
