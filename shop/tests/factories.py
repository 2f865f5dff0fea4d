"""Factories and helpers for the webshop's tests, shared by the three shop parts.

Catalogue rows are made directly (`SellingMerchantFactory`, `ProductFactory`, `VariantFactory`, ...); orders go
through the real services (`place`, `paid_order`), so a test's order looks like a real one: frozen lines with
VAT, reservations, parts per merchant.

    merchant = SellingMerchantFactory(area=area)            # a merchant whose MerchantShop can sell
    variant = VariantFactory(product__merchant=merchant, stock_on_hand=3, product__price_cents=1250)
    order = place(area, [(variant, 2)], user=member)         # a pending order (the cart is made for it)
    order = paid_order(area, [(variant, 1), (other, 2)])     # paid: reservations consumed, parts "new"
"""

from __future__ import annotations

import uuid
from datetime import datetime

import factory
from django.utils import timezone

from areas.tests.factories import MerchantFactory, ShoppingAreaFactory, UserFactory
from shop.models import (
    Cart,
    CartLine,
    Category,
    CourierZone,
    LocalBox,
    LocalBoxItem,
    MerchantShop,
    Order,
    Product,
    ShopSettings,
    Variant,
)


class MerchantShopFactory(factory.django.DjangoModelFactory):
    """A merchant's shop that can sell (selling, Stripe charges and payouts enabled)."""

    class Meta:
        model = MerchantShop
        django_get_or_create = ("merchant",)

    merchant = factory.SubFactory(MerchantFactory)
    is_selling = True
    charges_enabled = True
    payouts_enabled = True
    offers_click_and_collect = True
    stripe_account_id = factory.Sequence(lambda n: f"acct_test{n:08d}")


class SellingMerchantFactory(MerchantFactory):
    """A merchant with a MerchantShop that can sell (`shop__is_selling=False` etc. to change it)."""

    class Meta:
        skip_postgeneration_save = True

    shop = factory.RelatedFactory(MerchantShopFactory, factory_related_name="merchant")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    area = factory.SubFactory(ShoppingAreaFactory)
    slug = factory.Sequence(lambda n: f"categorie-{n}")
    name_nl = factory.Sequence(lambda n: f"Categorie {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """A product of a selling merchant, 21 % VAT, €12.50; with one variant unless `variants=False`."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    merchant = factory.SubFactory(SellingMerchantFactory)
    category = None
    slug = factory.Sequence(lambda n: f"product-{n}")
    title_nl = factory.Sequence(lambda n: f"Product {n}")
    title_en = factory.Sequence(lambda n: f"Product {n} (en)")
    description_nl = "Een mooi product uit de binnenstad."
    description_en = "A fine product from the town centre."
    price_cents = 1250
    vat_rate_bps = 2100


class VariantFactory(factory.django.DjangoModelFactory):
    """A variant (stock 10, the product's price) of a new product unless `product=` is given."""

    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    label = ""
    stock_on_hand = 10


def variant_of(merchant, *, stock: int = 10, price_cents: int = 1250, vat_rate_bps: int = 2100, **product) -> Variant:
    """A product of `merchant` with one variant (no options) holding `stock`."""
    item = ProductFactory(merchant=merchant, price_cents=price_cents, vat_rate_bps=vat_rate_bps, **product)
    return VariantFactory(product=item, stock_on_hand=stock)


class CourierZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourierZone

    area = factory.SubFactory(ShoppingAreaFactory)
    name = "Centrum"
    postcodes = ["3811", "3812"]
    fee_cents = 495
    slots = [["10:00", "12:00"], ["16:00", "18:00"]]


class LocalBoxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalBox

    area = factory.SubFactory(ShoppingAreaFactory)
    slug = factory.Sequence(lambda n: f"pakket-{n}")
    title_nl = factory.Sequence(lambda n: f"Lokaal pakket {n}")
    title_en = factory.Sequence(lambda n: f"Local box {n}")


def box_of(area, *items: tuple[Variant, int], **fields) -> LocalBox:
    box = LocalBoxFactory(area=area, **fields)
    for variant, quantity in items:
        LocalBoxItem.objects.create(box=box, variant=variant, quantity=quantity)
    return box


def shop_rules(area, *, parcel_point=None, **values) -> ShopSettings:
    """The area's ShopSettings with `values` changed (and a parcel point: pass one, else a new one is made)."""
    rules = ShopSettings.for_area(area)
    if parcel_point is None and rules.parcel_point_id is None:
        from parcels.tests.factories import ParcelPointFactory

        parcel_point = ParcelPointFactory(area=area)
    if parcel_point is not None:
        rules.parcel_point = parcel_point
    for name, value in values.items():
        setattr(rules, name, value)
    rules.save()
    return rules


def cart_with(area, items, *, user=None) -> Cart:
    """A cart in the area holding (variant, quantity) pairs (made directly: no stock checks)."""
    cart = (
        Cart.objects.create(area=area, user=user)
        if user is None
        else Cart.objects.get_or_create(area=area, user=user)[0]
    )
    for variant, quantity in items:
        CartLine.objects.update_or_create(cart=cart, variant=variant, defaults={"quantity": quantity})
    return cart


def contact(name: str = "Sanne de Vries", email: str = "sanne@example.org", language: str = "nl"):
    from shop.services.checkout import Contact

    return Contact(name=name, email=email, phone="0612345678", language=language)


def place(area, items, *, user=None, now: datetime | None = None, request_key=None, **options) -> Order:
    """Check out a new cart of (variant, quantity) pairs through `checkout.place_order` (the area gets a parcel
    point if it has none). `options`: fulfilment, gift_card, voucher_code, contact."""
    from shop.services import checkout

    if ShopSettings.for_area(area).parcel_point_id is None:
        shop_rules(area)
    cart = cart_with(area, items, user=user)
    return checkout.place_order(
        cart=cart,
        contact=options.pop("contact", None) or contact(email=getattr(user, "email", "") or "sanne@example.org"),
        request_key=request_key or uuid.uuid4(),
        user=user,
        now=now or timezone.now(),
        **options,
    )


def paid_order(area, items, *, user=None, now: datetime | None = None, **options) -> Order:
    """A placed order, marked paid (as the webhook would)."""
    from shop.services import orders

    now = now or timezone.now()
    order = place(area, items, user=user, now=now, **options)
    return orders.mark_order_paid(order=order, at=now)


__all__ = [
    "CategoryFactory",
    "CourierZoneFactory",
    "LocalBoxFactory",
    "MerchantShopFactory",
    "ProductFactory",
    "SellingMerchantFactory",
    "UserFactory",
    "VariantFactory",
    "box_of",
    "cart_with",
    "contact",
    "paid_order",
    "place",
    "shop_rules",
    "variant_of",
]
