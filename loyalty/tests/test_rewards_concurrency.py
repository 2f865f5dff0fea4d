"""Concurrent rewards and vouchers on PostgreSQL: the pass lock, the reward's row lock, the voucher's
compare-and-set. Uses the harness of test_concurrency (a thread and a connection per call)."""

import uuid

import pytest
from django.db import transaction

from loyalty.exceptions import InsufficientPoints, RewardOutOfStock, VoucherAlreadyUsed
from loyalty.models import EntryKind, LedgerEntry, Pass, Reward, TillTransaction, Voucher, VoucherKind
from loyalty.services import check_ledger
from loyalty.services.rewards import choose_reward
from loyalty.services.vouchers import issue_voucher, mark_voucher_redeemed, voucher_for_till

from .factories import PassFactory, award, cashier_for, manager_for
from .rewards_helpers import give_points, make_reward
from .test_concurrency import run_together

# One group: on one xdist worker, so two of these never hold 50+ connections each at the same time.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("postgres_concurrency"),
]


def test_a_hundred_choices_on_a_balance_for_one_make_one_voucher(area, now):
    member_pass = PassFactory(area=area, now=now)
    give_points(member_pass, 100, now=now)
    reward = make_reward(area, cost_points=100)

    def choose():
        return choose_reward(
            pass_id=member_pass.pk, reward_id=reward.pk, by=member_pass.member, request_key=uuid.uuid4(), now=now
        )

    results = run_together([choose] * 100)

    vouchers = [r for r in results if isinstance(r, Voucher)]
    assert len(vouchers) == 1, [r for r in results if not isinstance(r, (Voucher, InsufficientPoints))]
    assert all(isinstance(r, InsufficientPoints) for r in results if not isinstance(r, Voucher))
    assert Pass.objects.get(pk=member_pass.pk).points_balance == 0
    assert LedgerEntry.objects.filter(member_pass=member_pass, kind=EntryKind.SPEND).count() == 1
    assert check_ledger(pass_ids=[member_pass.pk]) == []


def test_twenty_members_choosing_the_last_one_make_one_voucher(area, now):
    reward = make_reward(area, cost_points=10, stock=1)
    passes = [PassFactory(area=area, now=now) for _ in range(20)]
    for member_pass in passes:
        give_points(member_pass, 50, now=now)

    def chooser(member_pass):
        return lambda: choose_reward(
            pass_id=member_pass.pk, reward_id=reward.pk, by=member_pass.member, request_key=uuid.uuid4(), now=now
        )

    results = run_together([chooser(p) for p in passes])

    vouchers = [r for r in results if isinstance(r, Voucher)]
    assert len(vouchers) == 1
    assert all(isinstance(r, RewardOutOfStock) for r in results if not isinstance(r, Voucher)), results
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.SPEND).count() == 1


@pytest.mark.parametrize("locked", [True, False], ids=["after voucher_for_till", "without the lock"])
def test_fifty_checkouts_with_one_voucher_use_it_once(area, merchant, now, locked):
    cashier = cashier_for(merchant)
    member_pass = PassFactory(area=area, now=now)
    purchase = TillTransaction.objects.get(pk=award(merchant, member_pass, 2000, at=now, by=cashier).transaction_id)
    voucher = issue_voucher(
        area=area,
        kind=VoucherKind.FIXED,
        value_cents=500,
        expires_at=now.replace(year=now.year + 1),
        valid_from=now.replace(year=now.year - 1),
        by=manager_for(area),
        request_key=uuid.uuid4(),
    )

    def checkout():
        with transaction.atomic():
            if locked:
                found = voucher_for_till(code=voucher.code, merchant=merchant, now=now)
            else:
                found = Voucher.objects.get(pk=voucher.pk)
            mark_voucher_redeemed(found, till_transaction=purchase, now=now)
            return found.pk

    results = run_together([checkout] * 50)

    assert results.count(voucher.pk) == 1
    assert all(isinstance(r, VoucherAlreadyUsed) for r in results if r != voucher.pk), results
    assert Voucher.objects.get(pk=voucher.pk).redeemed_by_id == purchase.pk
