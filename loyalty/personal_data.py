"""Registers the loyalty app's personal data with the privacy registry.

The pass holds the profile the member chose to give (postcode, age band), the card number, and which contract terms
the member accepted on joining (version, hash, moment: kept on erasure, as the record of the contract).
On erasure the profile is emptied, the pass blocked, and its secrets replaced, so neither the app's
codes nor the printed card work again. The ledger, the till transactions and the webshop's points per shop
are bookkeeping: they name no one (ids, amounts, points, times) and stay for the collective's settlement and
books, linked only to the anonymised account through the blocked pass.
"""

from django.utils.translation import gettext_lazy as _

from agora.money import format_euros
from privacy.registry import register

from . import totp
from .codes import group_card_number, group_voucher_code
from .models import (
    GiftCard,
    GiftCardChange,
    GiftCardEntry,
    LedgerEntry,
    OnlinePointsShare,
    Pass,
    PassStatus,
    PointLot,
    PointsCorrection,
    TillTransaction,
    Voucher,
    VoucherKind,
)
from .selectors import entry_label
from .templatetags.loyalty_points import signed_points

# The export page shows what the app shows (the JSON keeps the stored values): card numbers and voucher codes in
# groups, an entry by the name the history gives it ("Welkomstbonus", not the stored "welcome").

register(
    Pass,
    label=_("Your city passes"),
    subject_path="member",
    fields=[
        "area",
        "card_number",
        "postcode",
        "age_band",
        "status",
        "joined_at",
        "terms_version",
        "terms_sha256",
        "terms_accepted_at",
        "points_balance",
    ],
    display={"card_number": lambda member_pass: group_card_number(member_pass.card_number)},
    on_erase="anonymise",
    anonymise={
        "postcode": "",
        "age_band": "",
        "status": PassStatus.BLOCKED,
        "pin_hash": "",
        "failed_pin_attempts": 0,
        # A new secret nobody has: the installed app's codes stop working.
        "totp_secret": lambda member_pass: totp.new_secret(),
    },
    order=50,
)
register(
    LedgerEntry,
    label=_("Points history"),
    subject_path="member_pass__member",
    fields=["kind", "points", "occurred_at", "merchant", "reason"],
    # Points as the history writes them: +25 in, −300 out (a true minus, as the euros beside them).
    display={"reason": entry_label, "points": lambda entry: signed_points(entry.points)},
    related=["till_transaction"],
    on_erase="keep",
)
# Which shop's part of a webshop order the points were for: like a till transaction, it says where the member
# bought, so it is in the export; it names no one and is the merchant's settlement, so it stays on erasure.
register(
    OnlinePointsShare,
    label=_("Points from webshop orders, per shop"),
    subject_path="entry__member_pass__member",
    fields=["entry", "merchant", "points", "campaign", "campaign_points"],
    display={"entry": lambda share: entry_label(share.entry)},
    related=["entry__till_transaction"],
    on_erase="keep",
)
register(
    PointLot,
    label=_("Points and when they expire"),
    subject_path="member_pass__member",
    fields=["points", "remaining", "earned_at", "expires_at"],
    on_erase="keep",
)
register(
    TillTransaction,
    label=_("Purchases scanned at the till"),
    subject_path="member_pass__member",
    fields=["kind", "merchant", "amount_cents", "points", "receipt_number", "occurred_at"],
    on_erase="keep",
)

# Vouchers: the member sees theirs in the export (the code included: it is theirs and names no one). Kept on
# erasure as bookkeeping (the settlement reimburses redeemed ones); the pass they are bound to is blocked, so
# an unused pass-bound voucher cannot be used any more.
register(
    Voucher,
    label=_("Your vouchers"),
    subject_path="member_pass__member",
    fields=["code", "kind", "value_cents", "percent", "reward", "valid_from", "expires_at", "issued_at", "redeemed_at"],
    # A percentage voucher has no value of its own, the others no percentage.
    display={
        "code": lambda voucher: group_voucher_code(voucher.code),
        "value_cents": lambda voucher: (
            None if voucher.kind == VoucherKind.PERCENT else format_euros(voucher.value_cents)
        ),
        "percent": lambda voucher: f"{voucher.percent}%" if voucher.kind == VoucherKind.PERCENT else None,
    },
    on_erase="keep",
)

# Gift cards on a member's pass: the value is the collective's bookkeeping (and may be a gift from someone
# else), so the card stays; its PIN goes, so only the (blocked) pass could ever have used it.
register(
    GiftCard,
    label=_("Gift cards on your pass"),
    subject_path="member_pass__member",
    fields=["area", "number", "issued_at", "expires_at", "balance_cents", "status"],
    display={"number": lambda card: group_card_number(card.number)},
    on_erase="anonymise",
    anonymise={"pin_hash": "", "failed_pin_attempts": 0},
)
register(
    GiftCardEntry,
    label=_("Gift card history"),
    subject_path="card__member_pass__member",
    fields=["kind", "amount_cents", "occurred_at", "merchant"],
    on_erase="keep",
)
# The desk blocking or unblocking such a card, or clearing its PIN lock (and why): the card's record, kept with it.
register(
    GiftCardChange,
    label=_("Blocks and PIN locks of the gift cards on your pass"),
    subject_path="card__member_pass__member",
    fields=["card", "kind", "reason", "occurred_at"],
    display={"reason": lambda change: change.reason_display},  # "Kwijt", not the stored "lost"
    on_erase="keep",
)

# Corrections of the member's points a manager asked for: the member sees them (and why) in the export; like the
# ledger they are bookkeeping and stay on erasure.
register(
    PointsCorrection,
    label=_("Corrections of your points"),
    subject_path="member_pass__member",
    fields=["points", "reason", "status", "requested_at", "decided_at"],
    on_erase="keep",
)
