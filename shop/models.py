"""The collective webshop: one cart across the town's shops, one payment, a part per merchant.

- Catalogue: `Category` per area, `Product` per merchant (Dutch and English text, price incl. VAT
  in cents, VAT rate in basis points), at least one `Variant` per product (the stock lives on the
  variant; a product without options has one variant with an empty label), `ProductImage`,
  and `LocalBox`: a bundle of variants from several merchants composed by the collective.
- `Cart` (anonymous by token, or a member's) with `CartLine`s.
- Checkout turns a cart into an `Order` (what the customer pays, one PaymentIntent) with one
  `MerchantOrder` per merchant (fulfilled and paid out on its own) and frozen `OrderLine`s.
  `Reservation`s hold stock from checkout until payment or until they lapse.
- Money: `Payment` (the order's PaymentIntent), `Refund` (+ `RefundLine`), `Transfer` (a merchant's
  payout for a handed-over part, minus commission), `TransferReversal` (after a later refund).
  Every row that stands for a Stripe call carries the idempotency key derived from our own ids.
- `WebhookEvent`: the inbox, keyed by Stripe's event id; a delivered event is stored once and
  applied once.
- `MerchantShop`: a merchant's selling settings and Stripe Connect account; `ShopSettings`: an
  area's commission, reservation time and courier zones (`CourierZone`).

Money is integer cents everywhere; VAT rates are basis points (2100 = 21 %).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agora.languages import in_page_language

# VAT rates a merchant may choose, per country, in basis points (21 % = 2100).
VAT_RATES = {
    "NL": (2100, 900, 0),
    "BE": (2100, 1200, 600, 0),
}
ALL_VAT_RATES = sorted({rate for rates in VAT_RATES.values() for rate in rates}, reverse=True)


def new_public_id() -> str:
    """An order number a person can read out: 10 characters without 0/O/1/I."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class ShopSettings(models.Model):
    """An area's webshop rules. Created with the defaults on first use (`for_area`)."""

    area = models.OneToOneField(
        "areas.ShoppingArea",
        verbose_name=_("shopping area"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="shop_settings",
    )
    is_open = models.BooleanField(_("shop open"), default=True)
    commission_bps = models.PositiveIntegerField(
        _("commission (basis points)"),
        default=800,
        validators=[MaxValueValidator(5000)],
        help_text=_("The collective's share of each merchant's sales; 800 = 8 %."),
    )
    reservation_minutes = models.PositiveSmallIntegerField(
        _("stock reserved at checkout for (minutes)"), default=15, validators=[MinValueValidator(5)]
    )
    parcel_point = models.ForeignKey(
        "parcels.ParcelPoint",
        verbose_name=_("parcel point for pickups"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("shop settings")
        verbose_name_plural = _("shop settings")

    def __str__(self) -> str:
        return str(self.area)

    @classmethod
    def for_area(cls, area) -> ShopSettings:
        found, _created = cls.objects.get_or_create(area=area)
        return found


class MerchantShop(models.Model):
    """A merchant's place in the webshop: selling on or off, and their Stripe Connect account."""

    merchant = models.OneToOneField(
        "areas.Merchant",
        verbose_name=_("merchant"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="shop",
    )
    is_selling = models.BooleanField(_("selling online"), default=False)
    offers_click_and_collect = models.BooleanField(_("click and collect at the shop"), default=True)
    stripe_account_id = models.CharField(_("Stripe account"), max_length=64, blank=True)
    charges_enabled = models.BooleanField(_("charges enabled"), default=False)
    payouts_enabled = models.BooleanField(_("payouts enabled"), default=False)
    commission_bps = models.PositiveIntegerField(
        _("commission (basis points)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(5000)],
        help_text=_("Empty: the area's commission."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_path = "merchant__area"
    scope_merchant_path = "merchant"

    class Meta:
        verbose_name = _("merchant shop")
        verbose_name_plural = _("merchant shops")

    def __str__(self) -> str:
        return str(self.merchant)

    @property
    def can_sell(self) -> bool:
        """Orders may only include merchants Stripe can pay out to."""
        return self.is_selling and self.charges_enabled and self.payouts_enabled


class CourierZone(models.Model):
    """Local bike-courier delivery: the 4-digit postcodes it serves, its fee and its time slots."""

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.CASCADE, related_name="courier_zones"
    )
    name = models.CharField(_("name"), max_length=80)
    postcodes = models.JSONField(_("postcodes (4 digits)"), default=list)
    fee_cents = models.PositiveIntegerField(_("fee (cents)"))
    slots = models.JSONField(
        _("time slots"),
        default=list,
        help_text=_('Local times per day, e.g. [["10:00", "12:00"], ["16:00", "18:00"]].'),
    )
    is_active = models.BooleanField(_("active"), default=True)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("courier zone")
        verbose_name_plural = _("courier zones")
        ordering = ["area", "name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.CASCADE, related_name="shop_categories"
    )
    slug = models.SlugField(_("slug"), max_length=60)
    name_nl = models.CharField(_("name (Dutch)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["area", "position", "name_nl"]
        constraints = [models.UniqueConstraint(fields=["area", "slug"], name="shop_category_unique_slug")]

    def __str__(self) -> str:
        return self.name_nl


class Product(models.Model):
    merchant = models.ForeignKey(
        "areas.Merchant", verbose_name=_("merchant"), on_delete=models.CASCADE, related_name="products"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    slug = models.SlugField(_("slug"), max_length=80)
    sku = models.CharField(_("article number"), max_length=40, blank=True)
    title_nl = models.CharField(_("title (Dutch)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120, blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    price_cents = models.PositiveIntegerField(_("price incl. VAT (cents)"), validators=[MinValueValidator(1)])
    vat_rate_bps = models.PositiveIntegerField(_("VAT rate (basis points)"), default=2100)
    is_active = models.BooleanField(_("active"), default=True)
    #: the new-product form's key: a second submit of the same form returns this product instead of a copy
    request_key = models.UUIDField(_("request key"), null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_path = "merchant__area"
    scope_merchant_path = "merchant"

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["merchant", "title_nl"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "slug"], name="shop_product_unique_slug"),
            # upsert by article number (CSV import) needs one product per number
            models.UniqueConstraint(fields=["merchant", "sku"], condition=~Q(sku=""), name="shop_product_unique_sku"),
            models.CheckConstraint(condition=Q(vat_rate_bps__in=ALL_VAT_RATES), name="shop_product_known_vat_rate"),
        ]
        indexes = [models.Index(fields=["merchant", "is_active"], name="shop_product_merchant_active")]

    def __str__(self) -> str:
        return self.title_nl


class Variant(models.Model):
    """What is in stock and goes into a cart. `label` is empty for a product without options."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(_("option"), max_length=80, blank=True, help_text=_("For example “M / blue”."))
    sku = models.CharField(_("article number"), max_length=40, blank=True)
    price_cents = models.PositiveIntegerField(
        _("price incl. VAT (cents)"), null=True, blank=True, help_text=_("Empty: the product's price.")
    )
    stock_on_hand = models.PositiveIntegerField(_("in stock"), default=0)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    scope_area_path = "product__merchant__area"
    scope_merchant_path = "product__merchant"

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["product", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["product", "label"], name="shop_variant_unique_label")]

    def __str__(self) -> str:
        return f"{self.product} {self.label}".strip()

    @property
    def unit_price_cents(self) -> int:
        return self.price_cents if self.price_cents is not None else self.product.price_cents


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"shop/products/{instance.product_id}/{uuid.uuid4().hex}-{filename[-60:]}"


class ProductImage(models.Model):
    """A product's photo: the file as uploaded (`image`, checked: JPEG, PNG or WebP of at most
    `products.MAX_PHOTO_PIXELS`) and the renditions the pages show (`renditions`: width → {"webp": name, "jpeg":
    name}, RGB, never wider than the original; `{"refused": why}` for an older file over the limits). A photo without
    renditions (older demo rows) is shown as stored while it is small (`templatetags/shop_photos.py`)."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("photo"), upload_to=product_image_path)
    width = models.PositiveIntegerField(_("width (pixels)"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height (pixels)"), null=True, blank=True)
    renditions = models.JSONField(_("renditions"), default=dict, blank=True)
    alt_nl = models.CharField(_("description of the photo (Dutch)"), max_length=200, blank=True)
    alt_en = models.CharField(_("description of the photo (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    scope_area_path = "product__merchant__area"
    scope_merchant_path = "product__merchant"

    class Meta:
        verbose_name = _("product photo")
        verbose_name_plural = _("product photos")
        ordering = ["product", "position", "pk"]

    def __str__(self) -> str:
        return self.alt_nl or str(self.product)


class ProductImportStatus(models.TextChoices):
    PENDING = "pending", _("waiting for confirmation")
    RUNNING = "running", _("importing")
    DONE = "done", _("imported")
    FAILED = "failed", _("not imported")


class ProductImport(models.Model):
    """A catalogue file checked by the import's preview, waiting for "Import now" under its `token`; afterwards
    what it did. The confirmation claims it with one conditional UPDATE (pending → running) before importing, so
    a second click (or a second tab) finds nothing left to run. The file's text is emptied once it has run."""

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    merchant = models.ForeignKey(
        "areas.Merchant", verbose_name=_("merchant"), on_delete=models.CASCADE, related_name="product_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    content = models.TextField(_("file"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ProductImportStatus.choices, default=ProductImportStatus.PENDING
    )
    products_created = models.PositiveIntegerField(_("products created"), default=0)
    products_updated = models.PositiveIntegerField(_("products updated"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    scope_area_path = "merchant__area"
    scope_merchant_path = "merchant"

    class Meta:
        verbose_name = _("product import")
        verbose_name_plural = _("product imports")

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.created_at:%Y-%m-%d %H:%M} {self.status}"


class LocalBox(models.Model):
    """A bundle of products from several merchants, composed by the collective."""

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.CASCADE, related_name="local_boxes"
    )
    slug = models.SlugField(_("slug"), max_length=80)
    title_nl = models.CharField(_("title (Dutch)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120, blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("local box")
        verbose_name_plural = _("local boxes")
        ordering = ["area", "title_nl"]
        constraints = [models.UniqueConstraint(fields=["area", "slug"], name="shop_localbox_unique_slug")]

    def __str__(self) -> str:
        return self.title_nl


class LocalBoxItem(models.Model):
    box = models.ForeignKey(LocalBox, verbose_name=_("local box"), on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])

    scope_area_path = "box__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("local box item")
        verbose_name_plural = _("local box items")
        constraints = [models.UniqueConstraint(fields=["box", "variant"], name="shop_localboxitem_unique")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant}"


class Cart(models.Model):
    """A shopper's cart in one area: anonymous (found by `token`, kept in the session) or a member's."""

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.CASCADE, related_name="carts"
    )
    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="carts",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_path = "area"
    scope_merchant_path = None
    scope_owner_path = "user"

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            # a member has one open cart per area; an anonymous cart is found by its token
            models.UniqueConstraint(
                fields=["area", "user"], condition=Q(user__isnull=False), name="shop_cart_one_per_user"
            )
        ]

    def __str__(self) -> str:
        return str(self.token)


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveSmallIntegerField(_("quantity"), validators=[MinValueValidator(1), MaxValueValidator(99)])
    box = models.ForeignKey(
        LocalBox, verbose_name=_("from local box"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    scope_area_path = "cart__area"
    scope_merchant_path = None
    scope_owner_path = "cart__user"

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["cart", "added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["cart", "variant"], name="shop_cartline_unique_variant")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant}"


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("Partly handed over")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired (not paid)")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Disputed")
    WON = "won", _("Dispute won")
    LOST = "lost", _("Dispute lost")
    #: lost, and the collective chose to pay the merchants their held parts anyway (it bears the loss)
    SETTLED = "settled", _("Dispute lost, merchants paid")


class DisputeSettlement(models.TextChoices):
    """What the collective decided after a lost dispute about the parts whose payouts were held."""

    PAY_OUT = "pay_out", _("Merchants paid: the collective bears the loss")
    WITHHOLD = "withhold", _("Merchants not paid: they bear the loss")


class Order(models.Model):
    """What the customer pays: one PaymentIntent for all merchants' parts."""

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.PROTECT, related_name="orders"
    )
    public_id = models.CharField(_("order number"), max_length=12, unique=True, default=new_public_id, editable=False)
    # the checkout's idempotency: a double-clicked "pay" button creates one order
    request_key = models.UUIDField(_("request key"), unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    # contact details (personal data: registered in personal_data.py, blanked after retention)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(_("language"), max_length=5, default="nl")
    # totals, frozen at checkout
    goods_cents = models.PositiveIntegerField(_("goods incl. VAT (cents)"), default=0)
    delivery_cents = models.PositiveIntegerField(_("delivery (cents)"), default=0)
    gift_card_cents = models.PositiveIntegerField(_("paid with gift card (cents)"), default=0)
    voucher_cents = models.PositiveIntegerField(_("paid with voucher (cents)"), default=0)
    voucher_code = models.CharField(_("voucher code"), max_length=32, blank=True)
    total_cents = models.PositiveIntegerField(_("to pay by card or bank (cents)"), default=0)
    points_awarded = models.PositiveIntegerField(_("points awarded"), default=0)
    # the latest chargeback on the order's charge (`Dispute`): payouts are held while it is open or lost
    dispute_status = models.CharField(
        _("dispute"), max_length=10, choices=DisputeStatus.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    scope_area_path = "area"
    scope_merchant_path = None
    scope_owner_path = "user"

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["area", "status", "created_at"], name="shop_order_area_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    total_cents=models.F("goods_cents")
                    + models.F("delivery_cents")
                    - models.F("gift_card_cents")
                    - models.F("voucher_cents")
                ),
                name="shop_order_total_adds_up",
            )
        ]

    def __str__(self) -> str:
        return self.public_id


class Fulfilment(models.TextChoices):
    PARCEL_POINT = "parcel_point", _("Pickup at the parcel point")
    CLICK_AND_COLLECT = "click_and_collect", _("Collect at the shop")
    BIKE_COURIER = "bike_courier", _("Bike courier delivery")


class MerchantOrderStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    READY = "ready", _("Ready")
    HANDED_OVER = "handed_over", _("Handed over")
    CANCELLED = "cancelled", _("Cancelled")


class MerchantOrder(models.Model):
    """One merchant's part of an order: fulfilled, handed over and paid out on its own."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="parts")
    merchant = models.ForeignKey(
        "areas.Merchant", verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="order_parts"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=MerchantOrderStatus.choices, default=MerchantOrderStatus.PENDING
    )
    fulfilment = models.CharField(
        _("fulfilment"), max_length=20, choices=Fulfilment.choices, default=Fulfilment.PARCEL_POINT
    )
    courier_zone = models.ForeignKey(
        CourierZone, verbose_name=_("courier zone"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    slot_starts_at = models.DateTimeField(_("delivery slot from"), null=True, blank=True)
    slot_ends_at = models.DateTimeField(_("delivery slot until"), null=True, blank=True)
    delivery_street = models.CharField(_("street and number"), max_length=200, blank=True)
    delivery_postcode = models.CharField(_("postcode"), max_length=8, blank=True)
    delivery_city = models.CharField(_("town"), max_length=100, blank=True)
    goods_cents = models.PositiveIntegerField(_("goods incl. VAT (cents)"), default=0)
    delivery_cents = models.PositiveIntegerField(_("delivery (cents)"), default=0)
    commission_bps = models.PositiveIntegerField(_("commission (basis points)"), default=0)
    # How the part was paid, frozen at checkout (`money.split_funding`): its share of the order's voucher and
    # gift-card value; the rest (`card_cents`) came from the card charge. The collective owes the merchant what the
    # gift card and a collective voucher paid, outside Stripe; a voucher the merchant funds is the merchant's own.
    voucher_cents = models.PositiveIntegerField(_("paid with voucher (cents)"), default=0)
    voucher_by_merchant = models.BooleanField(_("voucher funded by the merchant"), default=False)
    gift_card_cents = models.PositiveIntegerField(_("paid with gift card (cents)"), default=0)
    # the pass points its card share earned (the till's rules for this merchant: `loyalty_bridge.award_points`)
    points_awarded = models.PositiveIntegerField(_("points awarded"), default=0)
    # the code the parcel point or the shop asks for at handout; the parcel's tracking code at the point
    pickup_code = models.CharField(_("pickup code"), max_length=12, blank=True)
    parcel_code = models.CharField(_("parcel code"), max_length=40, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)

    scope_area_path = "order__area"
    scope_merchant_path = "merchant"
    scope_owner_path = "order__user"

    class Meta:
        verbose_name = _("merchant order")
        verbose_name_plural = _("merchant orders")
        ordering = ["order", "merchant"]
        constraints = [models.UniqueConstraint(fields=["order", "merchant"], name="shop_merchantorder_unique")]
        indexes = [models.Index(fields=["merchant", "status"], name="shop_morder_merchant_status")]

    def __str__(self) -> str:
        return f"{self.order} / {self.merchant}"

    @property
    def value_cents(self) -> int:
        return self.goods_cents + self.delivery_cents

    @property
    def card_cents(self) -> int:
        """The part's share of the card charge."""
        return self.value_cents - self.voucher_cents - self.gift_card_cents


class OrderLine(models.Model):
    """A line as bought: title, price and VAT frozen at checkout (net and VAT rounded half up per line).

    The title is kept in both languages as it was at the time of the order: `title` in Dutch, `title_en` in English
    (blank where the product had none, and on lines of before 2026-12: their `title` is in the checkout's language).
    Pages and e-mails show `shown_title`, in their own language."""

    part = models.ForeignKey(
        MerchantOrder, verbose_name=_("merchant order"), on_delete=models.CASCADE, related_name="lines"
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    box = models.ForeignKey(
        LocalBox, verbose_name=_("from local box"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    unit_price_cents = models.PositiveIntegerField(_("unit price incl. VAT (cents)"))
    vat_rate_bps = models.PositiveIntegerField(_("VAT rate (basis points)"))
    gross_cents = models.PositiveIntegerField(_("amount incl. VAT (cents)"))
    vat_cents = models.PositiveIntegerField(_("VAT (cents)"))
    unavailable_quantity = models.PositiveSmallIntegerField(_("unavailable"), default=0)

    scope_area_path = "part__order__area"
    scope_merchant_path = "part__merchant"
    scope_owner_path = "part__order__user"

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["part", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gross_cents=models.F("unit_price_cents") * models.F("quantity")),
                name="shop_orderline_gross_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(unavailable_quantity__lte=models.F("quantity")), name="shop_orderline_unavailable_le_qty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"

    def title_in(self, language: str | None) -> str:
        """The title in `language`: the English one in English where there is one, the stored `title` otherwise."""
        return in_page_language(self.title, self.title_en, language or "nl")

    @property
    def shown_title(self) -> str:
        """The title in the active language: the page's, or an e-mail's recipient's."""
        return self.title_in(get_language())

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.vat_cents


class ReservationState(models.TextChoices):
    ACTIVE = "active", _("Held")
    CONSUMED = "consumed", _("Sold")
    RELEASED = "released", _("Released")


class Reservation(models.Model):
    """Stock held for a pending order until it is paid or `expires_at` passes."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="reservations")
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="reservations"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    state = models.CharField(
        _("state"), max_length=10, choices=ReservationState.choices, default=ReservationState.ACTIVE
    )
    expires_at = models.DateTimeField(_("held until"))

    scope_area_path = "order__area"
    scope_merchant_path = "variant__product__merchant"

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [models.UniqueConstraint(fields=["order", "variant"], name="shop_reservation_unique")]
        indexes = [
            models.Index(fields=["variant"], condition=Q(state="active"), name="shop_reservation_active"),
            models.Index(fields=["expires_at"], condition=Q(state="active"), name="shop_reservation_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id} for {self.order_id}"


class PaymentStatus(models.TextChoices):
    REQUIRES_PAYMENT = "requires_payment", _("Awaiting payment")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Payment(models.Model):
    """The order's one PaymentIntent (`transfer_group` = the order's public id)."""

    order = models.OneToOneField(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="payment")
    intent_id = models.CharField(_("PaymentIntent"), max_length=64, unique=True)
    client_secret = models.CharField(_("client secret"), max_length=200)
    charge_id = models.CharField(_("charge"), max_length=64, blank=True)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="eur")
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.REQUIRES_PAYMENT
    )
    method_type = models.CharField(_("payment method"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_path = "order__area"
    scope_merchant_path = None
    scope_owner_path = "order__user"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [models.Index(fields=["status", "updated_at"], name="shop_payment_status")]

    def __str__(self) -> str:
        return self.intent_id


class Refund(models.Model):
    """Money back to the customer (whole order, a part, or lines), through Stripe Refunds."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="refunds")
    part = models.ForeignKey(
        MerchantOrder,
        verbose_name=_("merchant order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"), validators=[MinValueValidator(1)])
    # the part of it that was paid with the card (the rest goes back to the gift card / voucher)
    card_cents = models.PositiveIntegerField(_("back to card or bank (cents)"), default=0)
    gift_card_cents = models.PositiveIntegerField(_("back to gift card (cents)"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    provider_refund_id = models.CharField(_("Stripe refund"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_area_path = "order__area"
    scope_merchant_path = "part__merchant"
    scope_owner_path = "order__user"

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["order", "created_at"]

    def __str__(self) -> str:
        return self.idempotency_key


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, verbose_name=_("refund"), on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT, related_name="refund_lines"
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))

    scope_area_path = "refund__order__area"
    scope_merchant_path = "line__part__merchant"

    class Meta:
        verbose_name = _("refunded line")
        verbose_name_plural = _("refunded lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.line_id}"


class Transfer(models.Model):
    """A merchant's payout for a handed-over part: goods − refunds − commission. `amount_cents` goes through Stripe
    from the order's charge (at most the part's card share); `collective_cents` (what the gift card or a collective
    voucher paid) is owed by the collective and settled outside Stripe."""

    part = models.OneToOneField(
        MerchantOrder, verbose_name=_("merchant order"), on_delete=models.PROTECT, related_name="transfer"
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    commission_cents = models.PositiveIntegerField(_("commission (cents)"))
    collective_cents = models.PositiveIntegerField(_("owed by the collective (cents)"), default=0)
    destination = models.CharField(_("connected account"), max_length=64)
    provider_transfer_id = models.CharField(_("Stripe transfer"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_path = "part__order__area"
    scope_merchant_path = "part__merchant"

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")

    def __str__(self) -> str:
        return self.idempotency_key


class TransferReversal(models.Model):
    """Takes a later refund's merchant share back from a transfer already made."""

    transfer = models.ForeignKey(
        Transfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="reversals"
    )
    refund = models.OneToOneField(Refund, verbose_name=_("refund"), on_delete=models.PROTECT, related_name="reversal")
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    commission_cents = models.PositiveIntegerField(_("commission returned (cents)"), default=0)
    # what the collective owes the merchant less (negative: more) after the refund, settled outside Stripe
    collective_cents = models.IntegerField(_("owed by the collective less (cents)"), default=0)
    provider_reversal_id = models.CharField(_("Stripe reversal"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_path = "transfer__part__order__area"
    scope_merchant_path = "transfer__part__merchant"

    class Meta:
        verbose_name = _("transfer reversal")
        verbose_name_plural = _("transfer reversals")

    def __str__(self) -> str:
        return self.idempotency_key


class Dispute(models.Model):
    """A chargeback on an order's charge (Stripe's `charge.dispute.*`): the bank took the money back from the
    platform while it decides. Open: the order's parts not paid out yet are held; won: released; lost: recorded
    (and still held until the collective settles it: pay the merchants anyway, or not)."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="disputes")
    provider_dispute_id = models.CharField(_("Stripe dispute"), max_length=64, unique=True)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # after a lost dispute: who decided what about the held payouts, and when (`disputes.settle_lost_dispute`)
    settlement = models.CharField(_("settlement"), max_length=10, choices=DisputeSettlement.choices, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("settled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_area_path = "order__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.provider_dispute_id


class WebhookEvent(models.Model):
    """The inbox: each Stripe event stored once by its id, applied once under its row lock."""

    event_id = models.CharField(_("event"), max_length=80, primary_key=True)
    type = models.CharField(_("type"), max_length=80)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    scope_area_path = None
    scope_merchant_path = None

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        indexes = [
            models.Index(
                fields=["received_at"], condition=Q(processed_at__isnull=True), name="shop_webhook_unprocessed"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class NoticeKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Order confirmation")
    NEW_ORDER = "new_order", _("New order (merchant)")
    READY = "ready", _("Ready for pickup")
    HANDED_OVER = "handed_over", _("Handed over")
    REFUNDED = "refunded", _("Refunded")
    EXPIRED = "expired", _("Not paid in time")
    DISPUTE = "dispute", _("Payment disputed (area manager)")
    DISPUTE_CLOSED = "dispute_closed", _("Dispute decided (area manager)")


class Notice(models.Model):
    """An e-mail the shop sent, claimed before it leaves: `key` (kind + what it is about) is unique, so a job run
    twice, or a webhook and the success page both confirming a payment, send it once."""

    key = models.CharField(_("key"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="notices")
    part = models.ForeignKey(
        MerchantOrder,
        verbose_name=_("merchant order"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    scope_area_path = "order__area"
    scope_merchant_path = "part__merchant"

    class Meta:
        verbose_name = _("shop e-mail")
        verbose_name_plural = _("shop e-mails")

    def __str__(self) -> str:
        return self.key
