"""The payment element in a real browser against localstripe: its stand-in Stripe.js, our payment.js, a card
with 3-D Secure, back on the order page, paid (the webhook follows and changes nothing)."""

import pytest
from django.urls import reverse

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
