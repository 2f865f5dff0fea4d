"""A merchant's catalogue: products with their variants and photos, saved by the merchant's staff.

- `save_product` creates or edits a product and its variants in one transaction. Prices are incl. VAT in cents;
  the VAT rate must be one of the merchant's country's (`models.VAT_RATES`); the category must be of the
  merchant's area. A product always has at least one variant (a product without options has one with an empty
  label). A variant left out is switched off, never deleted: it may be in orders and carts.
- Stock typed in a form is applied as a *change* to the stock the form showed (`VariantInput.stock_seen`), under
  the variant's row lock: a sale that consumed stock while the form was open is not overwritten.
- `set_product_active`: products are switched off, never deleted (order lines keep their frozen copy anyway).
- `add_photo` / `remove_photo`: photos with alt text in both languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.permissions import can

from ..exceptions_merchant import InvalidProduct, NotAllowed
from ..models import VAT_RATES, Category, Product, ProductImage, Variant

MANAGE = "shop.manage_products"
MAX_VARIANTS = 50
MAX_PRICE_CENTS = 10_000_000  # € 100.000: beyond that it is a typo


def euros_to_cents(raw: str) -> int:
    """'12,50', '12.50', '€ 12', '12,5' → 1250. Raises ValueError for anything else (no thousands separators: '1.250'
    is too easily a typo for 12,50)."""
    value = re.sub(r"[\s\u00a0€]", "", str(raw or ""))
    if not re.fullmatch(r"\d{1,7}([.,]\d{1,2})?", value):
        raise ValueError(value)
    try:
        return int(Decimal(value.replace(",", ".")) * 100)
    except InvalidOperation as error:  # pragma: no cover - the pattern already refuses it
        raise ValueError(value) from error


def cents_to_euros(cents: int) -> str:
    """1250 → '12,50' (the form's and the CSV's way of writing an amount)."""
    return f"{Decimal(cents) / 100:.2f}".replace(".", ",")


def vat_rates_for(merchant) -> tuple[int, ...]:
    return VAT_RATES[merchant.area.country]


def percent(bps: int) -> str:
    """2100 → '21', 550 → '5,5' (a VAT rate as people write it)."""
    whole, rest = divmod(bps, 100)
    return f"{whole},{rest:02d}".rstrip("0") if rest else str(whole)


@dataclass
class VariantInput:
    label: str = ""
    sku: str = ""
    price_cents: int | None = None
    stock_on_hand: int = 0
    #: the stock the form showed (None: a new variant, or an import that sets the stock as counted)
    stock_seen: int | None = None
    is_active: bool = True
    id: int | None = None


@dataclass
class ProductInput:
    title_nl: str
    price_cents: int
    vat_rate_bps: int
    title_en: str = ""
    description_nl: str = ""
    description_en: str = ""
    sku: str = ""
    slug: str = ""
    category_id: int | None = None
    is_active: bool = True
    variants: list[VariantInput] = field(default_factory=lambda: [VariantInput()])


def require_manage(by, merchant) -> None:
    if not can(by, MANAGE, merchant):
        raise NotAllowed()


def unique_slug(merchant, title: str, *, taken: set[str] | None = None, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:70] or "product"
    existing = set(
        Product.objects.filter(merchant=merchant, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    ) | (taken or set())
    slug, n = base, 2
    while slug in existing:
        slug, n = f"{base}-{n}", n + 1
    return slug


def validate_product(merchant, data: ProductInput, *, product: Product | None = None) -> dict[str, str]:
    """The business rules of one product, as {field: message} (empty: fine). Shared with the CSV import."""
    errors: dict[str, str] = {}
    if not data.title_nl.strip():
        errors["title_nl"] = _("A product needs a Dutch title.")
    if not 1 <= data.price_cents <= MAX_PRICE_CENTS:
        errors["price_cents"] = _("The price must be between € 0,01 and € 100.000.")
    rates = vat_rates_for(merchant)
    if data.vat_rate_bps not in rates:
        errors["vat_rate_bps"] = _("The VAT rate must be one of %(rates)s %%.") % {
            "rates": ", ".join(percent(rate) for rate in rates)
        }
    if data.category_id and not Category.objects.filter(pk=data.category_id, area_id=merchant.area_id).exists():
        errors["category"] = _("This category is not one of the shopping area's.")
    if data.sku:
        clash = Product.objects.filter(merchant=merchant, sku=data.sku).exclude(pk=getattr(product, "pk", None))
        if clash.exists():
            errors["sku"] = _("Another product of yours has this article number.")
    if data.slug:
        if slugify(data.slug) != data.slug:
            errors["slug"] = _("The web address may contain only lower-case letters, digits and hyphens.")
        elif (
            Product.objects.filter(merchant=merchant, slug=data.slug).exclude(pk=getattr(product, "pk", None)).exists()
        ):
            errors["slug"] = _("Another product of yours has this web address.")
    labels = [variant.label.strip().lower() for variant in data.variants]
    if not data.variants:
        errors["variants"] = _("A product needs at least one variant.")
    elif len(data.variants) > MAX_VARIANTS:
        errors["variants"] = _("A product can have at most %(count)s variants.") % {"count": MAX_VARIANTS}
    elif len(set(labels)) != len(labels):
        errors["variants"] = _("Two variants have the same option name.")
    elif len(labels) > 1 and "" in labels:
        errors["variants"] = _("With more than one variant, each needs an option name (for example “M / blue”).")
    for variant in data.variants:
        if variant.price_cents is not None and not 1 <= variant.price_cents <= MAX_PRICE_CENTS:
            errors["variants"] = _("A variant's price must be between € 0,01 and € 100.000 (or empty).")
        if variant.stock_on_hand < 0:
            errors["variants"] = _("Stock cannot be negative.")
    return errors


@transaction.atomic
def save_product(*, merchant, by, data: ProductInput, product: Product | None = None) -> Product:
    """Create (product None) or edit a product and its variants. Raises InvalidProduct (`errors` by field),
    NotAllowed."""
    require_manage(by, merchant)
    if product is not None:
        product = Product.objects.select_for_update().get(pk=product.pk, merchant=merchant)
    errors = validate_product(merchant, data, product=product)
    if errors:
        raise InvalidProduct(errors=errors)
    product = product or Product(merchant=merchant)
    product.title_nl = data.title_nl.strip()
    product.title_en = data.title_en.strip()
    product.description_nl = data.description_nl.strip()
    product.description_en = data.description_en.strip()
    product.sku = data.sku.strip()
    product.price_cents = data.price_cents
    product.vat_rate_bps = data.vat_rate_bps
    product.category_id = data.category_id
    product.is_active = data.is_active
    product.slug = data.slug or product.slug or unique_slug(merchant, data.title_nl, exclude_pk=product.pk)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as error:  # two saves racing for one article number or address
        raise InvalidProduct(_("Another product of yours has this article number or web address.")) from error
    save_variants(product, data.variants)
    return product


def save_variants(product: Product, variants: list[VariantInput]) -> None:
    """Upsert the variants by id (or by option name), switch off the ones left out. Locks the product's variants
    in pk order, as checkout does, so stock changes never cross a reservation."""
    existing = {v.pk: v for v in Variant.objects.select_for_update().filter(product=product).order_by("pk")}
    by_label = {v.label.strip().lower(): v for v in existing.values()}
    kept: set[int] = set()
    for position, wanted in enumerate(variants):
        variant = existing.get(wanted.id) if wanted.id else None
        variant = variant or by_label.get(wanted.label.strip().lower())
        if variant is None:
            variant = Variant(product=product, stock_on_hand=max(wanted.stock_on_hand, 0))
        elif wanted.stock_seen is None:
            variant.stock_on_hand = max(wanted.stock_on_hand, 0)  # set as counted (import)
        else:
            # the change the person made, applied to the stock as it is now (a sale may have happened meanwhile)
            variant.stock_on_hand = max(variant.stock_on_hand + wanted.stock_on_hand - wanted.stock_seen, 0)
        variant.label = wanted.label.strip()
        variant.sku = wanted.sku.strip()
        variant.price_cents = wanted.price_cents
        variant.position = position
        variant.is_active = wanted.is_active
        variant.save()
        kept.add(variant.pk)
    gone = [pk for pk in existing if pk not in kept]
    if gone:
        Variant.objects.filter(pk__in=gone).update(is_active=False)


@transaction.atomic
def set_product_active(*, product: Product, by, is_active: bool) -> Product:
    """Switch a product off (it leaves the shop; orders and history keep it) or on again. Never deleted."""
    require_manage(by, product.merchant)
    Product.objects.filter(pk=product.pk).update(is_active=is_active)
    product.is_active = is_active
    return product


MAX_PHOTOS = 8


@transaction.atomic
def add_photo(*, product: Product, by, image, alt_nl: str, alt_en: str = "") -> ProductImage:
    """Add a photo (checked as an image by the form) with its description for people who cannot see it."""
    require_manage(by, product.merchant)
    product = Product.objects.select_for_update().get(pk=product.pk)
    count = product.images.count()
    if count >= MAX_PHOTOS:
        raise InvalidProduct(_("A product can have at most %(count)s photos.") % {"count": MAX_PHOTOS})
    if not (alt_nl or "").strip():
        raise InvalidProduct(errors={"alt_nl": _("Describe the photo in Dutch for people who cannot see it.")})
    return ProductImage.objects.create(
        product=product, image=image, alt_nl=alt_nl.strip()[:200], alt_en=(alt_en or "").strip()[:200], position=count
    )


@transaction.atomic
def remove_photo(*, photo: ProductImage, by) -> None:
    require_manage(by, photo.product.merchant)
    storage, name = photo.image.storage, photo.image.name
    photo.delete()
    transaction.on_commit(lambda: storage.delete(name))
