"""The shopper's reads take a fixed number of queries, however many products, merchants and lines (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop import selectors

from .factories import (
    CategoryFactory,
    ProductFactory,
    SellingMerchantFactory,
    UserFactory,
    VariantFactory,
    cart_with,
    paid_order,
)

pytestmark = pytest.mark.django_db


def _grow(area, category, n: int):
    variants = []
    for _ in range(n):
        merchant = SellingMerchantFactory(area=area)
        for _ in range(2):
            product = ProductFactory(merchant=merchant, category=category)
            variants.append(VariantFactory(product=product, label="S"))
            VariantFactory(product=product, label="M")
    return variants


def _count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


@pytest.mark.parametrize(
    "read",
    [
        "home",
        "category",
        "merchant",
        "search",
        "cart",
        "order",
        "my_orders",
    ],
)
def test_reads_do_not_grow_with_the_data(area, rules, now, read):
    category = CategoryFactory(area=area, slug="alles")
    counts = []
    member = UserFactory()
    for n in (1, 4):
        variants = _grow(area, category, n)
        merchant = variants[0].product.merchant
        cart = cart_with(area, [(variant, 1) for variant in variants])
        order = paid_order(area, [(variant, 1) for variant in variants[:n]], now=now, user=member)
        calls = {
            "home": lambda: (selectors.shop_home(area), list(selectors.sellable_products(area)[:12])),
            "category": lambda: list(selectors.products_in_category(area, "alles")[1]),
            "merchant": lambda m=merchant: selectors.products_of_merchant(m, limit=8),
            "search": lambda: selectors.search_products(area, "Product"),
            "cart": lambda c=cart: selectors.cart_summary(c),
            "order": lambda o=order: [list(p.lines.all()) for p in selectors.order_detail(o.public_id).part_list],
            "my_orders": lambda: [list(x.parts.all()) for x in selectors.orders_of(member, area)],
        }
        counts.append(_count(calls[read]))
    assert counts[0] == counts[1], counts
    pinned = {"home": 6, "category": 4, "merchant": 3, "search": 3, "cart": 2, "order": 3, "my_orders": 2}
    assert counts[1] == pinned[read], counts
