"""Reads of the merchant side: a merchant's products, their order queue and a part with its lines.

Every read here is narrowed to one merchant: a merchant's staff see their own part of an order (its lines, its
fulfilment, the customer's name and contact for the handover) and never another merchant's part of it.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from .models import MerchantOrder, MerchantOrderStatus, OrderLine, Product, ProductImage, Variant

#: The queue's tabs, in the order of the work.
QUEUE_STATUSES = (
    MerchantOrderStatus.NEW,
    MerchantOrderStatus.ACCEPTED,
    MerchantOrderStatus.READY,
    MerchantOrderStatus.HANDED_OVER,
    MerchantOrderStatus.CANCELLED,
)
QUEUE_PAGE = 100


def list_products(*, merchant, query: str = "", active: bool | None = None) -> QuerySet[Product]:
    """The merchant's products with their stock summed over active variants (one query)."""
    products = (
        Product.objects.filter(merchant=merchant)
        .select_related("category")
        .annotate(
            stock=Sum("variants__stock_on_hand", filter=Q(variants__is_active=True)),
            variant_count=Count("variants", filter=Q(variants__is_active=True)),
        )
        .order_by("title_nl", "pk")
    )
    if query:
        products = products.filter(Q(title_nl__icontains=query) | Q(title_en__icontains=query) | Q(sku__iexact=query))
    if active is not None:
        products = products.filter(is_active=active)
    return products


def get_product(*, merchant, pk: int) -> Product | None:
    return (
        Product.objects.filter(merchant=merchant, pk=pk)
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("-is_active", "position", "pk")),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "pk")),
        )
        .first()
    )


def products_for_export(*, merchant) -> QuerySet[Product]:
    return (
        Product.objects.filter(merchant=merchant)
        .select_related("category")
        .prefetch_related(Prefetch("variants", queryset=Variant.objects.order_by("position", "pk")))
        .order_by("pk")
    )


def queue_counts(*, merchant) -> dict[str, int]:
    counts = dict(
        MerchantOrder.objects.filter(merchant=merchant, status__in=QUEUE_STATUSES)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in QUEUE_STATUSES}


def order_queue(*, merchant, status: str) -> QuerySet[MerchantOrder]:
    """The merchant's parts in one step of the queue, oldest first (the work waiting longest on top), the lines
    counted in the same query."""
    parts = (
        MerchantOrder.objects.filter(merchant=merchant, status=status)
        .select_related("order", "courier_zone")
        .annotate(line_count=Count("lines"), item_count=Sum("lines__quantity"))
    )
    if status in (MerchantOrderStatus.HANDED_OVER, MerchantOrderStatus.CANCELLED):
        return parts.order_by("-order__paid_at", "-pk")
    return parts.order_by("order__paid_at", "pk")


def get_part(*, merchant, pk: int) -> MerchantOrder | None:
    """One part of the merchant's with its own lines only."""
    return (
        MerchantOrder.objects.filter(merchant=merchant, pk=pk)
        .exclude(status=MerchantOrderStatus.PENDING)
        .select_related("order", "courier_zone", "merchant", "merchant__area")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
        .first()
    )


def parts_for_pick_list(*, merchant, ids: list[int]) -> list[MerchantOrder]:
    return list(
        MerchantOrder.objects.filter(merchant=merchant, pk__in=ids)
        .exclude(status=MerchantOrderStatus.PENDING)
        .select_related("order", "courier_zone", "merchant", "merchant__area")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
        .order_by("order__paid_at", "pk")
    )
