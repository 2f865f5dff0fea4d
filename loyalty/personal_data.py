"""Registers the loyalty app's personal data with the privacy registry.

The pass holds the profile the member chose to give (postcode, age band), the card number, and which contract terms
the member accepted on joining (version, hash, moment: kept on erasure, as the record of the contract).
On erasure the profile is emptied, the pass blocked, and its secrets replaced, so neither the app's
codes nor the printed card work again. The ledger, the till transactions and the webshop's points per shop
are bookkeeping: they name no one (ids, amounts, points, times) and stay for the collective's settlement and
books, linked only to the anonymised account through the blocked pass.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from agora.money import format_euros
from privacy.models import ConsentState
from privacy.registry import LOST, OpenItem, register, register_consent_note, register_open_items

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
from .selectors import entry_label, last_day
from .services.passes import PROFILE_PURPOSE
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


# --- What erasure would end (the erasure page lists it before the person confirms) -------------------------------
# Points, a gift card's balance on the pass and the pass's vouchers can only be used with the pass, and the pass is
# blocked on erasure: they are lost, so the page lists them with their amounts and the person accepts that (LOST).
# Nothing here blocks the erasure: the person may give them up. A standalone gift card (own number and PIN) is not
# the account's: it keeps working for whoever holds it, and is not listed.


def _until(expires_at, area) -> str:
    return date_format(last_day(expires_at, area.tz), "j F Y")


def _open_items(person) -> list[OpenItem]:
    now = timezone.now()
    passes = list(
        Pass.objects.filter(member=person).exclude(status=PassStatus.CLOSED).select_related("area").order_by("pk")
    )
    items = []
    for member_pass in passes:
        if member_pass.points_balance > 0:
            points = member_pass.points_balance
            items.append(
                OpenItem(
                    ref=f"loyalty.pass:{member_pass.pk}:{points}",
                    effect=LOST,
                    text=ngettext(
                        "%(points)s point on your %(pass)s",
                        "%(points)s points on your %(pass)s",
                        points,
                    )
                    % {"points": points, "pass": member_pass.area.pass_name},
                    advice=_("Choose a reward with them first and collect it, if you like."),
                    url=reverse("loyalty:rewards"),
                )
            )
    cards = GiftCard.objects.filter(member_pass__in=passes, balance_cents__gt=0, expires_at__gt=now).order_by(
        "expires_at", "pk"
    )
    area_of = {member_pass.pk: member_pass.area for member_pass in passes}
    for card in cards:
        area = area_of[card.member_pass_id]
        items.append(
            OpenItem(
                ref=f"loyalty.giftcard:{card.pk}:{card.balance_cents}",
                effect=LOST,
                text=_("%(amount)s on gift card %(number)s on your %(pass)s, valid until %(date)s")
                % {
                    "amount": format_euros(card.balance_cents),
                    "number": group_card_number(card.number),
                    "pass": area.pass_name,
                    "date": _until(card.expires_at, area),
                },
                advice=_("Spend it first: pay with your pass at the shops. After the erasure nobody can use it."),
                url=reverse("loyalty:gift_card_history"),
            )
        )
    vouchers = (
        Voucher.objects.filter(member_pass__in=passes, redeemed_at__isnull=True, expires_at__gt=now)
        .select_related("reward")
        .order_by("expires_at", "pk")
    )
    for voucher in vouchers:
        area = area_of[voucher.member_pass_id]
        until = _until(voucher.expires_at, area)
        if voucher.kind == VoucherKind.REWARD:
            text = _("Reward “%(title)s”, chosen for %(points)s points and not collected yet, valid until %(date)s") % {
                "title": voucher.reward.shown_title,  # in the page's language, as the wallet shows it
                "points": voucher.reward.cost_points,
                "date": until,
            }
            advice = _("Collect it at the shop first: after the erasure it no longer works.")
        else:
            value = f"{voucher.percent}%" if voucher.kind == VoucherKind.PERCENT else format_euros(voucher.value_cents)
            text = _("Voucher of %(value)s on your %(pass)s, valid until %(date)s") % {
                "value": value,
                "pass": area.pass_name,
                "date": until,
            }
            advice = _("Use it first: after the erasure it no longer works.")
        items.append(
            OpenItem(
                ref=f"loyalty.voucher:{voucher.pk}",
                effect=LOST,
                text=text,
                advice=advice,
                url=reverse("loyalty:wallet"),
            )
        )
    return items


register_open_items("loyalty", _open_items)


# --- The profile kept for the statistics consent ---------------------------------------------------------------
# Withdrawing that consent empties the pass's postcode and age band (`services.passes.forget_withdrawn_profile`), and
# giving it again does not bring them back: the privacy page says both, and where to fill them in again.


def _profile_note(person, area, state: str):
    member_pass = Pass.objects.filter(member=person, area=area).only("postcode", "age_band").first()
    if member_pass is None:
        return None
    if state != ConsentState.GIVEN:
        return _("Your postcode and age group are removed from your pass.")
    if member_pass.postcode or member_pass.age_band:
        return None
    return format_html(
        '{} <a href="{}">{}</a>',
        _("Your pass holds no postcode or age group, so you are not counted by where you live or your age."),
        reverse("loyalty:profile"),
        _("Fill them in on your profile page"),
    )


register_consent_note(PROFILE_PURPOSE, _profile_note)
