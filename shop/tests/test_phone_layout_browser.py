"""The shopper's pages on a phone (390 px wide), in a real browser (the system Chromium driven by Playwright) against
a live server: lists of cards and of stock have no bullets (`.plain-list` lives in the platform's base CSS, for every
app), and the search field is wide enough for its placeholder."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from areas.tests.factories import UserFactory
from cms.services import create_area_site

from .factories import ProductFactory, SellingMerchantFactory, VariantFactory, paid_order, shop_rules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: The shown lists of a selector: their bullet style and left padding.
LIST_STYLES = """selector => [...document.querySelectorAll(selector)].map(list => {
    const style = getComputedStyle(list); return [style.listStyleType, style.paddingLeft]; })"""
#: How much wider the search field's text box is than its placeholder, in CSS pixels (negative: cut off).
PLACEHOLDER_ROOM = """() => {
    const input = document.querySelector("#shop-q"), style = getComputedStyle(input);
    const context = document.createElement("canvas").getContext("2d");
    context.font = style.font;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return room - context.measureText(input.placeholder).width; }"""


def test_my_orders_and_the_stock_list_have_no_bullets_and_the_search_placeholder_fits(live_server, browser, area):
    # given: the area's site, a member with an order, a product in two sizes
    create_area_site(area=area, hostname="localhost", port=int(live_server.url.rsplit(":", 1)[1]), is_default=True)
    shop_rules(area)
    merchant = SellingMerchantFactory(area=area, trade_name="Blauw Denim Store")
    jeans = VariantFactory(product=ProductFactory(merchant=merchant, slug="jeans"), label="S")
    VariantFactory(product=jeans.product, label="M")
    member = UserFactory()
    paid_order(area, [(jeans, 1)], user=member)
    client = Client()
    client.force_login(member)
    page = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844}).new_page()
    page.set_default_timeout(20_000)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    with translation.override("nl"):
        my_orders = reverse("shop:my_orders")
        product = reverse("shop:product", args=[merchant.slug, "jeans"])

    for path in (my_orders, product):
        # when: the member opens the page on a phone
        page.goto(f"{live_server.url}{path}")
        # then: its plain lists show no bullets and no indent, and the search placeholder is not cut off
        styles = page.evaluate(LIST_STYLES, ".plain-list")
        assert styles and all(style == ["none", "0px"] for style in styles), (path, styles)
        assert page.evaluate(PLACEHOLDER_ROOM) >= 0, path
