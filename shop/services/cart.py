"""The shopper's cart: anonymous (its token in the session) or a member's (one per area), merged at login.

A cart holds variants and quantities only; prices, stock and whether a shop sells are checked again at
checkout. Adding checks what can be had now (`stock.available`), so the shopper hears "only 2 left" early.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.db.models import F

from ..exceptions import InvalidQuantity, OutOfStock, ProductNotAvailable
from ..models import Cart, CartLine, LocalBox, Variant
from . import stock

MAX_QUANTITY = 99


def cart_for(*, area, user=None, token: str | uuid.UUID | None = None, create: bool = True) -> Cart | None:
    """The member's cart in the area, or the anonymous cart with this token (made when `create`)."""
    if user is not None and getattr(user, "is_authenticated", False):
        cart = Cart.objects.filter(area=area, user=user).first()
        if cart is None and create:
            try:
                with transaction.atomic():
                    cart = Cart.objects.create(area=area, user=user)
            except IntegrityError:  # two first requests at once
                cart = Cart.objects.get(area=area, user=user)
        return cart
    if token:
        try:
            cart = Cart.objects.filter(area=area, token=uuid.UUID(str(token)), user__isnull=True).first()
        except ValueError:
            cart = None
        if cart is not None:
            return cart
    return Cart.objects.create(area=area) if create else None


def _sellable_variant(cart: Cart, variant_id: int) -> Variant:
    variant = (
        Variant.objects.select_related("product__merchant__shop")
        .filter(pk=variant_id, is_active=True, product__is_active=True, product__merchant__area_id=cart.area_id)
        .first()
    )
    shop = getattr(variant.product.merchant, "shop", None) if variant is not None else None
    if variant is None or shop is None or not shop.can_sell:
        raise ProductNotAvailable()
    return variant


def _check_quantity(quantity) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity()
    return quantity


def _check_available(variant: Variant, quantity: int) -> None:
    left = stock.available([variant])[variant.pk]
    if quantity > left:
        raise OutOfStock(variant=variant, available=left)


@transaction.atomic
def add_to_cart(*, cart: Cart, variant_id: int, quantity: int = 1, box: LocalBox | None = None) -> CartLine:
    """Add `quantity` of the variant (to what is in the cart already). Raises ProductNotAvailable,
    InvalidQuantity, OutOfStock (`available`)."""
    _check_quantity(quantity)
    variant = _sellable_variant(cart, variant_id)
    line = CartLine.objects.select_for_update().filter(cart=cart, variant=variant).first()
    total = quantity + (line.quantity if line else 0)
    _check_quantity(min(total, MAX_QUANTITY + 1))
    _check_available(variant, total)
    if line is None:
        line = CartLine.objects.create(cart=cart, variant=variant, quantity=total, box=box)
    else:
        CartLine.objects.filter(pk=line.pk).update(quantity=F("quantity") + quantity)
        line.refresh_from_db()
    Cart.objects.filter(pk=cart.pk).update(updated_at=line.added_at)
    return line


@transaction.atomic
def add_box_to_cart(*, cart: Cart, box: LocalBox) -> list[CartLine]:
    """Add every item of a local box (all or nothing)."""
    if not box.is_active or box.area_id != cart.area_id:
        raise ProductNotAvailable()
    return [
        add_to_cart(cart=cart, variant_id=item.variant_id, quantity=item.quantity, box=box)
        for item in box.items.order_by("pk")
    ]


@transaction.atomic
def set_quantity(*, cart: Cart, line_id: int, quantity: int) -> CartLine | None:
    """Change a line's quantity (0 removes it). Raises InvalidQuantity, OutOfStock."""
    if quantity == 0:
        remove_line(cart=cart, line_id=line_id)
        return None
    _check_quantity(quantity)
    line = CartLine.objects.select_related("variant").filter(cart=cart, pk=line_id).first()
    if line is None:
        return None
    _check_available(line.variant, quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


def remove_line(*, cart: Cart, line_id: int) -> bool:
    return bool(CartLine.objects.filter(cart=cart, pk=line_id).delete()[0])


@transaction.atomic
def merge_carts(*, area, user, token: str | uuid.UUID | None) -> Cart | None:
    """At login: the anonymous cart's lines move into the member's cart (quantities add up, at most 99); the
    anonymous cart is deleted. Returns the member's cart (None when there was nothing to merge)."""
    anonymous = cart_for(area=area, token=token, create=False) if token else None
    if anonymous is None:
        return None
    mine = cart_for(area=area, user=user)
    existing = {line.variant_id: line for line in CartLine.objects.select_for_update().filter(cart=mine)}
    for line in anonymous.lines.all():
        if (own := existing.get(line.variant_id)) is not None:
            own.quantity = min(MAX_QUANTITY, own.quantity + line.quantity)
            own.save(update_fields=["quantity"])
        else:
            CartLine.objects.create(cart=mine, variant_id=line.variant_id, quantity=line.quantity, box_id=line.box_id)
    anonymous.delete()
    return mine
