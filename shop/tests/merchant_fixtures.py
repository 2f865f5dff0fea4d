"""Small builders for the merchant-side tests: a merchant's staff, a product, and a paid order with one part per
merchant written as checkout freezes it (VAT half up per line). Used until shop-buy's factories carry paid orders
in every state; kept small on purpose."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, give_totp
from shop.models import (
    Fulfilment,
    MerchantOrder,
    MerchantOrderStatus,
    MerchantShop,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Variant,
)


def staff_of(merchant, role=Role.MERCHANT_STAFF, *, totp: bool = True):
    user = StaffMembershipFactory(role=role, merchant=merchant).user
    if totp:
        give_totp(user)
    return user


def selling(merchant) -> MerchantShop:
    shop, _created = MerchantShop.objects.update_or_create(
        merchant=merchant,
        defaults={
            "is_selling": True,
            "stripe_account_id": f"acct_test_{merchant.pk}",
            "charges_enabled": True,
            "payouts_enabled": True,
        },
    )
    return shop


def product(merchant, *, title="Oude kaas", price_cents=895, vat_rate_bps=900, stock=10, **fields) -> Product:
    made = Product.objects.create(
        merchant=merchant,
        title_nl=title,
        slug=fields.pop("slug", None) or f"p-{uuid.uuid4().hex[:10]}",
        price_cents=price_cents,
        vat_rate_bps=vat_rate_bps,
        **fields,
    )
    Variant.objects.create(product=made, stock_on_hand=stock)
    return made


def vat_of(gross_cents: int, rate_bps: int) -> int:
    return int((Decimal(gross_cents) * rate_bps / (10_000 + rate_bps)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def paid_order(
    area,
    parts: dict,
    *,
    fulfilment=Fulfilment.CLICK_AND_COLLECT,
    status=MerchantOrderStatus.NEW,
    paid_at=None,
    commission_bps=800,
    pickup_code="K7M3QX",
    email="klant@example.org",
) -> Order:
    """An order paid by card: `parts` maps a merchant to its lines [(title, quantity, unit cents, vat bps)]."""
    order = Order.objects.create(
        area=area,
        request_key=uuid.uuid4(),
        status=OrderStatus.PAID,
        name="Sanne de Vries",
        email=email,
        paid_at=paid_at or timezone.now(),
    )
    goods = 0
    for merchant, lines in parts.items():
        part = MerchantOrder.objects.create(
            order=order,
            merchant=merchant,
            status=status,
            fulfilment=fulfilment,
            commission_bps=commission_bps,
            pickup_code=pickup_code if fulfilment == Fulfilment.CLICK_AND_COLLECT else "",
        )
        part_goods = 0
        for title, quantity, unit, rate in lines:
            gross = unit * quantity
            OrderLine.objects.create(
                part=part,
                title=title,
                quantity=quantity,
                unit_price_cents=unit,
                vat_rate_bps=rate,
                gross_cents=gross,
                vat_cents=vat_of(gross, rate),
            )
            part_goods += gross
        part.goods_cents = part_goods
        part.save(update_fields=["goods_cents"])
        goods += part_goods
    order.goods_cents = order.total_cents = goods
    order.save(update_fields=["goods_cents", "total_cents"])
    return order
