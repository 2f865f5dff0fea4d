"""Every state change of the loyalty app; each public function is one transaction (or a chunked job).

- passes: `join_pass`, `update_pass_profile`, `block_pass`, `set_pin`, `identify_pass_for_spend`
- till: `parse_pass_code`, `award_for_purchase`, `undo_till_transaction`, `refund_purchase`
- ledger: `spend_points`, `adjust_points`, `expire_points`, `check_ledger`
- settlement: `compute_statement`, `get_statement`, `statement_detail_rows`, `issue_statement`,
  `settlement_overview` (the rules are in its docstring and in docs/loyalty-settlement.md)
- giftcards: `sell_gift_card`, `spend_gift_card`, `undo_gift_card_spend`, `expire_gift_cards`, `check_gift_cards`,
  and the primitives of the till's checkout: `lock_gift_card`, `gift_cards_of_pass`, `debit_gift_cards`,
  `reverse_gift_card_entries`
- notices: `send_expiry_notices`
- campaigns: `active_campaigns`, `campaign_extra`, `issue_campaign_vouchers`
- rewards: `choose_reward`, `cancel_reward_voucher`
- vouchers: `issue_voucher`, and for the till's checkout `voucher_for_till`, `mark_voucher_redeemed`,
  `release_voucher`

See each module's docstring for the locking and idempotency rules they share.
"""

from ..codes import PassCode, new_gift_card_number, parse_gift_card_number, parse_pass_code
from .campaigns import active_campaigns, campaign_extra, issue_campaign_vouchers
from .giftcards import (
    GiftCardMismatch,
    GiftCardResult,
    check_gift_cards,
    debit_gift_cards,
    expire_gift_cards,
    gift_cards_of_pass,
    lock_gift_card,
    reverse_gift_card_entries,
    sell_gift_card,
    spend_gift_card,
    undo_gift_card_spend,
)
from .ledger import LedgerMismatch, adjust_points, check_ledger, expire_points, spend_points
from .notices import send_expiry_notices
from .passes import block_pass, clean_profile, identify_pass_for_spend, join_pass, set_pin, update_pass_profile
from .rewards import cancel_reward_voucher, choose_reward
from .settlement import (
    DetailRow,
    InvalidPeriod,
    OverlappingStatement,
    Overview,
    PeriodNotClosed,
    Quantities,
    Rates,
    Statement,
    StatementLine,
    compute_statement,
    get_statement,
    issue_statement,
    month_period,
    settlement_overview,
    statement_detail_rows,
)
from .till import TillResult, award_for_purchase, calculate_points, refund_purchase, undo_till_transaction
from .vouchers import issue_voucher, mark_voucher_redeemed, release_voucher, voucher_for_till

__all__ = [
    "DetailRow",
    "GiftCardMismatch",
    "GiftCardResult",
    "InvalidPeriod",
    "LedgerMismatch",
    "OverlappingStatement",
    "Overview",
    "PassCode",
    "PeriodNotClosed",
    "Quantities",
    "Rates",
    "Statement",
    "StatementLine",
    "TillResult",
    "active_campaigns",
    "adjust_points",
    "award_for_purchase",
    "block_pass",
    "calculate_points",
    "campaign_extra",
    "cancel_reward_voucher",
    "check_gift_cards",
    "check_ledger",
    "choose_reward",
    "clean_profile",
    "compute_statement",
    "debit_gift_cards",
    "expire_gift_cards",
    "expire_points",
    "get_statement",
    "gift_cards_of_pass",
    "identify_pass_for_spend",
    "issue_campaign_vouchers",
    "issue_statement",
    "issue_voucher",
    "join_pass",
    "lock_gift_card",
    "mark_voucher_redeemed",
    "month_period",
    "new_gift_card_number",
    "parse_gift_card_number",
    "parse_pass_code",
    "refund_purchase",
    "release_voucher",
    "reverse_gift_card_entries",
    "sell_gift_card",
    "send_expiry_notices",
    "set_pin",
    "settlement_overview",
    "spend_gift_card",
    "spend_points",
    "statement_detail_rows",
    "undo_gift_card_spend",
    "undo_till_transaction",
    "update_pass_profile",
    "voucher_for_till",
]
