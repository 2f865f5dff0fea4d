"""Gift cards ("cadeaukaart"): stored value in cents with its own append-only ledger, separate from points.

Rules every function here keeps:

- `GiftCardEntry` rows are only inserted. `GiftCard.balance_cents` is a projection, changed only here and
  only while the card's row is locked (`lock_gift_card`): the lock serialises every change of one card.
- Several cards are locked in primary-key order (the expiry job, `gift_cards_of_pass`), so two jobs or a
  job and a checkout never deadlock. The till's checkout holds the pass lock first, then its cards' locks.
- Every entry has a unique request key. A client's retry finds its first entry under the card lock; keys
  of entries the system makes (a spend per card at checkout, a reversal, an expiry) are derived (uuid5)
  from what they are about, so doing it twice cannot make an entry twice.
- Gift cards sold in the Netherlands since 2022 must stay valid at least two years: the area's
  `giftcard_validity_months` is at least 24 (a check constraint on LoyaltySettings).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can
from areas.models import MerchantStatus
from privacy.models import AuditAction
from privacy.services import log_access

from ..codes import new_gift_card_number, parse_gift_card_number
from ..exceptions import (
    AlreadyUndone,
    GiftCardBlocked,
    GiftCardBlockReasonMissing,
    GiftCardExpired,
    GiftCardNoPin,
    GiftCardNotFound,
    GiftCardPinLocked,
    GiftCardUndoWindowClosed,
    GiftCardWrongPin,
    InsufficientGiftCardBalance,
    InvalidAmount,
    InvalidGiftCardAmount,
    InvalidPin,
    NotAllowed,
    PassBlocked,
    PassNotFound,
    RequestKeyReused,
    TransactionNotFound,
)
from ..models import (
    GIFT_CARD_BLOCK_REASONS,
    GiftCard,
    GiftCardChange,
    GiftCardChangeKind,
    GiftCardEntry,
    GiftCardEntryKind,
    GiftCardStatus,
    LoyaltySettings,
)
from .guards import MAX_PIN_ATTEMPTS, PIN_PATTERN, require_till
from .ledger import add_months, derived_key

logger = logging.getLogger(__name__)

#: The smallest value a gift card is sold for.
MIN_LOAD_CENTS = 500
SELL_ACTION = "loyalty.sell_gift_cards"
_NUMBER_ATTEMPTS = 5


@dataclass(frozen=True)
class GiftCardResult:
    """What the till shows after a gift-card payment or its undo.

    `amount_cents` is what the entry moved, positive (taken for a spend, given back for an undo);
    `balance_after_cents` is the card's balance right after that entry. `is_replay` is True when this
    is the stored answer to an earlier request with the same key.
    """

    entry_id: int
    amount_cents: int
    balance_after_cents: int
    card_number_display: str
    is_replay: bool = False
    occurred_at: datetime | None = None
    kind: str = GiftCardEntryKind.SPEND


def _valid_amount(amount_cents) -> bool:
    return not isinstance(amount_cents, bool) and isinstance(amount_cents, int) and amount_cents > 0


def _balance_after(entry: GiftCardEntry) -> int:
    # Entries of a card are inserted under its lock, so primary-key order is the order they happened in.
    return GiftCardEntry.objects.filter(card_id=entry.card_id, pk__lte=entry.pk).aggregate(
        total=Coalesce(Sum("amount_cents"), 0)
    )["total"]


def _result(entry: GiftCardEntry, card: GiftCard, *, balance_after: int | None = None, is_replay=False):
    return GiftCardResult(
        entry_id=entry.pk,
        amount_cents=abs(entry.amount_cents),
        balance_after_cents=_balance_after(entry) if balance_after is None else balance_after,
        card_number_display=str(card),
        is_replay=is_replay,
        occurred_at=entry.occurred_at,
        kind=entry.kind,
    )


def _change_balance(card: GiftCard, delta: int, **also) -> None:
    GiftCard.objects.filter(pk=card.pk).update(balance_cents=F("balance_cents") + delta, **also)
    card.balance_cents += delta


def lock_gift_card(**lookup) -> GiftCard | None:
    """The card, locked for the rest of the transaction (with its area, which is not locked)."""
    return GiftCard.objects.select_for_update(of=("self",)).select_related("area").filter(**lookup).first()


def _expiry_of(area, issued_at: datetime, rules: LoyaltySettings) -> datetime:
    """Issue + the area's validity, to the end of that day in the area's zone: a card printed "valid until
    10 June 2028" is valid all that day (the law asks for at least two years; a few hours more are fine)."""
    last_day = add_months(issued_at.astimezone(area.tz), rules.giftcard_validity_months).date()
    return datetime.combine(last_day, time.max, tzinfo=area.tz)


# --- Selling ---------------------------------------------------------------------------------------------


def sell_gift_card(
    *,
    area,
    amount_cents: int,
    by,
    request_key: uuid.UUID,
    member_pass=None,
    pin: str = "",
    now: datetime | None = None,
) -> GiftCard:
    """Sell a gift card at the collective's desk: one LOAD entry of `amount_cents`, valid the area's period.

    Area managers only (`loyalty.sell_gift_cards`). On a member's pass (active, in the area; audited) the
    card has no PIN (the member pays with the pass; a PIN typed is refused, not dropped); a standalone card
    needs a PIN of 4 to 6 digits. A retry with the same request_key returns the same card. Raises NotAllowed,
    InvalidGiftCardAmount, InvalidPin, PassNotFound, PassBlocked, RequestKeyReused.
    """
    if not _valid_amount(amount_cents):
        raise InvalidAmount()
    if not can(by, SELL_ACTION, area):
        raise NotAllowed()
    pin = (pin or "").strip()
    if pin and not PIN_PATTERN.fullmatch(pin):
        raise InvalidPin(_("A PIN has 4 to 6 digits."))
    if member_pass is None and not pin:
        raise InvalidPin(_("A gift card without a pass needs a PIN of 4 to 6 digits."))
    if member_pass is not None and pin:
        raise InvalidPin(_("A gift card on a pass needs no PIN: the pass's app shows it. Leave the PIN empty."))
    rules = LoyaltySettings.for_area(area)
    if not MIN_LOAD_CENTS <= amount_cents <= rules.giftcard_max_load_cents:
        raise InvalidGiftCardAmount(minimum_cents=MIN_LOAD_CENTS, maximum_cents=rules.giftcard_max_load_cents)
    if member_pass is not None:
        if member_pass.area_id != area.pk:
            raise PassNotFound()
        if not member_pass.is_active:
            raise PassBlocked()
    request = {"area": area, "amount_cents": amount_cents, "member_pass": member_pass, "has_pin": bool(pin)}
    if previous := _sold_before(request_key, **request):
        return previous
    now = now or timezone.now()
    pin_hash = make_password(pin) if pin else ""
    for _attempt in range(_NUMBER_ATTEMPTS):
        try:
            return _sell(request_key=request_key, by=by, now=now, rules=rules, pin_hash=pin_hash, **request)
        except IntegrityError:
            # The same request at the same moment (the entry's unique key: its card is the answer), or a
            # random number that was taken: then draw another.
            if previous := _sold_before(request_key, **request):
                return previous
    raise RuntimeError("No free gift card number after several attempts: is the number space exhausted?")


def _sold_before(request_key, *, area, amount_cents, member_pass, has_pin) -> GiftCard | None:
    load = GiftCardEntry.objects.filter(request_key=request_key).select_related("card").first()
    if load is None:
        return None
    card = load.card
    same = (load.kind, card.area_id, load.amount_cents, card.member_pass_id, bool(card.pin_hash)) == (
        GiftCardEntryKind.LOAD,
        area.pk,
        amount_cents,
        member_pass.pk if member_pass is not None else None,
        has_pin,
    )
    if not same:
        raise RequestKeyReused()
    return card


@transaction.atomic
def _sell(*, area, amount_cents, member_pass, has_pin, request_key, by, now, rules, pin_hash) -> GiftCard:
    card = GiftCard.objects.create(
        area=area,
        number=new_gift_card_number(),
        pin_hash=pin_hash,
        member_pass=member_pass,
        issued_at=now,
        expires_at=_expiry_of(area, now, rules),
        balance_cents=amount_cents,
        sold_by=by,
        sold_via="desk",
    )
    GiftCardEntry.objects.create(
        card=card,
        kind=GiftCardEntryKind.LOAD,
        amount_cents=amount_cents,
        occurred_at=now,
        request_key=request_key,
        by=by,
    )
    if member_pass is not None:
        # Staff put value on a member's pass: noted like any other change to a member's records.
        log_access(
            actor=by,
            action=AuditAction.CHANGE,
            subject=member_pass.member,
            obj=card,
            fields=["member_pass", "balance_cents"],
            via="loyalty",
        )
    return card


# --- The desk: blocking a card, unblocking it, clearing its PIN lock --------------------------------------


#: A block's reason in words says why: "x" does not.
BLOCK_REASON_MIN_LENGTH = 5


def _desk_card(*, area, card_id: int, by) -> GiftCard:
    if not can(by, SELL_ACTION, area):
        raise NotAllowed()
    card = lock_gift_card(pk=card_id, area=area)  # serialises with a payment that is taking from it
    if card is None:
        raise GiftCardNotFound()
    return card


def _note_change(card: GiftCard, kind: str, *, by, now: datetime, reason: str = "", fields: list[str]):
    change = GiftCardChange.objects.create(card=card, kind=kind, reason=reason, occurred_at=now, by=by)
    # Staff stopped or freed someone's money: noted like any change to a member's records (a card of its own has
    # no member, and is noted too: the area's managers see who did it).
    log_access(
        actor=by,
        action=AuditAction.CHANGE,
        subject=card.member_pass.member if card.member_pass_id else None,
        obj=card,
        fields=fields,
        via="desk",
    )
    return change


@transaction.atomic
def block_gift_card(*, area, card_id: int, reason: str, by, now: datetime | None = None) -> GiftCardChange | None:
    """Block a card of the area at the desk (lost, stolen, …): no till takes it until it is unblocked. Its balance
    stays (the holder's money; it still expires on its date). Blocking a blocked card changes nothing (None).
    `reason`: a key of `GIFT_CARD_BLOCK_REASONS`, or words of at least `BLOCK_REASON_MIN_LENGTH` characters (it is
    read in the audit).
    The desk's action (`loyalty.sell_gift_cards`); noted as a `GiftCardChange` and audited.
    Raises NotAllowed, GiftCardNotFound, GiftCardBlockReasonMissing.
    """
    card = _desk_card(area=area, card_id=card_id, by=by)
    reason = " ".join((reason or "").split())[:200]
    if reason not in GIFT_CARD_BLOCK_REASONS and len(reason) < BLOCK_REASON_MIN_LENGTH:
        raise GiftCardBlockReasonMissing()
    if card.status == GiftCardStatus.BLOCKED:
        return None
    GiftCard.objects.filter(pk=card.pk).update(status=GiftCardStatus.BLOCKED)
    card.status = GiftCardStatus.BLOCKED
    return _note_change(
        card, GiftCardChangeKind.BLOCK, by=by, now=now or timezone.now(), reason=reason, fields=["status"]
    )


@transaction.atomic
def unblock_gift_card(*, area, card_id: int, by, now: datetime | None = None) -> GiftCardChange | None:
    """Let a blocked card of the area pay again. An expired card stays blocked: unblocking cannot make it spendable.
    Unblocking an active card changes nothing (None). The desk's action; noted and audited as `block_gift_card`.
    Raises NotAllowed, GiftCardNotFound, GiftCardExpired.
    """
    card = _desk_card(area=area, card_id=card_id, by=by)
    if card.status == GiftCardStatus.ACTIVE:
        return None
    now = now or timezone.now()
    if card.expires_at <= now:
        raise GiftCardExpired(
            _("This gift card has expired: unblocking cannot make it usable again, so it stays blocked.")
        )
    GiftCard.objects.filter(pk=card.pk).update(status=GiftCardStatus.ACTIVE)
    card.status = GiftCardStatus.ACTIVE
    return _note_change(card, GiftCardChangeKind.UNBLOCK, by=by, now=now, fields=["status"])


@transaction.atomic
def clear_gift_card_pin_lock(*, area, card_id: int, by, now: datetime | None = None) -> GiftCardChange | None:
    """Start a card's counts of wrong PINs again, so a holder locked out (after `MAX_PIN_ATTEMPTS` at a till) can pay
    with the PIN again and one paused on the balance page (`balance_lookup_paused`) can read it again; the desk has
    checked that the customer holds the card. A card with no wrong PINs counted changes nothing (None). The desk's
    action; noted and audited as `block_gift_card`. Raises NotAllowed, GiftCardNotFound.
    """
    card = _desk_card(area=area, card_id=card_id, by=by)
    paused = balance_lookup_paused(card)
    if not card.failed_pin_attempts and not paused:
        return None
    GiftCard.objects.filter(pk=card.pk).update(failed_pin_attempts=0)
    card.failed_pin_attempts = 0
    # The balance page's own count of wrong PINs too, once the change is kept (the cache is no part of the transaction).
    key = _balance_lookup_key(card)
    transaction.on_commit(lambda: cache.delete(key))
    return _note_change(
        card, GiftCardChangeKind.CLEAR_PIN_LOCK, by=by, now=now or timezone.now(), fields=["failed_pin_attempts"]
    )


# --- Primitives for the till's checkout ------------------------------------------------------------------


def gift_cards_of_pass(member_pass, *, now: datetime, lock: bool = False) -> list[GiftCard]:
    """The active, unexpired cards on a pass with value left, soonest-expiring first.

    With `lock`, the cards are locked (in primary-key order, whatever the order returned); the caller is in
    a transaction and, for a checkout, holds the pass lock already.
    """
    cards = GiftCard.objects.filter(
        member_pass=member_pass, status=GiftCardStatus.ACTIVE, expires_at__gt=now, balance_cents__gt=0
    )
    if lock:
        cards = cards.select_for_update(of=("self",))
    return sorted(cards.order_by("pk"), key=lambda card: (card.expires_at, card.pk))


def spend_key(request_key: uuid.UUID, card_pk: int) -> uuid.UUID:
    """The request key of the SPEND entry a checkout with `request_key` made on the card `card_pk`."""
    return derived_key(f"giftcard-spend:{request_key}:{card_pk}")


def _reverse_key(request_key: uuid.UUID, spend_pk: int) -> uuid.UUID:
    return derived_key(f"giftcard-reverse:{request_key}:{spend_pk}")


def debit_gift_cards(
    cards: Iterable[GiftCard],
    amount_cents: int,
    *,
    merchant=None,
    request_key: uuid.UUID,
    by,
    now: datetime,
    till_transaction=None,
    area_id: int | None = None,
    reason: str = "",
) -> list[GiftCardEntry]:
    """Take `amount_cents` from the given cards, soonest-expiring first: one SPEND entry per card drawn from.

    The caller holds the cards' locks (`gift_cards_of_pass(lock=True)` or `lock_gift_card`) and has checked
    the permission; blocked, expired and empty cards are passed over. Entry keys are derived from
    `request_key` and the card, so the same checkout cannot draw twice (IntegrityError). Without a `merchant`
    (the webshop: `area_id` and a `reason` instead) the entries name no merchant, so the till settlement
    leaves them out. Raises InvalidAmount, GiftCardNotFound (a card of another area),
    InsufficientGiftCardBalance (needed, available).
    """
    if not _valid_amount(amount_cents):
        raise InvalidAmount()
    cards = list(cards)
    area_id = merchant.area_id if merchant is not None else area_id
    if area_id is None:
        raise ValueError("Give the merchant or the area.")
    if any(card.area_id != area_id for card in cards):
        raise GiftCardNotFound()
    usable = sorted(
        (c for c in cards if c.status == GiftCardStatus.ACTIVE and c.expires_at > now and c.balance_cents > 0),
        key=lambda card: (card.expires_at, card.pk),
    )
    available = sum(card.balance_cents for card in usable)
    if available < amount_cents:
        raise InsufficientGiftCardBalance(needed=amount_cents, available=available)
    entries, left = [], amount_cents
    for card in usable:
        if left == 0:
            break
        take = min(left, card.balance_cents)
        entries.append(
            GiftCardEntry.objects.create(
                card=card,
                kind=GiftCardEntryKind.SPEND,
                amount_cents=-take,
                occurred_at=now,
                request_key=spend_key(request_key, card.pk),
                merchant=merchant,
                till_transaction=till_transaction,
                reason=reason[:200],
                by=by,
            )
        )
        _change_balance(card, -take)
        left -= take
    return entries


@transaction.atomic
def reverse_gift_card_entries(
    entries: Iterable[GiftCardEntry],
    *,
    request_key: uuid.UUID,
    by,
    now: datetime,
    till_transaction=None,
    merchant=None,
) -> list[GiftCardEntry]:
    """Give back what spend entries took: one REVERSE entry per spend (`reverses=` it), on the same card.

    Locks the cards (primary-key order; a no-op for locks the caller holds) and, under those locks, passes
    over spends that were reversed already, so a spend is never given back twice: the result holds only the
    reversals made now. `merchant` defaults to the spend's merchant. Other kinds of entry are refused (ValueError).
    """
    spends = sorted(entries, key=lambda entry: entry.pk)
    if any(entry.kind != GiftCardEntryKind.SPEND for entry in spends):
        raise ValueError("Only spend entries can be reversed.")
    if not spends:
        return []
    cards = {
        card.pk: card
        for card in GiftCard.objects.select_for_update(of=("self",))
        .filter(pk__in={entry.card_id for entry in spends})
        .order_by("pk")
    }
    # Read after the locks: a reversal committed while we waited is seen here.
    reversed_already = set(
        GiftCardEntry.objects.filter(reverses__in=spends, kind=GiftCardEntryKind.REVERSE).values_list(
            "reverses_id", flat=True
        )
    )
    made = []
    for spend in spends:
        if spend.pk in reversed_already:
            continue
        card = cards[spend.card_id]
        made.append(
            GiftCardEntry.objects.create(
                card=card,
                kind=GiftCardEntryKind.REVERSE,
                amount_cents=-spend.amount_cents,
                occurred_at=now,
                request_key=_reverse_key(request_key, spend.pk),
                merchant_id=merchant.pk if merchant is not None else spend.merchant_id,
                till_transaction=till_transaction,
                reverses=spend,
                by=by,
            )
        )
        _change_balance(card, -spend.amount_cents)
    return made


# --- A card at the till, by its number --------------------------------------------------------------------


_WRONG_PIN = object()


def spend_gift_card(
    *,
    merchant,
    number: str,
    pin: str,
    amount_cents: int,
    request_key: uuid.UUID,
    by,
    now: datetime | None = None,
) -> GiftCardResult:
    """Pay (part of) a purchase at `merchant` with a gift card by its number and PIN: one SPEND entry.

    The card must be of the merchant's area, active and unexpired; up to its balance may be taken. After
    5 wrong PINs in a row the card is locked. A retry with the same request_key returns the first result
    (is_replay). Raises InvalidGiftCardNumber, InvalidAmount, NotAllowed (not this merchant's till, or the
    merchant is not active), GiftCardNotFound, GiftCardBlocked, GiftCardExpired, InvalidPin (GiftCardNoPin),
    GiftCardPinLocked, InsufficientGiftCardBalance, RequestKeyReused.
    """
    number = parse_gift_card_number(number)
    if not _valid_amount(amount_cents):
        raise InvalidAmount()
    require_till(by, merchant)
    request = {
        "merchant": merchant,
        "number": number,
        "pin": pin or "",
        "amount_cents": amount_cents,
        "request_key": request_key,
        "by": by,
        "now": now or timezone.now(),
    }
    try:
        outcome = _spend_by_number(**request)
    except IntegrityError:
        # The same key used at the same moment for another card (a client bug): never two entries.
        previous = GiftCardEntry.objects.filter(request_key=request_key).select_related("card").first()
        if previous is None:
            raise
        return _replayed_spend(previous, merchant=merchant, amount_cents=amount_cents, card_id=previous.card_id)
    if outcome is _WRONG_PIN:
        # Raised after the transaction committed the failed-attempt count (raising inside would roll it back).
        raise InvalidPin()
    return outcome


def _replayed_spend(previous: GiftCardEntry, *, merchant, amount_cents: int, card_id: int) -> GiftCardResult:
    expected = (GiftCardEntryKind.SPEND, merchant.pk, -amount_cents, card_id)
    if (previous.kind, previous.merchant_id, previous.amount_cents, previous.card_id) != expected:
        raise RequestKeyReused()
    return _result(previous, previous.card, is_replay=True)


@transaction.atomic
def _spend_by_number(*, merchant, number, pin, amount_cents, request_key, by, now):
    card = lock_gift_card(area_id=merchant.area_id, number=number)  # serialises every change of this card
    if card is None:
        raise GiftCardNotFound()
    # Under the lock: an identical request that got the lock first has committed by now.
    if previous := GiftCardEntry.objects.filter(request_key=request_key).first():
        return _replayed_spend(previous, merchant=merchant, amount_cents=amount_cents, card_id=card.pk)
    if _check_spend(card, merchant=merchant, pin=pin, now=now) is _WRONG_PIN:
        return _WRONG_PIN
    if card.balance_cents < amount_cents:
        raise InsufficientGiftCardBalance(needed=amount_cents, available=card.balance_cents)
    entry = GiftCardEntry.objects.create(
        card=card,
        kind=GiftCardEntryKind.SPEND,
        amount_cents=-amount_cents,
        occurred_at=now,
        request_key=request_key,
        merchant=merchant,
        by=by,
    )
    # A right PIN starts the count of wrong ones again (in the same UPDATE as the balance).
    _change_balance(card, -amount_cents, **({"failed_pin_attempts": 0} if card.failed_pin_attempts else {}))
    return _result(entry, card, balance_after=card.balance_cents)


def _check_spend(card: GiftCard, *, merchant, pin: str, now: datetime):
    """Whether the card (locked) may pay at `merchant` now with this PIN. A wrong PIN is counted and gives _WRONG_PIN:
    the caller raises after its transaction committed the count. Raises NotAllowed, GiftCardBlocked, GiftCardExpired,
    GiftCardNoPin, GiftCardPinLocked."""
    if merchant.status != MerchantStatus.ACTIVE:
        raise NotAllowed(_("This shop does not take part in the pass at the moment."))
    if card.status != GiftCardStatus.ACTIVE:
        raise GiftCardBlocked()
    if card.expires_at <= now:
        raise GiftCardExpired()
    if not card.pin_hash:
        raise GiftCardNoPin()
    if card.failed_pin_attempts >= MAX_PIN_ATTEMPTS:
        raise GiftCardPinLocked()
    if not check_password(pin, card.pin_hash):
        GiftCard.objects.filter(pk=card.pk).update(failed_pin_attempts=F("failed_pin_attempts") + 1)
        return _WRONG_PIN
    return None


def check_gift_card_for_till(*, merchant, number: str, pin: str, now: datetime | None = None) -> None:
    """Before a till checkout pays part of a purchase with a gift card by its number (`till.award_for_purchase`): the
    card and its PIN, checked as `spend_gift_card` checks them, in a transaction of its own, so that a wrong PIN stays
    counted when the checkout fails; a right one starts the count again. The checkout then draws from the card with
    `debit_gift_cards` under its lock. Raises InvalidGiftCardNumber, GiftCardNotFound, NotAllowed, GiftCardBlocked,
    GiftCardExpired, GiftCardNoPin (a card on a pass), GiftCardPinLocked, GiftCardWrongPin.
    """
    outcome = _check_by_number(
        merchant=merchant, number=parse_gift_card_number(number), pin=pin or "", now=now or timezone.now()
    )
    if outcome is _WRONG_PIN:
        raise GiftCardWrongPin()


@transaction.atomic
def _check_by_number(*, merchant, number: str, pin: str, now: datetime):
    card = lock_gift_card(area_id=merchant.area_id, number=number)
    if card is None:
        raise GiftCardNotFound()
    outcome = _check_spend(card, merchant=merchant, pin=pin, now=now)
    if outcome is None and card.failed_pin_attempts:
        GiftCard.objects.filter(pk=card.pk).update(failed_pin_attempts=0)
    return outcome


#: Wrong PINs on the public balance page per card before it stops answering for the day. Counted apart from the
#: till's (`failed_pin_attempts`): someone who saw a card's number cannot lock its holder out of paying with it.
BALANCE_LOOKUP_ATTEMPTS = 5
BALANCE_LOOKUP_PAUSE = timedelta(hours=24)


def _balance_lookup_key(card: GiftCard) -> str:
    return f"loyalty:gift-card-lookup:{card.pk}"


def balance_lookup_paused(card: GiftCard) -> bool:
    """Has the balance page stopped reading this card for a while, after `BALANCE_LOOKUP_ATTEMPTS` wrong PINs there?
    (Counted apart from the till's, so nobody can lock a card out of paying from the page.)"""
    return cache.get(_balance_lookup_key(card), 0) >= BALANCE_LOOKUP_ATTEMPTS


def read_gift_card_balance(*, area, number: str, pin: str) -> GiftCard:
    """A standalone gift card of the area, for its holder on the area's site: by its number and PIN, read only.

    A number that is no card here, a card on a pass (no PIN: its app shows it), a wrong PIN and a card paused after
    too many wrong PINs here all get one answer, so the page cannot tell a stranger which numbers are cards.
    Raises InvalidGiftCardNumber (a mistyped number: its length or check digit), GiftCardWrongPin.
    """
    number = parse_gift_card_number(number)
    not_right = GiftCardWrongPin(
        _("The number or the PIN is not right. After five wrong PINs a card's balance cannot be read here for a day.")
    )
    card = GiftCard.objects.filter(area=area, number=number).first()
    if card is None or not card.pin_hash:
        make_password(pin or "")  # as slow as checking a PIN: the time taken tells nothing either
        raise not_right
    wrong = _balance_lookup_key(card)
    if cache.get(wrong, 0) >= BALANCE_LOOKUP_ATTEMPTS:
        make_password(pin or "")
        raise not_right
    if not check_password(pin or "", card.pin_hash):
        cache.add(wrong, 0, timeout=int(BALANCE_LOOKUP_PAUSE.total_seconds()))
        cache.incr(wrong)
        raise not_right
    cache.delete(wrong)
    return card


def undo_gift_card_spend(
    *, merchant, entry_id: int, request_key: uuid.UUID, by, now: datetime | None = None
) -> GiftCardResult:
    """Undo a gift-card payment made at this merchant's till by card number (`spend_gift_card`), within the
    area's undo window: a REVERSE entry giving the amount back, never twice. (A payment that is part of a
    till checkout is undone with its till transaction.) A retry with the same key returns the first result.
    Raises NotAllowed, TransactionNotFound, GiftCardUndoWindowClosed, AlreadyUndone.
    """
    require_till(by, merchant)
    now = now or timezone.now()
    try:
        return _undo_spend(merchant=merchant, entry_id=entry_id, request_key=request_key, by=by, now=now)
    except IntegrityError:
        previous = GiftCardEntry.objects.filter(request_key=_reverse_key(request_key, entry_id)).first()
        if previous is None:
            raise
        return _result(previous, previous.card, is_replay=True)


@transaction.atomic
def _undo_spend(*, merchant, entry_id, request_key, by, now) -> GiftCardResult:
    spend = GiftCardEntry.objects.filter(
        pk=entry_id, merchant=merchant, kind=GiftCardEntryKind.SPEND, till_transaction__isnull=True
    ).first()
    if spend is None:
        raise TransactionNotFound()
    card = lock_gift_card(pk=spend.card_id)
    if previous := GiftCardEntry.objects.filter(request_key=_reverse_key(request_key, spend.pk)).first():
        return _result(previous, card, is_replay=True)
    rules = LoyaltySettings.for_area(merchant.area_id)
    if now - spend.occurred_at > timedelta(minutes=rules.undo_window_minutes):
        raise GiftCardUndoWindowClosed()
    made = reverse_gift_card_entries([spend], request_key=request_key, by=by, now=now, merchant=merchant)
    if not made:
        raise AlreadyUndone()
    return _result(made[0], card)


# --- Expiry ----------------------------------------------------------------------------------------------


@transaction.atomic
def _expire_cards(card_ids: list[int], now: datetime) -> int:
    # Locks in primary-key order: two runs (or a run and a checkout's cards) never deadlock. The conditions
    # are read again after the locks: a run that waited for another finds the balances at zero.
    cards = list(
        GiftCard.objects.select_for_update()
        .filter(pk__in=card_ids, balance_cents__gt=0, expires_at__lte=now)
        .order_by("pk")
    )
    if not cards:
        return 0
    last_entry = dict(
        GiftCardEntry.objects.filter(card__in=cards)
        .order_by()
        .values("card_id")
        .annotate(last=Max("pk"))
        .values_list("card_id", "last")
    )
    GiftCardEntry.objects.bulk_create(
        GiftCardEntry(
            card=card,
            kind=GiftCardEntryKind.EXPIRE,
            amount_cents=-card.balance_cents,
            occurred_at=card.expires_at,
            # One expiry per card and state: a second run hits the unique key. The last entry is part of
            # the key because a payment undone after expiry puts value back, which must expire too.
            request_key=derived_key(f"giftcard-expire:{card.pk}:{last_entry.get(card.pk, 0)}"),
        )
        for card in cards
    )
    GiftCard.objects.filter(pk__in=[card.pk for card in cards]).update(balance_cents=0)
    return len(cards)


def expire_gift_cards(*, now: datetime | None = None, chunk_size: int = 500) -> int:
    """Expire what is left on every card past its date: one EXPIRE entry per card; returns how many cards.

    Idempotent and safe to run twice at once. One transaction per chunk of cards, so a long run holds few
    locks at a time and a failure keeps what was done.
    """
    now = now or timezone.now()
    expired, after = 0, 0
    while True:
        card_ids = list(
            GiftCard.objects.filter(balance_cents__gt=0, expires_at__lte=now, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk_size]
        )
        if not card_ids:
            return expired
        expired += _expire_cards(card_ids, now)
        after = card_ids[-1]


# --- The nightly check ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GiftCardMismatch:
    """A card whose `balance_cents` (actual) disagrees with the sum of its entries (expected)."""

    card_id: int
    expected: int
    actual: int


def _card_sums(card_ids: list[int]) -> dict[int, int]:
    return dict(
        GiftCardEntry.objects.filter(card_id__in=card_ids)
        .order_by()
        .values("card_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("card_id", "total")
    )


def _confirmed(card_id: int, fix: bool) -> GiftCardMismatch | None:
    """Read again under the card's lock (a payment committing while the chunk was read is no mismatch)."""
    with transaction.atomic():
        card = lock_gift_card(pk=card_id)
        if card is None:
            return None
        expected = _card_sums([card_id]).get(card_id) or 0
        if card.balance_cents == expected:
            return None
        if fix:
            GiftCard.objects.filter(pk=card_id).update(balance_cents=expected)
        return GiftCardMismatch(card_id, expected, card.balance_cents)


def check_gift_cards(*, fix: bool = False, chunk_size: int = 10_000) -> list[GiftCardMismatch]:
    """Compare every card's balance with the sum of its entries; returns the GiftCardMismatch rows found.

    Chunked by primary key (two queries per chunk); a card that looks wrong is read again under its lock.
    With `fix`, the balance is set to the sum of the entries (never the other way round). Logs each mismatch.
    """
    found: list[GiftCardMismatch] = []
    after = 0
    while True:
        rows = list(
            GiftCard.objects.filter(pk__gt=after).order_by("pk").values_list("pk", "balance_cents")[:chunk_size]
        )
        if not rows:
            break
        after = rows[-1][0]
        sums = _card_sums([pk for pk, _balance in rows])
        for pk, balance in rows:
            if balance != (sums.get(pk) or 0) and (mismatch := _confirmed(pk, fix)):
                found.append(mismatch)
    for mismatch in found:
        logger.error("Gift card mismatch: %s", mismatch)
    return found


__all__ = [
    "GiftCardMismatch",
    "GiftCardResult",
    "block_gift_card",
    "check_gift_cards",
    "clear_gift_card_pin_lock",
    "debit_gift_cards",
    "expire_gift_cards",
    "gift_cards_of_pass",
    "lock_gift_card",
    "reverse_gift_card_entries",
    "sell_gift_card",
    "spend_gift_card",
    "unblock_gift_card",
    "undo_gift_card_spend",
]
