"""Errors of the merchant side of the shop (products, imports, fulfilment, statements). Each carries a message fit
to show merchant staff; interfaces catch `MerchantShopError` (or the shop's `ShopError` base) and show
`error.message`. Extra keyword arguments become attributes (e.g. `InvalidPartMove.from_status`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .exceptions import ShopError


class MerchantShopError(ShopError):
    default_message = _("This cannot be done in the webshop.")


class NotAllowed(MerchantShopError):
    default_message = _("You may not do this for this merchant.")


class InvalidProduct(MerchantShopError):
    """`errors` maps a field name to its message (the form shows each at its field)."""

    default_message = _("The product could not be saved: please check the fields marked.")


class ImportInvalid(MerchantShopError):
    """`errors` is a list of `imports.RowError` (line, column, message); nothing was written."""

    default_message = _("The file was not imported: please correct the errors listed and upload it again.")


class ImportExpired(MerchantShopError):
    default_message = _("This import has expired: upload the file again.")


class ImportAlreadyRun(MerchantShopError):
    """The confirmation came a second time (a double click, a second tab): the first one imports the file."""

    default_message = _("This file is being imported or has been imported already.")


class InvalidPartMove(MerchantShopError):
    """`from_status` and `to_status` say which move was refused."""

    default_message = _("This order cannot go to that step from where it is now.")


class WrongPickupCode(MerchantShopError):
    default_message = _("This is not the pickup code of this order. Ask the customer for the code in their e-mail.")


class PickupCodeMissing(WrongPickupCode):
    default_message = _("Enter the pickup code from the customer's e-mail.")


class WrongHandover(MerchantShopError):
    default_message = _("This order is not handed over that way: check how the customer chose to receive it.")


class InvalidUnavailable(MerchantShopError):
    default_message = _("That quantity cannot be marked unavailable on this line.")


class ParcelPointMissing(MerchantShopError):
    default_message = _("The area has no parcel point for webshop orders set up. Ask the collective.")
