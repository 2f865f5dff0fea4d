"""Every state change of the loyalty app; each public function is one transaction (or a chunked job).

- passes: `join_pass`, `update_pass_profile`, `block_pass`, `replace_pass_codes`, `set_pin`, `identify_pass_for_spend`
- till: `parse_pass_code`, `award_for_purchase`, `undo_till_transaction`, `refund_purchase`
- ledger: `spend_points`, `adjust_points`, `expire_points`, `check_ledger`
- corrections (a manager's, four eyes above the threshold): `correct_points`, `approve_correction`,
  `reject_correction`
- settlement: `compute_statement`, `get_statement`, `statement_detail_rows`, `issue_statement`,
  `record_payment`, `settlement_overview` (the rules are in its docstring and in docs/loyalty-settlement.md)
- giftcards: `sell_gift_card`, `spend_gift_card`, `undo_gift_card_spend`, `expire_gift_cards`, `check_gift_cards`,
  `read_gift_card_balance` (the holder's balance page),
  and the primitives of the till's checkout: `lock_gift_card`, `gift_cards_of_pass`, `debit_gift_cards`,
  `reverse_gift_card_entries`
- notices: `send_expiry_notices`
- online (the webshop's calls, keys derived from the order): `voucher_for_order`, `redeem_voucher_online`,
  `release_voucher_online`, `gift_card_balance`, `spend_gift_cards_online`, `give_back_gift_cards_online`,
  `return_to_gift_cards_online`, `award_online_points`, `reverse_online_points`, `pass_of`
- campaigns: `active_campaigns`, `campaign_extra`, `issue_campaign_vouchers`, and running them: `save_campaign`,
  `end_campaign` (the rules in `check_campaign`)
- rewards: `choose_reward`, `cancel_reward_voucher`, and keeping the catalogue: `save_reward`, `switch_reward`
  (the rules in `check_reward`)
- vouchers: `issue_voucher`, and for the till's checkout `voucher_for_till`, `mark_voucher_redeemed`,
  `release_voucher`

See each module's docstring for the locking and idempotency rules they share.
"""

from ..codes import PassCode, new_gift_card_number, parse_gift_card_number, parse_pass_code
from .campaigns import (
    active_campaigns,
    campaign_extra,
    check_campaign,
    end_campaign,
    issue_campaign_vouchers,
    save_campaign,
)
from .corrections import CorrectionResult, approve_correction, correct_points, reject_correction
from .giftcards import (
    GiftCardMismatch,
    GiftCardResult,
    check_gift_cards,
    debit_gift_cards,
    expire_gift_cards,
    gift_cards_of_pass,
    lock_gift_card,
    read_gift_card_balance,
    reverse_gift_card_entries,
    sell_gift_card,
    spend_gift_card,
    undo_gift_card_spend,
)
from .ledger import LedgerMismatch, adjust_points, check_ledger, expire_points, spend_points
from .notices import send_expiry_notices
from .online import (
    OnlinePoints,
    OnlinePurchase,
    PartRefund,
    award_online_points,
    gift_card_balance,
    give_back_gift_cards_online,
    pass_of,
    redeem_voucher_online,
    release_voucher_online,
    return_to_gift_cards_online,
    reverse_online_points,
    spend_gift_cards_online,
    voucher_for_order,
    voucher_merchant_ids,
)
from .passes import (
    block_pass,
    clean_profile,
    identify_pass_for_spend,
    join_pass,
    replace_pass_codes,
    set_pin,
    update_pass_profile,
)
from .rewards import cancel_reward_voucher, check_reward, choose_reward, save_reward, switch_reward
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
    record_payment,
    settlement_overview,
    statement_detail_rows,
)
from .till import TillResult, award_for_purchase, calculate_points, refund_purchase, undo_till_transaction
from .vouchers import issue_voucher, mark_voucher_redeemed, release_voucher, voucher_for_till

__all__ = [
    "CorrectionResult",
    "DetailRow",
    "GiftCardMismatch",
    "GiftCardResult",
    "InvalidPeriod",
    "LedgerMismatch",
    "OnlinePoints",
    "OnlinePurchase",
    "OverlappingStatement",
    "Overview",
    "PartRefund",
    "PassCode",
    "PeriodNotClosed",
    "Quantities",
    "Rates",
    "Statement",
    "StatementLine",
    "TillResult",
    "active_campaigns",
    "adjust_points",
    "approve_correction",
    "award_for_purchase",
    "award_online_points",
    "block_pass",
    "calculate_points",
    "campaign_extra",
    "cancel_reward_voucher",
    "check_campaign",
    "check_gift_cards",
    "check_ledger",
    "check_reward",
    "choose_reward",
    "clean_profile",
    "compute_statement",
    "correct_points",
    "debit_gift_cards",
    "end_campaign",
    "expire_gift_cards",
    "expire_points",
    "get_statement",
    "gift_card_balance",
    "gift_cards_of_pass",
    "give_back_gift_cards_online",
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
    "pass_of",
    "read_gift_card_balance",
    "record_payment",
    "redeem_voucher_online",
    "refund_purchase",
    "reject_correction",
    "release_voucher",
    "release_voucher_online",
    "replace_pass_codes",
    "return_to_gift_cards_online",
    "reverse_gift_card_entries",
    "reverse_online_points",
    "save_campaign",
    "save_reward",
    "sell_gift_card",
    "send_expiry_notices",
    "set_pin",
    "settlement_overview",
    "spend_gift_card",
    "spend_gift_cards_online",
    "spend_points",
    "statement_detail_rows",
    "switch_reward",
    "undo_gift_card_spend",
    "undo_till_transaction",
    "update_pass_profile",
    "voucher_for_order",
    "voucher_for_till",
    "voucher_merchant_ids",
]
