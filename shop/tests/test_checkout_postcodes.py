"""The bike courier's postcode is checked against the area's country (the platform's rule, `areas.validators`): a
Dutch address "3811 AB", a Belgian one four digits; anything else is refused with the form it should have, by the
checkout service, its form and its running total."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from shop import selectors
from shop.exceptions import InvalidAddress
from shop.forms import CheckoutForm
from shop.models import Fulfilment, Order
from shop.services import checkout
from shop.services.checkout import FulfilmentChoice

from .factories import CourierZoneFactory, SellingMerchantFactory, cart_with, place, shop_rules, variant_of

pytestmark = pytest.mark.django_db

DUTCH_FORM = "A Dutch postcode looks like 3811 AB."
BELGIAN_FORM = "A Belgian postcode has four digits, for example 2800."


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def mechelen(flemish_area):
    shop_rules(flemish_area)
    return flemish_area


@pytest.fixture
def frituur(mechelen):
    return SellingMerchantFactory(area=mechelen, registration_number="0403170701", postcode="2800")


def courier(zone, postcode: str, *, now, city: str = "Mechelen") -> FulfilmentChoice:
    return FulfilmentChoice(
        kind=Fulfilment.BIKE_COURIER,
        street="Bruul 12",
        postcode=postcode,
        city=city,
        slot_starts_at=checkout.courier_slots(zone, now=now)[0][0],
    )


@pytest.mark.parametrize("postcode", ["28000", "2800AB", "2800 AB", "BE-2800", "3812 AB", "0800"])
def test_a_belgian_courier_address_needs_four_digits(mechelen, frituur, now, postcode):
    zone = CourierZoneFactory(area=mechelen, postcodes=["2800", "2811"], fee_cents=395)
    with pytest.raises(InvalidAddress) as error:
        place(mechelen, [(variant_of(frituur), 1)], now=now, fulfilment=courier(zone, postcode, now=now))
    assert error.value.message == BELGIAN_FORM
    assert not Order.objects.exists()


def test_a_belgian_postcode_of_the_zone_is_delivered_to(mechelen, frituur, now):
    zone = CourierZoneFactory(area=mechelen, postcodes=["2800", "2811"], fee_cents=395)
    order = place(mechelen, [(variant_of(frituur), 1)], now=now, fulfilment=courier(zone, " 2811 ", now=now))
    part = order.parts.get()
    assert (part.courier_zone, part.delivery_postcode, order.delivery_cents) == (zone, "2811", 395)


@pytest.mark.parametrize("postcode", ["38110", "3811", "3811-AB", "1011 SS", "2800"])
def test_a_dutch_courier_address_needs_digits_and_letters(area, baker, now, postcode):
    zone = CourierZoneFactory(area=area, postcodes=["3811", "2800"], fee_cents=395)
    with pytest.raises(InvalidAddress) as error:
        place(area, [(variant_of(baker), 1)], now=now, fulfilment=courier(zone, postcode, now=now, city="Amersfoort"))
    assert error.value.message == DUTCH_FORM


def test_a_dutch_postcode_is_kept_in_its_form(area, baker, now):
    zone = CourierZoneFactory(area=area, postcodes=["3811"], fee_cents=395)
    order = place(area, [(variant_of(baker), 1)], now=now, fulfilment=courier(zone, "3811ab", now=now))
    assert order.parts.get().delivery_postcode == "3811 AB"


def test_the_total_says_the_form_a_postcode_should_have(mechelen, frituur, now):
    CourierZoneFactory(area=mechelen, postcodes=["2800", "2811"], fee_cents=395)

    def quote(postcode):
        choice = FulfilmentChoice(kind=Fulfilment.BIKE_COURIER, postcode=postcode)
        return checkout.quote_order(area=mechelen, goods_by_merchant={frituur: 1000}, fulfilment=choice, now=now)

    assert (quote("28").delivery_pending, quote("28").problems) == (True, ())  # still being typed
    wrong = quote("28000")
    assert (wrong.delivery_pending, wrong.delivery_cents, wrong.problems) == (True, 0, (BELGIAN_FORM,))
    assert quote("3812 AB").problems == (BELGIAN_FORM,)  # a Dutch postcode is no courier zone in Belgium
    assert (quote("2811").delivery_cents, quote("2811").problems) == (395, ())


def checkout_form(area, merchant, postcode: str, zone) -> CheckoutForm:
    summary = selectors.cart_summary(cart_with(area, [(variant_of(merchant), 1)]))
    start = checkout.courier_slots(zone, now=timezone.now())[0][0]
    data = {
        "request_key": str(uuid.uuid4()),
        "name": "Sanne",
        "email": "sanne@example.org",
        f"fulfilment_{merchant.pk}": Fulfilment.BIKE_COURIER,
        "street": "Bruul 12",
        "postcode": postcode,
        "city": "Mechelen",
        "slot": CheckoutForm.slot_value(zone, start),
    }
    return CheckoutForm(data, summary=summary, area=area)


def test_the_checkout_form_refuses_a_postcode_of_another_form_with_the_form_expected(mechelen, frituur, area, baker):
    flemish_zone = CourierZoneFactory(area=mechelen, postcodes=["2800"], fee_cents=395)
    dutch_zone = CourierZoneFactory(area=area, postcodes=["3811"], fee_cents=395)

    for postcode in ("28000", "2800AB", "BE-2800"):
        form = checkout_form(mechelen, frituur, postcode, flemish_zone)
        assert not form.is_valid() and form.errors["postcode"] == [BELGIAN_FORM], postcode
    form = checkout_form(area, baker, "38110", dutch_zone)
    assert not form.is_valid() and form.errors["postcode"] == [DUTCH_FORM]

    good = checkout_form(mechelen, frituur, "2800", flemish_zone)
    assert good.is_valid(), good.errors
    assert good.fulfilment()[frituur.pk].postcode == "2800"
    assert 'inputmode="numeric"' in str(good["postcode"])  # the phone's number pad for four digits


def test_the_checkout_page_shows_the_form_a_dutch_postcode_should_have(client, area, baker):
    zone = CourierZoneFactory(area=area, postcodes=["3811"], fee_cents=395)
    variant = variant_of(baker)
    client.post(
        reverse("shop:product", args=[baker.slug, variant.product.slug]), {"variant": variant.pk, "quantity": 1}
    )
    start = checkout.courier_slots(zone, now=timezone.now())[0][0]
    form = {
        "request_key": str(uuid.uuid4()),
        "name": "Sanne",
        "email": "sanne@example.org",
        f"fulfilment_{baker.pk}": Fulfilment.BIKE_COURIER,
        "street": "Langestraat 5",
        "postcode": "38110",
        "city": "Amersfoort",
        "slot": CheckoutForm.slot_value(zone, start),
    }
    response = client.post(reverse("shop:checkout"), form)
    assert response.status_code == 200 and DUTCH_FORM in response.content.decode()
    assert not Order.objects.exists()
    form["postcode"] = "3811 ab"
    assert client.post(reverse("shop:checkout"), form).status_code == 302
    assert Order.objects.get().parts.get().delivery_postcode == "3811 AB"
