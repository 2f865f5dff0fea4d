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

import functools
import io
import re
import uuid
import warnings
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

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


#: The text fields whose length the database limits, with the model field that sets the limit.
PRODUCT_LENGTHS = ("title_nl", "title_en", "sku", "slug")
VARIANT_LENGTHS = ("label", "sku")


@functools.cache
def max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


@dataclass(frozen=True)
class Problem:
    """One rule a product breaks: at its `field` (a `ProductInput` field), or at the `field` of its variant number
    `variant` (a `VariantInput` field)."""

    field: str
    message: str
    variant: int | None = None


@dataclass
class Catalogue:
    """What a product's rules compare it with: the area's categories and, for each article number and web address
    of the merchant's, the products holding it. `around` reads only the rows one product's values touch (the form:
    three queries at most); the CSV import reads the whole catalogue once and puts each product of the file in it
    as it will be after the import (`add`), so one file is checked against itself and the shop together."""

    category_ids: set[int]
    skus: dict[str, set] = field(default_factory=dict)  # a product's article number → the products holding it
    slugs: dict[str, set] = field(default_factory=dict)
    variant_skus: dict[str, set] = field(default_factory=dict)  # a variant's article number → products

    def add(self, who, *, sku: str = "", slug: str = "", variant_skus=()) -> None:
        if sku:
            self.skus.setdefault(sku, set()).add(who)
        if slug:
            self.slugs.setdefault(slug, set()).add(who)
        for variant_sku in variant_skus:
            if variant_sku:
                self.variant_skus.setdefault(variant_sku, set()).add(who)

    @staticmethod
    def _others(table: dict[str, set], value: str, me) -> bool:
        return bool(table.get(value, set()) - {me})

    def article_number_taken(self, sku: str, me) -> bool:
        """Another product has this article number, as its own or as one of its variants'."""
        return self._others(self.skus, sku, me) or self._others(self.variant_skus, sku, me)

    def slug_taken(self, slug: str, me) -> bool:
        return self._others(self.slugs, slug, me)

    @classmethod
    def around(cls, merchant, data: ProductInput, *, product: Product | None = None) -> Catalogue:
        me = getattr(product, "pk", None)
        ids = set()
        if data.category_id:
            ids = set(
                Category.objects.filter(pk=data.category_id, area_id=merchant.area_id).values_list("pk", flat=True)
            )
        catalogue = cls(category_ids=ids)
        skus = {data.sku.strip(), *(variant.sku.strip() for variant in data.variants)} - {""}
        if skus or data.slug:
            others = Product.objects.filter(merchant=merchant).exclude(pk=me)
            for pk, sku, slug in others.filter(Q(sku__in=skus) | Q(slug=data.slug)).values_list("pk", "sku", "slug"):
                catalogue.add(pk, sku=sku, slug=slug)
        if skus:
            variants = Variant.objects.filter(product__merchant=merchant, sku__in=skus).exclude(product_id=me)
            for pk, sku in variants.values_list("product_id", "sku"):
                catalogue.add(pk, variant_skus=[sku])
        return catalogue


def _too_long(value: str, limit: int) -> str | None:
    if len(value) > limit and len(value.strip()) > limit:
        return _("This is %(length)s characters long: at most %(count)s fit.") % {
            "length": len(value.strip()),
            "count": limit,
        }
    return None


def product_problems(
    merchant, data: ProductInput, *, product: Product | None = None, catalogue: Catalogue | None = None, me=None
) -> list[Problem]:
    """Every rule one product breaks (empty: fine), the product's and each variant's. Shared by the form (through
    `validate_product`) and the CSV import, which passes the `catalogue` as the file leaves it and, for a product
    the file adds, `me` (how the catalogue knows it)."""
    catalogue = catalogue if catalogue is not None else Catalogue.around(merchant, data, product=product)
    me = product.pk if product is not None else me
    problems: list[Problem] = []

    def problem(name: str, message: str, variant: int | None = None) -> None:
        problems.append(Problem(name, message, variant))

    if not data.title_nl.strip():
        problem("title_nl", _("A product needs a Dutch title."))
    for name in PRODUCT_LENGTHS:
        if message := _too_long(getattr(data, name), max_length(Product, name)):
            problem(name, message)
    if not 1 <= data.price_cents <= MAX_PRICE_CENTS:
        problem("price_cents", _("The price must be between € 0,01 and € 100.000."))
    rates = vat_rates_for(merchant)
    if data.vat_rate_bps not in rates:
        problem(
            "vat_rate_bps",
            _("The VAT rate must be one of %(rates)s %%.") % {"rates": ", ".join(percent(rate) for rate in rates)},
        )
    if data.category_id and data.category_id not in catalogue.category_ids:
        problem("category", _("This category is not one of the shopping area's."))
    sku = data.sku.strip()
    if sku and catalogue.article_number_taken(sku, me):
        problem("sku", _("Another product of yours has this article number."))
    if data.slug:
        if slugify(data.slug) != data.slug:
            problem("slug", _("The web address may contain only lower-case letters, digits and hyphens."))
        elif catalogue.slug_taken(data.slug, me):
            problem("slug", _("Another product of yours has this web address."))
    labels = [variant.label.strip().lower() for variant in data.variants]
    if not data.variants:
        problem("variants", _("A product needs at least one variant."))
    elif len(data.variants) > MAX_VARIANTS:
        problem("variants", _("A product can have at most %(count)s variants.") % {"count": MAX_VARIANTS})
    elif len(set(labels)) != len(labels):
        problem("variants", _("Two variants have the same option name."))
    elif len(labels) > 1 and "" in labels:
        problem("variants", _("With more than one variant, each needs an option name (for example “M / blue”)."))
    seen_skus: set[str] = set()
    for n, variant in enumerate(data.variants):
        for name in VARIANT_LENGTHS:
            if message := _too_long(getattr(variant, name), max_length(Variant, name)):
                problem(name, message, n)
        if variant.price_cents is not None and not 1 <= variant.price_cents <= MAX_PRICE_CENTS:
            problem("price_cents", _("A variant's price must be between € 0,01 and € 100.000 (or empty)."), n)
        if variant.stock_on_hand < 0:
            problem("stock_on_hand", _("Stock cannot be negative."), n)
        variant_sku = variant.sku.strip()
        if not variant_sku:
            continue
        if variant_sku in seen_skus:
            problem("sku", _("Two variants of this product have this article number."), n)
        elif catalogue.article_number_taken(variant_sku, me):
            problem("sku", _("Another product of yours has this article number."), n)
        seen_skus.add(variant_sku)
    return problems


def validate_product(
    merchant, data: ProductInput, *, product: Product | None = None, catalogue: Catalogue | None = None
) -> dict[str, str]:
    """The business rules of one product, as {field: message} (empty: fine); a variant's problems under
    "variants", named by its option. The same rules as the CSV import's (`product_problems`)."""
    errors: dict[str, str] = {}
    for found in product_problems(merchant, data, product=product, catalogue=catalogue):
        if found.variant is None:
            errors.setdefault(found.field, found.message)
            continue
        label = data.variants[found.variant].label.strip()
        message = _("Option “%(option)s”: %(message)s") % {"option": label, "message": found.message}
        errors.setdefault("variants", message if label else found.message)
    return errors


def apply_product(product: Product, data: ProductInput) -> None:
    """Copy the input's values onto the product (not saved; the slug only when the input has one)."""
    product.title_nl = data.title_nl.strip()
    product.title_en = data.title_en.strip()
    product.description_nl = data.description_nl.strip()
    product.description_en = data.description_en.strip()
    product.sku = data.sku.strip()
    product.price_cents = data.price_cents
    product.vat_rate_bps = data.vat_rate_bps
    product.category_id = data.category_id
    product.is_active = data.is_active
    if data.slug:
        product.slug = data.slug


@transaction.atomic
def save_product(
    *, merchant, by, data: ProductInput, product: Product | None = None, request_key: uuid.UUID | None = None
) -> Product:
    """Create (product None) or edit a product and its variants. Raises InvalidProduct (`errors` by field),
    NotAllowed. A new product's `request_key` (the form's) makes a second submit of the same form return the
    product the first one created instead of a copy."""
    require_manage(by, merchant)
    earlier = Product.objects.filter(merchant=merchant, request_key=request_key)
    if product is None and request_key is not None and (first := earlier.first()):
        return first
    if product is not None:
        product = Product.objects.select_for_update().get(pk=product.pk, merchant=merchant)
    errors = validate_product(merchant, data, product=product)
    if errors:
        raise InvalidProduct(errors=errors)
    product = product or Product(merchant=merchant, request_key=request_key)
    apply_product(product, data)
    product.slug = product.slug or unique_slug(merchant, data.title_nl, exclude_pk=product.pk)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as error:  # two saves racing for one article number, address or form submission
        if product.pk is None and request_key is not None and (first := earlier.first()):
            return first  # the other submit of this form committed first: its product is the one
        raise InvalidProduct(_("Another product of yours has this article number or web address.")) from error
    save_variants(product, data.variants)
    return product


def apply_variant(variant: Variant, wanted: VariantInput, *, position: int) -> None:
    """Copy the input's values onto the variant (not saved). Stock: as counted (`stock_seen` None: a new variant
    or the import), else the person's change applied to the stock as it is now (a sale may have happened
    meanwhile)."""
    if variant.pk is None or wanted.stock_seen is None:
        variant.stock_on_hand = max(wanted.stock_on_hand, 0)
    else:
        variant.stock_on_hand = max(variant.stock_on_hand + wanted.stock_on_hand - wanted.stock_seen, 0)
    variant.label = wanted.label.strip()
    variant.sku = wanted.sku.strip()
    variant.price_cents = wanted.price_cents
    variant.position = position
    variant.is_active = wanted.is_active


def save_variants(product: Product, variants: list[VariantInput]) -> None:
    """Upsert the variants by id (or by option name), switch off the ones left out. Locks the product's variants
    in pk order, as checkout does, so stock changes never cross a reservation."""
    existing = {v.pk: v for v in Variant.objects.select_for_update().filter(product=product).order_by("pk")}
    by_label = {v.label.strip().lower(): v for v in existing.values()}
    kept: set[int] = set()
    for position, wanted in enumerate(variants):
        variant = existing.get(wanted.id) if wanted.id else None
        variant = variant or by_label.get(wanted.label.strip().lower()) or Variant(product=product)
        apply_variant(variant, wanted, position=position)
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
MAX_PHOTO_BYTES = 5 * 1024 * 1024
#: 50 megapixels (a phone's largest photos, 8000 × 6000): beyond it, decoding takes too much memory, and a small
#: file of a huge empty image (a "decompression bomb") is refused before it is decoded.
MAX_PHOTO_PIXELS = 50_000_000
#: the formats a photo may be in, by what the file is (not its name), with the extension it is stored under
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
#: the widths the pages choose from (`srcset`): a card or a phone, and a large screen; never wider than the original
RENDITION_WIDTHS = (400, 1200)


def _too_many_pixels() -> InvalidProduct:
    return InvalidProduct(
        _("The photo has more than 50 megapixels: make it smaller (8000 × 6000 pixels at most) and upload it again.")
    )


def open_photo(file) -> Image.Image:
    """The photo's header, read without decoding the picture: refuses what is not a JPEG, PNG or WebP photo
    (whatever the file is called) and anything over MAX_PHOTO_PIXELS. Raises InvalidProduct."""
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is lower; checked below
            image = Image.open(file)
    except Image.DecompressionBombError as error:  # so large that Pillow itself refuses to go on
        raise _too_many_pixels() from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise InvalidProduct(
            _("This file is not a photo, or it is damaged: upload a JPEG, PNG or WebP file.")
        ) from error
    if image.format not in PHOTO_FORMATS:
        raise InvalidProduct(
            _("This is a %(format)s file: upload a JPEG, PNG or WebP photo.") % {"format": image.format or "?"}
        )
    width, height = image.size
    if width * height > MAX_PHOTO_PIXELS:
        raise _too_many_pixels()
    return image


def _rgb(image: Image.Image) -> Image.Image:
    """The photo turned upright (its EXIF orientation) in RGB: CMYK converted, transparency on white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image.convert("RGB") if image.mode != "RGB" else image


def render_photo(image: Image.Image) -> tuple[tuple[int, int], dict[int, dict[str, bytes]]]:
    """The renditions of a checked photo: {width: {"webp": bytes, "jpeg": bytes}} for RENDITION_WIDTHS (the
    original's width instead of a larger one), and the upright original's size."""
    width, height = image.size
    if image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8):  # stored on its side
        width, height = height, width
    widest = max(RENDITION_WIDTHS)
    image.draft("RGB", (widest, widest))  # a large JPEG is decoded at 1/2, 1/4 or 1/8 scale, still ≥ what we make
    upright = _rgb(image)
    renditions: dict[int, dict[str, bytes]] = {}
    for wide in sorted({min(wide, upright.width) for wide in RENDITION_WIDTHS}):
        size = (wide, max(1, round(upright.height * wide / upright.width)))
        resized = upright if wide == upright.width else upright.resize(size, Image.Resampling.LANCZOS)
        webp, jpeg = io.BytesIO(), io.BytesIO()
        resized.save(webp, "WEBP", quality=80, method=4)
        resized.save(jpeg, "JPEG", quality=82, optimize=True, progressive=True)
        renditions[wide] = {"webp": webp.getvalue(), "jpeg": jpeg.getvalue()}
    return (width, height), renditions


def _save_renditions(name: str, renditions: dict[int, dict[str, bytes]], storage) -> dict[str, dict[str, str]]:
    stem = name.rsplit(".", 1)[0]
    return {
        str(width): {
            kind: storage.save(f"{stem}-{width}w.{'jpg' if kind == 'jpeg' else kind}", ContentFile(data))
            for kind, data in files.items()
        }
        for width, files in renditions.items()
    }


def add_photo(*, product: Product, by, image, alt_nl: str, alt_en: str = "") -> ProductImage:
    """Add a photo with its description for people who cannot see it. The file is checked for what it is
    (`open_photo`) and stored under its real format's extension, with its renditions (`render_photo`), which the
    pages show; the decoding and resizing happen before the product's row is locked."""
    require_manage(by, product.merchant)
    if not (alt_nl or "").strip():
        raise InvalidProduct(errors={"alt_nl": _("Describe the photo in Dutch for people who cannot see it.")})
    opened = open_photo(image)
    extension = PHOTO_FORMATS[opened.format]
    (width, height), renditions = render_photo(opened)
    image.seek(0)
    image.name = f"{(image.name or 'photo').rsplit('.', 1)[0][-50:]}.{extension}"
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        count = product.images.count()
        if count >= MAX_PHOTOS:
            raise InvalidProduct(_("A product can have at most %(count)s photos.") % {"count": MAX_PHOTOS})
        photo = ProductImage(
            product=product,
            image=image,
            width=width,
            height=height,
            alt_nl=alt_nl.strip()[:200],
            alt_en=(alt_en or "").strip()[:200],
            position=count,
        )
        photo.save()
        photo.renditions = _save_renditions(photo.image.name, renditions, photo.image.storage)
        photo.save(update_fields=["renditions"])
    return photo


def make_renditions(photo: ProductImage) -> bool:
    """Make the renditions of a photo stored without them (older rows), for every row sharing its file. A file
    that cannot be read or is over the limits is marked `{"refused": why}` (the pages leave it out); False then."""
    try:
        with photo.image.open("rb") as file:
            (width, height), renditions = render_photo(open_photo(file))
        values = {"width": width, "height": height}
        values["renditions"] = _save_renditions(photo.image.name, renditions, photo.image.storage)
    except (InvalidProduct, OSError) as error:
        values = {"renditions": {"refused": str(getattr(error, "message", error))}}
    ProductImage.objects.filter(image=photo.image.name).update(**values)
    return "refused" not in values["renditions"]


@transaction.atomic
def remove_photo(*, photo: ProductImage, by) -> None:
    """Remove a photo and, after the commit, its files (the renditions too) unless another row shares them."""
    require_manage(by, photo.product.merchant)
    storage, name = photo.image.storage, photo.image.name
    names = [name, *(file for files in (photo.renditions or {}).values() for file in files.values())]
    photo.delete()
    if not ProductImage.objects.filter(image=name).exists():  # the demo's photos are shared by many products
        transaction.on_commit(lambda: [storage.delete(file) for file in names])
