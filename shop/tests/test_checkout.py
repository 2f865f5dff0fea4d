"""Checkout: a cart across merchants becomes one order with a part per merchant, frozen lines, reservations."""

import uuid
from datetime import timedelta

import pytest

from shop.exceptions import (
    EmptyCart,
    FulfilmentNotOffered,
    InvalidSlot,
    MerchantCannotSell,
    NoCourierZone,
    OutOfStock,
)
from shop.models import Fulfilment, MerchantOrderStatus, Order, OrderStatus, Reservation, ReservationState
from shop.services import checkout
from shop.services.checkout import FulfilmentChoice

from .factories import CourierZoneFactory, MerchantShopFactory, cart_with, contact, place, variant_of

pytestmark = pytest.mark.django_db


def test_one_order_with_a_part_per_merchant_and_totals(area, baker, books, now):
    bread = variant_of(baker, price_cents=325, vat_rate_bps=900, stock=5)
    cake = variant_of(baker, price_cents=1450, vat_rate_bps=900, stock=5)
    novel = variant_of(books, price_cents=2299, vat_rate_bps=900, stock=2)
    pen = variant_of(books, price_cents=499, vat_rate_bps=2100, stock=2)

    order = place(area, [(bread, 2), (cake, 1), (novel, 1), (pen, 2)], now=now)

    assert order.status == OrderStatus.PENDING
    parts = {part.merchant: part for part in order.parts.all()}
    assert set(parts) == {baker, books}
    assert parts[baker].goods_cents == 2 * 325 + 1450
    assert parts[books].goods_cents == 2299 + 2 * 499
    assert order.goods_cents == 2 * 325 + 1450 + 2299 + 2 * 499
    assert order.total_cents == order.goods_cents  # parcel point: no delivery fee
    assert all(part.status == MerchantOrderStatus.PENDING for part in parts.values())
    assert all(part.fulfilment == Fulfilment.PARCEL_POINT for part in parts.values())
    lines = {line.variant_id: line for line in parts[books].lines.all()}
    assert (lines[pen.pk].gross_cents, lines[pen.pk].vat_cents, lines[pen.pk].vat_rate_bps) == (998, 173, 2100)
    held = {r.variant_id: r.quantity for r in Reservation.objects.filter(order=order, state=ReservationState.ACTIVE)}
    assert held == {bread.pk: 2, cake.pk: 1, novel.pk: 1, pen.pk: 2}


def test_the_cart_is_emptied_and_a_repeated_request_returns_the_first_order(area, baker, now):
    bread = variant_of(baker, stock=5)
    cart = cart_with(area, [(bread, 1)])
    key = uuid.uuid4()
    first = checkout.place_order(cart=cart, contact=contact(), request_key=key, now=now)
    again = checkout.place_order(cart=cart, contact=contact(), request_key=key, now=now)
    assert again.pk == first.pk
    assert not cart.lines.exists()
    assert Order.objects.count() == 1


def test_an_empty_cart_is_refused(area, rules, now):
    with pytest.raises(EmptyCart):
        checkout.place_order(cart=cart_with(area, []), contact=contact(), request_key=uuid.uuid4(), now=now)


def test_a_merchant_that_cannot_sell_is_refused_and_nothing_is_kept(area, baker, books, now):
    bread = variant_of(baker, stock=5)
    novel = variant_of(books, stock=5)
    MerchantShopFactory(merchant=books).__class__.objects.filter(merchant=books).update(payouts_enabled=False)
    cart = cart_with(area, [(bread, 1), (novel, 1)])
    with pytest.raises(MerchantCannotSell) as error:
        checkout.place_order(cart=cart, contact=contact(), request_key=uuid.uuid4(), now=now)
    assert error.value.merchant == books
    assert not Order.objects.exists() and not Reservation.objects.exists()
    assert cart.lines.count() == 2


def test_out_of_stock_says_what_is_left(area, baker, now):
    bread = variant_of(baker, stock=2)
    place(area, [(bread, 1)], now=now)
    with pytest.raises(OutOfStock) as error:
        place(area, [(bread, 2)], now=now)
    assert error.value.available == 1
    assert Order.objects.count() == 1


def test_click_and_collect_only_where_the_shop_offers_it(area, baker, books, now):
    bread, novel = variant_of(baker), variant_of(books)
    type(books.shop).objects.filter(merchant=books).update(offers_click_and_collect=False)
    collect = FulfilmentChoice(kind=Fulfilment.CLICK_AND_COLLECT)
    order = place(area, [(bread, 1), (novel, 1)], now=now, fulfilment={baker.pk: collect})
    kinds = {part.merchant_id: part.fulfilment for part in order.parts.all()}
    assert kinds == {baker.pk: Fulfilment.CLICK_AND_COLLECT, books.pk: Fulfilment.PARCEL_POINT}
    with pytest.raises(FulfilmentNotOffered):
        place(area, [(novel, 1)], now=now, fulfilment=collect)


def test_bike_courier_zone_fee_slot_and_address(area, baker, books, now):
    zone = CourierZoneFactory(area=area, postcodes=["3811"], fee_cents=495)
    bread, novel = variant_of(baker), variant_of(books)
    slots = checkout.courier_slots(zone, now=now)
    assert slots[0][0].date() == (now + timedelta(days=1)).date()
    choice = FulfilmentChoice(
        kind=Fulfilment.BIKE_COURIER,
        street="Langestraat 5",
        postcode="3811 ab",
        city="Amersfoort",
        slot_starts_at=slots[1][0],
    )
    order = place(area, [(bread, 1), (novel, 1)], now=now, fulfilment=choice)
    assert order.delivery_cents == 2 * 495
    assert order.total_cents == order.goods_cents + 990
    part = order.parts.get(merchant=baker)
    assert (part.courier_zone, part.slot_starts_at, part.delivery_postcode) == (zone, slots[1][0], "3811 AB")
    with pytest.raises(NoCourierZone):
        place(
            area,
            [(bread, 1)],
            now=now,
            fulfilment=FulfilmentChoice(
                kind=Fulfilment.BIKE_COURIER,
                street="Dorpsweg 1",
                postcode="9999 ZZ",
                city="Elders",
                slot_starts_at=slots[0][0],
            ),
        )
    with pytest.raises(InvalidSlot):
        place(
            area,
            [(bread, 1)],
            now=now,
            fulfilment=FulfilmentChoice(
                kind=Fulfilment.BIKE_COURIER,
                street="Langestraat 5",
                postcode="3811AB",
                city="Amersfoort",
                slot_starts_at=now,
            ),
        )
