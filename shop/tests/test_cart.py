"""The cart: add (with what is left), change, remove, local boxes, one cart per member, merge at login."""

import pytest

from shop.exceptions import InvalidQuantity, OutOfStock, ProductNotAvailable
from shop.models import Cart, CartLine
from shop.services import cart as carts

from .factories import UserFactory, box_of, place, variant_of

pytestmark = pytest.mark.django_db


def test_add_change_and_remove(area, baker, now):
    bread = variant_of(baker, stock=4)
    cart = carts.cart_for(area=area)
    carts.add_to_cart(cart=cart, variant_id=bread.pk, quantity=1)
    line = carts.add_to_cart(cart=cart, variant_id=bread.pk, quantity=2)
    assert line.quantity == 3 and cart.lines.count() == 1
    place(area, [(bread, 2)], now=now)  # someone else holds 2 of the 4
    with pytest.raises(OutOfStock) as error:
        carts.set_quantity(cart=cart, line_id=line.pk, quantity=3)
    assert error.value.available == 2
    carts.set_quantity(cart=cart, line_id=line.pk, quantity=2)
    with pytest.raises(InvalidQuantity):
        carts.set_quantity(cart=cart, line_id=line.pk, quantity=100)
    carts.set_quantity(cart=cart, line_id=line.pk, quantity=0)
    assert not cart.lines.exists()


def test_products_of_a_shop_that_cannot_sell_or_inactive_cannot_be_added(area, baker):
    bread = variant_of(baker)
    type(baker.shop).objects.filter(merchant=baker).update(is_selling=False)
    with pytest.raises(ProductNotAvailable):
        carts.add_to_cart(cart=carts.cart_for(area=area), variant_id=bread.pk)


def test_a_local_box_adds_all_its_items(area, baker, books):
    bread, novel = variant_of(baker), variant_of(books)
    box = box_of(area, (bread, 2), (novel, 1))
    cart = carts.cart_for(area=area)
    carts.add_box_to_cart(cart=cart, box=box)
    assert dict(cart.lines.values_list("variant_id", "quantity")) == {bread.pk: 2, novel.pk: 1}
    assert set(cart.lines.values_list("box", flat=True)) == {box.pk}


def test_one_cart_per_member_and_the_anonymous_one_merges(area, baker, books):
    bread, novel = variant_of(baker, stock=200), variant_of(books)
    member = UserFactory()
    mine = carts.cart_for(area=area, user=member)
    assert carts.cart_for(area=area, user=member).pk == mine.pk
    carts.add_to_cart(cart=mine, variant_id=bread.pk, quantity=98)
    anonymous = carts.cart_for(area=area)
    carts.add_to_cart(cart=anonymous, variant_id=bread.pk, quantity=5)
    carts.add_to_cart(cart=anonymous, variant_id=novel.pk, quantity=1)
    merged = carts.merge_carts(area=area, user=member, token=anonymous.token)
    assert merged.pk == mine.pk
    assert dict(CartLine.objects.filter(cart=mine).values_list("variant_id", "quantity")) == {bread.pk: 99, novel.pk: 1}
    assert not Cart.objects.filter(pk=anonymous.pk).exists()
    assert carts.merge_carts(area=area, user=member, token=anonymous.token) is None  # again: nothing to merge
