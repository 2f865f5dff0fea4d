"""The manager's screens against members and other managers at the same moment, on PostgreSQL: a settlement
payment is recorded once, and a reward's changes never overwrite the stock members take. Uses the harness of
test_concurrency (a thread and a connection per call)."""

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.roles import Role
from loyalty import services
from loyalty.exceptions import RewardOutOfStock
from loyalty.models import Reward, SettlementPayment, Voucher
from loyalty.services.rewards import choose_reward

from .factories import PassFactory, manager_for, person_with, rules_for
from .rewards_helpers import give_points, make_reward
from .test_concurrency import run_together
from .test_settlement_payments import issued

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("postgres_concurrency"),
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_twenty_managers_recording_one_payment_record_it_once(area, merchant):
    managers = [person_with(Role.AREA_MANAGER, area=area) for _ in range(20)]
    rules_for(area, issue_fee_millicents_per_point=1000)
    statement = issued(merchant, managers[0], 250)
    now = datetime(2026, 6, 10, 14, 0, tzinfo=AMSTERDAM)

    def record(manager, day):
        return lambda: services.record_payment(
            statement=statement, paid_on=date(2026, 6, day), reference=f"by {manager.pk}", by=manager, now=now
        )

    results = run_together([record(manager, 3 + n % 5) for n, manager in enumerate(managers)])

    assert all(isinstance(result, SettlementPayment) for result in results), results
    stored = SettlementPayment.objects.get()
    assert {result.pk for result in results} == {stored.pk}
    assert stored.amount_cents == 250


def test_a_manager_changing_a_reward_while_members_choose_it_keeps_their_stock(area, now):
    reward = make_reward(area, cost_points=10, stock=10, title="Koffie")
    passes = [PassFactory(area=area, now=now) for _ in range(15)]
    for member_pass in passes:
        give_points(member_pass, 50, now=now)
    manager = manager_for(area)

    def chooser(member_pass):
        return lambda: choose_reward(
            pass_id=member_pass.pk, reward_id=reward.pk, by=member_pass.member, request_key=uuid.uuid4(), now=now
        )

    def rename(n):
        # What the form sends when only the title changed: no stock.
        return lambda: services.save_reward(area=area, by=manager, reward=reward, title=f"Koffie {n}")

    calls = [chooser(p) for p in passes]
    calls[::3] = [rename(n) for n in range(len(calls[::3]))]
    calls += [chooser(p) for p in passes[::3]]

    results = run_together(calls)

    chosen = [r for r in results if isinstance(r, Voucher)]
    assert len(chosen) == 10, [r for r in results if not isinstance(r, (Voucher, Reward, RewardOutOfStock))]
    assert all(isinstance(r, (Voucher, Reward, RewardOutOfStock)) for r in results)
    stored = Reward.objects.get(pk=reward.pk)
    assert stored.stock == 0 and stored.title.startswith("Koffie ")
    assert Voucher.objects.filter(reward=reward).count() == 10


def test_managers_deciding_one_waiting_correction_at_once_decide_it_once(area, now):
    from loyalty.exceptions import CorrectionDecided
    from loyalty.models import CorrectionStatus, EntryKind, LedgerEntry, Pass, PointsCorrection

    rules_for(area, adjustment_approval_threshold=100)
    asking, *deciding = [person_with(Role.AREA_MANAGER, area=area) for _ in range(11)]
    member_pass = PassFactory(area=area, now=now)
    waiting = services.correct_points(
        pass_id=member_pass.pk, points=250, reason="Kassa lag eruit", by=asking, request_key=uuid.uuid4(), now=now
    ).correction

    def decide(manager, n):
        decision = services.approve_correction if n % 2 else services.reject_correction
        return lambda: decision(correction_id=waiting.pk, by=manager, now=now)

    results = run_together([decide(manager, n) for n, manager in enumerate(deciding)])

    decided = [result for result in results if isinstance(result, PointsCorrection)]
    assert len(decided) == 1, results
    assert all(isinstance(result, CorrectionDecided) for result in results if result is not decided[0])
    stored = PointsCorrection.objects.get()
    entries = LedgerEntry.objects.filter(kind=EntryKind.ADJUST).count()
    if stored.status == CorrectionStatus.APPLIED:
        assert entries == 1 and Pass.objects.get(pk=member_pass.pk).points_balance == 250
    else:
        assert stored.status == CorrectionStatus.REJECTED and entries == 0
        assert Pass.objects.get(pk=member_pass.pk).points_balance == 0
