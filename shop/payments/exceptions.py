"""Errors of the payment side. Each carries a message fit to show to a shopper or a merchant.

Interfaces catch `PaymentError` (or the `ApplicationError` base) and show `error.message`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ..exceptions import ShopError


class PaymentError(ShopError):
    """Base of the payment errors (a `ShopError`). `default_message` is translated when the error is raised."""

    default_message = _("The payment could not be handled.")


class PaymentDeclined(PaymentError):
    """The bank or card issuer refused the payment (the shopper may try another card or method)."""

    default_message = _("The payment was declined. Try another card or payment method.")


class GatewayError(PaymentError):
    """Stripe could not be reached or refused the request; nothing was charged by this call."""

    default_message = _("Payment is unavailable right now. Please try again in a few minutes.")


class InvalidSignature(PaymentError):
    """A webhook whose signature does not match our secret (or is too old): it is refused."""

    default_message = _("The webhook signature is not valid.")


class NotPayable(PaymentError):
    default_message = _("This order cannot be paid (any more).")


class NotRefundable(PaymentError):
    default_message = _("This order cannot be refunded.")


class RefundTooLarge(PaymentError):
    """More would go back than was paid for these lines (or in total)."""

    default_message = _("That is more than can still be refunded.")


class NotPayableOut(PaymentError):
    default_message = _("This part cannot be paid out to the merchant (yet).")


class OnboardingUnavailable(PaymentError):
    """Stripe Connect is not used in this deployment: there is nothing to set up, now or later."""

    default_message = _("Payouts do not go through Stripe in this webshop: the collective arranges them with you.")
