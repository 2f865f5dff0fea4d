"""Idempotency keys for every Stripe POST, derived from our own ids.

The SDK adds a random key per call, which only covers that call's network retries; a Celery retry or a
rerun after a crash must send the same key again so Stripe returns the first result (Stripe keeps keys
for at least 24 hours). The rows that stand for these calls keep the key under a unique constraint.
"""


def payment_key(order_public_id: str) -> str:
    return f"pi:{order_public_id}"


def fresh_payment_key(order_public_id: str, replaced_intent_id: str) -> str:
    """A new intent for the order after `replaced_intent_id` could not be confirmed again (declined, or its
    3-D Secure abandoned): one per replaced intent, so two tabs replacing the same one get the same new intent."""
    return f"pi:{order_public_id}:after:{replaced_intent_id}"


def confirm_key(intent_id: str, payment_method: str) -> str:
    return f"pic:{intent_id}:{payment_method}"


def cancel_key(intent_id: str) -> str:
    return f"pix:{intent_id}"


def refund_key(refund_key: str) -> str:
    return f"re:{refund_key}"


def transfer_key(part_id: int) -> str:
    return f"tr:{part_id}"


def reversal_key(refund_id: int) -> str:
    return f"trr:{refund_id}"


def account_key(merchant_id: int) -> str:
    return f"acct:{merchant_id}"
