"""The checkout page before the order exists (delivery per choice, the running total, the courier's times per
zone, "the same for every shop"), an unpaid order the cart leads back to and the shopper can cancel, and what
the order page and the pass say about it."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from loyalty.models import VoucherKind
from loyalty.services import issue_voucher
from loyalty.tests.factories import PassFactory, manager_for, rules_for
from loyalty.tests.giftcard_factories import sell
from shop.models import Fulfilment, Order, OrderStatus
from shop.services import checkout, stock

from .factories import CourierZoneFactory, UserFactory, place, variant_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """These tests read the pages in English (/en/ URLs)."""
    with translation.override("en"):
        yield


@pytest.fixture
def zones(area):
    return (
        CourierZoneFactory(area=area, name="Centrum", postcodes=["3811"], fee_cents=395, slots=[["10:00", "12:00"]]),
        CourierZoneFactory(
            area=area, name="Rand", postcodes=["3812", "3813"], fee_cents=595, slots=[["18:00", "21:00"]]
        ),
    )


def fill_cart(client, *variants):
    for variant in variants:
        product = variant.product
        client.post(
            reverse("shop:product", args=[product.merchant.slug, product.slug]), {"variant": variant.pk, "quantity": 1}
        )


def slot_value(zone) -> str:
    start = checkout.courier_slots(zone, now=timezone.now())[0][0]
    return f"{zone.pk}@{start.isoformat()}"


def checkout_form(**fields) -> dict:
    return {"request_key": str(uuid.uuid4()), "name": "Sanne", "email": "sanne@example.org", **fields}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode().replace("\xa0", " "))


def test_the_courier_fee_per_zone_and_the_total_show_before_ordering(client, area, baker, books, zones):
    fill_cart(client, variant_of(baker, price_cents=1250), variant_of(books, price_cents=2299))

    page = text(client.get(reverse("shop:checkout")))

    assert "Bike courier delivery · €3.95 to €5.95, by postcode" in page
    assert "Centrum (postcodes 3811) · €3.95" in page and "Rand (postcodes 3812, 3813) · €5.95" in page
    assert "To pay by card or bank" in page and "€35.49" in page  # parcel point at first: the goods

    # the page's script asks for the total as the form changes: one ride, one fee, for both shops
    total = text(
        client.post(
            reverse("shop:checkout") + "?fragment=total",
            checkout_form(
                preview="1",
                same_for_all="on",
                fulfilment_all="bike_courier",
                street="Langestraat 5",
                postcode="3812 AB",
                city="Amersfoort",
            ),
        )
    )
    assert "bike courier, one ride" in total and "€5.95" in total and "€41.44" in total  # 35.49 + 5.95
    assert not Order.objects.exists()


def test_without_the_script_update_the_total_shows_the_page_again_without_ordering(client, area, baker, zones):
    fill_cart(client, variant_of(baker, price_cents=1250))
    form = checkout_form(
        preview="1",
        **{f"fulfilment_{baker.pk}": "bike_courier"},
        street="Langestraat 5",
        postcode="3811 AB",
        city="Amersfoort",
    )
    page = text(client.post(reverse("shop:checkout"), form))
    assert "€16.45" in page and 'value="Langestraat 5"' in page  # 12.50 + 3.95, and the form as it was
    assert "errorlist" not in page.split("What you pay")[0]  # nothing judged yet
    assert not Order.objects.exists()


def test_the_total_counts_the_voucher_and_the_gift_card(client, area, baker, now):
    member = UserFactory(email="sanne@example.org")
    rules_for(area, welcome_bonus_points=0)
    member_pass = PassFactory(area=area, member=member, now=now - timedelta(days=30))
    sell(area, 500, at=timezone.now() - timedelta(days=1), member_pass=member_pass)
    voucher = issue_voucher(
        area=area,
        kind=VoucherKind.FIXED,
        value_cents=300,
        expires_at=timezone.now() + timedelta(days=30),
        valid_from=timezone.now() - timedelta(days=1),
        by=manager_for(area),
        request_key=uuid.uuid4(),
    )
    client.force_login(member)
    fill_cart(client, variant_of(baker, price_cents=2000))
    total = text(
        client.post(
            reverse("shop:checkout") + "?fragment=total",
            checkout_form(preview="1", use_gift_card="on", voucher_code=voucher.code),
        )
    )
    assert "− €3.00" in total and "− €5.00" in total and "€12.00" in total  # 20.00 − 3.00 − 5.00


def test_courier_times_are_grouped_by_zone_and_another_zones_time_names_the_postcode(client, area, baker, zones):
    centrum, rand = zones
    fill_cart(client, variant_of(baker))
    page = client.get(reverse("shop:checkout")).content.decode()
    assert '<optgroup label="Rand (postcodes 3812, 3813) · €5.95">' in page.replace("\xa0", " ")
    assert re.search(r"\w+day \d+ \w+ 18:00–21:00</option>", page)  # from–to

    form = checkout_form(
        **{f"fulfilment_{baker.pk}": "bike_courier"},
        street="Langestraat 5",
        postcode="3811 ab",
        city="Amersfoort",
        slot=slot_value(rand),
    )
    response = client.post(reverse("shop:checkout"), form)

    assert response.status_code == 200 and not Order.objects.exists()
    assert "This delivery time is not available for postcode 3811 AB. Choose another time." in text(response)
    form["slot"] = slot_value(centrum)
    assert client.post(reverse("shop:checkout"), form).status_code == 302
    assert Order.objects.get().delivery_cents == 395


def test_the_same_for_every_shop_counts_while_ticked_and_each_shops_own_choice_when_not(client, area, baker, books):
    type(books.shop).objects.filter(merchant=books).update(offers_click_and_collect=False)
    fill_cart(client, variant_of(baker), variant_of(books))

    page = text(client.get(reverse("shop:checkout")))
    common = page.split("data-fulfilment-all>")[1].split("</fieldset>")[0]
    assert "Collect at the shop" not in common.split('<p class="muted">')[0]  # not every shop offers it
    assert f"({books.trade_name} does not)" in common

    # ticked: the common choice for every shop (the per-shop ones are hidden and do not count)
    ticked = checkout_form(
        same_for_all="on",
        fulfilment_all="parcel_point",
        **{f"fulfilment_{baker.pk}": "click_and_collect", f"fulfilment_{books.pk}": "parcel_point"},
    )
    client.post(reverse("shop:checkout"), ticked)
    assert set(Order.objects.get().parts.values_list("fulfilment", flat=True)) == {Fulfilment.PARCEL_POINT}

    # unticked: each shop's own (a new cart: the order emptied the first)
    Order.objects.all().delete()
    fill_cart(client, variant_of(baker), variant_of(books))
    own = checkout_form(**{f"fulfilment_{baker.pk}": "click_and_collect", f"fulfilment_{books.pk}": "parcel_point"})
    client.post(reverse("shop:checkout"), own)
    kinds = dict(Order.objects.get().parts.values_list("merchant_id", "fulfilment"))
    assert kinds == {baker.pk: Fulfilment.CLICK_AND_COLLECT, books.pk: Fulfilment.PARCEL_POINT}


def test_a_personal_voucher_of_someone_else_says_to_log_in(client, area, baker, now):
    owner = PassFactory(area=area, member=UserFactory(), now=now - timedelta(days=30))
    voucher = issue_voucher(
        area=area,
        kind=VoucherKind.FIXED,
        value_cents=300,
        expires_at=timezone.now() + timedelta(days=30),
        valid_from=timezone.now() - timedelta(days=1),
        by=manager_for(area),
        request_key=uuid.uuid4(),
        member_pass=owner,
    )
    fill_cart(client, variant_of(baker))
    response = client.post(reverse("shop:checkout"), checkout_form(voucher_code=voucher.code))
    page = text(response)
    assert "Log in with the account of that pass to use it." in page and "Scan" not in page
    assert not Order.objects.exists()


def test_the_cart_leads_back_to_an_unpaid_order_which_the_guest_cancels(client, area, baker):
    bread = variant_of(baker, stock=3)
    fill_cart(client, bread)
    placed = client.post(reverse("shop:checkout"), checkout_form())
    order = Order.objects.get()

    # the shopper pressed Back: the cart is empty, but it says where the order is
    cart = text(client.get(reverse("shop:cart")))
    assert f"You have an unpaid order {order.public_id}" in cart
    assert placed["Location"] in cart.replace("&amp;", "&")  # with the order's token: a guest gets in

    # the order page says until when it waits, and offers to cancel
    page = text(client.get(placed["Location"]))
    assert "We keep the items for you until" in page and "Cancel this order" in page

    token = placed["Location"].split("?t=")[1]
    response = client.post(reverse("shop:cancel_order", args=[order.public_id]), {"t": token}, follow=True)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert stock.available([bread])[bread.pk] == 3
    cart = text(response)
    assert f"Order {order.public_id} is cancelled" in cart and "You have an unpaid order" not in cart
    assert bread.product.title_nl in cart  # the items are back in the cart
    assert client.post(reverse("shop:cancel_order", args=[order.public_id])).status_code == 404  # no token: no order


def test_the_order_page_states_the_vat_of_the_delivery_too(client, area, baker, zones):
    member = UserFactory()
    centrum, _rand = zones
    slot = checkout.courier_slots(centrum, now=timezone.now())[0][0]
    choice = checkout.FulfilmentChoice(
        kind=Fulfilment.BIKE_COURIER, street="Langestraat 5", postcode="3811 AB", city="Amersfoort", slot_starts_at=slot
    )
    order = place(area, [(variant_of(baker, price_cents=1210, vat_rate_bps=2100), 1)], user=member, fulfilment=choice)
    client.force_login(member)
    page = text(client.get(reverse("shop:order", args=[order.public_id])))
    # €12.10 + €3.95 at 21 %: VAT €2.79 (€2.10 + €0.69)
    assert "VAT 21 %: €2.79 (net €13.26) · delivery included" in page


def test_the_pass_shows_gift_card_value_reserved_for_an_unpaid_order(client, area, baker, now):
    member = UserFactory(email="sanne@example.org")
    rules_for(area, welcome_bonus_points=0)
    member_pass = PassFactory(area=area, member=member, now=now - timedelta(days=30))
    sell(area, 3000, at=timezone.now() - timedelta(days=1), member_pass=member_pass)
    order = place(area, [(variant_of(baker, price_cents=4570), 1)], user=member, gift_card=3000)
    client.force_login(member)

    page = text(client.get(reverse("loyalty:pass")))

    assert f"€30.00 reserved for order {order.public_id}" in page and "used up" not in page
    checkout.cancel_unpaid_order(order=order)
    page = text(client.get(reverse("loyalty:pass")))
    assert "<strong>€30.00</strong> · valid until" in page and "reserved for order" not in page
