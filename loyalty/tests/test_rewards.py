"""Rewards: choosing one (points → voucher), giving it back, the catalogue."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from loyalty.exceptions import (
    InsufficientPoints,
    NotAllowed,
    PassBlocked,
    RequestKeyReused,
    RewardNotAvailable,
    RewardOutOfStock,
    VoucherExpired,
    VoucherNotReturnable,
    VoucherNotValidHere,
)
from loyalty.models import EntryKind, LedgerEntry, PassStatus, TillTransaction, Voucher, VoucherKind
from loyalty.selectors import rewards_for
from loyalty.services import check_ledger
from loyalty.services.rewards import cancel_reward_voucher, choose_reward
from loyalty.services.vouchers import mark_voucher_redeemed, voucher_for_till

from .factories import PassFactory, award
from .rewards_helpers import give_points, make_reward

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_pass(member_pass, now):
    give_points(member_pass, 150, now=now)
    return member_pass


def choose(member_pass, reward, now, **extra):
    values = {"by": member_pass.member, "request_key": uuid.uuid4(), "now": now, **extra}
    return choose_reward(pass_id=member_pass.pk, reward_id=reward.pk, **values)


def test_choosing_spends_the_points_and_puts_a_voucher_in_the_wallet(area, merchant, rich_pass, now):
    reward = make_reward(area, merchant=merchant, stock=5, voucher_valid_days=30)

    voucher = choose(rich_pass, reward, now)

    rich_pass.refresh_from_db()
    reward.refresh_from_db()
    assert rich_pass.points_balance == 50
    assert reward.stock == 4
    assert (voucher.kind, voucher.value_cents, voucher.member_pass_id) == (VoucherKind.REWARD, 500, rich_pass.pk)
    assert voucher.expires_at == now + timedelta(days=30)
    assert voucher.funded_by_merchant == merchant
    assert list(voucher.merchants.all()) == [merchant]
    entry = voucher.spend_entry
    assert (entry.kind, entry.points, entry.merchant) == (EntryKind.SPEND, -100, merchant)
    assert entry.reason.endswith(": Coffee")  # "Reward: …" in the language of the moment
    assert check_ledger(pass_ids=[rich_pass.pk]) == []


def test_a_collective_reward_is_valid_at_every_merchant(area, merchant, rich_pass, now):
    voucher = choose(rich_pass, make_reward(area), now)

    assert voucher.funded_by_merchant is None and not voucher.merchants.exists()
    assert voucher_for_till(code=voucher.code, merchant=merchant, member_pass=rich_pass, now=now)


def test_a_replay_returns_the_same_voucher_and_spends_once(area, rich_pass, now):
    reward, key = make_reward(area), uuid.uuid4()

    first = choose(rich_pass, reward, now, request_key=key)
    again = choose(rich_pass, reward, now, request_key=key)

    assert again.pk == first.pk
    assert LedgerEntry.objects.filter(kind=EntryKind.SPEND).count() == 1
    with pytest.raises(RequestKeyReused):
        choose(rich_pass, make_reward(area, title="Tea"), now, request_key=key)


def test_not_enough_points(area, member_pass, now):
    give_points(member_pass, 99, now=now)
    with pytest.raises(InsufficientPoints) as raised:
        choose(member_pass, make_reward(area), now)
    assert (raised.value.needed, raised.value.available) == (100, 99)
    assert not Voucher.objects.exists()


def test_points_past_their_date_do_not_pay_for_a_reward(area, member_pass, now):
    give_points(member_pass, 100, now=now - timedelta(days=800))  # expired after 24 months
    with pytest.raises(InsufficientPoints):
        choose(member_pass, make_reward(area), now)


def test_sold_out_inactive_and_out_of_period_rewards_cannot_be_chosen(area, flemish_area, rich_pass, now):
    with pytest.raises(RewardOutOfStock):
        choose(rich_pass, make_reward(area, stock=0), now)
    with pytest.raises(RewardNotAvailable):
        choose(rich_pass, make_reward(area, is_active=False), now)
    with pytest.raises(RewardNotAvailable):
        choose(rich_pass, make_reward(area, valid_from=now + timedelta(days=1)), now)
    with pytest.raises(RewardNotAvailable):
        choose(rich_pass, make_reward(area, valid_until=now), now)
    with pytest.raises(RewardNotAvailable):
        choose(rich_pass, make_reward(flemish_area), now)


def test_only_the_pass_s_own_member_may_choose(area, rich_pass, now):
    stranger = PassFactory(area=area, now=now).member
    with pytest.raises(NotAllowed):
        choose(rich_pass, make_reward(area), now, by=stranger)


def test_a_blocked_pass_cannot_choose(area, rich_pass, now):
    rich_pass.status = PassStatus.BLOCKED
    rich_pass.save(update_fields=["status"])
    with pytest.raises(PassBlocked):
        choose(rich_pass, make_reward(area), now)


def test_a_merchant_s_reward_voucher_is_refused_at_other_shops(area, merchant, other_merchant, rich_pass, now):
    voucher = choose(rich_pass, make_reward(area, merchant=merchant), now)
    with pytest.raises(VoucherNotValidHere):
        voucher_for_till(code=voucher.code, merchant=other_merchant, member_pass=rich_pass, now=now)


def test_the_catalogue_lists_what_can_be_chosen_now(area, flemish_area, now):
    cheap = make_reward(area, cost_points=10)
    dear = make_reward(area, cost_points=500, stock=2)
    make_reward(area, stock=0)
    make_reward(area, is_active=False)
    make_reward(area, valid_until=now)
    make_reward(flemish_area)

    assert list(rewards_for(area, now=now)) == [cheap, dear]


# --- Giving back ---------------------------------------------------------------------------------------------


def test_giving_back_returns_the_points_and_the_stock_and_ends_the_voucher(area, merchant, rich_pass, now):
    reward = make_reward(area, stock=3)
    voucher = choose(rich_pass, reward, now)
    later = now + timedelta(days=1)

    cancel_reward_voucher(voucher_id=voucher.pk, by=rich_pass.member, request_key=uuid.uuid4(), now=later)

    rich_pass.refresh_from_db()
    reward.refresh_from_db()
    assert rich_pass.points_balance == 150
    assert reward.stock == 3
    entry = LedgerEntry.objects.get(kind=EntryKind.REVERSE)
    assert entry.points == 100 and entry.lot.points == 100
    with pytest.raises(VoucherExpired):
        voucher_for_till(code=voucher.code, merchant=merchant, member_pass=rich_pass, now=later)
    assert check_ledger(pass_ids=[rich_pass.pk]) == []


def test_giving_back_twice_returns_the_points_once(area, rich_pass, now):
    voucher = choose(rich_pass, make_reward(area), now)
    key = uuid.uuid4()

    cancel_reward_voucher(voucher_id=voucher.pk, by=rich_pass.member, request_key=key, now=now)
    cancel_reward_voucher(voucher_id=voucher.pk, by=rich_pass.member, request_key=key, now=now)  # a replay
    with pytest.raises(VoucherNotReturnable):
        cancel_reward_voucher(voucher_id=voucher.pk, by=rich_pass.member, request_key=uuid.uuid4(), now=now)

    rich_pass.refresh_from_db()
    assert rich_pass.points_balance == 150


def test_a_used_or_expired_voucher_cannot_be_given_back(area, merchant, cashier, rich_pass, now):
    used = choose(rich_pass, make_reward(area, voucher_valid_days=1), now)
    result = award(merchant, rich_pass, 1000, at=now, by=cashier)
    mark_voucher_redeemed(used, till_transaction=TillTransaction.objects.get(pk=result.transaction_id), now=now)
    with pytest.raises(VoucherNotReturnable):
        cancel_reward_voucher(voucher_id=used.pk, by=rich_pass.member, request_key=uuid.uuid4(), now=now)

    give_points(rich_pass, 100, now=now)
    expired = choose(rich_pass, make_reward(area, voucher_valid_days=1), now)
    with pytest.raises(VoucherNotReturnable):
        cancel_reward_voucher(
            voucher_id=expired.pk, by=rich_pass.member, request_key=uuid.uuid4(), now=now + timedelta(days=1)
        )


def test_only_the_member_may_give_a_voucher_back(area, rich_pass, now):
    voucher = choose(rich_pass, make_reward(area), now)
    with pytest.raises(NotAllowed):
        cancel_reward_voucher(
            voucher_id=voucher.pk, by=PassFactory(area=area).member, request_key=uuid.uuid4(), now=now
        )
