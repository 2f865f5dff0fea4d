"""`StripeGateway`: the port on the official `stripe` SDK (16.x, `StripeClient`).

Points at Stripe, or at localstripe (`STRIPE_API_BASE`) in the demo and the contract tests. localstripe
has no Connect: with `connect=False` the PaymentIntent carries no `transfer_group` and asks for cards
only (it rejects unknown parameters), and the Connect calls raise `GatewayError`.
"""

from __future__ import annotations

import json
import logging

import stripe

from .exceptions import GatewayError, InvalidSignature, PaymentDeclined
from .gateway import SIGNATURE_TOLERANCE, AccountStatus, Dispute, Intent

logger = logging.getLogger(__name__)


def _field(obj, name, default=None):
    """A field of a StripeObject or a dict (localstripe returns some nested objects as ids, some expanded)."""
    try:
        value = obj[name]
    except (KeyError, TypeError, AttributeError):
        return default
    return default if value is None else value


def _charge_id(intent) -> str:
    charge = _field(intent, "latest_charge")
    if isinstance(charge, str):
        return charge
    if charge:
        return _field(charge, "id", "")
    charges = _field(_field(intent, "charges", {}), "data", [])  # older API versions (localstripe)
    return _field(charges[0], "id", "") if charges else ""


def _method_type(intent) -> str:
    charge = _field(intent, "latest_charge")
    details = _field(charge, "payment_method_details") if charge and not isinstance(charge, str) else None
    if details:
        return _field(details, "type", "")
    types = _field(intent, "payment_method_types", [])
    return types[0] if len(types) == 1 else ""


def to_intent(intent) -> Intent:
    error = _field(intent, "last_payment_error")
    return Intent(
        id=intent["id"],
        client_secret=_field(intent, "client_secret", ""),
        status=intent["status"],
        amount_cents=int(intent["amount"]),
        charge_id=_charge_id(intent),
        payment_method_type=_method_type(intent),
        last_error=_field(error, "message", "") if error else "",
    )


class StripeGateway:
    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str = "", connect: bool = True):
        base = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(secret_key, base_addresses=base, max_network_retries=2)
        self.webhook_secret = webhook_secret
        self.supports_connect = connect

    # --- calls ----------------------------------------------------------------------------------------
    def _call(self, what: str, function, *args, **kwargs):
        """Run one SDK call; turn Stripe's errors into ours (card refusals apart)."""
        try:
            return function(*args, **kwargs)
        except stripe.CardError as error:
            raise PaymentDeclined(code=error.code or "", detail=error.user_message or "") from error
        except stripe.StripeError as error:
            logger.warning("Stripe %s failed: %s", what, error)
            raise GatewayError(detail=str(error)) from error

    def _connect_only(self, what: str) -> None:
        if not self.supports_connect:
            raise GatewayError(detail=f"{what} needs Stripe Connect, which this server does not offer")

    def create_payment(self, *, order_ref, amount_cents, currency, idempotency_key, metadata) -> Intent:
        params: dict = {
            "amount": amount_cents,
            "currency": currency,
            "metadata": {**{k: str(v) for k, v in metadata.items()}, "order": order_ref},
        }
        if self.supports_connect:
            # One PaymentIntent per order; each merchant's transfer later joins the same group.
            params["transfer_group"] = order_ref
            params["automatic_payment_methods"] = {"enabled": True}
        else:
            params["payment_method_types"] = ["card"]
        intent = self._call(
            "create payment",
            self.client.v1.payment_intents.create,
            params,
            {"idempotency_key": idempotency_key},
        )
        return to_intent(intent)

    def retrieve_payment(self, intent_id: str) -> Intent:
        params = {"expand": ["latest_charge"]} if self.supports_connect else None
        return to_intent(self._call("retrieve payment", self.client.v1.payment_intents.retrieve, intent_id, params))

    def confirm_payment(self, *, intent_id, payment_method, idempotency_key) -> Intent:
        # localstripe confirms only a PaymentIntent that already has its method (confirm(payment_method=…)
        # answers 500 there), so the method is set by an update first; real Stripe accepts both ways.
        self._call(
            "attach payment method",
            self.client.v1.payment_intents.update,
            intent_id,
            {"payment_method": payment_method},
            {"idempotency_key": f"{idempotency_key}:pm"},
        )
        intent = self._call(
            "confirm payment",
            self.client.v1.payment_intents.confirm,
            intent_id,
            None,
            {"idempotency_key": idempotency_key},
        )
        return to_intent(intent)

    def cancel_payment(self, *, intent_id, idempotency_key) -> Intent:
        intent = self._call(
            "cancel payment",
            self.client.v1.payment_intents.cancel,
            intent_id,
            None,
            {"idempotency_key": idempotency_key},
        )
        return to_intent(intent)

    def refund(self, *, intent_id, amount_cents, idempotency_key) -> str:
        refund = self._call(
            "refund",
            self.client.v1.refunds.create,
            {"payment_intent": intent_id, "amount": amount_cents},
            {"idempotency_key": idempotency_key},
        )
        return refund["id"]

    def transfer(self, *, amount_cents, destination, transfer_group, source_transaction, idempotency_key) -> str:
        self._connect_only("A transfer")
        params = {
            "amount": amount_cents,
            "currency": "eur",
            "destination": destination,
            "transfer_group": transfer_group,
        }
        if source_transaction:
            # Paid from this charge's funds when they become available, not from the platform balance.
            params["source_transaction"] = source_transaction
        transfer = self._call("transfer", self.client.v1.transfers.create, params, {"idempotency_key": idempotency_key})
        return transfer["id"]

    def reverse_transfer(self, *, transfer_id, amount_cents, idempotency_key) -> str:
        self._connect_only("A transfer reversal")
        reversal = self._call(
            "reverse transfer",
            self.client.v1.transfers.reversals.create,
            transfer_id,
            {"amount": amount_cents},
            {"idempotency_key": idempotency_key},
        )
        return reversal["id"]

    def create_account(self, *, merchant_ref, email, country, idempotency_key) -> str:
        self._connect_only("A payout account")
        account = self._call(
            "create account",
            self.client.v1.accounts.create,
            {
                "type": "express",
                "country": country,
                "email": email,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"merchant": merchant_ref},
            },
            {"idempotency_key": idempotency_key},
        )
        return account["id"]

    def account_link(self, *, account_id, refresh_url, return_url) -> str:
        self._connect_only("A payout account")
        # An account link is single-use and short-lived: a new one each time is what Stripe expects.
        link = self._call(
            "account link",
            self.client.v1.account_links.create,
            {"account": account_id, "refresh_url": refresh_url, "return_url": return_url, "type": "account_onboarding"},
        )
        return link["url"]

    def retrieve_account(self, account_id: str) -> AccountStatus:
        self._connect_only("A payout account")
        account = self._call("retrieve account", self.client.v1.accounts.retrieve, account_id)
        return AccountStatus(
            id=account["id"],
            charges_enabled=bool(_field(account, "charges_enabled", False)),
            payouts_enabled=bool(_field(account, "payouts_enabled", False)),
            details_submitted=bool(_field(account, "details_submitted", False)),
        )

    def retrieve_dispute(self, dispute_id: str) -> Dispute:
        dispute = self._call("retrieve dispute", self.client.v1.disputes.retrieve, dispute_id)
        intent = _field(dispute, "payment_intent", "") or ""
        charge = _field(dispute, "charge", "") or ""
        return Dispute(
            id=dispute["id"],
            payment_intent_id=intent if isinstance(intent, str) else intent["id"],
            charge_id=charge if isinstance(charge, str) else charge["id"],
            amount_cents=int(_field(dispute, "amount", 0)),
            status=_field(dispute, "status", ""),
            reason=_field(dispute, "reason", "") or "",
        )

    # --- webhooks -------------------------------------------------------------------------------------
    def construct_event(self, payload: bytes, signature_header: str) -> dict:
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature_header, self.webhook_secret, SIGNATURE_TOLERANCE
            )
            return json.loads(payload)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as error:
            raise InvalidSignature() from error
