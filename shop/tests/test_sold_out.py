"""Sold out on the shopper's pages: a product page lists sold-out options but does not let them be chosen (nor
chooses one at first), offers no "Add to cart" when nothing is left, and says why an option it no longer sells is
refused; product cards in lists say "Sold out" (read in the list's own query, stock held by checkouts counted)."""

import pytest
from django.urls import reverse
from django.utils import translation

from shop.models import CartLine

from .factories import CategoryFactory, ProductFactory, VariantFactory, place, variant_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _product_page(client, merchant, slug, data=None):
    path = reverse("shop:product", args=[merchant.slug, slug])
    response = client.post(path, data) if data is not None else client.get(path)
    return response, response.content.decode()


def test_a_sold_out_option_is_listed_but_cannot_be_chosen_nor_chosen_at_first(client, area, baker):
    jeans = ProductFactory(merchant=baker, slug="jeans")
    small = VariantFactory(product=jeans, label="S", stock_on_hand=0, position=1)
    medium = VariantFactory(product=jeans, label="M", stock_on_hand=3, position=2)
    _response, page = _product_page(client, baker, "jeans")
    assert f'<option value="{small.pk}" disabled>S (sold out)</option>' in page
    assert f'<option value="{medium.pk}" selected>M</option>' in page
    assert "Add to cart" in page


def test_nothing_left_offers_a_disabled_sold_out_button_instead_of_add_to_cart(client, area, baker, now):
    bread = variant_of(baker, slug="brood", stock=1)
    place(area, [(bread, 1)], now=now)  # the last one is held by a checkout
    _response, page = _product_page(client, baker, "brood")
    assert "Add to cart" not in page and 'name="variant"' not in page
    assert '<button type="button" class="button" disabled>Sold out</button>' in page


def test_a_hidden_option_no_longer_for_sale_is_refused_with_a_message(client, area, baker):
    bread = variant_of(baker, slug="brood")
    other = variant_of(baker, slug="ander")
    # tampered: another product's option in the hidden field
    response, page = _product_page(client, baker, "brood", {"variant": other.pk, "quantity": 1})
    assert response.status_code == 200 and "This option is no longer for sale." in page and 'role="alert"' in page
    # deactivated while the page was open: the product has nothing left to sell
    bread.is_active = False
    bread.save(update_fields=["is_active"])
    response, page = _product_page(client, baker, "brood", {"variant": bread.pk, "quantity": 1})
    assert response.status_code == 200 and "This option is no longer for sale." in page and ">Sold out</button>" in page
    assert not CartLine.objects.exists()


def test_product_cards_say_sold_out_counting_what_checkouts_hold(client, area, baker, now):
    category = CategoryFactory(area=area, slug="brood")
    variant_of(baker, title_en="Volkoren", slug="volkoren", stock=2, category=category)
    variant_of(baker, title_en="Leeg", slug="leeg", stock=0, category=category)
    held = variant_of(baker, title_en="Vastgehouden", slug="vast", stock=1, category=category)
    inactive = ProductFactory(merchant=baker, title_en="Alleen uit", slug="uit", category=category)
    VariantFactory(product=inactive, stock_on_hand=5, is_active=False)
    place(area, [(held, 1)], now=now)
    page = client.get(reverse("shop:category", args=["brood"])).content.decode()
    cards = {card.split("<h3>")[1].split("</h3>")[0]: card for card in page.split('class="product-card"')[1:]}
    assert {title for title, card in cards.items() if "Sold out" in card} == {"Leeg", "Vastgehouden", "Alleen uit"}
    assert "Sold out" not in cards["Volkoren"]
