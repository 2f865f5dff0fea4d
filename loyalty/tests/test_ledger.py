"""The ledger: spends allocated oldest-expiring first, expiry per lot, the nightly check, manual corrections."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from areas.tests.factories import UserFactory
from loyalty import services, tasks
from loyalty.exceptions import (
    InsufficientPoints,
    InvalidAdjustment,
    InvalidPoints,
    NotAllowed,
    PassBlocked,
    PassNotFound,
    RequestKeyReused,
    SecondApprovalRequired,
)
from loyalty.models import EntryKind, LedgerEntry, LotAllocation, Pass, PassStatus, PointLot, TillTransaction
from privacy.exceptions import AppendOnlyViolation
from privacy.models import AuditEntry

from .factories import PassFactory, award, cashier_for, key, manager_for, rules_for, tell_of_expiry

pytestmark = pytest.mark.django_db


def spend(member_pass, points, *, at, by=None, **extra):
    return services.spend_points(
        pass_id=member_pass.pk,
        points=points,
        request_key=extra.pop("request_key", None) or key(),
        by=by or member_pass.member,
        now=at,
        **extra,
    )


def balance(member_pass) -> int:
    return Pass.objects.get(pk=member_pass.pk).points_balance


def lots(member_pass) -> list[tuple[int, int]]:
    return list(
        PointLot.objects.filter(member_pass=member_pass).order_by("earned_at").values_list("points", "remaining")
    )


@pytest.fixture
def three_lots(area, merchant, cashier, member_pass, now):
    """Lots of 10, 20 and 30 points, earned a month apart (so expiring a month apart)."""
    rules_for(area, expiry_months=12)
    for months, euros in ((0, 10), (1, 20), (2, 30)):
        award(merchant, member_pass, euros * 100, at=now + timedelta(days=31 * months), by=cashier)
    tell_of_expiry()
    return member_pass


# --- Spending --------------------------------------------------------------------------------------------------


def test_a_spend_draws_from_the_oldest_expiring_lots_first(three_lots, now):
    at = now + timedelta(days=70)
    entry = spend(three_lots, 25, at=at, reason="Koffie")
    assert (entry.kind, entry.points, entry.reason) == (EntryKind.SPEND, -25, "Koffie")
    assert lots(three_lots) == [(10, 0), (20, 5), (30, 30)]
    assert sorted(LotAllocation.objects.filter(entry=entry).values_list("points", flat=True)) == [10, 15]
    assert balance(three_lots) == 35


def test_spending_more_than_the_balance_is_refused_and_changes_nothing(three_lots, now):
    with pytest.raises(InsufficientPoints) as error:
        spend(three_lots, 61, at=now + timedelta(days=70))
    assert (error.value.needed, error.value.available) == (61, 60)
    assert balance(three_lots) == 60 and not LedgerEntry.objects.filter(kind=EntryKind.SPEND).exists()


def test_points_past_their_date_cannot_be_spent_even_before_the_nightly_job(three_lots, now):
    # The first lot (10) expired 12 months after it was earned; the job has not run.
    at = now + timedelta(days=366)
    with pytest.raises(InsufficientPoints) as error:
        spend(three_lots, 55, at=at)
    assert error.value.available == 50
    spend(three_lots, 50, at=at)
    assert balance(three_lots) == 0
    assert LedgerEntry.objects.filter(member_pass=three_lots, kind=EntryKind.EXPIRE).count() == 1


def test_a_retried_spend_returns_the_first_entry(three_lots, now):
    request_key = key()
    first = spend(three_lots, 15, at=now + timedelta(days=70), request_key=request_key)
    again = spend(three_lots, 15, at=now + timedelta(days=71), request_key=request_key)
    assert again.pk == first.pk and balance(three_lots) == 45
    with pytest.raises(RequestKeyReused):
        spend(three_lots, 16, at=now + timedelta(days=71), request_key=request_key)


@pytest.mark.parametrize("points", [0, -5, 2.5, "10", True])
def test_spends_are_whole_positive_points(member_pass, now, points):
    with pytest.raises(InvalidPoints):
        spend(member_pass, points, at=now)


def test_who_may_spend(area, merchant, other_merchant, three_lots, now):
    at = now + timedelta(days=70)
    with pytest.raises(NotAllowed):
        spend(three_lots, 1, at=at, by=UserFactory())  # another member
    with pytest.raises(NotAllowed):
        spend(three_lots, 1, at=at, by=cashier_for(other_merchant), merchant=merchant)  # B's staff as A
    spend(three_lots, 1, at=at, by=cashier_for(merchant), merchant=merchant)
    spend(three_lots, 1, at=at, by=manager_for(area))
    with pytest.raises(PassNotFound):  # a till of another area
        from areas.tests.factories import MerchantFactory

        foreign = MerchantFactory()
        spend(three_lots, 1, at=at, by=cashier_for(foreign), merchant=foreign)


def test_a_blocked_pass_spends_nothing(three_lots, now):
    Pass.objects.filter(pk=three_lots.pk).update(status=PassStatus.BLOCKED)
    with pytest.raises(PassBlocked):
        spend(three_lots, 1, at=now + timedelta(days=70))


# --- Expiry ----------------------------------------------------------------------------------------------------


def test_expiry_takes_what_is_left_of_each_lot_past_its_date_and_is_idempotent(three_lots, now):
    spend(three_lots, 25, at=now + timedelta(days=70))  # lots: 10→0, 20→5, 30
    at = now + timedelta(days=366 + 31)  # the first two lots are past their date
    assert services.expire_points(now=at) == 1  # the first lot is empty: only the second one's 5 expire
    assert lots(three_lots) == [(10, 0), (20, 0), (30, 30)]
    expiry = LedgerEntry.objects.get(member_pass=three_lots, kind=EntryKind.EXPIRE)
    assert expiry.points == -5 and expiry.occurred_at == PointLot.objects.get(points=20).expires_at
    assert balance(three_lots) == 30
    assert services.expire_points(now=at) == 0
    assert services.expire_points(now=at + timedelta(days=1)) == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.EXPIRE).count() == 1 and balance(three_lots) == 30


def test_expiry_over_many_passes_in_chunks(area, merchant, cashier, now):
    rules_for(area, expiry_months=1)
    passes = [PassFactory(area=area) for _ in range(7)]
    for index, member_pass in enumerate(passes):
        award(merchant, member_pass, (index + 1) * 100, at=now, by=cashier)
    tell_of_expiry()
    assert services.expire_points(now=now + timedelta(days=29)) == 0
    assert services.expire_points(now=now + timedelta(days=31), chunk_size=3) == 7
    assert [balance(p) for p in passes] == [0] * 7
    assert services.check_ledger() == []


def test_the_expiry_task_runs_the_job(area, merchant, cashier, member_pass, now):
    rules_for(area, expiry_months=1)
    award(merchant, member_pass, 1000, at=now - timedelta(days=62), by=cashier)
    tell_of_expiry()
    assert tasks.expire_points_task.apply().get() == 1
    assert tasks.expire_points_task.apply().get() == 0


# --- The nightly check ---------------------------------------------------------------------------------------


def test_the_check_finds_nothing_wrong_in_a_busy_ledger(three_lots, merchant, now):
    spend(three_lots, 25, at=now + timedelta(days=70))
    services.expire_points(now=now + timedelta(days=400))
    assert services.check_ledger() == []
    assert tasks.check_ledger_task.apply().get() == 0


def test_the_check_detects_a_corrupted_balance_and_repairs_it_on_request(three_lots, now):
    Pass.objects.filter(pk=three_lots.pk).update(points_balance=1000)  # someone "fixed" it by hand
    found = services.check_ledger()
    assert [(m.pass_id, m.what, m.expected, m.actual) for m in found] == [(three_lots.pk, "balance", 60, 1000)]
    assert tasks.check_ledger_task.apply().get() == 1
    assert balance(three_lots) == 1000  # the check alone never changes anything
    services.check_ledger(fix=True)
    assert balance(three_lots) == 60 and services.check_ledger() == []


def test_the_check_detects_a_corrupted_lot(three_lots, now):
    lot = PointLot.objects.filter(member_pass=three_lots).order_by("earned_at").first()
    PointLot.objects.filter(pk=lot.pk).update(remaining=3)
    found = {(m.what, m.expected, m.actual, m.object_id) for m in services.check_ledger()}
    assert found == {("lot", 10, 3, lot.pk), ("lots", 60, 53, None)}
    services.check_ledger(fix=True)
    assert services.check_ledger() == []


def test_the_check_detects_a_credit_that_lost_its_lot(area, merchant, cashier, member_pass, now):
    award(merchant, member_pass, 1000, at=now, by=cashier)
    lot = PointLot.objects.get(member_pass=member_pass)
    PointLot.objects.filter(pk=lot.pk).delete()  # lots are projections: a stray script could do this
    found = {(m.what, m.expected, m.actual) for m in services.check_ledger()}
    assert ("credit", 10, 0) in found and ("lots", 10, 0) in found


def test_the_check_reads_in_chunks(area, merchant, cashier, now):
    passes = [PassFactory(area=area) for _ in range(5)]
    for member_pass in passes:
        award(merchant, member_pass, 1000, at=now, by=cashier)
    Pass.objects.filter(pk__in=[passes[1].pk, passes[4].pk]).update(points_balance=0)
    found = services.check_ledger(chunk_size=2)
    assert {m.pass_id for m in found} == {passes[1].pk, passes[4].pk}


# --- Corrections -----------------------------------------------------------------------------------------------


def test_a_manager_corrects_a_balance_with_a_reason_and_it_is_audited(area, member_pass, now):
    manager = manager_for(area)
    entry = services.adjust_points(pass_id=member_pass.pk, points=40, reason="Kassa lag eruit", by=manager, now=now)
    assert (entry.kind, entry.points, entry.by, entry.approved_by) == (EntryKind.ADJUST, 40, manager, None)
    assert PointLot.objects.get(entry=entry).remaining == 40
    services.adjust_points(pass_id=member_pass.pk, points=-15, reason="Dubbel geboekt", by=manager, now=now)
    assert balance(member_pass) == 25
    assert AuditEntry.objects.filter(actor=manager, subject=member_pass.member, action="change").count() == 2
    with pytest.raises(InsufficientPoints):
        services.adjust_points(pass_id=member_pass.pk, points=-26, reason="Te veel", by=manager, now=now)


def test_a_large_correction_needs_a_second_manager(area, member_pass, now):
    rules_for(area, adjustment_approval_threshold=100)
    manager, second = manager_for(area), manager_for(area)
    with pytest.raises(SecondApprovalRequired):
        services.adjust_points(pass_id=member_pass.pk, points=101, reason="Actie", by=manager, now=now)
    with pytest.raises(SecondApprovalRequired):
        services.adjust_points(pass_id=member_pass.pk, points=101, reason="Actie", by=manager, approved_by=manager)
    with pytest.raises(SecondApprovalRequired):  # the approver must be a manager of this area too
        services.adjust_points(
            pass_id=member_pass.pk, points=101, reason="Actie", by=manager, approved_by=UserFactory()
        )
    entry = services.adjust_points(pass_id=member_pass.pk, points=101, reason="Actie", by=manager, approved_by=second)
    assert entry.approved_by == second and balance(member_pass) == 101


def test_only_area_managers_correct_and_with_a_reason(area, merchant, member_pass, now):
    for person in (member_pass.member, cashier_for(merchant), manager_for(PassFactory().area)):
        with pytest.raises(NotAllowed):
            services.adjust_points(pass_id=member_pass.pk, points=5, reason="Waarom niet", by=person)
    for points, reason in ((0, "Niets"), (5, "  "), (2.0, "Half")):
        with pytest.raises(InvalidAdjustment):
            services.adjust_points(pass_id=member_pass.pk, points=points, reason=reason, by=manager_for(area))


# --- Append-only -----------------------------------------------------------------------------------------------


def test_ledger_rows_and_till_transactions_cannot_be_changed_or_deleted(merchant, cashier, member_pass, now):
    award(merchant, member_pass, 1000, at=now, by=cashier)
    entry, allocation_free = LedgerEntry.objects.get(), TillTransaction.objects.get()
    for model, row in ((LedgerEntry, entry), (TillTransaction, allocation_free)):
        with pytest.raises(AppendOnlyViolation):
            model.objects.update(points=1)
        with pytest.raises(AppendOnlyViolation):
            model.objects.all().delete()
        with pytest.raises(AppendOnlyViolation):
            row.save()
        with pytest.raises(AppendOnlyViolation):
            row.delete()


@pytest.mark.postgres
def test_postgresql_refuses_changes_to_the_ledger_even_in_raw_sql(merchant, cashier, member_pass, now):
    award(merchant, member_pass, 1000, at=now, by=cashier)
    for table in ("loyalty_ledgerentry", "loyalty_tilltransaction"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET points = 1000")


def test_the_database_refuses_a_negative_balance(member_pass):
    with pytest.raises(IntegrityError), transaction.atomic():
        Pass.objects.filter(pk=member_pass.pk).update(points_balance=-1)
