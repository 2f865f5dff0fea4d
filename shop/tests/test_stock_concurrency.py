"""Oversell is impossible: many checkouts of the last item at once make one order, and only it can be paid."""

import uuid

import pytest
from django.db import connection

from shop.exceptions import OutOfStock
from shop.models import Order, OrderStatus, Reservation, ReservationState, Variant
from shop.services import checkout, orders
from tests.concurrency import run_together

from .factories import cart_with, contact, shop_rules, variant_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("postgres_concurrency"),
]


def _checkout(cart, now):
    def call():
        try:
            return checkout.place_order(cart=cart, contact=contact(), request_key=uuid.uuid4(), now=now)
        finally:
            connection.close()

    return call


def test_fifty_parallel_checkouts_of_the_last_item_give_one_order_that_can_be_paid(area, now):
    shop_rules(area)
    from .factories import SellingMerchantFactory

    merchant = SellingMerchantFactory(area=area)
    last = variant_of(merchant, stock=1)
    carts = [cart_with(area, [(last, 1)]) for _ in range(50)]

    results = run_together([_checkout(cart, now) for cart in carts])

    placed = [result for result in results if isinstance(result, Order)]
    refused = [result for result in results if isinstance(result, OutOfStock)]
    assert len(placed) == 1, results
    assert len(refused) == 49, [r for r in results if not isinstance(r, (Order, OutOfStock))]
    assert all(error.available == 0 for error in refused)
    assert Reservation.objects.filter(state=ReservationState.ACTIVE).count() == 1
    paid = orders.mark_order_paid(order=placed[0], at=now)
    assert paid.status == OrderStatus.PAID
    assert Variant.objects.get(pk=last.pk).stock_on_hand == 0
    assert Order.objects.count() == 1


def test_a_double_clicked_checkout_makes_one_order(area, now):
    shop_rules(area)
    from .factories import SellingMerchantFactory

    merchant = SellingMerchantFactory(area=area)
    item = variant_of(merchant, stock=5)
    cart = cart_with(area, [(item, 1)])
    key = uuid.uuid4()

    def call():
        try:
            return checkout.place_order(cart=cart, contact=contact(), request_key=key, now=now)
        finally:
            connection.close()

    results = run_together([call] * 5)
    assert {result.pk for result in results} == {Order.objects.get().pk}
