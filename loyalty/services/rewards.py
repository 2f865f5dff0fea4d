"""Rewards: a member chooses one in the app (points become a voucher in their wallet) or gives it back unused.

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

from ..exceptions import (
    InsufficientPoints,
    NotAllowed,
    PassBlocked,
    PassNotFound,
    RequestKeyReused,
    RewardNotAvailable,
    RewardOutOfStock,
    VoucherNotFound,
    VoucherNotReturnable,
)
from ..models import EntryKind, LedgerEntry, LoyaltySettings, Reward, Voucher, VoucherKind
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
        raise InsufficientPoints(needed=reward.cost_points, available=member_pass.points_balance)
    entry = debit(
        member_pass,
        points=reward.cost_points,
        kind=EntryKind.SPEND,
        request_key=derived_key(f"reward-spend:{request_key}"),
        now=now,
        merchant=reward.merchant,
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
    voucher ends now (`expires_at = now`): it stays in the wallet's history, no longer usable. Replaying
    request_key returns the voucher. Raises VoucherNotFound, NotAllowed, VoucherNotReturnable, RequestKeyReused.
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
        reason=(_("Reward given back: %(title)s") % {"title": reward.title})[:200],
        by=by,
    )
    # The voucher ends now (and, if given back the instant it was chosen, started a microsecond earlier: the row
    # checks that it ends after it starts). A `returned_at` field would say it
    # more plainly; this keeps the model as it is.
    voucher.expires_at = now
    voucher.valid_from = min(voucher.valid_from, now - timedelta(microseconds=1))
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=voucher.expires_at, valid_from=voucher.valid_from)
    Reward.objects.filter(pk=reward.pk, stock__isnull=False).update(stock=F("stock") + 1)
    return voucher
