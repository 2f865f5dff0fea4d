"""Every state change of the loyalty app; each public function is one transaction (or a chunked job).

- passes: `join_pass`, `update_pass_profile`, `block_pass`, `set_pin`, `identify_pass_for_spend`
- till: `parse_pass_code`, `award_for_purchase`, `undo_till_transaction`, `refund_purchase`
- ledger: `spend_points`, `adjust_points`, `expire_points`, `check_ledger`

See each module's docstring for the locking and idempotency rules they share.
"""

from ..codes import PassCode, parse_pass_code
from .ledger import LedgerMismatch, adjust_points, check_ledger, expire_points, spend_points
from .passes import block_pass, clean_profile, identify_pass_for_spend, join_pass, set_pin, update_pass_profile
from .till import TillResult, award_for_purchase, calculate_points, refund_purchase, undo_till_transaction

__all__ = [
    "LedgerMismatch",
    "PassCode",
    "TillResult",
    "adjust_points",
    "award_for_purchase",
    "block_pass",
    "calculate_points",
    "check_ledger",
    "clean_profile",
    "expire_points",
    "identify_pass_for_spend",
    "join_pass",
    "parse_pass_code",
    "refund_purchase",
    "set_pin",
    "spend_points",
    "undo_till_transaction",
    "update_pass_profile",
]
