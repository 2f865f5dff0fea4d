"""The merchant's till: award points for a purchase, undo a scan, refund (part of) a purchase.

A purchase may be paid in part otherwise than in money: with a voucher (or a reward the member chose in
the app, which is a voucher), with a reward chosen at the till (paid with points), or with gift-card
value on the pass. Only the rest (`TillTransaction.earning_cents`) earns points. Spending points or
gift-card value needs proof that the member is there: a fresh code from the app, or the printed card's
number with its PIN. Campaigns add points (the best one for the purchase), within the daily cap.

Each call carries the till's `request_key` (a UUID made once per button press and sent again on a
retry). The TillTransaction's unique key makes a retry safe; the lookup under the pass's row lock
only hands back the first answer. The pass lock also serialises everything else about one member
at the till: the TOTP step check, the daily cap, velocity per member, reversals of one purchase.

A purchase that only earns (no voucher, reward or gift card) does not take the lock on PostgreSQL: it is read
unlocked and written in one statement that checks the pass's `till_version` is still what it read, else it is
read again (`_award_unlocked`, `till_sql`) — the same guarantees, in four statements per API call instead of
eleven. Both ways run the same checks (`_check_scan`) and rules (`_earning`);
`loyalty/tests/test_till_paths.py` holds them equal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from areas.models import MerchantStatus
from privacy.exceptions import UnknownPurpose
from privacy.selectors import consent_exists, has_consent, holds_account

from ..codes import parse_gift_card_number, parse_pass_code
from ..exceptions import (
    AlreadyUndone,
    DuplicateReceipt,
    InsufficientPoints,
    InvalidAmount,
    InvalidGiftCardPayment,
    LoyaltyError,
    NotAllowed,
    PassBlocked,
    PassNotFound,
    RefundTooLarge,
    RequestKeyReused,
    RewardNotAvailable,
    RewardOutOfStock,
    TransactionNotFound,
    UndoWindowClosed,
    VelocityLimitExceeded,
)
from ..models import (
    NAME_PURPOSE,
    Campaign,
    EntryKind,
    GiftCardEntryKind,
    LedgerEntry,
    LotAllocation,
    LoyaltySettings,
    MerchantLoyalty,
    Pass,
    Reward,
    TillKind,
    TillTransaction,
    VoucherKind,
)
from . import till_sql
from .campaigns import campaign_extra, campaign_points_back, campaigns_for_till
from .giftcards import (
    check_gift_card_for_till,
    debit_gift_cards,
    gift_cards_of_pass,
    lock_gift_card,
    reverse_gift_card_entries,
)
from .guards import check_code, require_till
from .ledger import credit, debit, derived_key, expire_overdue, expiry_of, lock_pass, open_lots
from .passes import identify_pass_for_spend
from .rewards import is_available
from .vouchers import mark_voucher_redeemed, release_voucher, voucher_for_till

RECEIPT_MAX_LENGTH = 40
DEVICE_MAX_LENGTH = 64


@dataclass(frozen=True)
class TillResult:
    """What the till shows after a scan, an undo or a refund.

    `points_awarded` is the change of the balance by earning: negative for an undo or a refund.
    `points_spent` are the points a reward took (given back, negative, by an undo): spent now for a reward chosen at
    the till, but spent in the app, when the member chose it, for a reward voucher (`reward_chosen_in_app`: the till
    then names the reward, `reward_title`, and spends nothing now). `to_pay_cents` is what
    the customer still pays in money after the voucher, the reward and the gift card. `is_replay` is True
    when this is the stored answer to an earlier request with the same key. `daily_cap_points` is the area's
    daily maximum when it cut this purchase's points (0 when it did not), for the cashier to tell the member.
    `balance` is the balance the member's app shows, which leaves out points past their date that the night's
    expiry has not taken yet (`selectors.pass_overview`). `bonus_points`: of the points awarded, the bonus for a first
    visit to this merchant (as `campaign_points` are a campaign's), for the cashier to say where they come from.
    """

    transaction_id: int
    member_first_name: str
    points_awarded: int
    balance: int
    is_replay: bool = False
    kind: str = TillKind.PURCHASE
    amount_cents: int = 0
    points_unrecovered: int = 0
    occurred_at: datetime | None = None
    voucher_cents: int = 0
    reward_cents: int = 0
    giftcard_cents: int = 0
    points_spent: int = 0
    campaign_points: int = 0
    campaign_name: str = ""
    to_pay_cents: int = 0
    daily_cap_points: int = 0
    reward_title: str = ""
    reward_chosen_in_app: bool = False
    bonus_points: int = 0


def _result(
    transaction_: TillTransaction, *, first_name: str, is_replay: bool = False, daily_cap_points: int = 0
) -> TillResult:
    is_purchase = transaction_.kind == TillKind.PURCHASE
    return TillResult(
        transaction_id=transaction_.pk,
        member_first_name=first_name,
        points_awarded=transaction_.points,
        balance=transaction_.balance_after,
        is_replay=is_replay,
        kind=transaction_.kind,
        amount_cents=transaction_.amount_cents,
        points_unrecovered=transaction_.points_unrecovered,
        occurred_at=transaction_.occurred_at,
        voucher_cents=transaction_.voucher_cents,
        reward_cents=transaction_.reward_cents,
        giftcard_cents=transaction_.giftcard_cents,
        points_spent=transaction_.points_spent,
        campaign_points=transaction_.campaign_points,
        campaign_name=transaction_.campaign.shown_name if transaction_.campaign_id else "",
        to_pay_cents=transaction_.earning_cents,
        daily_cap_points=daily_cap_points,
        # A purchase's reward is at hand where it was just made (a reversal's would cost a query, and is not shown).
        reward_title=transaction_.reward.shown_title if transaction_.reward_id and is_purchase else "",
        reward_chosen_in_app=bool(transaction_.reward_id and transaction_.voucher_id),
        bonus_points=transaction_.bonus_points,
    )


def name_for_till(member_pass: Pass) -> str:
    """The member's first name for the till, only if they consented to merchants recognising them; else ""
    (the till then says "Pass holder")."""
    member = member_pass.member
    try:
        recognised = bool(member.first_name) and has_consent(member, NAME_PURPOSE, area=member_pass.area)
    except UnknownPurpose:  # a database without the purposes (never in production: a migration makes them)
        recognised = False
    return member.first_name if recognised else ""


def _replay(previous: TillTransaction, **expected) -> TillResult:
    """The first answer for this request key, if the request is really the same one."""
    if any(getattr(previous, field) != value for field, value in expected.items()):
        raise RequestKeyReused()
    return _result(previous, first_name=name_for_till(previous.member_pass), is_replay=True)


def _previous(request_key: uuid.UUID) -> TillTransaction | None:
    """The transaction made for this request key, if any: asked on every scan, found only on a retry."""
    return TillTransaction.objects.filter(request_key=request_key).first()


def _replayed_purchase(facts: dict, merchant, member_pass: Pass, amount_cents: int) -> TillResult:
    """The first answer of a purchase whose request key the facts found (`previous_id`): a retry."""
    return _replay(
        TillTransaction.objects.get(pk=facts["previous_id"]),
        merchant_id=merchant.pk,
        member_pass_id=member_pass.pk,
        kind=TillKind.PURCHASE,
        amount_cents=amount_cents,
    )


def calculate_points(*, amount_cents: int, points_per_euro: int, multiplier_permille: int = 1000) -> int:
    """Whole euros × base rate × the merchant's multiplier, rounded down: €23.99 at ×1.5 → 34 points."""
    return (amount_cents // 100) * points_per_euro * multiplier_permille // 1000


def _day_start(area, moment: datetime) -> datetime:
    local_day = moment.astimezone(area.tz).date()
    return datetime.combine(local_day, time.min, tzinfo=area.tz)


def _lock_for_till(merchant, card_number: str) -> Pass | None:
    """The pass with this number in the merchant's area, locked, with its member and the merchant's multiplier:
    all in one query, as it is the hot path of every scan. The area is the merchant's own object.

    Rules and multiplier may ride along in the locking query because scans never change them. What scans do
    change (the pass's own transactions) is read after the lock, in `_till_facts`.
    """
    multiplier = MerchantLoyalty.objects.filter(merchant=merchant).values("multiplier_permille")[:1]
    # Whether the till may show the member's first name rides along too (one query less per scan).
    member_column = f"{connection.ops.quote_name(Pass._meta.db_table)}.{connection.ops.quote_name('member_id')}"
    recognised = consent_exists(NAME_PURPOSE, subject_column=member_column, area_id=merchant.area_id)
    member_pass = (
        Pass.objects.select_for_update(of=("self",))
        .select_related("member")
        .annotate(merchant_multiplier=Subquery(multiplier), name_consent=recognised)
        .filter(area_id=merchant.area_id, card_number=card_number)
        .first()
    )
    if member_pass is not None:
        # The pass is in the merchant's area: its area (and the area's rules, when the caller read the
        # merchant with them) need not be joined again under the lock.
        member_pass.area = merchant.area
    return member_pass


def _rules_of(member_pass: Pass) -> LoyaltySettings:
    try:
        return member_pass.area.loyalty_settings
    except LoyaltySettings.DoesNotExist:  # the area's first scan: made with the defaults
        return LoyaltySettings.for_area(member_pass.area_id)


def _till_facts(
    member_pass: Pass, merchant, *, device_id: str, receipt_number: str, request_key: uuid.UUID, now: datetime
) -> dict:
    """What the rules of one scan need from earlier till transactions, in one query read under the pass lock:

    - the transaction already made for this request key, if any (`previous_id`: a retry gets its first answer);
    - the member's purchases in the last hour, and at this merchant today, that were not undone (velocity: a
      cashier's typo undone at once does not use up a slot);
    - points the member got at tills today, net of today's undos and refunds (the daily cap: an undone
      typo does not eat into it), and in the webshop today (one cap for both, counted as the webshop counts it);
    - scans at this merchant and at this till device in the last hour (velocity);
    - the member's purchases here that were not undone (the first-visit bonus);
    - purchases here with this receipt number that were not undone (a receipt earns once);
    - points of the pass's lots past their date that the night's expiry has not taken yet (`overdue`: the balance the
      member's app shows leaves them out, so the till's does too).

    "Not undone" is purchases less undos: an undo row carries its purchase's pass, merchant and receipt
    number, and a purchase is undone at most once. (A per-row EXISTS would do, but its cost estimate makes
    PostgreSQL JIT-compile the query: 200 ms for a 2 ms query.)

    (Plain SQL on the hottest path, `till_sql.facts_sql`: building it from nine filtered aggregates took the ORM
    longer than PostgreSQL takes to run it.)

    Per member the counts are exact, as the pass lock serialises them. Per merchant and device they are a
    brake, not a guarantee: two tills may take the last slot at once.
    """
    params = _facts_params(merchant, device_id, receipt_number, request_key, now)
    with connection.cursor() as cursor:
        cursor.execute(till_sql.facts_sql("%(pass)s"), {**params, "pass": member_pass.pk})
        return till_sql.facts_from(cursor.fetchone())


def _facts_params(merchant, device_id: str, receipt_number: str, request_key, now) -> dict:
    """`till_sql.facts_params` for a scan at `merchant`: the day starts in its area's zone (the pass's area too)."""
    return till_sql.facts_params(
        merchant_id=merchant.pk,
        device_id=device_id,
        receipt_number=receipt_number,
        request_key=request_key,
        hour_ago=now - timedelta(hours=1),
        day_start=_day_start(merchant.area, now),
    )


def _check_velocity(facts: dict, rules: LoyaltySettings, device_id: str) -> None:
    limits = [
        ("member", rules.max_scans_per_member_per_hour, facts["member_hour"]),
        ("member_merchant", rules.max_scans_per_member_per_merchant_per_day, facts["member_merchant_day"]),
        ("merchant", rules.max_scans_per_merchant_per_hour, facts["merchant_hour"]),
    ]
    if device_id:
        limits.append(("device", rules.max_scans_per_device_per_hour, facts["device_hour"]))
    for name, limit, count in limits:
        if limit and count >= limit:  # 0: no limit
            raise VelocityLimitExceeded(limit=name, maximum=limit)


def _check_scan(
    member_pass: Pass, merchant, facts: dict, *, otp, amount_cents: int, device_id: str, receipt_number: str, now
) -> tuple[LoyaltySettings, int | None]:
    """What every scan must pass before anything is written, locked or not: the area's rules and the step of the
    app's code (None for a printed card), which the caller burns with what it writes."""
    if not member_pass.is_active:
        raise PassBlocked()
    if merchant.status != MerchantStatus.ACTIVE:
        raise NotAllowed(_("This shop does not take part in the pass at the moment."))
    rules = _rules_of(member_pass)
    if amount_cents > rules.max_purchase_cents:
        raise InvalidAmount()
    step = check_code(member_pass, otp, now) if otp is not None else None
    _check_velocity(facts, rules, device_id)
    if receipt_number and facts["receipt_uses"]:
        raise DuplicateReceipt()
    return rules, step


class _Earning(NamedTuple):
    points: int
    bonus: int
    campaign: Campaign | None
    campaign_points: int
    #: The daily cap when it cut the points, else 0.
    capped_at: int = 0


def _earning(member_pass: Pass, merchant, rules: LoyaltySettings, facts: dict, *, earning_cents: int, now) -> _Earning:
    """The points a purchase earns on `earning_cents` (the part paid in money): base rate × the merchant's multiplier,
    the best campaign's extra, the first-visit bonus, all within the daily cap — of which the bonus and the campaign's
    points (the cap takes from the bonus first, then from the campaign)."""
    multiplier = 1000 if member_pass.merchant_multiplier is None else member_pass.merchant_multiplier
    base = calculate_points(
        amount_cents=earning_cents, points_per_euro=rules.points_per_euro, multiplier_permille=multiplier
    )
    campaign, extra = None, 0
    if earning_cents and (campaigns := campaigns_for_till(area_id=member_pass.area_id, merchant=merchant, now=now)):
        campaign, extra = campaign_extra(
            campaigns=campaigns,
            member_pass=member_pass,
            merchant=merchant,
            earning_cents=earning_cents,
            base_points=base,
            now=now,
        )
    bonus = rules.first_visit_bonus_points if not facts["visits_here"] and earning_cents else 0
    earned = base + extra + bonus
    points = earned
    if rules.daily_cap_points:
        points = max(0, min(points, rules.daily_cap_points - facts["points_today"]))
    campaign_points = min(extra, points)
    bonus = min(bonus, points - campaign_points)
    capped_at = rules.daily_cap_points if points < earned else 0
    return _Earning(points, bonus, campaign if campaign_points else None, campaign_points, capped_at)


def award_for_purchase(
    *,
    merchant,
    code: str,
    amount_cents: int,
    receipt_number: str = "",
    request_key: uuid.UUID,
    by,
    device_id: str = "",
    voucher_code: str = "",
    reward_id: int | None = None,
    giftcard_cents: int = 0,
    pin: str = "",
    giftcard_number: str = "",
    giftcard_pin: str = "",
    now: datetime | None = None,
) -> TillResult:
    """Record a purchase of `amount_cents` at `merchant` by the pass the till read, and award its points.

    `code` is a QR payload or a typed card number with its 6-digit code (checked: the current step ±1,
    each step once per pass), or a printed card's number alone (earning needs no code; spending needs
    its `pin`). Optionally part of the amount is paid with a voucher (`voucher_code`), a reward from
    the catalogue paid with points (`reward_id`), or `giftcard_cents` of gift-card value: on the pass, or on the
    card with its own number `giftcard_number` and its PIN `giftcard_pin` (checked as `spend_gift_card` checks it,
    and then spent in the purchase's transaction: the purchase's undo gives it back).
    Points are the whole euros of the rest × area rate × merchant multiplier, plus the best campaign's
    extra and the first-visit bonus, within the daily cap. All of it happens together or not at all.
    A retry with the same request_key returns the first result (is_replay=True).
    Raises InvalidPassCode (CodeExpired), PassNotFound, PassBlocked, CodeAlreadyUsed, InvalidAmount,
    VelocityLimitExceeded, DuplicateReceipt, NotAllowed (not this merchant's till), RequestKeyReused,
    InvalidPin, PinLocked, the voucher, reward and gift-card errors (GiftCardWrongPin: the card's PIN),
    InsufficientPoints.
    """
    parsed = parse_pass_code(code)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidAmount()
    if isinstance(giftcard_cents, bool) or not isinstance(giftcard_cents, int) or giftcard_cents < 0:
        raise InvalidAmount()
    receipt_number = (receipt_number or "").strip()
    if len(receipt_number) > RECEIPT_MAX_LENGTH:
        raise LoyaltyError(_("A receipt number has at most 40 characters."))
    giftcard_number = parse_gift_card_number(giftcard_number) if giftcard_number else ""
    if giftcard_number and not giftcard_cents:
        raise InvalidGiftCardPayment(_("Enter the amount to take from the gift card."))
    require_till(by, merchant)
    # What is spent from the pass (points, its gift cards) needs the member there; a card of its own, its PIN.
    spends = reward_id is not None or (giftcard_cents > 0 and not giftcard_number)
    if (spends or giftcard_number) and _previous(request_key) is None:
        if spends and parsed.otp is None:
            # A printed card spends with its PIN, checked (and a wrong one counted) in a transaction of its own.
            identify_pass_for_spend(merchant=merchant, code=code, by=by, pin=pin, now=now)
        if giftcard_number:
            check_gift_card_for_till(merchant=merchant, number=giftcard_number, pin=giftcard_pin, now=now)
    request = {
        "merchant": merchant,
        "card_number": parsed.card_number,
        "otp": parsed.otp,
        "amount_cents": amount_cents,
        "receipt_number": receipt_number,
        "request_key": request_key,
        "by": by,
        "device_id": (device_id or "").strip()[:DEVICE_MAX_LENGTH],
        "voucher_code": (voucher_code or "").strip(),
        "reward_id": reward_id,
        "giftcard_cents": giftcard_cents,
        "giftcard_number": giftcard_number,
        "now": now or timezone.now(),
    }
    try:
        # A scan that only earns needs no lock on PostgreSQL (`till_sql`); one that spends takes the pass lock.
        only_earns = not giftcard_cents and not spends and not request["voucher_code"]
        only_earns = only_earns and connection.vendor == "postgresql"
        if only_earns and (result := _award_unlocked(**request)) is not None:
            return result
        return _award(**request)
    except IntegrityError:
        # The same key for another pass at the same moment (a client bug): never two transactions.
        previous = _previous(request_key)
        if previous is None:
            raise
        return _replay(previous, merchant_id=merchant.pk, kind=TillKind.PURCHASE, amount_cents=amount_cents)


def _lock_reward(reward_id: int, merchant, now: datetime) -> Reward:
    """The catalogue's reward, locked (its stock), if it can be had at this merchant now."""
    reward = Reward.objects.select_for_update().filter(pk=reward_id, area_id=merchant.area_id).first()
    if reward is None or not is_available(reward, now) or reward.merchant_id not in (None, merchant.pk):
        raise RewardNotAvailable()
    if reward.stock is not None and reward.stock <= 0:
        raise RewardOutOfStock()
    return reward


@transaction.atomic
def _award(
    *,
    merchant,
    card_number,
    otp,
    amount_cents,
    receipt_number,
    request_key,
    by,
    device_id,
    voucher_code,
    reward_id,
    giftcard_cents,
    now,
    giftcard_number="",
):
    member_pass = _lock_for_till(merchant, card_number)
    if member_pass is None:
        raise PassNotFound()
    facts = _till_facts(
        member_pass, merchant, device_id=device_id, receipt_number=receipt_number, request_key=request_key, now=now
    )
    # Read under the lock: an identical request that got the lock first has committed by now.
    if facts["previous_id"]:
        return _replayed_purchase(facts, merchant, member_pass, amount_cents)
    # The step is burnt with the new balance below (one UPDATE).
    rules, step = _check_scan(
        member_pass,
        merchant,
        facts,
        otp=otp,
        amount_cents=amount_cents,
        device_id=device_id,
        receipt_number=receipt_number,
        now=now,
    )

    # What is paid otherwise than in money: a voucher, a reward (for points), gift-card value.
    voucher, voucher_cents, reward, reward_cents, points_spent, spent_here = None, 0, None, 0, 0, 0
    if voucher_code:
        voucher = voucher_for_till(code=voucher_code, merchant=merchant, member_pass=member_pass, now=now)
        voucher_cents = voucher.discount_for(amount_cents)
        if voucher.kind == VoucherKind.REWARD:
            # A reward the member chose in the app: its points were spent then, and are reimbursed now.
            reward, points_spent = voucher.reward, -voucher.spend_entry.points
    if reward_id is not None:
        if reward is not None:
            raise LoyaltyError(_("Redeem one reward at a time."))
        reward = _lock_reward(reward_id, merchant, now)
        reward_cents = min(reward.value_cents, amount_cents - voucher_cents)
        points_spent = spent_here = reward.cost_points
        expire_overdue(member_pass, now)
        if member_pass.points_balance < spent_here:
            raise InsufficientPoints.for_reward(needed=spent_here, available=member_pass.points_balance)
    cards = []
    if giftcard_cents:
        if giftcard_cents > (left := amount_cents - voucher_cents - reward_cents):
            raise InvalidGiftCardPayment(left_cents=left)
        if giftcard_number:
            # A card of its own, checked with its PIN before (`check_gift_card_for_till`); drawn from under its lock.
            cards = [card] if (card := lock_gift_card(area_id=merchant.area_id, number=giftcard_number)) else []
        else:
            cards = gift_cards_of_pass(member_pass, now=now, lock=True)
    earning_cents = amount_cents - voucher_cents - reward_cents - giftcard_cents

    points, bonus, campaign, campaign_points, capped_at = _earning(
        member_pass, merchant, rules, facts, earning_cents=earning_cents, now=now
    )
    # Points past their date that the night's expiry has not taken yet are gone for the member: the balance after
    # leaves them out, as the member's app shows it. (Spending on a reward expired them already.)
    overdue = 0 if reward_id is not None else facts["overdue"]

    purchase = TillTransaction.objects.create(
        merchant=merchant,
        member_pass=member_pass,
        kind=TillKind.PURCHASE,
        amount_cents=amount_cents,
        receipt_number=receipt_number,
        points=points,
        bonus_points=bonus,
        campaign=campaign,
        campaign_points=campaign_points,
        voucher=voucher,
        voucher_cents=voucher_cents,
        reward=reward,
        reward_cents=reward_cents,
        points_spent=points_spent,
        giftcard_cents=giftcard_cents,
        balance_after=member_pass.points_balance - overdue - spent_here + points,
        occurred_at=now,
        request_key=request_key,
        device_id=device_id,
        by=by,
    )
    if voucher is not None:
        mark_voucher_redeemed(voucher, till_transaction=purchase, now=now)
    if spent_here:
        debit(
            member_pass,
            points=spent_here,
            kind=EntryKind.SPEND,
            request_key=derived_key(f"till-reward:{request_key}"),
            now=now,
            merchant=merchant,
            till_transaction=purchase,
            reason=reward.title[:200],
            by=by,
        )
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1)
    if giftcard_cents:
        debit_gift_cards(
            cards,
            giftcard_cents,
            merchant=merchant,
            request_key=request_key,
            by=by,
            now=now,
            till_transaction=purchase,
        )
    # With the new balance (one UPDATE): the next version (`till_sql`) and the code's step, burnt.
    updates = {"till_version": F("till_version") + 1, **({"last_totp_step": step} if step is not None else {})}
    if points:
        credit(
            member_pass,
            points=points,
            kind=EntryKind.EARN,
            request_key=request_key,
            now=now,
            rules=rules,
            merchant=merchant,
            till_transaction=purchase,
            by=by,
            pass_updates=updates,
        )
    else:
        Pass.objects.filter(pk=member_pass.pk).update(**updates)
    if step is not None:
        member_pass.last_totp_step = step
    member = member_pass.member
    first_name = member.first_name if member_pass.name_consent and holds_account(member) else ""
    return _result(purchase, first_name=first_name, daily_cap_points=capped_at)


#: How often a scan that only earns is read and written again when its pass changed in between, before it takes the
#: pass lock like any other scan (one more try is needed only when the same pass is scanned at two tills at once).
UNLOCKED_ATTEMPTS = 3


def _award_unlocked(
    *, merchant, card_number, otp, amount_cents, receipt_number, request_key, by, device_id, now, **_nothing_else
) -> TillResult | None:
    """A scan that only earns, on PostgreSQL: read without a lock, the same checks and rules as `_award`, then one
    statement that writes it all only if the pass has not changed since (`till_sql`). None: it kept changing, take the
    lock. Raises what `_award` raises."""
    params = _facts_params(merchant, device_id, receipt_number, request_key, now)
    for _attempt in range(UNLOCKED_ATTEMPTS):
        read = till_sql.read_for_scan(merchant, card_number, params)
        if read is None:
            raise PassNotFound()
        member_pass, facts = read
        if facts["previous_id"]:
            return _replayed_purchase(facts, merchant, member_pass, amount_cents)
        rules, step = _check_scan(
            member_pass,
            merchant,
            facts,
            otp=otp,
            amount_cents=amount_cents,
            device_id=device_id,
            receipt_number=receipt_number,
            now=now,
        )
        points, bonus, campaign, campaign_points, capped_at = _earning(
            member_pass, merchant, rules, facts, earning_cents=amount_cents, now=now
        )
        purchase = {
            "merchant_id": merchant.pk,
            "member_pass_id": member_pass.pk,
            "kind": TillKind.PURCHASE.value,
            "amount_cents": amount_cents,
            "receipt_number": receipt_number,
            "points": points,
            "bonus_points": bonus,
            "points_unrecovered": 0,
            "campaign_id": campaign.pk if campaign else None,
            "campaign_points": campaign_points,
            "voucher_id": None,
            "voucher_cents": 0,
            "reward_id": None,
            "reward_cents": 0,
            "points_spent": 0,
            "giftcard_cents": 0,
            "occurred_at": now,
            "request_key": request_key,
            "device_id": device_id,
            "by_id": by.pk,
            "reverses_id": None,
        }
        entry = {
            "member_pass_id": member_pass.pk,
            "kind": EntryKind.EARN.value,
            "points": points,
            "occurred_at": now,
            "request_key": request_key,
            "merchant_id": merchant.pk,
            "reason": "",
            "by_id": by.pk,
            "approved_by_id": None,
        }
        lot = {
            "member_pass_id": member_pass.pk,
            "points": points,
            "remaining": points,
            "earned_at": now,
            "expires_at": expiry_of(member_pass, now, rules),
        }
        written = till_sql.write_purchase(
            member_pass=member_pass,
            version=member_pass.till_version,
            step=step,
            transaction_=purchase,
            entry=entry,
            lot=lot,
        )
        if written is None:
            continue  # another till transaction of this pass came in between: read it again
        transaction_id, balance = written
        member = member_pass.member
        return TillResult(
            transaction_id=transaction_id,
            member_first_name=member.first_name if member_pass.name_consent and holds_account(member) else "",
            points_awarded=points,
            balance=balance,
            amount_cents=amount_cents,
            occurred_at=now,
            campaign_points=campaign_points,
            campaign_name=campaign.shown_name if campaign else "",
            to_pay_cents=amount_cents,
            daily_cap_points=capped_at,
            bonus_points=bonus,
        )
    return None


# --- Reversals ---------------------------------------------------------------------------------------


def undo_till_transaction(
    *, merchant, transaction_id: int, request_key: uuid.UUID, by, now: datetime | None = None
) -> TillResult:
    """Undo a purchase scanned at this merchant within the area's undo window: a reversal, never an edit.

    Takes back what is left of the purchase's points (after any partial refunds), and undoes what was paid
    otherwise: the voucher can be used again, a reward's points come back (in a new lot), the gift-card value
    goes back on the card. Never twice.
    Raises TransactionNotFound (not this merchant's purchase), UndoWindowClosed, AlreadyUndone, NotAllowed.
    """
    require_till(by, merchant)
    return _reverse_guarded(
        merchant=merchant,
        purchase_id=transaction_id,
        kind=TillKind.UNDO,
        refund_cents=None,
        request_key=request_key,
        by=by,
        now=now or timezone.now(),
    )


def refund_purchase(
    *,
    merchant,
    transaction_id: int,
    refund_cents: int,
    request_key: uuid.UUID,
    by,
    now: datetime | None = None,
) -> TillResult:
    """Reverse the points of (part of) a purchase at this merchant, pro rata to the amount refunded.

    Over several partial refunds the total taken back is floor(points × refunded ÷ amount), so a full
    refund takes back exactly what was awarded and never more. A refund is about money: a voucher, a
    reward or gift-card value used on the purchase stays used (the merchant settles that with the
    customer); to take those back too, undo the purchase within the window. Raises TransactionNotFound,
    InvalidAmount, RefundTooLarge (more than is left of the purchase), AlreadyUndone, NotAllowed.
    """
    if isinstance(refund_cents, bool) or not isinstance(refund_cents, int) or refund_cents <= 0:
        raise InvalidAmount()
    require_till(by, merchant)
    return _reverse_guarded(
        merchant=merchant,
        purchase_id=transaction_id,
        kind=TillKind.REFUND,
        refund_cents=refund_cents,
        request_key=request_key,
        by=by,
        now=now or timezone.now(),
    )


def _reverse_guarded(**request) -> TillResult:
    try:
        return _reverse(**request)
    except IntegrityError:
        previous = _previous(request["request_key"])
        if previous is None:
            raise
        return _replay(previous, merchant_id=request["merchant"].pk, kind=request["kind"])


@transaction.atomic
def _reverse(*, merchant, purchase_id, kind, refund_cents, request_key, by, now) -> TillResult:
    purchase = TillTransaction.objects.filter(pk=purchase_id, merchant=merchant, kind=TillKind.PURCHASE).first()
    if purchase is None:
        raise TransactionNotFound()
    # The pass lock serialises the reversals of one purchase: two refunds never both see "enough left".
    member_pass = lock_pass(pk=purchase.member_pass_id)
    if previous := _previous(request_key):
        same_amount = {"amount_cents": -refund_cents} if kind == TillKind.REFUND else {}
        return _replay(previous, merchant_id=merchant.pk, kind=kind, reverses_id=purchase.pk, **same_amount)
    rules = LoyaltySettings.for_area(merchant.area_id)
    before = purchase.reversals.aggregate(
        undone=Count("pk", filter=Q(kind=TillKind.UNDO)),
        refunded=Coalesce(-Sum("amount_cents"), 0),
        drawn=Coalesce(-Sum("points"), 0),
        unrecovered=Coalesce(Sum("points_unrecovered"), 0),
        campaign_back=Coalesce(-Sum("campaign_points"), 0),
    )
    if before["undone"] or before["refunded"] >= purchase.amount_cents:
        raise AlreadyUndone()
    due_before = before["drawn"] + before["unrecovered"]
    if kind == TillKind.UNDO:
        if now - purchase.occurred_at > timedelta(minutes=rules.undo_window_minutes):
            raise UndoWindowClosed()
        amount = purchase.amount_cents - before["refunded"]
        due = purchase.points - due_before
    else:
        if refund_cents > purchase.amount_cents - before["refunded"]:
            raise RefundTooLarge()
        amount = refund_cents
        # Cumulative, so rounding never adds up over partial refunds: at a full refund it is exactly the award.
        due = purchase.points * (before["refunded"] + refund_cents) // purchase.amount_cents - due_before

    parts = {}
    given_back = 0
    if kind == TillKind.UNDO:
        # Everything the purchase used comes back; the reversal row mirrors the parts, with their links.
        parts = {
            "voucher_id": purchase.voucher_id,
            "voucher_cents": -purchase.voucher_cents,
            "reward_id": purchase.reward_id,
            "reward_cents": -purchase.reward_cents,
            "points_spent": -purchase.points_spent,
            "giftcard_cents": -purchase.giftcard_cents,
        }
        # Points spent at this till on a reward (not a voucher's, which were spent in the app and stay so).
        given_back = purchase.points_spent if purchase.reward_id and not purchase.voucher_id else 0
        if given_back:
            Reward.objects.filter(pk=purchase.reward_id, stock__isnull=False).update(stock=F("stock") + 1)
        if purchase.voucher_id:
            release_voucher(purchase.voucher_id, redeemed_by=purchase)

    drawn, earned_lot = 0, None
    if due > 0:
        expire_overdue(member_pass, now)
        earned = LedgerEntry.objects.select_related("lot").get(till_transaction=purchase, kind=EntryKind.EARN)
        lot = earned.lot
        # Points of this purchase that expired are gone already: taking them again would punish twice.
        expired = LotAllocation.objects.filter(lot=lot, entry__kind=EntryKind.EXPIRE).aggregate(
            total=Coalesce(Sum("points"), 0)
        )["total"]
        recoverable = lot.points - expired - before["drawn"]
        # Spent points are taken back from the balance as far as it goes; the rest is recorded as unrecovered.
        # (The reward's points given back below count as balance: they come back before the award is taken.)
        drawn = max(0, min(due, recoverable, member_pass.points_balance + given_back))
        earned_lot = lot

    # The campaign's share of what is taken back, for the settlement (the collective may pay for campaigns).
    campaign_share = campaign_points_back(
        campaign_points=purchase.campaign_points,
        points=purchase.points,
        taken_in_all=before["drawn"] + drawn,
        given_back_before=before["campaign_back"],
    )
    # The pass's facts change (points today, visits, receipts): a scan that read them unlocked must read them again.
    Pass.objects.filter(pk=member_pass.pk).update(till_version=F("till_version") + 1)
    reversal = TillTransaction.objects.create(
        merchant=merchant,
        member_pass=member_pass,
        kind=kind,
        amount_cents=-amount,
        receipt_number=purchase.receipt_number,
        points=-drawn,
        points_unrecovered=max(0, due - drawn),
        campaign_id=purchase.campaign_id if campaign_share else None,
        campaign_points=-campaign_share,
        **parts,
        balance_after=member_pass.points_balance + given_back - drawn,
        occurred_at=now,
        request_key=request_key,
        device_id=purchase.device_id,
        by=by,
        reverses=purchase,
    )
    if given_back:
        credit(
            member_pass,
            points=given_back,
            kind=EntryKind.REVERSE,
            request_key=derived_key(f"till-reward-back:{request_key}"),
            now=now,
            rules=rules,
            merchant=merchant,
            till_transaction=reversal,
            reason=str(_("Reward undone")),
            by=by,
        )
    if drawn:
        # From the purchase's own lot first, then the others (read after the reward's points came back).
        lots = [earned_lot, *(other for other in open_lots(member_pass, now) if other.pk != earned_lot.pk)]
        debit(
            member_pass,
            points=drawn,
            kind=EntryKind.REVERSE,
            request_key=request_key,
            now=now,
            lots=lots,
            merchant=merchant,
            till_transaction=reversal,
            by=by,
        )
    if kind == TillKind.UNDO and purchase.giftcard_cents:
        reverse_gift_card_entries(
            list(purchase.gift_card_entries.filter(kind=GiftCardEntryKind.SPEND)),
            request_key=request_key,
            by=by,
            now=now,
            till_transaction=reversal,
            merchant=merchant,
        )
    return _result(reversal, first_name=name_for_till(member_pass))
