"""The payment gateway port: what the shop needs from Stripe, in our own words.

Two implementations: `StripeGateway` (the official SDK; against Stripe or against localstripe in the
demo and the contract tests) and `FakeGateway` (in memory, for what no local server offers: Connect,
iDEAL, Bancontact, duplicated and reordered webhooks). Services get one with `get_gateway()`.

Rules every implementation follows:
- amounts are integer cents; every POST carries the `idempotency_key` the caller derived from our own
  ids (`keys.py`), so a Celery retry or a crash-and-rerun never makes a second Stripe object;
- `construct_event` verifies the `t=…,v1=HMAC-SHA256(secret, "t.payload")` signature on the raw body
  and returns the event as a plain dict, or raises `InvalidSignature`;
- Stripe's refusals become `PaymentDeclined` (the card) or `GatewayError` (everything else).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Protocol

from .exceptions import InvalidSignature

#: How old a signed webhook may be (seconds); Stripe's own default.
SIGNATURE_TOLERANCE = 300

# Stripe's PaymentIntent statuses, as strings (the gateways return them unchanged).
REQUIRES_PAYMENT_METHOD = "requires_payment_method"
REQUIRES_CONFIRMATION = "requires_confirmation"
REQUIRES_ACTION = "requires_action"
PROCESSING = "processing"
REQUIRES_CAPTURE = "requires_capture"
SUCCEEDED = "succeeded"
CANCELED = "canceled"


@dataclass(frozen=True)
class Intent:
    """A PaymentIntent as the shop sees it."""

    id: str
    client_secret: str
    status: str
    amount_cents: int
    charge_id: str = ""
    payment_method_type: str = ""
    #: the bank's or Stripe's reason of the last failed attempt (empty when none)
    last_error: str = ""


@dataclass(frozen=True)
class AccountStatus:
    """A merchant's Connect account, as far as the shop cares."""

    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool = False


# Stripe's dispute statuses that end a dispute (the rest — warning_needs_response, needs_response, under_review,
# warning_under_review — are open).
DISPUTE_WON = "won"
DISPUTE_LOST = "lost"
DISPUTE_CLOSED_STATUSES = (DISPUTE_WON, DISPUTE_LOST, "warning_closed")


@dataclass(frozen=True)
class Dispute:
    """A chargeback on the order's charge, as the shop sees it."""

    id: str
    payment_intent_id: str
    charge_id: str
    amount_cents: int
    status: str
    reason: str = ""


class PaymentGateway(Protocol):
    #: False where the server has no Connect (localstripe): no transfer_group, no transfers, no accounts
    supports_connect: bool

    def create_payment(
        self, *, order_ref: str, amount_cents: int, currency: str, idempotency_key: str, metadata: dict
    ) -> Intent: ...

    def retrieve_payment(self, intent_id: str) -> Intent: ...

    def confirm_payment(self, *, intent_id: str, payment_method: str, idempotency_key: str) -> Intent:
        """Attach a payment method and confirm on the server (the stand-in Stripe.js's card path)."""
        ...

    def cancel_payment(self, *, intent_id: str, idempotency_key: str) -> Intent: ...

    def refund(self, *, intent_id: str, amount_cents: int, idempotency_key: str) -> str: ...

    def transfer(
        self, *, amount_cents: int, destination: str, transfer_group: str, source_transaction: str, idempotency_key: str
    ) -> str: ...

    def reverse_transfer(self, *, transfer_id: str, amount_cents: int, idempotency_key: str) -> str: ...

    def create_account(self, *, merchant_ref: str, email: str, country: str, idempotency_key: str) -> str: ...

    def account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str: ...

    def retrieve_account(self, account_id: str) -> AccountStatus: ...

    def retrieve_dispute(self, dispute_id: str) -> Dispute: ...

    def construct_event(self, payload: bytes, signature_header: str) -> dict: ...


def sign_payload(payload: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header for a payload: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_and_parse(payload: bytes, signature_header: str, *, secret: str, tolerance: int = SIGNATURE_TOLERANCE):
    """Check the header the way Stripe's SDK does (any v1 signature may match; not too old); return the JSON.

    Raises `InvalidSignature`. Used by the fake; `StripeGateway` lets the SDK verify.
    """
    try:
        parts = [item.split("=", 1) for item in (signature_header or "").split(",")]
        timestamp = int(next(value for key, value in parts if key == "t"))
        signatures = [value for key, value in parts if key == "v1"]
    except (StopIteration, ValueError) as error:
        raise InvalidSignature() from error
    expected = sign_payload(payload, secret=secret, timestamp=timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignature()
    if tolerance and timestamp < time.time() - tolerance:
        raise InvalidSignature()
    try:
        return json.loads(payload)
    except ValueError as error:
        raise InvalidSignature() from error
