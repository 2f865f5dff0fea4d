"""`FakeGateway`: Stripe in memory, for tests and for what no local server offers (Connect, iDEAL, Bancontact).

It behaves like Stripe where the shop depends on it:
- an idempotency key returns the first result (the same key with other parameters is an error);
- refunds cannot exceed the charge, reversals cannot exceed the transfer, transfers from a charge
  (`source_transaction`; reversals not counted back) cannot add up to more than the charge;
- every state change emits an event, signed with the webhook secret the way Stripe signs
  (`t=…,v1=HMAC-SHA256`), kept in an outbox the test delivers: `deliveries(copies=3, shuffle=True)`
  duplicates and reorders them, `hold(type)` keeps events back until `release()` (a late webhook).

Ids are deterministic (`pi_fake_0001`, `evt_fake_0001` …). The shopper's side is driven by
`pay(intent_id, method=…)`, `authenticate(…)` and `complete_redirect(…)`; `fail_next(…)` and
`crash_after_next(…)` simulate Stripe refusing a call or a crash after Stripe did it; `open_dispute(…)` and
`close_dispute(…)` are the customer's bank disputing the charge.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import threading
import time

from .exceptions import GatewayError, PaymentDeclined
from .gateway import (
    CANCELED,
    DISPUTE_CLOSED_STATUSES,
    PROCESSING,
    REQUIRES_ACTION,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
    AccountStatus,
    Dispute,
    Intent,
    sign_payload,
    verify_and_parse,
)

#: Test payment methods (Stripe's names where Stripe has one) → (type, what happens on confirm).
METHODS = {
    "pm_card_visa": ("card", SUCCEEDED),
    "pm_card_threeDSecure2Required": ("card", REQUIRES_ACTION),
    "pm_card_chargeCustomerFail": ("card", "declined"),
    "pm_ideal": ("ideal", REQUIRES_ACTION),  # a redirect to the bank, then `complete_redirect`
    "pm_bancontact": ("bancontact", REQUIRES_ACTION),
}
SHORT_METHODS = {"card": "pm_card_visa", "ideal": "pm_ideal", "bancontact": "pm_bancontact"}


class FakeGateway:
    supports_connect = True

    def __init__(self, *, webhook_secret: str = "whsec_fake"):
        self.webhook_secret = webhook_secret
        self._lock = threading.RLock()
        self._counters: dict[str, itertools.count] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        self.reversals: dict[str, dict] = {}
        self.accounts: dict[str, dict] = {}
        self.disputes: dict[str, dict] = {}
        self.calls: list[tuple[str, str]] = []  # (call, idempotency key) of every POST
        self.outbox: list[dict] = []  # events not yet delivered
        self.held: list[dict] = []
        self._hold_types: set[str] = set()
        self._idempotent: dict[str, tuple[str, tuple, object]] = {}
        self._fail_next: dict[str, Exception] = {}
        self._crash_after_next: set[str] = set()

    # --- helpers ---------------------------------------------------------------------------------------
    def _id(self, prefix: str) -> str:
        counter = self._counters.setdefault(prefix, itertools.count(1))
        return f"{prefix}_fake_{next(counter):04d}"

    def _post(self, call: str, key: str, params: tuple, do):
        """One POST: the failure switches, then the idempotency table, then the call itself."""
        with self._lock:
            self.calls.append((call, key))
            if call in self._fail_next:
                raise self._fail_next.pop(call)
            if key in self._idempotent:
                first_call, first_params, result = self._idempotent[key]
                if (first_call, first_params) != (call, params):
                    raise GatewayError(detail=f"idempotency key {key} reused with other parameters")
                return copy.deepcopy(result) if isinstance(result, dict) else result
            result = do()
            self._idempotent[key] = (call, params, copy.deepcopy(result) if isinstance(result, dict) else result)
            if call in self._crash_after_next:  # Stripe did it; our side never heard the answer
                self._crash_after_next.discard(call)
                raise GatewayError(detail=f"connection lost after {call}")
            return result

    def _emit(self, event_type: str, obj: dict, *, account: str | None = None) -> None:
        event = {
            "id": self._id("evt"),
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": copy.deepcopy(obj)},
        }
        if account:
            event["account"] = account
        (self.held if event_type in self._hold_types else self.outbox).append(event)

    def _intent(self, intent_id: str) -> dict:
        try:
            return self.intents[intent_id]
        except KeyError:
            raise GatewayError(detail=f"no such payment intent {intent_id}") from None

    @staticmethod
    def _as_intent(pi: dict) -> Intent:
        return Intent(
            id=pi["id"],
            client_secret=pi["client_secret"],
            status=pi["status"],
            amount_cents=pi["amount"],
            charge_id=pi["latest_charge"] or "",
            payment_method_type=pi["payment_method_type"],
            last_error=(pi["last_payment_error"] or {}).get("message", ""),
        )

    def _succeed(self, pi: dict) -> None:
        pi["status"] = SUCCEEDED
        pi["latest_charge"] = self._id("ch")
        pi["last_payment_error"] = None
        self._emit("payment_intent.succeeded", pi)

    def _fail(self, pi: dict, message: str) -> None:
        pi["status"] = REQUIRES_PAYMENT_METHOD
        pi["payment_method"] = None
        pi["last_payment_error"] = {"code": "card_declined", "message": message}
        self._emit("payment_intent.payment_failed", pi)

    # --- the port -------------------------------------------------------------------------------------
    def create_payment(self, *, order_ref, amount_cents, currency, idempotency_key, metadata) -> Intent:
        def do():
            # the order's number in the id keeps ids unique across processes (each gunicorn worker has its own fake)
            intent_id = self._id(f"pi_{order_ref}")
            pi = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount_cents,
                "currency": currency,
                "status": REQUIRES_PAYMENT_METHOD,
                "client_secret": f"{intent_id}_secret_fake",
                "latest_charge": None,
                "payment_method": None,
                "payment_method_type": "",
                "payment_method_types": ["card", "ideal", "bancontact"],
                "transfer_group": order_ref,
                "metadata": {**{k: str(v) for k, v in metadata.items()}, "order": order_ref},
                "last_payment_error": None,
                "amount_refunded": 0,
            }
            self.intents[intent_id] = pi
            return pi

        params = (order_ref, amount_cents, currency, tuple(sorted(metadata.items())))
        return self._as_intent(self._post("create_payment", idempotency_key, params, do))

    def retrieve_payment(self, intent_id: str) -> Intent:
        with self._lock:
            if "retrieve_payment" in self._fail_next:
                raise self._fail_next.pop("retrieve_payment")
            return self._as_intent(self._intent(intent_id))

    def confirm_payment(self, *, intent_id, payment_method, idempotency_key) -> Intent:
        def do():
            pi = self._intent(intent_id)
            if pi["status"] != REQUIRES_PAYMENT_METHOD:
                raise GatewayError(detail=f"payment intent is {pi['status']}")
            method_type, outcome = METHODS.get(payment_method, ("card", SUCCEEDED))
            pi["payment_method"] = payment_method
            pi["payment_method_type"] = method_type
            if outcome == SUCCEEDED:
                self._succeed(pi)
            elif outcome == REQUIRES_ACTION:
                pi["status"] = REQUIRES_ACTION
            else:
                self._fail(pi, "Your card was declined.")
            return copy.deepcopy(pi)

        pi = self._post("confirm_payment", idempotency_key, (intent_id, payment_method), do)
        if pi["status"] == REQUIRES_PAYMENT_METHOD and pi["last_payment_error"]:
            raise PaymentDeclined(code="card_declined")
        return self._as_intent(pi)

    def cancel_payment(self, *, intent_id, idempotency_key) -> Intent:
        def do():
            pi = self._intent(intent_id)
            if pi["status"] in (SUCCEEDED, CANCELED):
                raise GatewayError(detail=f"payment intent is {pi['status']}")
            pi["status"] = CANCELED
            self._emit("payment_intent.canceled", pi)
            return copy.deepcopy(pi)

        return self._as_intent(self._post("cancel_payment", idempotency_key, (intent_id,), do))

    def refund(self, *, intent_id, amount_cents, idempotency_key) -> str:
        def do():
            pi = self._intent(intent_id)
            if pi["status"] != SUCCEEDED:
                raise GatewayError(detail="nothing was charged")
            if amount_cents <= 0 or pi["amount_refunded"] + amount_cents > pi["amount"]:
                raise GatewayError(detail="refund exceeds the charge")
            pi["amount_refunded"] += amount_cents
            refund_id = self._id("re")
            self.refunds[refund_id] = {"id": refund_id, "payment_intent": intent_id, "amount": amount_cents}
            self._emit(
                "charge.refunded",
                {
                    "id": pi["latest_charge"],
                    "object": "charge",
                    "payment_intent": intent_id,
                    "amount": pi["amount"],
                    "amount_refunded": pi["amount_refunded"],
                },
            )
            return refund_id

        return self._post("refund", idempotency_key, (intent_id, amount_cents), do)

    def transfer(self, *, amount_cents, destination, transfer_group, source_transaction, idempotency_key) -> str:
        def do():
            if destination not in self.accounts:
                raise GatewayError(detail=f"no such account {destination}")
            charges = {pi["latest_charge"]: pi for pi in self.intents.values() if pi["latest_charge"]}
            if source_transaction and source_transaction not in charges:
                raise GatewayError(detail=f"no such charge {source_transaction}")
            if source_transaction:
                # Stripe refuses transfers from a charge that add up to more than the charge.
                # (reversals not counted back: at least as strict as Stripe)
                taken = sum(
                    t["amount"] for t in self.transfers.values() if t["source_transaction"] == source_transaction
                )
                if amount_cents + taken > charges[source_transaction]["amount"]:
                    raise GatewayError(detail="transfers exceed the source transaction")
            transfer_id = self._id("tr")
            self.transfers[transfer_id] = {
                "id": transfer_id,
                "amount": amount_cents,
                "destination": destination,
                "transfer_group": transfer_group,
                "source_transaction": source_transaction,
                "amount_reversed": 0,
            }
            self._emit("transfer.created", self.transfers[transfer_id])
            return transfer_id

        params = (amount_cents, destination, transfer_group, source_transaction)
        return self._post("transfer", idempotency_key, params, do)

    def reverse_transfer(self, *, transfer_id, amount_cents, idempotency_key) -> str:
        def do():
            transfer = self.transfers.get(transfer_id)
            if transfer is None:
                raise GatewayError(detail=f"no such transfer {transfer_id}")
            if amount_cents <= 0 or transfer["amount_reversed"] + amount_cents > transfer["amount"]:
                raise GatewayError(detail="reversal exceeds the transfer")
            transfer["amount_reversed"] += amount_cents
            reversal_id = self._id("trr")
            self.reversals[reversal_id] = {"id": reversal_id, "transfer": transfer_id, "amount": amount_cents}
            return reversal_id

        return self._post("reverse_transfer", idempotency_key, (transfer_id, amount_cents), do)

    def create_account(self, *, merchant_ref, email, country, idempotency_key) -> str:
        def do():
            account_id = self._id("acct")
            self.accounts[account_id] = {
                "id": account_id,
                "object": "account",
                "email": email,
                "country": country,
                "metadata": {"merchant": merchant_ref},
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
            }
            return account_id

        return self._post("create_account", idempotency_key, (merchant_ref, email, country), do)

    def account_link(self, *, account_id, refresh_url, return_url) -> str:
        with self._lock:
            if account_id not in self.accounts:
                raise GatewayError(detail=f"no such account {account_id}")
            return f"https://connect.stripe.test/setup/{account_id}?return_url={return_url}"

    def retrieve_account(self, account_id: str) -> AccountStatus:
        with self._lock:
            account = self.accounts.get(account_id)
            if account is None:
                raise GatewayError(detail=f"no such account {account_id}")
            return AccountStatus(
                id=account_id,
                charges_enabled=account["charges_enabled"],
                payouts_enabled=account["payouts_enabled"],
                details_submitted=account["details_submitted"],
            )

    def retrieve_dispute(self, dispute_id: str) -> Dispute:
        with self._lock:
            dispute = self.disputes.get(dispute_id)
            if dispute is None:
                raise GatewayError(detail=f"no such dispute {dispute_id}")
            return Dispute(
                id=dispute_id,
                payment_intent_id=dispute["payment_intent"],
                charge_id=dispute["charge"],
                amount_cents=dispute["amount"],
                status=dispute["status"],
                reason=dispute["reason"],
            )

    def construct_event(self, payload: bytes, signature_header: str) -> dict:
        return verify_and_parse(payload, signature_header, secret=self.webhook_secret)

    # --- the shopper's and Stripe's side (tests drive these) ----------------------------------------------
    def pay(self, intent_id: str, *, method: str = "card") -> Intent:
        """The shopper pays in the browser: confirm with a test method; iDEAL/Bancontact come back at once."""
        payment_method = SHORT_METHODS.get(method, method)
        intent = self.confirm_payment(
            intent_id=intent_id, payment_method=payment_method, idempotency_key=f"browser:{intent_id}:{payment_method}"
        )
        if method in ("ideal", "bancontact"):
            return self.complete_redirect(intent_id, success=True)
        return intent

    def authenticate(self, intent_id: str, *, success: bool = True) -> Intent:
        """3-D Secure: the shopper completes (or fails) the challenge."""
        return self.complete_redirect(intent_id, success=success)

    def complete_redirect(self, intent_id: str, *, success: bool = True) -> Intent:
        """The shopper comes back from the bank (iDEAL, Bancontact) or the 3-D Secure page."""
        with self._lock:
            pi = self._intent(intent_id)
            if pi["status"] != REQUIRES_ACTION:
                return self._as_intent(pi)
            if success:
                self._succeed(pi)
            else:
                self._fail(pi, "The payment was not authorised.")
            return self._as_intent(pi)

    def set_processing(self, intent_id: str) -> None:
        with self._lock:
            pi = self._intent(intent_id)
            pi["status"] = PROCESSING
            self._emit("payment_intent.processing", pi)

    def enable_account(self, account_id: str, *, charges: bool = True, payouts: bool = True) -> None:
        """Stripe finished the merchant's onboarding: `account.updated` (a Connect event)."""
        with self._lock:
            account = self.accounts[account_id]
            account.update(charges_enabled=charges, payouts_enabled=payouts, details_submitted=True)
            self._emit("account.updated", account, account=account_id)

    def open_dispute(self, intent_id: str, *, amount_cents: int | None = None, reason: str = "fraudulent") -> str:
        """The customer's bank disputes the charge: Stripe takes the amount from the platform's balance and emits
        `charge.dispute.created`. Returns the dispute's id."""
        with self._lock:
            pi = self._intent(intent_id)
            if pi["status"] != SUCCEEDED:
                raise GatewayError(detail="nothing was charged")
            dispute_id = self._id("dp")
            self.disputes[dispute_id] = {
                "id": dispute_id,
                "object": "dispute",
                "charge": pi["latest_charge"],
                "payment_intent": intent_id,
                "amount": pi["amount"] if amount_cents is None else amount_cents,
                "status": "needs_response",
                "reason": reason,
            }
            self._emit("charge.dispute.created", self.disputes[dispute_id])
            return dispute_id

    def close_dispute(self, dispute_id: str, *, status: str = "won") -> None:
        """The bank decides (`won`: the money comes back to the platform, `lost`: it stays with the customer)."""
        if status not in DISPUTE_CLOSED_STATUSES:
            raise ValueError(status)
        with self._lock:
            dispute = self.disputes[dispute_id]
            dispute["status"] = status
            self._emit("charge.dispute.closed", dispute)

    def fail_next(self, call: str, error: Exception | None = None) -> None:
        self._fail_next[call] = error or GatewayError(detail=f"{call} refused")

    def crash_after_next(self, call: str) -> None:
        self._crash_after_next.add(call)

    # --- webhook delivery -----------------------------------------------------------------------------
    def hold(self, event_type: str) -> None:
        """Keep events of this type back (a webhook that comes late) until `release()`."""
        self._hold_types.add(event_type)

    def release(self) -> None:
        with self._lock:
            self._hold_types.clear()
            self.outbox.extend(self.held)
            self.held.clear()

    def drop(self) -> list[dict]:
        """Lose the pending events (a webhook that never arrives); returns them."""
        with self._lock:
            lost, self.outbox = self.outbox, []
            return lost

    def sign(self, event: dict, *, timestamp: int | None = None, secret: str | None = None) -> tuple[bytes, str]:
        payload = json.dumps(event, indent=2, sort_keys=True).encode()
        return payload, sign_payload(payload, secret=secret or self.webhook_secret, timestamp=timestamp)

    def deliveries(self, *, copies: int = 1, shuffle: bool = False, seed: int = 0) -> list[tuple[bytes, str]]:
        """Take the pending events as signed (payload, header) pairs, each `copies` times, maybe shuffled."""
        with self._lock:
            events, self.outbox = self.outbox, []
        signed = [self.sign(event) for event in events for _ in range(copies)]
        if shuffle:
            random.Random(seed).shuffle(signed)
        return signed
