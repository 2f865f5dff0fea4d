"""Rewards: choosing one (points → voucher), giving it back, the catalogue."""

from __future__ import annotations

import importlib
import uuid
from datetime import timedelta

import pytest
from django.utils import translation

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, StaffMembershipFactory
from loyalty.exceptions import (
    InsufficientPoints,
    InvalidReward,
    NotAllowed,
    PassBlocked,
    RequestKeyReused,
    RewardNotAvailable,
    RewardOutOfStock,
    VoucherExpired,
    VoucherNotReturnable,
    VoucherNotValidHere,
)
from loyalty.models import EntryKind, LedgerEntry, PassStatus, Reward, TillTransaction, Voucher, VoucherKind
from loyalty.selectors import rewards_for
from loyalty.services import check_ledger
from loyalty.services.rewards import (
    cancel_reward_voucher,
    check_reward,
    choose_reward,
    save_reward,
    switch_reward,
)
from loyalty.services.vouchers import mark_voucher_redeemed, voucher_for_till

from .factories import PassFactory, award, cashier_for, manager_for, tell_of_expiry
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
    tell_of_expiry()
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


def test_vouchers_given_back_before_it_was_recorded_are_found_by_their_reversal(area, rich_pass, now):
    """Migration 0012 marks as given back the vouchers given back before `returned_at` existed, and no others."""
    from django.apps import apps

    given_back_migration = importlib.import_module("loyalty.migrations.0012_voucher_returned_at")
    reward = make_reward(area, cost_points=20)
    back, kept, ended = (choose(rich_pass, reward, now) for _ in range(3))
    cancel_reward_voucher(voucher_id=back.pk, by=rich_pass.member, request_key=uuid.uuid4(), now=now + timedelta(1))
    # As such a voucher was before: ended when its points came back, with nothing saying why.
    Voucher.objects.filter(pk=back.pk).update(returned_at=None)
    Voucher.objects.filter(pk=ended.pk).update(expires_at=now + timedelta(days=2))  # ended unused, not given back

    given_back_migration.mark_given_back(apps, None)

    returned = dict(Voucher.objects.values_list("pk", "returned_at"))
    assert returned == {back.pk: now + timedelta(days=1), kept.pk: None, ended.pk: None}


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


# --- Keeping the catalogue (the area's manager) ------------------------------------------------------------------


def _fields(**fields) -> dict:
    """A valid reward as `save_reward` takes it."""
    return {"title": "Koffie", "cost_points": 100, "value_cents": 350, **fields}


def test_a_manager_adds_a_reward_with_the_defaults_left_out(area, merchant):
    manager = manager_for(area)

    reward = save_reward(area=area, by=manager, **_fields(title="  Koffie  ", merchant=merchant, stock=10))

    reward.refresh_from_db()
    assert (reward.area, reward.title, reward.merchant, reward.stock) == (area, "Koffie", merchant, 10)
    assert (reward.cost_points, reward.value_cents, reward.voucher_valid_days, reward.is_active) == (100, 350, 90, True)
    assert (reward.valid_from, reward.valid_until) == (None, None)


def test_empty_stock_is_no_limit_and_zero_stock_is_sold_out(area, now):
    manager = manager_for(area)
    unlimited = save_reward(area=area, by=manager, **_fields(stock=None))
    sold_out = save_reward(area=area, by=manager, **_fields(title="Thee", stock=0))

    assert list(rewards_for(area, now=now)) == [unlimited]
    assert sold_out.stock == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"cost_points": 0}, "cost_points"),
        ({"cost_points": None}, "cost_points"),
        ({"value_cents": 0}, "value_cents"),
        ({"stock": -1}, "stock"),
        ({"voucher_valid_days": 0}, "voucher_valid_days"),
        ({"voucher_valid_days": 3651}, "voucher_valid_days"),
        ({"valid_until": "at_start"}, "valid_until"),
        ({"valid_until": "before_start"}, "valid_until"),
    ],
)
def test_the_rules_refuse_on_their_field_and_nothing_is_written(area, now, fields, field):
    if fields.get("valid_until") in ("at_start", "before_start"):
        fields = {"valid_from": now, "valid_until": now if fields["valid_until"] == "at_start" else now - timedelta(1)}

    with pytest.raises(InvalidReward) as raised:
        save_reward(area=area, by=manager_for(area), **_fields(**fields))

    assert list(raised.value.errors) == [field]
    assert not Reward.objects.exists()


def test_a_reward_is_worth_at_least_a_cent_and_says_so_in_euros(area):
    with translation.override("nl"), pytest.raises(InvalidReward) as raised:
        check_reward(area=area, **_fields(value_cents=0))
    assert raised.value.errors == {"value_cents": ["Een beloning is aan de kassa minstens €\u00a00,01 waard."]}


def test_the_merchant_must_be_of_the_rewards_area(area, flemish_area):
    elsewhere = MerchantFactory(area=flemish_area)
    with pytest.raises(InvalidReward) as raised:
        save_reward(area=area, by=manager_for(area), **_fields(merchant=elsewhere))
    assert list(raised.value.errors) == ["merchant"]


def test_only_the_areas_manager_may_keep_its_catalogue(area, flemish_area, merchant):
    reward = make_reward(area)
    others = [
        manager_for(flemish_area),
        cashier_for(merchant, role=Role.MERCHANT_OWNER),
        cashier_for(merchant),
        StaffMembershipFactory(role=Role.PARCEL_STAFF, area=area).user,
        PassFactory(area=area).member,
    ]
    for person in others:
        with pytest.raises(NotAllowed):
            save_reward(area=area, by=person, **_fields())
        with pytest.raises(NotAllowed):
            save_reward(area=area, by=person, reward=reward, title="Overgenomen")
        with pytest.raises(NotAllowed):
            switch_reward(reward=reward, by=person, active=False)
    reward.refresh_from_db()
    assert (Reward.objects.count(), reward.title, reward.is_active) == (1, "Coffee", True)


def test_a_change_keeps_what_it_leaves_out_and_a_reward_stays_in_its_area(area, flemish_area, merchant):
    reward = make_reward(area, merchant=merchant, stock=4, voucher_valid_days=30)

    save_reward(area=area, by=manager_for(area), reward=reward, cost_points=80)

    reward.refresh_from_db()
    assert (reward.cost_points, reward.value_cents, reward.merchant, reward.stock) == (80, 500, merchant, 4)
    with pytest.raises(InvalidReward) as raised:
        save_reward(area=flemish_area, by=manager_for(flemish_area), reward=reward, title="Verhuisd")
    assert list(raised.value.errors) == ["area"]


def test_the_change_is_made_to_the_stored_row_not_to_the_callers_stale_copy(area, rich_pass, now):
    # given: the manager's page read the reward with 5 in stock; a member chose one since
    reward = make_reward(area, stock=5)
    stale = Reward.objects.get(pk=reward.pk)
    choose(rich_pass, reward, now)

    # when: the manager changes only the title
    save_reward(area=area, by=manager_for(area), reward=stale, title="Cappuccino")

    # then: the member's choice is not undone in the stock
    reward.refresh_from_db()
    assert (reward.title, reward.stock) == ("Cappuccino", 4)


def test_vouchers_already_chosen_keep_their_value_and_expiry_when_the_reward_changes(area, merchant, rich_pass, now):
    # The voucher copies the reward's value, merchant and expiry when it is chosen (services.rewards._choose), so
    # a change of the catalogue never changes what a member holds.
    reward = make_reward(area, value_cents=500, voucher_valid_days=30, cost_points=100)
    voucher = choose(rich_pass, reward, now)

    save_reward(area=area, by=manager_for(area), reward=reward, value_cents=900, voucher_valid_days=5, cost_points=140)

    voucher.refresh_from_db()
    assert (voucher.value_cents, voucher.expires_at) == (500, now + timedelta(days=30))
    assert voucher.spend_entry.points == -100
    assert voucher_for_till(code=voucher.code, merchant=merchant, member_pass=rich_pass, now=now).pk == voucher.pk


def test_who_funds_a_reward_is_fixed_once_members_chose_it(area, merchant, other_merchant, rich_pass, now):
    manager = manager_for(area)
    fresh = make_reward(area, title="Nieuw")
    save_reward(area=area, by=manager, reward=fresh, merchant=merchant)  # not chosen yet: free to change
    chosen = make_reward(area, merchant=merchant)
    choose(rich_pass, chosen, now)

    with pytest.raises(InvalidReward) as raised:
        save_reward(area=area, by=manager, reward=chosen, merchant=other_merchant)

    assert list(raised.value.errors) == ["merchant"]
    chosen.refresh_from_db()
    assert chosen.merchant == merchant
    save_reward(area=area, by=manager, reward=chosen, merchant=merchant, title="Koffie")  # the same funder is fine


def test_a_switched_off_reward_leaves_the_catalogue_and_cannot_be_chosen_until_switched_on(
    area, merchant, rich_pass, now
):
    manager = manager_for(area)
    reward = make_reward(area)
    voucher = choose(rich_pass, reward, now)

    switch_reward(reward=reward, by=manager, active=False)
    switch_reward(reward=reward, by=manager, active=False)  # a second click changes nothing

    assert not Reward.objects.get(pk=reward.pk).is_active
    assert list(rewards_for(area, now=now)) == []
    with pytest.raises(RewardNotAvailable):
        choose(rich_pass, reward, now)
    # a voucher chosen before stays usable
    assert voucher_for_till(code=voucher.code, merchant=merchant, member_pass=rich_pass, now=now).pk == voucher.pk

    switch_reward(reward=reward, by=manager, active=True)

    assert list(rewards_for(area, now=now)) == [reward]
    give_points(rich_pass, 100, now=now)
    assert choose(rich_pass, reward, now).reward_id == reward.pk
