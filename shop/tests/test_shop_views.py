"""The shopper's pages: browse, search, cart (anonymous, merged at login), checkout, the order page for its
customer only, my orders."""

import pytest
from django.urls import reverse

from shop.models import Cart, CartLine, Order, OrderStatus
from shop.selectors import order_token

from .factories import CategoryFactory, UserFactory, box_of, paid_order, variant_of

pytestmark = pytest.mark.django_db


def test_browse_search_product_and_box_pages(client, area, baker, books):
    category = CategoryFactory(area=area, name_nl="Brood", name_en="Bread")
    bread = variant_of(baker, title_nl="Zuurdesembrood", slug="zuurdesem", category=category)
    novel = variant_of(books, title_nl="Een roman", description_nl="Spannend boek over de stad")
    box = box_of(area, (bread, 1), (novel, 1), title_nl="Ontbijtpakket")
    home = client.get(reverse("shop:home")).content.decode()
    assert "Brood" in home and "Ontbijtpakket" in home and baker.trade_name in home
    assert "Zuurdesembrood" in client.get(reverse("shop:category", args=[category.slug])).content.decode()
    found = client.get(reverse("shop:home"), {"q": "spannend"}).content.decode()
    assert "Een roman" in found and "Zuurdesembrood" not in found
    assert client.get(reverse("shop:merchant", args=[books.slug])).status_code == 200
    page = client.get(reverse("shop:product", args=[baker.slug, "zuurdesem"]))
    assert page.status_code == 200 and "10 in stock" in page.content.decode().replace("op voorraad", "in stock")
    assert client.get(reverse("shop:box", args=[box.slug])).status_code == 200
    assert client.get(reverse("shop:product", args=[baker.slug, "nope"])).status_code == 404


def test_english_pages_name_categories_boxes_products_and_cart_lines_in_english(client, area, baker):
    from django.utils import translation

    category = CategoryFactory(area=area, name_nl="Brood", name_en="Bread")
    bread = variant_of(baker, title_nl="Zuurdesembrood", title_en="Sourdough loaf", slug="zuurdesem", category=category)
    only_dutch = variant_of(baker, title_nl="Krentenbol", title_en="", slug="krentenbol")
    box = box_of(area, (bread, 1), (only_dutch, 2), title_nl="Ontbijtpakket", title_en="Breakfast box")
    with translation.override("en"):
        home = client.get(reverse("shop:home")).content.decode()
        product = client.get(reverse("shop:product", args=[baker.slug, "zuurdesem"])).content.decode()
        box_page = client.get(reverse("shop:box", args=[box.slug])).content.decode()
        client.post(reverse("shop:box", args=[box.slug]))
        cart = client.get(reverse("shop:cart")).content.decode()
    assert "Bread" in home and "Breakfast box" in home and "Ontbijtpakket" not in home
    assert "<h1>Sourdough loaf</h1>" in product and "Zuurdesembrood" not in product
    assert "Breakfast box" in box_page and "Sourdough loaf" in box_page and "Krentenbol" in box_page  # no English
    assert "Sourdough loaf" in cart and "Zuurdesembrood" not in cart
    with translation.override("nl"):
        product = client.get(reverse("shop:product", args=[baker.slug, "zuurdesem"])).content.decode()
    assert "<h1>Zuurdesembrood</h1>" in product


def test_a_category_and_a_shop_are_listed_a_page_at_a_time(client, area, baker):
    from shop.selectors import PAGE_SIZE

    category = CategoryFactory(area=area, slug="brood")
    for n in range(PAGE_SIZE + 3):
        variant_of(baker, title_nl=f"Brood {n:02d}", slug=f"brood-{n:02d}", category=category)
    first = client.get(reverse("shop:category", args=["brood"])).content.decode()
    second = client.get(reverse("shop:category", args=["brood"]), {"page": 2}).content.decode()
    assert first.count('class="product-card"') == PAGE_SIZE and 'rel="next" href="?page=2"' in first
    assert second.count('class="product-card"') == 3 and 'rel="prev"' in second and 'rel="next"' not in second
    # a malformed page number shows the first page, one past the end the last
    assert (
        client.get(reverse("shop:category", args=["brood"]), {"page": "x"}).content.decode().count('product-card"')
        == PAGE_SIZE
    )
    assert (
        client.get(reverse("shop:merchant", args=[baker.slug]), {"page": 99})
        .content.decode()
        .count('class="product-card"')
        == 3
    )


def test_anonymous_cart_then_login_merges_it_into_the_members_cart(client, area, baker):
    bread = variant_of(baker, slug="brood", stock=5)
    member = UserFactory()
    mine = Cart.objects.create(area=area, user=member)
    CartLine.objects.create(cart=mine, variant=bread, quantity=1)
    response = client.post(reverse("shop:product", args=[baker.slug, "brood"]), {"variant": bread.pk, "quantity": 2})
    assert response.status_code == 302
    assert CartLine.objects.get(cart__user__isnull=True).quantity == 2
    client.force_login(member)
    cart_page = client.get(reverse("shop:cart")).content.decode()
    assert not Cart.objects.filter(user__isnull=True).exists()
    assert CartLine.objects.get(cart=mine).quantity == 3
    assert bread.product.title_nl in cart_page


def test_adding_more_than_in_stock_says_what_is_left(client, area, baker):
    bread = variant_of(baker, slug="brood", stock=2)
    response = client.post(reverse("shop:product", args=[baker.slug, "brood"]), {"variant": bread.pk, "quantity": 3})
    assert response.status_code == 200
    assert "2" in response.content.decode() and not CartLine.objects.exists()


def test_checkout_places_the_order_and_shows_its_page(client, area, baker, books):
    bread, novel = variant_of(baker, slug="brood"), variant_of(books, slug="boek")
    client.post(reverse("shop:product", args=[baker.slug, "brood"]), {"variant": bread.pk, "quantity": 1})
    client.post(reverse("shop:product", args=[books.slug, "boek"]), {"variant": novel.pk, "quantity": 1})
    assert client.get(reverse("shop:checkout")).status_code == 200
    form = {
        "request_key": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
        "name": "Sanne",
        "email": "sanne@example.org",
        "same_for_all": "on",
        f"fulfilment_{baker.pk}": "parcel_point",
        f"fulfilment_{books.pk}": "parcel_point",
    }
    response = client.post(reverse("shop:checkout"), form)
    order = Order.objects.get()
    assert response.status_code == 302 and order.public_id in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert order.public_id in page and baker.trade_name in page and books.trade_name in page


def test_an_order_is_visible_to_its_customer_only(client, area, baker, now):
    owner, stranger = UserFactory(), UserFactory()
    order = paid_order(area, [(variant_of(baker), 1)], user=owner, now=now)
    url = reverse("shop:order", args=[order.public_id])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.get(url, {"t": "forged"}).status_code == 404
    assert client.get(url, {"t": order_token(order)}).status_code == 200  # the e-mail's link
    assert order.public_id not in client.get(reverse("shop:my_orders")).content.decode()
    client.force_login(owner)
    assert client.get(url).status_code == 200
    assert order.public_id in client.get(reverse("shop:my_orders")).content.decode()
    assert Order.objects.get().status == OrderStatus.PAID
