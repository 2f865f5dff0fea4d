"""Checkout: a cart becomes an order with a part per merchant, in one transaction.

`place_order` freezes the lines (title in Dutch and in English, unit price, VAT rate, VAT per line: `shop.vat`),
makes one `MerchantOrder` per merchant with its fulfilment (parcel point by default, click-and-collect where the shop
offers it, or the bike courier: the area's `CourierZone` for the postcode, in the form of the area's country
(`clean_postcode`), one of its time slots on a coming day, the address), reserves the stock (`stock.reserve`:
variant rows locked in pk order), takes the voucher and gift-card value (`loyalty_bridge`), shares them over the
parts (`money.split_funding`: each part's voucher, gift-card and card share, frozen), and empties the cart. All of
it or nothing. After the commit the payment starts (`shop.services.payments.start_payment`), or, when the voucher
and gift card paid everything, the order is paid at once (`orders.mark_order_paid`).

One ride, one fee: the parts the bike courier brings to one address in one time slot of one zone are one ride of
the collective's delivery, charged once — the zone's fee, shared over those parts pro rata to their goods, to the
cent (`share_courier_fees`). Each part carries its share as `delivery_cents`, so the merchants' payouts and
statements (goods + delivery − …) add up to what the customer paid. The share's VAT follows the part's goods
(`shop.vat.vat_summary`).

`quote_order` is the same arithmetic for the checkout page before anything is held: goods, delivery, the
voucher's discount, the gift-card value, what is left to pay. `cancel_unpaid_order` is the shopper giving up an
unpaid order: the expiry job's release (`orders.expire_order`), and the items back in the cart.

The order's `request_key` (a UUID made with the checkout form) is unique: a double-clicked "Pay" button, or a
retry after a lost answer, returns the first order.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from areas import validators

from ..exceptions import (
    EmptyCart,
    FulfilmentNotOffered,
    InvalidAddress,
    InvalidContact,
    InvalidSlot,
    MerchantCannotSell,
    NoCourierZone,
    NoParcelPoint,
    OrderNotCancellable,
    ProductNotAvailable,
    RequestKeyReused,
    ShopClosed,
    VoucherNotUsable,
)
from ..models import (
    Cart,
    CartLine,
    CourierZone,
    Fulfilment,
    MerchantOrder,
    MerchantShop,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    ShopSettings,
)
from ..vat import line_vat_amounts
from . import loyalty_bridge, money, stock

logger = logging.getLogger(__name__)

#: Courier slots are offered from tomorrow for this many days.
COURIER_DAYS_AHEAD = 7


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str = ""
    language: str = "nl"


@dataclass(frozen=True)
class FulfilmentChoice:
    """How one part (or every part) reaches the customer. The address and slot only for the bike courier."""

    kind: str = Fulfilment.PARCEL_POINT
    street: str = ""
    postcode: str = ""
    city: str = ""
    slot_starts_at: datetime | None = None


def clean_postcode(postcode: str, *, country: str) -> str:
    """The courier address's postcode in its country's form ("3811ab" → "3811 AB" in NL, four digits 1000–9999 in
    BE), by the platform's rule (`areas.validators.validate_postcode`; a Dutch address needs its two letters).
    Raises InvalidAddress whose message shows the form expected ("A Belgian postcode has four digits, …")."""
    try:
        validators.validate_postcode(postcode, country=country, address=True)
    except ValidationError as error:
        raise InvalidAddress(error.messages[0], postcode=postcode) from error
    return validators.normalise_postcode(postcode, country=country)


def postcode_digits(postcode: str, *, country: str) -> str:
    """The 4 digits a courier zone is keyed on, of a postcode of the country ("3811 AB" or "3811" → "3811" in NL);
    "" for anything else ("38110", "2800 AB" or "BE-2800" in Belgium)."""
    try:
        validators.validate_postcode(postcode, country=country)
    except ValidationError:
        return ""
    return validators.normalise_postcode(postcode, country=country)[:4]


def courier_zone_for(area, postcode: str) -> CourierZone | None:
    """The area's active courier zone for a postcode of the area's country; None for another postcode."""
    digits = postcode_digits(postcode, country=area.country)
    if not digits:
        return None
    for zone in CourierZone.objects.filter(area=area, is_active=True).order_by("pk"):
        if digits in {str(code)[:4] for code in zone.postcodes}:
            return zone
    return None


def courier_slots(
    zone: CourierZone, *, now: datetime, days: int = COURIER_DAYS_AHEAD
) -> list[tuple[datetime, datetime]]:
    """The zone's time slots from tomorrow (the area's zone) for `days` days, as aware (start, end) pairs."""
    tz = zone.area.tz
    today = now.astimezone(tz).date()
    slots = []
    for offset in range(1, days + 1):
        day = today + timedelta(days=offset)
        for start, end in zone.slots:
            try:
                start_t, end_t = time.fromisoformat(start), time.fromisoformat(end)
            except (TypeError, ValueError):
                continue
            slots.append((datetime.combine(day, start_t, tzinfo=tz), datetime.combine(day, end_t, tzinfo=tz)))
    return slots


def _clean_contact(contact: Contact) -> Contact:
    name, email = (contact.name or "").strip()[:120], (contact.email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidContact() from error
    if not name:
        raise InvalidContact()
    language = contact.language if contact.language in ("nl", "en") else "nl"
    return Contact(name=name, email=email, phone=(contact.phone or "").strip()[:30], language=language)


def _new_pickup_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _fulfil(part: MerchantOrder, choice: FulfilmentChoice, *, shop: MerchantShop, rules: ShopSettings, now) -> None:
    """Set the part's fulfilment from the choice, checked against what the shop and the area offer."""
    part.fulfilment = choice.kind
    if choice.kind == Fulfilment.PARCEL_POINT:
        if rules.parcel_point_id is None:
            raise NoParcelPoint()
    elif choice.kind == Fulfilment.CLICK_AND_COLLECT:
        if not shop.offers_click_and_collect:
            raise FulfilmentNotOffered(merchant=shop.merchant)
    elif choice.kind == Fulfilment.BIKE_COURIER:
        street, postcode, city = (
            (choice.street or "").strip(),
            (choice.postcode or "").strip().upper(),
            (choice.city or "").strip(),
        )
        if not (street and postcode and city):
            raise InvalidAddress()
        postcode = clean_postcode(postcode, country=rules.area.country)
        zone = courier_zone_for(rules.area, postcode)
        if zone is None:
            raise NoCourierZone()
        slot = next((s for s in courier_slots(zone, now=now) if s[0] == choice.slot_starts_at), None)
        if slot is None:
            raise InvalidSlot(postcode=postcode)
        part.courier_zone = zone
        part.slot_starts_at, part.slot_ends_at = slot
        part.delivery_street, part.delivery_postcode, part.delivery_city = street[:200], postcode[:8], city[:100]
    else:
        raise FulfilmentNotOffered(merchant=shop.merchant)


def _ride(part: MerchantOrder) -> tuple:
    """What makes parts one courier ride: the zone, the address (spaces and case aside) and the slot."""
    return (
        part.courier_zone_id,
        " ".join(part.delivery_street.lower().split()),
        "".join(part.delivery_postcode.upper().split()),
        " ".join(part.delivery_city.lower().split()),
        part.slot_starts_at,
    )


def share_courier_fees(parts: list[MerchantOrder]) -> int:
    """Set every part's `delivery_cents` (not saved): the parts of one courier ride (`_ride`) share the zone's fee
    once, pro rata to their goods, to the cent (`money.share_pro_rata`: floors, the cents left to the largest
    remainders, ties to the earlier part in `parts`); other parts carry none. Returns the number of rides."""
    rides: dict[tuple, list[MerchantOrder]] = defaultdict(list)
    for part in parts:
        part.delivery_cents = 0
        if part.fulfilment == Fulfilment.BIKE_COURIER and part.courier_zone is not None:
            rides[_ride(part)].append(part)
    for riders in rides.values():
        fee = riders[0].courier_zone.fee_cents
        for part, share in zip(riders, money.share_pro_rata(fee, [p.goods_cents for p in riders]), strict=True):
            part.delivery_cents = share
    return len(rides)


def line_titles(variant) -> tuple[str, str]:
    """The order line's title as bought, in Dutch and in English ("" where the product has no English title), each
    with the option's label ("T-shirt – M"): the line is shown in the page's language later (`OrderLine.shown_title`),
    whichever language the checkout was in."""
    product = variant.product

    def titled(title: str) -> str:
        return (f"{title} – {variant.label}" if variant.label and title else title)[:200]

    return titled(product.title_nl), titled(product.title_en)


def _existing(request_key, *, cart: Cart, user) -> Order | None:
    order = Order.objects.filter(request_key=request_key).first()
    if order is None:
        return None
    if order.area_id != cart.area_id or order.user_id != getattr(user, "pk", None):
        raise RequestKeyReused()
    return order


def place_order(
    *,
    cart: Cart,
    contact: Contact,
    fulfilment: FulfilmentChoice | dict[int, FulfilmentChoice] | None = None,
    gift_card: int = 0,
    voucher_code: str = "",
    request_key: uuid.UUID,
    user=None,
    now: datetime | None = None,
) -> Order:
    """Turn the cart into a pending order (see the module doc); returns it.

    `fulfilment` is one choice for every part, or a choice per merchant id (missing ones: the parcel point).
    `gift_card` is the most the member wants paid with the gift-card value on their pass (the service takes
    what the cards hold, up to what is left to pay). Raises ShopClosed, EmptyCart, InvalidContact,
    MerchantCannotSell (`merchant`), ProductNotAvailable, FulfilmentNotOffered, NoParcelPoint, NoCourierZone,
    InvalidAddress (also a postcode not in the form of the area's country: `clean_postcode`), InvalidSlot,
    OutOfStock (`variant`, `available`), VoucherNotUsable, GiftCardNotUsable, RequestKeyReused.
    """
    now = now or timezone.now()
    user = user if getattr(user, "is_authenticated", False) else None
    if previous := _existing(request_key, cart=cart, user=user):
        return previous
    contact = _clean_contact(contact)
    try:
        order = _place(
            cart=cart,
            contact=contact,
            fulfilment=fulfilment,
            gift_card=max(0, int(gift_card or 0)),
            voucher_code=(voucher_code or "").strip(),
            request_key=request_key,
            user=user,
            now=now,
        )
    except IntegrityError:
        # The same request at the same moment (a double click): the unique key kept one order.
        if previous := _existing(request_key, cart=cart, user=user):
            return previous
        raise
    return order


@transaction.atomic
def _place(*, cart, contact, fulfilment, gift_card, voucher_code, request_key, user, now) -> Order:
    rules = ShopSettings.objects.select_related("area").filter(area_id=cart.area_id).first() or ShopSettings.for_area(
        cart.area
    )
    if not rules.is_open:
        raise ShopClosed()
    # The cart is locked: two checkouts of one cart (two tabs) make one order; the second finds it empty.
    Cart.objects.select_for_update().filter(pk=cart.pk).first()
    if previous := Order.objects.filter(request_key=request_key).first():
        return previous  # the same request got the lock first and has committed: its order is the answer
    lines = list(
        cart.lines.select_related("variant__product__merchant__shop", "variant__product__merchant__area").order_by("pk")
    )
    if not lines:
        raise EmptyCart()
    by_merchant: dict[int, list] = defaultdict(list)
    for line in lines:
        variant, product = line.variant, line.variant.product
        if not (variant.is_active and product.is_active) or product.merchant.area_id != cart.area_id:
            raise ProductNotAvailable(variant=variant)
        by_merchant[product.merchant_id].append(line)
    shops = {}
    for merchant_id, merchant_lines in by_merchant.items():
        merchant = merchant_lines[0].variant.product.merchant
        shop = getattr(merchant, "shop", None) if hasattr(merchant, "shop") else None
        if shop is None or not shop.can_sell or merchant.status != "active":
            raise MerchantCannotSell(merchant=merchant)
        shops[merchant_id] = shop

    order = Order.objects.create(
        area_id=cart.area_id,
        request_key=request_key,
        user=user,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        language=contact.language,
    )
    goods_by_merchant: dict[int, int] = {}
    built: list[tuple[MerchantOrder, list]] = []
    for merchant_id in sorted(by_merchant, key=lambda pk: shops[pk].merchant.trade_name):
        shop = shops[merchant_id]
        choice = fulfilment.get(merchant_id) if isinstance(fulfilment, dict) else fulfilment
        part = MerchantOrder(
            order=order,
            merchant=shop.merchant,
            commission_bps=shop.commission_bps if shop.commission_bps is not None else rules.commission_bps,
            pickup_code=_new_pickup_code(),
        )
        _fulfil(part, choice or FulfilmentChoice(), shop=shop, rules=rules, now=now)
        frozen = [
            (line.variant, line.quantity, line.variant.unit_price_cents, line.variant.product.vat_rate_bps, line.box_id)
            for line in by_merchant[merchant_id]
        ]
        part.goods_cents = sum(price * quantity for _v, quantity, price, _r, _b in frozen)
        goods_by_merchant[merchant_id] = part.goods_cents
        built.append((part, frozen))
    parts = [part for part, _frozen in built]
    share_courier_fees(parts)
    for part, frozen in built:
        part.save()
        vats = line_vat_amounts([(price * quantity, rate) for _v, quantity, price, rate, _b in frozen])
        lines = []
        for (variant, quantity, price, rate, box_id), vat in zip(frozen, vats, strict=True):
            title, title_en = line_titles(variant)
            lines.append(
                OrderLine(
                    part=part,
                    variant=variant,
                    box_id=box_id,
                    title=title,
                    title_en=title_en,
                    quantity=quantity,
                    unit_price_cents=price,
                    vat_rate_bps=rate,
                    gross_cents=price * quantity,
                    vat_cents=vat,
                )
            )
        OrderLine.objects.bulk_create(lines)
    delivery = sum(part.delivery_cents for part in parts)

    stock.reserve(order=order, minutes=rules.reservation_minutes, now=now)

    goods = sum(goods_by_merchant.values())
    voucher = None
    if voucher_code:
        voucher = loyalty_bridge.take_voucher(
            order=order, code=voucher_code, user=user, goods_by_merchant=goods_by_merchant, now=now
        )
    voucher_cents = voucher.cents if voucher else 0
    gift_card_cents = 0
    if gift_card:
        gift_card_cents = loyalty_bridge.take_gift_card(
            order=order, user=user, amount_cents=min(gift_card, goods + delivery - voucher_cents), now=now
        )
    # Each part's share of the voucher and the gift card (the rest of it is its share of the card charge).
    money.split_funding(
        parts,
        voucher_cents=voucher_cents,
        voucher_merchant_ids=voucher.merchant_ids if voucher else None,
        voucher_funder_id=voucher.funder_id if voucher else None,
        gift_card_cents=gift_card_cents,
    )
    if voucher_cents or gift_card_cents:
        MerchantOrder.objects.bulk_update(parts, ["voucher_cents", "voucher_by_merchant", "gift_card_cents"])
    order.goods_cents, order.delivery_cents = goods, delivery
    order.voucher_cents, order.gift_card_cents = voucher_cents, gift_card_cents
    order.total_cents = goods + delivery - voucher_cents - gift_card_cents
    order.save(
        update_fields=[
            "goods_cents",
            "delivery_cents",
            "voucher_cents",
            "voucher_code",
            "gift_card_cents",
            "total_cents",
        ]
    )
    cart.lines.all().delete()
    order_id = order.pk
    transaction.on_commit(lambda: _after_commit(order_id, now), robust=True)
    return order


def _after_commit(order_id: int, now: datetime) -> None:
    """Start the payment, or mark the order paid when nothing is left to pay. A gateway error is logged: the
    order page starts the payment again (`start_payment` is idempotent on `pi:<order>`)."""
    from ..payments import PaymentError
    from .orders import mark_order_paid
    from .payments import start_payment

    order = Order.objects.select_related("area").get(pk=order_id)
    if order.total_cents == 0:
        mark_order_paid(order=order, at=now)
        return
    try:
        start_payment(order=order)
    except PaymentError:
        logger.warning("The payment of order %s could not start yet", order.public_id, exc_info=True)


# --- Before ordering: the amounts the checkout page shows ----------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """The order as the checkout form stands: goods, delivery, voucher, gift card and what is left to pay.

    `delivery_pending`: the bike courier is chosen but its fee waits for a postcode the courier serves.
    `problems`: what `place_order` would refuse about the amounts (a voucher, a postcode), in the shopper's words.
    """

    goods_cents: int
    delivery_cents: int = 0
    voucher_cents: int = 0
    gift_card_cents: int = 0
    rides: int = 0
    delivery_pending: bool = False
    problems: tuple[str, ...] = ()

    @property
    def total_cents(self) -> int:
        return self.goods_cents + self.delivery_cents - self.voucher_cents - self.gift_card_cents


def quote_order(
    *,
    area,
    goods_by_merchant: dict,
    fulfilment: FulfilmentChoice | dict[int, FulfilmentChoice] | None = None,
    gift_card: int = 0,
    voucher_code: str = "",
    user=None,
    now: datetime | None = None,
) -> Quote:
    """What `place_order` would charge for these goods (merchant → goods in cents) and choices; nothing is held or
    written. Delivery is shared per ride as `place_order` shares it (`share_courier_fees`); `gift_card` is the most
    the member wants taken (what the cards hold), up to what is left after the voucher."""
    now = now or timezone.now()
    user = user if getattr(user, "is_authenticated", False) else None
    problems: list[str] = []
    pending = False
    parts = []
    for merchant, goods in sorted(goods_by_merchant.items(), key=lambda item: item[0].trade_name):
        choice = (fulfilment.get(merchant.pk) if isinstance(fulfilment, dict) else fulfilment) or FulfilmentChoice()
        part = MerchantOrder(merchant=merchant, goods_cents=goods)
        if choice.kind == Fulfilment.BIKE_COURIER:
            zone = courier_zone_for(area, choice.postcode)
            if zone is None:
                if postcode_digits(choice.postcode, country=area.country):
                    problems.append(NoCourierZone().message)
                else:
                    pending = True
                    # four digits typed and still no postcode of the country ("28000", "BE-2800"): say its form
                    if sum(ch.isdigit() for ch in choice.postcode or "") >= 4:
                        try:
                            clean_postcode(choice.postcode, country=area.country)
                        except InvalidAddress as error:
                            problems.append(error.message)
            else:
                part.fulfilment, part.courier_zone = Fulfilment.BIKE_COURIER, zone
                part.delivery_street, part.delivery_postcode = choice.street or "", choice.postcode or ""
                part.delivery_city, part.slot_starts_at = choice.city or "", choice.slot_starts_at
        parts.append(part)
    rides = share_courier_fees(parts)
    goods = sum(goods_by_merchant.values())
    delivery = sum(part.delivery_cents for part in parts)
    voucher = 0
    if (voucher_code or "").strip():
        try:
            voucher = loyalty_bridge.voucher_discount(
                area=area,
                code=voucher_code.strip(),
                user=user,
                goods_by_merchant={merchant.pk: cents for merchant, cents in goods_by_merchant.items()},
                now=now,
            )
        except VoucherNotUsable as error:
            problems.append(error.message)
    gift = max(0, min(int(gift_card or 0), goods + delivery - voucher))
    return Quote(goods, delivery, voucher, gift, rides, pending, tuple(dict.fromkeys(problems)))


# --- Giving up an unpaid order ---------------------------------------------------------------------------------


def cancel_unpaid_order(*, order: Order, cart: Cart | None = None, now: datetime | None = None) -> Order:
    """The shopper cancels their unpaid order: released the way the expiry job releases one (`orders.expire_order`,
    status cancelled: the stock, the voucher and the gift-card value back, the PaymentIntent cancelled after the
    commit), and its items back in `cart` (when given) to change and order again. Cancelling twice is a no-op.

    Stripe is asked first (outside any lock): a payment that succeeded or is under way (a bank transfer being
    processed) cannot be cancelled here — raises OrderNotCancellable. Stripe out of reach does not stop it: a payment
    that still comes in for a cancelled order is refunded (`payments.sync_payment`).
    """
    from ..payments import PaymentError
    from . import orders
    from .payments import refresh_payment

    now = now or timezone.now()
    if order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
        return order
    if order.status != OrderStatus.PENDING:
        raise OrderNotCancellable()
    payment = Payment.objects.filter(order=order).first()
    if payment is not None:
        try:
            payment = refresh_payment(payment=payment)
        except PaymentError:
            logger.warning("Order %s cancelled without asking Stripe first", order.public_id, exc_info=True)
        if payment.status in (PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED):
            raise OrderNotCancellable()
    with transaction.atomic():
        cancelled = orders.expire_order(order=order, now=now, status=OrderStatus.CANCELLED)
        order = Order.objects.get(pk=order.pk)
        if not cancelled:
            if order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
                return order
            raise OrderNotCancellable()  # paid in the meantime
        if cart is not None:
            _refill(cart, order)
    return order


def _refill(cart: Cart, order: Order) -> None:
    """The order's items back in the cart (added to what it holds, at most 99 a line); items no longer sold are left
    out (the cart page would only refuse them)."""
    Cart.objects.select_for_update().filter(pk=cart.pk).first()
    held = {line.variant_id: line for line in cart.lines.all()}
    for line in OrderLine.objects.filter(part__order=order).select_related("variant__product").order_by("pk"):
        variant = line.variant
        if variant is None or not (variant.is_active and variant.product.is_active):
            continue
        if (existing := held.get(variant.pk)) is not None:
            existing.quantity = min(99, existing.quantity + line.quantity)
            existing.save(update_fields=["quantity"])
        else:
            held[variant.pk] = CartLine.objects.create(
                cart=cart, variant=variant, quantity=min(99, line.quantity), box_id=line.box_id
            )
