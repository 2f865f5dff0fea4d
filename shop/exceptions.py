"""Errors raised by the shop's services. Each carries a message fit to show the shopper or the merchant.

Interfaces catch `ShopError` (or the `ApplicationError` base) and show `error.message`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from agora.exceptions import ApplicationError


class ShopError(ApplicationError):
    """Base of the shop's errors. `default_message` is translated when the error is raised."""

    default_message = _("This cannot be done in the shop.")

    def __init__(self, message: str = "", **extra):
        super().__init__(str(message or self.default_message), **extra)
        for name, value in extra.items():
            setattr(self, name, value)


class ShopClosed(ShopError):
    default_message = _("The shop of this area is closed at the moment.")


class OutOfStock(ShopError):
    """`variant` has only `available` left (0: none)."""

    default_message = _("Not enough in stock.")

    def __init__(self, variant=None, available: int = 0, message: str = ""):
        if not message:
            if available:
                message = _("Only %(count)s of “%(item)s” left in stock.") % {"count": available, "item": variant}
            else:
                message = _("“%(item)s” is sold out.") % {"item": variant}
        super().__init__(message, variant=variant, available=available)


class ProductNotAvailable(ShopError):
    default_message = _("This product is not for sale at the moment.")


class InvalidQuantity(ShopError):
    default_message = _("Choose a quantity from 1 to 99.")


class EmptyCart(ShopError):
    default_message = _("Your cart is empty.")


class MerchantCannotSell(ShopError):
    default_message = _("This shop does not sell online at the moment. Remove its products from your cart.")


class FulfilmentNotOffered(ShopError):
    """`merchant` (when known) does not offer the chosen way of delivery; the message names it."""

    default_message = _("This shop does not offer this way of delivery.")

    def __init__(self, message: str = "", merchant=None):
        if not message and merchant is not None:
            message = _("%(shop)s does not offer this way of delivery. Choose another for this shop.") % {
                "shop": merchant.trade_name
            }
        super().__init__(message, merchant=merchant)


class NoCourierZone(ShopError):
    default_message = _("The bike courier does not deliver to this postcode. Choose pickup instead.")


class InvalidSlot(ShopError):
    """The delivery time is not one of the courier's for the postcode's zone (`postcode`, when known)."""

    default_message = _("Choose one of the delivery times offered.")

    def __init__(self, message: str = "", postcode: str = ""):
        if not message and postcode:
            message = _("This delivery time is not available for postcode %(postcode)s. Choose another time.") % {
                "postcode": postcode
            }
        super().__init__(message, postcode=postcode)


class InvalidAddress(ShopError):
    default_message = _("Fill in the street and number, the postcode and the town for the courier.")


class InvalidContact(ShopError):
    default_message = _("Fill in your name and a valid e-mail address.")


class NoParcelPoint(ShopError):
    default_message = _("This area has no parcel point for pickups. Choose another way of delivery.")


class GiftCardNotUsable(ShopError):
    default_message = _("The gift card value on your pass cannot be used for this order.")


class VoucherNotUsable(ShopError):
    default_message = _("This voucher cannot be used for this order.")


class RequestKeyReused(ShopError):
    default_message = _("This request was already used for another order. Reload the page and try again.")


class OrderNotCancellable(ShopError):
    """Only an order still waiting for its payment can be cancelled by the shopper."""

    default_message = _("This order is paid or being paid and can no longer be cancelled here.")


class OrderNotPayable(ShopError):
    default_message = _("This order can no longer be paid. Place the order again.")


class DisputeNotSettleable(ShopError):
    default_message = _("Only a lost dispute that was not settled yet can be settled.")
