"""Checkout: a cart across merchants becomes one order with a part per merchant, frozen lines, reservations."""

import uuid
from datetime import timedelta

import pytest
from django.utils import translation

from shop.exceptions import (
    EmptyCart,
    FulfilmentNotOffered,
    InvalidSlot,
    MerchantCannotSell,
    NoCourierZone,
    OrderNotCancellable,
    OutOfStock,
)
from shop.models import Fulfilment, MerchantOrderStatus, Order, OrderStatus, Reservation, ReservationState
from shop.services import checkout, invariants, payments, stock
from shop.services.checkout import FulfilmentChoice
from shop.vat import vat_summary

from .factories import (
    CourierZoneFactory,
    MerchantShopFactory,
    SellingMerchantFactory,
    cart_with,
    contact,
    place,
    variant_of,
)
from .payment_helpers import order_with_payment, paid_with_card

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
    assert order.delivery_cents == 495  # one ride for both shops: one fee
    assert order.total_cents == order.goods_cents + 495
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


# --- One courier ride, one fee ---------------------------------------------------------------------------------


@pytest.fixture
def english():
    """The messages in English."""
    with translation.override("en"):
        yield


def courier_choice(slot_starts_at, *, street="Langestraat 5", postcode="3811 AB") -> FulfilmentChoice:
    return FulfilmentChoice(
        kind=Fulfilment.BIKE_COURIER, street=street, postcode=postcode, city="Amersfoort", slot_starts_at=slot_starts_at
    )


def test_one_courier_ride_for_three_shops_is_charged_once_and_shared_to_the_cent(area, baker, books, now, fake):
    zone = CourierZoneFactory(area=area, postcodes=["3811"], fee_cents=395)
    gifts = SellingMerchantFactory(area=area, trade_name="Cadeauwinkel Cor")
    items = [(variant_of(merchant, price_cents=1000), 1) for merchant in (baker, books, gifts)]
    slot = checkout.courier_slots(zone, now=now)[0][0]

    # the same address written twice differently is still one ride
    order = paid_with_card(
        fake,
        area,
        items,
        now=now,
        fulfilment={
            baker.pk: courier_choice(slot),
            books.pk: courier_choice(slot, street=" langestraat  5 ", postcode="3811ab"),
            gifts.pk: courier_choice(slot),
        },
    )

    assert order.delivery_cents == 395
    assert order.total_cents == 3000 + 395
    # equal goods: 131 each, the 2 cents left to the first parts (by shop name)
    shares = list(order.parts.order_by("merchant__trade_name").values_list("delivery_cents", flat=True))
    assert shares == [132, 132, 131]
    assert invariants.check_orders() == []  # payouts, commission and shares still add up to what was paid


def test_the_fee_is_shared_pro_rata_to_the_goods_and_only_over_the_courier_parts(area, baker, books, now):
    zone = CourierZoneFactory(area=area, postcodes=["3811"], fee_cents=395)
    third = SellingMerchantFactory(area=area, trade_name="Cadeauwinkel Cor")
    slot = checkout.courier_slots(zone, now=now)[0][0]
    order = place(
        area,
        [(variant_of(baker, price_cents=3000), 1), (variant_of(books, price_cents=1000), 1), (variant_of(third), 1)],
        now=now,
        fulfilment={baker.pk: courier_choice(slot), books.pk: courier_choice(slot)},  # the third: parcel point
    )
    shares = dict(order.parts.values_list("merchant_id", "delivery_cents"))
    assert shares == {baker.pk: 296, books.pk: 99, third.pk: 0}  # 296.25 and 98.75: the cent to the larger remainder
    assert order.delivery_cents == 395


def test_two_addresses_or_two_times_are_two_rides(area, baker, books, now):
    zone = CourierZoneFactory(area=area, postcodes=["3811"], fee_cents=395)
    first, second = (start for start, _end in checkout.courier_slots(zone, now=now)[:2])
    bread, novel = variant_of(baker), variant_of(books)
    by_time = place(
        area,
        [(bread, 1), (novel, 1)],
        now=now,
        fulfilment={baker.pk: courier_choice(first), books.pk: courier_choice(second)},
    )
    by_address = place(
        area,
        [(bread, 1), (novel, 1)],
        now=now,
        fulfilment={baker.pk: courier_choice(first), books.pk: courier_choice(first, street="Kortestraat 9")},
    )
    assert by_time.delivery_cents == by_address.delivery_cents == 2 * 395


def test_the_delivery_fee_carries_the_vat_of_the_goods_it_brings(area, baker, now):
    zone = CourierZoneFactory(area=area, postcodes=["3811"], fee_cents=395)
    candle = variant_of(baker, price_cents=3000, vat_rate_bps=2100)
    bread = variant_of(baker, price_cents=1000, vat_rate_bps=900)
    slot = checkout.courier_slots(zone, now=now)[0][0]
    order = place(area, [(candle, 1), (bread, 1)], now=now, fulfilment=courier_choice(slot))
    part = order.parts.get()

    rows = {row.rate_bps: (row.gross_cents, row.vat_cents) for row in vat_summary(part.lines.all(), delivery_cents=395)}

    # the fee split 3:1 like the goods (296 at 21 %, 99 at 9 %), its VAT per rate rounded half up
    assert rows == {2100: (3000 + 296, 521 + 51), 900: (1000 + 99, 83 + 8)}
    assert sum(gross for gross, _vat in rows.values()) == part.goods_cents + part.delivery_cents


def test_a_time_of_another_zone_is_refused_with_the_postcode(area, baker, now, english):
    CourierZoneFactory(area=area, name="Centrum", postcodes=["3811"], slots=[["10:00", "12:00"]])
    rand = CourierZoneFactory(area=area, name="Rand", postcodes=["3812"], slots=[["18:00", "21:00"]])
    evening = checkout.courier_slots(rand, now=now)[0][0]
    with pytest.raises(InvalidSlot) as error:
        place(area, [(variant_of(baker), 1)], now=now, fulfilment=courier_choice(evening, postcode="3811 ab"))
    assert error.value.message == "This delivery time is not available for postcode 3811 AB. Choose another time."


def test_a_refused_click_and_collect_names_the_shop(area, baker, books, now, english):
    type(books.shop).objects.filter(merchant=books).update(offers_click_and_collect=False)
    collect = FulfilmentChoice(kind=Fulfilment.CLICK_AND_COLLECT)
    with pytest.raises(FulfilmentNotOffered) as error:
        place(area, [(variant_of(baker), 1), (variant_of(books), 1)], now=now, fulfilment=collect)
    assert error.value.merchant == books
    assert error.value.message.startswith("Boekhandel Blad does not offer this way of delivery.")


# --- The total before ordering ---------------------------------------------------------------------------------


def test_the_quote_is_what_the_order_then_charges(area, baker, books, now):
    zone = CourierZoneFactory(area=area, postcodes=["3811"], fee_cents=395)
    bread, novel = variant_of(baker, price_cents=1250), variant_of(books, price_cents=2299)
    slot = checkout.courier_slots(zone, now=now)[0][0]
    choice = courier_choice(slot)

    quote = checkout.quote_order(area=area, goods_by_merchant={baker: 1250, books: 2299}, fulfilment=choice, now=now)
    order = place(area, [(bread, 1), (novel, 1)], now=now, fulfilment=choice)

    assert (quote.goods_cents, quote.delivery_cents, quote.rides) == (3549, 395, 1)
    assert quote.total_cents == order.total_cents == 3549 + 395


def test_the_quote_waits_for_a_postcode_and_names_one_the_courier_does_not_serve(area, baker, now, english):
    CourierZoneFactory(area=area, postcodes=["3811"], fee_cents=395)
    unknown = checkout.quote_order(
        area=area,
        goods_by_merchant={baker: 1250},
        fulfilment=FulfilmentChoice(kind=Fulfilment.BIKE_COURIER),
        now=now,
    )
    elsewhere = checkout.quote_order(
        area=area,
        goods_by_merchant={baker: 1250},
        fulfilment=FulfilmentChoice(kind=Fulfilment.BIKE_COURIER, postcode="9999 ZZ"),
        now=now,
    )
    assert (unknown.delivery_pending, unknown.delivery_cents, unknown.problems) == (True, 0, ())
    assert elsewhere.problems == ("The bike courier does not deliver to this postcode. Choose pickup instead.",)


# --- Cancelling an unpaid order --------------------------------------------------------------------------------


def test_the_shopper_cancels_an_unpaid_order_and_gets_stock_cart_and_payment_back(
    area, baker, now, fake, django_capture_on_commit_callbacks
):
    bread = variant_of(baker, stock=2)
    order = place(area, [(bread, 2)], now=now)
    payment = payments.start_payment(order=order)
    cart = cart_with(area, [])

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = checkout.cancel_unpaid_order(order=order, cart=cart, now=now)

    assert cancelled.status == OrderStatus.CANCELLED
    assert stock.available([bread])[bread.pk] == 2
    assert list(cart.lines.values_list("variant_id", "quantity")) == [(bread.pk, 2)]
    assert fake.retrieve_payment(payment.intent_id).status == "canceled"
    assert checkout.cancel_unpaid_order(order=cancelled, cart=cart).status == OrderStatus.CANCELLED  # twice: no-op
    assert cart.lines.get().quantity == 2


def test_a_paid_order_cannot_be_cancelled_by_the_shopper(area, baker, now, fake):
    order, payment = order_with_payment(area, [(variant_of(baker), 1)], now=now)
    fake.pay(payment.intent_id)  # paid in the browser; the webhook has not come yet
    with pytest.raises(OrderNotCancellable):
        checkout.cancel_unpaid_order(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # asking Stripe first found the payment
