"""Rewards: a member chooses one in the app (points become a voucher in their wallet) or gives it back unused;
the area's manager keeps the catalogue (`save_reward`, `switch_reward`, the rules in `check_reward`, shared with
the admin).

Locks, always in this order: the pass (`lock_pass`, which serialises every change of its points), then the
reward's row (which serialises its stock between members). The voucher's request key is the member's
request key; the spend entry's key is derived from it, so a replay finds the voucher and spends nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can
from agora.money import format_euros

from ..exceptions import (
    InsufficientPoints,
    InvalidReward,
    NotAllowed,
    PassBlocked,
    PassNotFound,
    RequestKeyReused,
    RewardNotAvailable,
    RewardOutOfStock,
    VoucherNotFound,
    VoucherNotReturnable,
)
from ..models import EntryKind, LedgerEntry, LoyaltySettings, Reward, TillTransaction, Voucher, VoucherKind
from .ledger import credit, debit, derived_key, expire_overdue, lock_pass
from .vouchers import new_voucher_code


def _replayed(previous: Voucher, *, pass_id: int, reward_id: int) -> Voucher:
    if (previous.member_pass_id, previous.reward_id, previous.kind) != (pass_id, reward_id, VoucherKind.REWARD):
        raise RequestKeyReused()
    return previous


def choose_reward(*, pass_id: int, reward_id: int, by, request_key: uuid.UUID, now: datetime | None = None) -> Voucher:
    """Spend the reward's points and put its voucher in the member's wallet. Only the pass's own member may.

    Draws the points oldest-expiring first (a SPEND entry, "Reward: <title>", at the reward's merchant) and
    takes one from the stock. Replaying the same request_key returns the first voucher. Raises PassNotFound,
    NotAllowed, PassBlocked, RewardNotAvailable, RewardOutOfStock, InsufficientPoints, RequestKeyReused.
    """
    try:
        return _choose(pass_id, reward_id, by, request_key, now or timezone.now())
    except IntegrityError:
        # Only the same key used at the same moment on another pass gets here (the pass lock orders the rest).
        previous = Voucher.objects.filter(request_key=request_key).first()
        if previous is None:
            raise
        return _replayed(previous, pass_id=pass_id, reward_id=reward_id)


@transaction.atomic
def _choose(pass_id: int, reward_id: int, by, request_key: uuid.UUID, now: datetime) -> Voucher:
    member_pass = lock_pass(pk=pass_id)  # serialises every spend on this pass
    if member_pass is None:
        raise PassNotFound()
    if by is None or by.pk != member_pass.member_id:
        raise NotAllowed()
    # Read under the lock: a retry that waited for its own first attempt finds the voucher here.
    if previous := Voucher.objects.filter(request_key=request_key).first():
        return _replayed(previous, pass_id=pass_id, reward_id=reward_id)
    if not member_pass.is_active:
        raise PassBlocked()
    # Locked after the pass (always that order): members choosing the last one of a stock wait in turn.
    reward = (
        Reward.objects.select_for_update(of=("self",))
        .select_related("merchant")
        .filter(pk=reward_id, area_id=member_pass.area_id)
        .first()
    )
    if reward is None or not is_available(reward, now):
        raise RewardNotAvailable()
    if reward.stock is not None and reward.stock <= 0:
        raise RewardOutOfStock()
    expire_overdue(member_pass, now)
    if member_pass.points_balance < reward.cost_points:
        raise InsufficientPoints.for_reward(needed=reward.cost_points, available=member_pass.points_balance)
    entry = debit(
        member_pass,
        points=reward.cost_points,
        kind=EntryKind.SPEND,
        request_key=derived_key(f"reward-spend:{request_key}"),
        now=now,
        merchant=reward.merchant,
        # Stored in the language of the moment; the history recognises this form and shows it in the reader's
        # (`selectors.entry_label`, which holds the same msgid: change both together).
        reason=(_("Reward: %(title)s") % {"title": reward.title})[:200],
        by=by,
    )
    # Never below zero, even if the lock above were ever dropped: a compare-and-set on the stock.
    if reward.stock is not None and not Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1):
        raise RewardOutOfStock()
    voucher = Voucher.objects.create(
        area_id=member_pass.area_id,
        code=new_voucher_code(),
        member_pass=member_pass,
        kind=VoucherKind.REWARD,
        value_cents=reward.value_cents,
        funded_by_merchant=reward.merchant,
        reward=reward,
        spend_entry=entry,
        valid_from=now,
        expires_at=now + timedelta(days=reward.voucher_valid_days),
        issued_at=now,
        issued_by=by,
        request_key=request_key,
    )
    if reward.merchant_id:
        voucher.merchants.set([reward.merchant])
    return voucher


def is_available(reward: Reward, now: datetime) -> bool:
    """Active and in its period at `now` (stock is checked apart: it has its own error)."""
    return (
        reward.is_active
        and (reward.valid_from is None or reward.valid_from <= now)
        and (reward.valid_until is None or now < reward.valid_until)
    )


def cancel_reward_voucher(*, voucher_id: int, by, request_key: uuid.UUID, now: datetime | None = None) -> Voucher:
    """The member gives an unused reward voucher back before it expires: the points come back, the stock too.

    The points return as a REVERSE entry (a new lot, expiring after the area's usual period from now); the
    voucher ends now, given back (`expires_at = returned_at = now`): it stays in the wallet's history, no longer
    usable. Replaying request_key returns the voucher. Raises VoucherNotFound, NotAllowed, VoucherNotReturnable,
    RequestKeyReused.
    """
    now = now or timezone.now()
    pass_id = Voucher.objects.filter(pk=voucher_id, kind=VoucherKind.REWARD).values_list("member_pass_id", flat=True)
    pass_id = pass_id.first()
    if pass_id is None:
        raise VoucherNotFound()
    try:
        return _cancel(voucher_id, pass_id, by, request_key, now)
    except IntegrityError:
        previous = LedgerEntry.objects.filter(request_key=request_key).first()
        if previous is None:
            raise
        raise RequestKeyReused() from None


@transaction.atomic
def _cancel(voucher_id: int, pass_id: int, by, request_key: uuid.UUID, now: datetime) -> Voucher:
    member_pass = lock_pass(pk=pass_id)
    if by is None or by.pk != member_pass.member_id:
        raise NotAllowed()
    voucher = Voucher.objects.select_for_update(of=("self",)).select_related("reward", "spend_entry").get(pk=voucher_id)
    if previous := LedgerEntry.objects.filter(request_key=request_key).first():
        if previous.member_pass_id != pass_id or previous.kind != EntryKind.REVERSE:
            raise RequestKeyReused()
        return voucher
    if voucher.redeemed_at is not None or now >= voucher.expires_at or voucher.spend_entry is None:
        raise VoucherNotReturnable()
    reward = voucher.reward
    credit(
        member_pass,
        points=-voucher.spend_entry.points,
        kind=EntryKind.REVERSE,
        request_key=request_key,
        now=now,
        rules=LoyaltySettings.for_area(member_pass.area_id),
        merchant=voucher.spend_entry.merchant,
        reason=(_("Reward given back: %(title)s") % {"title": reward.title})[:200],  # read as the choice's above
        by=by,
    )
    # The voucher ends now, given back (and, if given back the instant it was chosen, started a microsecond earlier:
    # the row checks that it ends after it starts).
    voucher.expires_at = voucher.returned_at = now
    voucher.valid_from = min(voucher.valid_from, now - timedelta(microseconds=1))
    Voucher.objects.filter(pk=voucher.pk).update(
        expires_at=voucher.expires_at, returned_at=voucher.returned_at, valid_from=voucher.valid_from
    )
    Reward.objects.filter(pk=reward.pk, stock__isnull=False).update(stock=F("stock") + 1)
    return voucher


# --- Keeping the catalogue ------------------------------------------------------------------------------------

MANAGE_ACTION = "loyalty.manage_rewards"

#: What `save_reward` takes, with a new reward's value when it is not given.
REWARD_FIELDS = {
    "title": "",
    "description": "",
    "title_en": "",
    "description_en": "",
    "merchant": None,
    "cost_points": None,
    "value_cents": None,
    "stock": None,
    "valid_from": None,
    "valid_until": None,
    "voucher_valid_days": 90,
    "is_active": True,
}
#: The largest number the catalogue's integer columns hold (points, cents, stock).
MAX_NUMBER = 2**31 - 1
#: Ten years: a voucher's validity is a small-integer column, and no reward is meant to last longer.
MAX_VOUCHER_DAYS = 3650


def reward_values(reward: Reward) -> dict:
    """A stored reward's values as `save_reward` takes them."""
    return {name: getattr(reward, name) for name in REWARD_FIELDS}


def has_been_chosen(reward: Reward) -> bool:
    """Has a member ever had this reward (a voucher chosen in the app, or points spent on it at a till)?"""
    return reward.vouchers.exists() or TillTransaction.objects.filter(reward=reward).exists()


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_reward(*, area, reward: Reward | None = None, now: datetime | None = None, **fields) -> dict:
    """The rules of a reward in the catalogue; reads only. Returns the values the reward would have (the stored
    ones, or a new reward's defaults, with `fields` over them).

    Vouchers already chosen keep their own value, merchants and expiry (copied when chosen), so cost, value,
    stock, period and validity may change at any time; who funds it may not once it has been chosen. A new period
    must not have ended already (`now`). Raises InvalidReward with `errors` per field (the names of
    `REWARD_FIELDS`, and "area").
    """
    unknown = set(fields) - set(REWARD_FIELDS)
    if unknown:
        raise TypeError(f"Unknown reward fields: {sorted(unknown)}")
    now = now or timezone.now()
    stored = reward_values(reward) if reward is not None else dict(REWARD_FIELDS)
    values = {**stored, **fields}
    values.update(
        {name: (values[name] or "").strip() for name in ("title", "description", "title_en", "description_en")}
    )
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if reward is not None and reward.area_id != area.pk:
        # Nothing else is worth checking against another area's merchants.
        raise InvalidReward(errors={"area": [_("A reward stays in its shopping area.")]})
    if not values["title"]:
        refuse("title", _("Give the reward a title."))
    elif len(values["title"]) > Reward._meta.get_field("title").max_length:
        refuse("title", _("The title is too long."))
    if len(values["title_en"]) > Reward._meta.get_field("title_en").max_length:
        refuse("title_en", _("The title is too long."))
    cost = values["cost_points"]
    if not _is_whole(cost) or cost < 1:
        refuse("cost_points", _("A reward costs at least 1 point."))
    elif cost > MAX_NUMBER:
        refuse("cost_points", _("That is too many points."))
    value = values["value_cents"]
    if not _is_whole(value) or value < 1:
        refuse("value_cents", _("A reward is worth at least %(amount)s at the till.") % {"amount": format_euros(1)})
    elif value > MAX_NUMBER:
        refuse("value_cents", _("That amount is too large."))
    merchant = values["merchant"]
    if merchant is not None and merchant.area_id != area.pk:
        refuse("merchant", _("Choose a merchant of the reward's shopping area."))
    elif reward is not None and getattr(merchant, "pk", None) != reward.merchant_id and has_been_chosen(reward):
        # The settlement charges the points of a chosen reward to its funder as the reward says now: a new funder
        # would rewrite what members were given and what the open months charge. A new reward says it plainly.
        refuse(
            "merchant",
            _(
                "Who funds this reward cannot change any more: members have chosen it. Switch it off and make a new"
                " reward instead."
            ),
        )
    valid_from, valid_until = values["valid_from"], values["valid_until"]
    is_new_period = reward is None or (valid_from, valid_until) != (stored["valid_from"], stored["valid_until"])
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        refuse("valid_until", _("The reward must end after it starts."))
    elif valid_until is not None and valid_until <= now and is_new_period:
        # Members could never choose it: it would go straight to the ended ones. A period left alone may have ended.
        refuse(
            "valid_until",
            _(
                "This period has ended already: members could never choose the reward. The last day is today at the"
                " earliest."
            ),
        )
    stock = values["stock"]
    if stock is not None and (not _is_whole(stock) or stock < 0):
        refuse("stock", _("The stock cannot be below zero. Leave it empty for no limit."))
    elif stock is not None and stock > MAX_NUMBER:
        refuse("stock", _("That stock is too large. Leave it empty for no limit."))
    days = values["voucher_valid_days"]
    if not _is_whole(days) or days < 1:
        refuse("voucher_valid_days", _("A reward's voucher is valid for at least 1 day."))
    elif days > MAX_VOUCHER_DAYS:
        refuse("voucher_valid_days", _("A reward's voucher is valid for at most 3650 days (ten years)."))
    if errors:
        raise InvalidReward(errors=errors)
    return values


@transaction.atomic
def save_reward(*, area, by, reward: Reward | None = None, now: datetime | None = None, **fields) -> Reward:
    """Create a reward in `area`'s catalogue (no `reward`), or change one: `fields` are those of `REWARD_FIELDS`,
    left out ones keep their value. The rules are `check_reward`'s (at `now`). `loyalty.manage_rewards` on the area.
    Raises NotAllowed, InvalidReward.
    """
    if not can(by, MANAGE_ACTION, area):
        raise NotAllowed()
    if reward is not None:
        # The stored row, locked: the caller's instance may carry unsaved values (the admin's form sets them), and
        # members choosing it take one from the stock under this same lock, so a stock typed in is not lost.
        reward = Reward.objects.select_for_update(of=("self",)).select_related("merchant").get(pk=reward.pk)
    values = check_reward(area=area, reward=reward, now=now, **fields)
    if reward is None:
        reward = Reward(area=area)
    for name, value in values.items():
        setattr(reward, name, value)
    reward.save()
    return reward


@transaction.atomic
def switch_reward(*, reward: Reward, by, active: bool) -> Reward:
    """Switch a reward off (members no longer see or choose it, tills no longer take it) or on again. Vouchers
    already chosen stay valid until they expire. Switching to the state it has is a no-op (a second click).
    `loyalty.manage_rewards` on the area. Raises NotAllowed.
    """
    if not can(by, MANAGE_ACTION, reward.area):
        raise NotAllowed()
    reward = Reward.objects.select_for_update(of=("self",)).select_related("area", "merchant").get(pk=reward.pk)
    if reward.is_active != active:
        reward.is_active = active
        reward.save(update_fields=["is_active"])
    return reward
