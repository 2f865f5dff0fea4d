"""The demo seed's shop step: every retail merchant sells, every shop-type merchant has products with a photo, and
three months of orders in every state whose money adds up (shop-pay's invariant finds nothing); the bike courier's
zones and addresses are of the area's country, and an order's courier parts share one fee; the wipe removes it all."""

from collections import defaultdict
from datetime import date

import pytest
from django.db.models import Count

from areas import geo
from areas.demo import seed_demo, wipe_demo
from areas.models import Merchant
from privacy.default_purposes import ensure_default_purposes
from shop.demo import RETAIL_SECTORS
from shop.models import (
    CourierZone,
    Fulfilment,
    LocalBox,
    MerchantOrder,
    MerchantOrderStatus,
    MerchantShop,
    Order,
    OrderStatus,
    Product,
    ProductImage,
    Refund,
    ShopSettings,
    Transfer,
)
from shop.services.checkout import clean_postcode, courier_zone_for
from shop.services.invariants import check_orders
from shop.services.statements import merchant_statement

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


def test_the_small_demo_sells_in_every_state_and_its_money_adds_up(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ensure_default_purposes()
    ctx = seed_demo(seed=1, size="small", today=TODAY, only=["parcels", "shop"], log=lambda _line: None)

    retail = Merchant.objects.filter(area__in=ctx.areas.values(), sector__in=RETAIL_SECTORS, status="active")
    assert MerchantShop.objects.filter(merchant__in=retail, charges_enabled=True, payouts_enabled=True).count() == (
        retail.count()
    )
    assert set(MerchantShop.objects.values_list("stripe_account_id", flat=True)) == {
        f"acct_demo_{pk}" for pk in retail.values_list("pk", flat=True)
    }
    # every shop-type merchant has products, each with a photo described in both languages
    assert not retail.annotate(n=Count("products")).filter(n=0).exists()
    assert ProductImage.objects.count() == Product.objects.count()
    assert not ProductImage.objects.filter(alt_nl="").exists()
    assert len(set(ProductImage.objects.values_list("image", flat=True))) <= 9  # one drawing per category
    assert all(s.parcel_point_id for s in ShopSettings.objects.all())
    assert LocalBox.objects.count() == 3 * len(ctx.areas)

    # orders in every state, in a few months
    statuses = set(MerchantOrder.objects.values_list("status", flat=True))
    assert statuses >= {
        MerchantOrderStatus.NEW,
        MerchantOrderStatus.HANDED_OVER,
        MerchantOrderStatus.CANCELLED,
    }
    assert set(Order.objects.values_list("status", flat=True)) >= {OrderStatus.PAID, OrderStatus.COMPLETED}
    assert Order.objects.count() > 300
    assert Refund.objects.exists() and Transfer.objects.exists()
    # shop-pay's nightly invariant: charge = transfers + commission + refunds (+ held), to the cent
    assert check_orders() == []

    # a statement reconciles with its orders
    merchant = Transfer.objects.select_related("part__merchant__area").first().part.merchant
    statement = merchant_statement(merchant=merchant, first_day=date(2026, 9, 1), last_day=date(2026, 11, 30))
    assert statement.vat_gross_cents == statement.sales_cents - statement.refunded_cents  # goods + delivery − refunds

    # the bike courier: postcodes of the area's country (Mechelen's around Mechelen), addresses in their form
    rand = CourierZone.objects.get(area=ctx.areas["mechelen"], name="Rand")
    assert {"2801", "2811", "2812"} <= set(rand.postcodes) and "3812" not in rand.postcodes
    for zone in CourierZone.objects.select_related("area"):
        assert all(geo.lookup(zone.area.country, code) for code in zone.postcodes), zone.postcodes
    rides = defaultdict(list)
    for part in MerchantOrder.objects.filter(fulfilment=Fulfilment.BIKE_COURIER).select_related("order__area"):
        country = part.order.area.country
        assert clean_postcode(part.delivery_postcode, country=country) == part.delivery_postcode  # "2800", "3811 KN"
        assert courier_zone_for(part.order.area, part.delivery_postcode).pk == part.courier_zone_id
        rides[part.order_id].append(part)
    # an order's courier parts are one ride: one address and slot, the zone's fee once, shared over them
    assert any(len(parts) > 1 for parts in rides.values())
    for parts in rides.values():
        assert len({(p.courier_zone_id, p.delivery_street, p.delivery_postcode, p.slot_starts_at) for p in parts}) == 1
        assert sum(p.delivery_cents for p in parts) == parts[0].courier_zone.fee_cents

    wipe_demo(log=lambda _line: None)
    assert not Order.objects.exists() and not Product.objects.exists() and not MerchantShop.objects.exists()
