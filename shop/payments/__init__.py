"""The shop's payment port and its gateways (Stripe, and an in-memory fake); see gateway.py.

`get_gateway()` returns the gateway chosen by `settings.SHOP_PAYMENT_GATEWAY` ("stripe" or "fake"), one
per process; tests swap in their own with `use_gateway(...)`.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from .exceptions import GatewayError, InvalidSignature, PaymentDeclined, PaymentError
from .gateway import AccountStatus, Intent, PaymentGateway

__all__ = [
    "AccountStatus",
    "GatewayError",
    "Intent",
    "InvalidSignature",
    "PaymentDeclined",
    "PaymentError",
    "PaymentGateway",
    "get_gateway",
    "use_gateway",
]

_lock = threading.Lock()
_gateway: PaymentGateway | None = None
_override: PaymentGateway | None = None


def _build() -> PaymentGateway:
    from django.conf import settings

    if settings.SHOP_PAYMENT_GATEWAY == "fake":
        from .fake import FakeGateway

        return FakeGateway(webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
    from .stripe_gateway import StripeGateway

    return StripeGateway(
        secret_key=settings.STRIPE_SECRET_KEY,
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        api_base=settings.STRIPE_API_BASE,
        connect=settings.STRIPE_CONNECT,
    )


def get_gateway() -> PaymentGateway:
    global _gateway
    if _override is not None:
        return _override
    with _lock:
        if _gateway is None:
            _gateway = _build()
        return _gateway


@contextmanager
def use_gateway(gateway: PaymentGateway):
    """Within the block every service uses `gateway` (tests: a fresh FakeGateway, or Stripe on localstripe)."""
    global _override
    previous, _override = _override, gateway
    try:
        yield gateway
    finally:
        _override = previous
