"""Reads of the shopper's side of the webshop. Each returns what a page needs in a fixed number of queries
(`select_related`/`prefetch_related`; pinned in `tests/test_shop_query_counts.py`), scoped to one area.

- catalogue: `sellable_products`, `categories`, `selling_merchants`, `local_boxes`, `shop_home`,
  `products_in_category`, `products_of_merchant` (also for the CMS's merchant page), `search_products`,
  `product_page`, `local_box`
- cart: `cart_summary` (lines grouped per merchant, totals per merchant and in all, stock left)
- orders: `order_for_customer` (account or signed token), `order_token`, `orders_of`, `order_detail`,
  `unpaid_orders` (the cart's "you have an unpaid order"), `payment_deadline`, `unpaid_order_refs` (loyalty's pass
  shows their gift-card value as reserved)
- analytics (read-only, no personal data): `paid_order_parts`, `voucher_orders`
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from areas.models import MerchantStatus

from .models import (
    Cart,
    Category,
    LocalBox,
    LocalBoxItem,
    MerchantOrder,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductImage,
    RefundLine,
    Reservation,
    ReservationState,
    Variant,
)
from .services import stock
from .services.checkout import courier_slots, courier_zone_for  # noqa: F401  (re-exported for the views)
from .vat import vat_summary

SEARCH_CONFIG = "dutch"
PAGE_SIZE = 24


# --- Catalogue -------------------------------------------------------------------------------------------------


def _selling(prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}merchant__status": MerchantStatus.ACTIVE,
            f"{prefix}merchant__shop__is_selling": True,
            f"{prefix}merchant__shop__charges_enabled": True,
            f"{prefix}merchant__shop__payouts_enabled": True,
        }
    )


def _is_sold_out() -> Exists:
    """No active variant of the product has anything left: `stock.available` (on hand − held by ACTIVE
    reservations) in SQL, so a list's "Sold out" badges cost no query of their own."""
    held = (
        Reservation.objects.filter(variant=OuterRef("pk"), state=ReservationState.ACTIVE)
        .order_by()
        .values("variant")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    left = Variant.objects.filter(
        product=OuterRef("pk"),
        is_active=True,
        stock_on_hand__gt=Coalesce(Subquery(held, output_field=IntegerField()), 0),
    )
    return ~Exists(left)


def _with_cards(products: QuerySet) -> QuerySet:
    """What a product card shows: merchant, category, active variants, the first photo, `is_sold_out` (3 queries
    in all)."""
    return (
        products.select_related("merchant", "category")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.filter(is_active=True).order_by("position", "pk")),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "pk")),
        )
        .annotate(is_sold_out=_is_sold_out())
    )


def sellable_products(area) -> QuerySet:
    """Active products of the area's merchants that can sell now, with what a product card needs."""
    return _with_cards(Product.objects.filter(_selling(), merchant__area=area, is_active=True)).order_by(
        "title_nl", "pk"
    )


def categories(area) -> list[Category]:
    """The area's categories with at least one sellable product, with the count."""
    return list(
        Category.objects.filter(area=area)
        .annotate(
            product_count=Count("products", filter=Q(products__is_active=True) & _selling("products__"), distinct=True)
        )
        .filter(product_count__gt=0)
        .order_by("position", "name_nl")
    )


def selling_merchants(area) -> list:
    from areas.models import Merchant

    return list(
        Merchant.objects.filter(area=area, status=MerchantStatus.ACTIVE, shop__is_selling=True)
        .filter(shop__charges_enabled=True, shop__payouts_enabled=True)
        .annotate(product_count=Count("products", filter=Q(products__is_active=True)))
        .filter(product_count__gt=0)
        .order_by("trade_name")
    )


def local_boxes(area) -> list[LocalBox]:
    return list(LocalBox.objects.filter(area=area, is_active=True).order_by("title_nl"))


def shop_home(area) -> dict:
    """The shop's front page: categories, merchants, local boxes (3 queries)."""
    return {"categories": categories(area), "merchants": selling_merchants(area), "boxes": local_boxes(area)}


def products_in_category(area, slug: str) -> tuple[Category | None, QuerySet]:
    category = Category.objects.filter(area=area, slug=slug).first()
    if category is None:
        return None, Product.objects.none()
    return category, sellable_products(area).filter(category=category)


def merchant_products(merchant) -> QuerySet:
    """A selling merchant's active products, newest first (none when the merchant does not sell online)."""
    return _with_cards(
        Product.objects.filter(_selling(), merchant=merchant, is_active=True).order_by("-created_at", "pk")
    )


def products_of_merchant(merchant, limit: int | None = None) -> list[Product]:
    """`merchant_products` as a list, for the CMS's merchant page; 3 queries."""
    products = merchant_products(merchant)
    return list(products[:limit] if limit else products)


def page_of(products: QuerySet, number) -> Page:
    """One page of PAGE_SIZE products: the first for a missing or malformed number, the last past the end. Two
    queries for the products (the count, the page) and the card prefetches."""
    return Paginator(products, PAGE_SIZE).get_page(number)


def search_products(area, query: str, limit: int = 48) -> list[Product]:
    """Products matching the words: PostgreSQL full-text search ('dutch' configuration, titles weighing more
    than descriptions, ranked), on SQLite every word in the title or description (icontains)."""
    words = [word for word in (query or "").split() if word][:8]
    if not words:
        return []
    products = sellable_products(area)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title_nl", "title_en", weight="A", config=SEARCH_CONFIG) + SearchVector(
            "description_nl", "description_en", weight="B", config=SEARCH_CONFIG
        )
        search = SearchQuery(" ".join(words), config=SEARCH_CONFIG, search_type="plain")
        products = (
            products.annotate(search=vector, rank=SearchRank(vector, search))
            .filter(search=search)
            .order_by("-rank", "title_nl", "pk")
        )
    else:
        for word in words:
            products = products.filter(
                Q(title_nl__icontains=word)
                | Q(title_en__icontains=word)
                | Q(description_nl__icontains=word)
                | Q(description_en__icontains=word)
            )
    return list(products[:limit])


@dataclass
class ProductPage:
    product: Product
    variants: list[Variant]
    available: dict[int, int]
    vat_rate_bps: int


def product_page(area, merchant_slug: str, product_slug: str) -> ProductPage | None:
    product = (
        _with_cards(Product.objects.filter(_selling(), merchant__area=area, is_active=True))
        .filter(merchant__slug=merchant_slug, slug=product_slug)
        .first()
    )
    if product is None:
        return None
    variants = list(product.variants.all())
    for variant in variants:
        variant.product = product  # the price falls back to the product's: no query per variant
    return ProductPage(product, variants, stock.available(variants), product.vat_rate_bps)


def local_box(area, slug: str) -> tuple[LocalBox | None, list[LocalBoxItem], int, bool]:
    """The box, its items (variant, product, merchant), its price and whether all of it is available."""
    box = LocalBox.objects.filter(area=area, slug=slug, is_active=True).first()
    if box is None:
        return None, [], 0, False
    items = list(box.items.select_related("variant__product__merchant__shop").order_by("pk"))
    left = stock.available([item.variant for item in items])
    price = sum(item.variant.unit_price_cents * item.quantity for item in items)
    available = all(
        item.variant.is_active
        and item.variant.product.is_active
        and getattr(item.variant.product.merchant, "shop", None) is not None
        and item.variant.product.merchant.shop.can_sell
        and left.get(item.variant_id, 0) >= item.quantity
        for item in items
    )
    return box, items, price, bool(items) and available


# --- Cart ------------------------------------------------------------------------------------------------------


@dataclass
class CartPart:
    merchant: object
    lines: list = field(default_factory=list)
    goods_cents: int = 0
    can_sell: bool = True
    offers_click_and_collect: bool = True


@dataclass
class CartSummary:
    parts: list[CartPart]
    goods_cents: int
    count: int
    problems: list[str]

    @property
    def is_empty(self) -> bool:
        return not self.parts


def cart_summary(cart: Cart | None) -> CartSummary:
    """The cart's lines grouped per merchant, with totals and what is wrong (sold out, shop not selling): 3 queries."""
    from django.utils.translation import gettext as _

    if cart is None or cart.pk is None:
        return CartSummary([], 0, 0, [])
    lines = list(
        cart.lines.select_related("variant__product__merchant__shop", "box").order_by(
            "variant__product__merchant__trade_name", "pk"
        )
    )
    left = stock.available([line.variant for line in lines])
    parts: dict[int, CartPart] = {}
    problems = []
    for line in lines:
        variant, product = line.variant, line.variant.product
        merchant = product.merchant
        shop = getattr(merchant, "shop", None)
        part = parts.setdefault(
            merchant.pk,
            CartPart(
                merchant,
                can_sell=bool(shop and shop.can_sell and merchant.status == MerchantStatus.ACTIVE),
                offers_click_and_collect=bool(shop and shop.offers_click_and_collect),
            ),
        )
        line.unit_price_cents = variant.unit_price_cents
        line.gross_cents = line.unit_price_cents * line.quantity
        line.available = left.get(variant.pk, 0)
        line.is_short = line.quantity > line.available or not (variant.is_active and product.is_active)
        if line.is_short:
            problems.append(_("Not enough of “%(item)s” in stock.") % {"item": variant})
        part.lines.append(line)
        part.goods_cents += line.gross_cents
    for part in parts.values():
        if not part.can_sell:
            problems.append(_("%(shop)s does not sell online at the moment.") % {"shop": part.merchant.trade_name})
    ordered = list(parts.values())
    return CartSummary(
        ordered, sum(p.goods_cents for p in ordered), sum(line.quantity for p in ordered for line in p.lines), problems
    )


def cart_count(cart: Cart | None) -> int:
    if cart is None:
        return 0
    return sum(cart.lines.values_list("quantity", flat=True))


# --- Orders ----------------------------------------------------------------------------------------------------

_TOKEN_SALT = "shop.order"


def order_token(order: Order) -> str:
    """A signed token for the order's page (the e-mail's link): works without an account, for this order only."""
    return signing.dumps(order.public_id, salt=_TOKEN_SALT, compress=False)


def _token_allows(order: Order, token: str | None) -> bool:
    if not token:
        return False
    try:
        public_id = signing.loads(
            token, salt=_TOKEN_SALT, max_age=getattr(settings, "SHOP_ORDER_LINK_DAYS", 400) * 86400
        )
    except signing.BadSignature:
        return False
    return public_id == order.public_id


def order_detail(public_id: str, area=None) -> Order | None:
    """The order with parts, lines and payment (4 queries)."""
    orders = Order.objects.select_related("area")
    if area is not None:
        orders = orders.filter(area=area)
    order = orders.filter(public_id=public_id).first()
    if order is None:
        return None
    parts = list(
        MerchantOrder.objects.filter(order=order)
        .select_related("merchant", "courier_zone")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
        .order_by("merchant__trade_name")
    )
    for part in parts:
        part.order = order
        part.vat = vat_summary(part.lines.all(), delivery_cents=part.delivery_cents)
    order.part_list = parts
    return order


def order_for_customer(public_id: str, *, user=None, token: str | None = None, area=None) -> Order | None:
    """The order if the one asking may see it: its customer's account, or the signed token of its e-mail.
    None otherwise (the view answers 404: nobody learns that the number exists)."""
    order = order_detail(public_id, area=area)
    if order is None:
        return None
    own = user is not None and getattr(user, "is_authenticated", False) and order.user_id == user.pk
    if own or _token_allows(order, token):
        return order
    return None


def orders_of(user, area=None) -> list[Order]:
    """The member's orders, newest first, with their parts (2 queries)."""
    if not getattr(user, "is_authenticated", False):
        return []
    orders = Order.objects.filter(user=user).select_related("area")
    if area is not None:
        orders = orders.filter(area=area)
    return list(
        orders.prefetch_related(Prefetch("parts", queryset=MerchantOrder.objects.select_related("merchant"))).order_by(
            "-created_at"
        )[:100]
    )


def unpaid_orders(area, *, user=None, public_ids=()) -> list[Order]:
    """The visitor's orders in the area still waiting for their payment, newest first: the member's own, and those
    placed in this browser (`public_ids`: a guest's, kept in the session). One query."""
    wanted = Q(public_id__in=list(public_ids)[-20:])
    if getattr(user, "is_authenticated", False):
        wanted |= Q(user=user)
    return list(Order.objects.filter(wanted, area=area, status=OrderStatus.PENDING).order_by("-created_at")[:5])


def payment_deadline(order: Order):
    """Until when the order's stock is held for its payment (the latest reservation), or None. An order not paid by
    then is cancelled by the expiry job (`orders.expire_unpaid`)."""
    return order.reservations.aggregate(until=Max("expires_at"))["until"]


def unpaid_order_refs(member_pass) -> list[str]:
    """The numbers of the member's unpaid orders in the pass's area that took gift-card value: loyalty's pass shows
    that value as reserved for them, not spent (registered with `loyalty.selectors.register_gift_card_holder`)."""
    return list(
        Order.objects.filter(
            user_id=member_pass.member_id,
            area_id=member_pass.area_id,
            status=OrderStatus.PENDING,
            gift_card_cents__gt=0,
        ).values_list("public_id", flat=True)
    )


def line_counts(order: Order) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for part in getattr(order, "part_list", []):
        counts[part.pk] = sum(line.quantity for line in part.lines.all())
    return counts


# --- Analytics (read-only) -------------------------------------------------------------------------------------


def paid_order_parts(*, area, start, end) -> list[tuple]:
    """The merchants' parts of the area's webshop orders paid in [start, end), for analytics: rows of (customer's
    pseudonym or None for a guest, order id, merchant id, paid_at, goods in cents after refunds, fulfilment),
    oldest first. Goods are the part's goods less the goods refunded on it (delivery fees are not goods); an
    order cancelled after payment has refunded all of them. No names, e-mails or addresses. One query."""
    refunded = (
        RefundLine.objects.filter(refund__part=OuterRef("pk"))
        .order_by()
        .values("refund__part")
        .annotate(total=Sum("amount_cents"))
        .values("total")
    )
    return list(
        MerchantOrder.objects.filter(
            order__area=area, order__paid_at__isnull=False, order__paid_at__gte=start, order__paid_at__lt=end
        )
        .annotate(
            pseudonym=F("order__user__pseudonym"),
            refunded=Coalesce(Subquery(refunded, output_field=IntegerField()), 0),
        )
        .annotate(goods_left=F("goods_cents") - F("refunded"))
        .order_by("order__paid_at", "order_id", "merchant_id")
        .values_list("pseudonym", "order_id", "merchant_id", "order__paid_at", "goods_left", "fulfilment")
    )


def voucher_orders(*, area, public_ids) -> list[tuple]:
    """The area's paid orders among `public_ids` (order numbers loyalty recorded as online voucher redemptions),
    for analytics: rows of (order number, customer's pseudonym or None, what the voucher paid in cents). An
    order that was never paid (it expired or was cancelled unpaid: the voucher came back) is left out. One
    query."""
    public_ids = list(public_ids)
    if not public_ids:
        return []
    return list(
        Order.objects.filter(area=area, public_id__in=public_ids, paid_at__isnull=False)
        .order_by("pk")
        .values_list("public_id", "user__pseudonym", "voucher_cents")
    )
