"""The product form on a phone, in a real browser (the system Chromium driven by Playwright) against a live server:
the page is no wider than the screen; the variant table scrolls inside its own box."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from shop.models import Variant

from .merchant_fixtures import product, staff_of

#: Overflow of the page itself: its scrolling width beyond the window's (0 when nothing sticks out).
PAGE_OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
#: The variant table's box: its right edge, and how far its content reaches (it scrolls inside the box).
TABLE_BOX = """() => { const wrap = document.querySelector('.variant-table').closest('.table-wrap');
    return [wrap.getBoundingClientRect().right, wrap.scrollWidth, wrap.clientWidth]; }"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_product_form_fits_a_phone(live_server, browser, merchant):
    # given: a product in four sizes, and its merchant's staff signed in on a 390 px phone
    item = product(merchant, title="Regenjas", sku="1-005", stock=0)
    item.variants.all().delete()
    for position, label in enumerate(("S", "M", "L", "XL")):
        Variant.objects.create(product=item, label=label, sku=f"1-005-{label}", stock_on_hand=2, position=position)
    client = Client()
    client.force_login(staff_of(merchant))
    page = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
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
        paths = [
            reverse("shop_merchant:product_edit", args=[merchant.pk, item.pk]),
            reverse("shop_merchant:product_new", args=[merchant.pk]),
        ]
    for path in paths:
        # when: the form is opened
        page.goto(f"{live_server.url}{path}")
        # then: nothing sticks out of the page; the variant table scrolls inside its box, within the screen
        assert page.evaluate(PAGE_OVERFLOW) == 0, path
        right, content_width, box_width = page.evaluate(TABLE_BOX)
        assert right <= 390 and content_width >= box_width, path
