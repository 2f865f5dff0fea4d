"""Undo at the till and refunds: reversal entries, pro rata, never twice, never another shop's transaction."""

from datetime import timedelta

import pytest

from loyalty import services
from loyalty.exceptions import (
    AlreadyUndone,
    InvalidAmount,
    NotAllowed,
    RefundTooLarge,
    RequestKeyReused,
    TransactionNotFound,
    UndoWindowClosed,
)
from loyalty.models import EntryKind, LedgerEntry, LotAllocation, Pass, PointLot, TillKind, TillTransaction

from .factories import award, cashier_for, key, rules_for, tell_of_expiry

pytestmark = pytest.mark.django_db


def undo(merchant, transaction_id, *, by, at, request_key=None):
    return services.undo_till_transaction(
        merchant=merchant, transaction_id=transaction_id, request_key=request_key or key(), by=by, now=at
    )


def refund(merchant, transaction_id, cents, *, by, at, request_key=None):
    return services.refund_purchase(
        merchant=merchant,
        transaction_id=transaction_id,
        refund_cents=cents,
        request_key=request_key or key(),
        by=by,
        now=at,
    )


def balance(member_pass) -> int:
    return Pass.objects.get(pk=member_pass.pk).points_balance


# --- Undo ------------------------------------------------------------------------------------------------------


def test_undo_within_the_window_writes_a_reversal_and_leaves_the_purchase_alone(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 4200, at=now, by=cashier)
    result = undo(merchant, purchase.transaction_id, by=cashier, at=now + timedelta(minutes=10))
    assert (result.kind, result.points_awarded, result.balance, result.amount_cents) == (TillKind.UNDO, -42, 0, -4200)
    assert result.member_first_name == "Sanne" and not result.is_replay
    reversal = TillTransaction.objects.get(pk=result.transaction_id)
    assert reversal.reverses_id == purchase.transaction_id and reversal.by == cashier
    original = TillTransaction.objects.get(pk=purchase.transaction_id)
    assert (original.amount_cents, original.points) == (4200, 42)  # never edited
    entry = LedgerEntry.objects.get(till_transaction=reversal)
    assert (entry.kind, entry.points) == (EntryKind.REVERSE, -42)
    assert balance(member_pass) == 0


def test_undo_after_the_window_is_refused(area, merchant, cashier, member_pass, now):
    rules_for(area, undo_window_minutes=5)
    purchase = award(merchant, member_pass, 4200, at=now, by=cashier)
    with pytest.raises(UndoWindowClosed):
        undo(merchant, purchase.transaction_id, by=cashier, at=now + timedelta(minutes=5, seconds=1))
    assert balance(member_pass) == 42


def test_undo_never_twice(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 4200, at=now, by=cashier)
    undo(merchant, purchase.transaction_id, by=cashier, at=now)
    with pytest.raises(AlreadyUndone):
        undo(merchant, purchase.transaction_id, by=cashier, at=now)
    with pytest.raises(AlreadyUndone):
        refund(merchant, purchase.transaction_id, 100, by=cashier, at=now)
    assert balance(member_pass) == 0 and TillTransaction.objects.count() == 2


def test_a_retried_undo_returns_the_first_result(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 4200, at=now, by=cashier)
    request_key = key()
    first = undo(merchant, purchase.transaction_id, by=cashier, at=now, request_key=request_key)
    again = undo(merchant, purchase.transaction_id, by=cashier, at=now + timedelta(hours=1), request_key=request_key)
    assert again.is_replay and again.transaction_id == first.transaction_id and again.balance == 0
    with pytest.raises(RequestKeyReused):
        refund(merchant, purchase.transaction_id, 100, by=cashier, at=now, request_key=request_key)


def test_merchant_b_cannot_undo_or_refund_merchant_as_transaction(
    area, merchant, other_merchant, cashier, member_pass, now
):
    purchase = award(merchant, member_pass, 4200, at=now, by=cashier)
    other_cashier = cashier_for(other_merchant)
    # B's staff at B's till: A's transaction does not exist there.
    with pytest.raises(TransactionNotFound):
        undo(other_merchant, purchase.transaction_id, by=other_cashier, at=now)
    with pytest.raises(TransactionNotFound):
        refund(other_merchant, purchase.transaction_id, 4200, by=other_cashier, at=now)
    # B's staff claiming to be A's till.
    with pytest.raises(NotAllowed):
        undo(merchant, purchase.transaction_id, by=other_cashier, at=now)
    assert balance(member_pass) == 42


def test_only_purchases_can_be_undone(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 4200, at=now, by=cashier)
    partial = refund(merchant, purchase.transaction_id, 1000, by=cashier, at=now)
    with pytest.raises(TransactionNotFound):
        undo(merchant, partial.transaction_id, by=cashier, at=now)
    with pytest.raises(TransactionNotFound):
        undo(merchant, 999_999, by=cashier, at=now)


def test_undo_after_a_partial_refund_takes_back_the_rest(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 10000, at=now, by=cashier)
    refund(merchant, purchase.transaction_id, 2500, by=cashier, at=now)
    result = undo(merchant, purchase.transaction_id, by=cashier, at=now)
    assert (result.points_awarded, result.amount_cents, result.balance) == (-75, -7500, 0)


# --- Refunds ---------------------------------------------------------------------------------------------------


def test_a_partial_refund_reverses_its_share_of_the_points(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 10000, at=now, by=cashier)
    result = refund(merchant, purchase.transaction_id, 2500, by=cashier, at=now + timedelta(days=3))
    assert (result.kind, result.points_awarded, result.amount_cents, result.balance) == (
        TillKind.REFUND,
        -25,
        -2500,
        75,
    )


def test_partial_refunds_never_reverse_more_than_was_awarded(area, merchant, cashier, member_pass, now):
    rules_for(area, points_per_euro=1)
    purchase = award(merchant, member_pass, 1000, at=now, by=cashier)  # 10 points for €10
    # Three refunds of €3.33, €3.33 and €3.34: floor(10 × refunded ÷ 1000) cumulatively → 3, 3, 4.
    taken = [
        -refund(merchant, purchase.transaction_id, cents, by=cashier, at=now + timedelta(days=1)).points_awarded
        for cents in (333, 333, 334)
    ]
    assert taken == [3, 3, 4] and sum(taken) == 10
    with pytest.raises(AlreadyUndone):
        refund(merchant, purchase.transaction_id, 1, by=cashier, at=now + timedelta(days=1))
    assert balance(member_pass) == 0


def test_many_small_refunds_add_up_to_the_same_as_one(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 999, at=now, by=cashier)  # 9 points
    taken = sum(
        -refund(merchant, purchase.transaction_id, 111, by=cashier, at=now + timedelta(days=1)).points_awarded
        for _ in range(9)
    )
    assert taken == 9 and balance(member_pass) == 0


def test_a_refund_larger_than_what_is_left_is_refused(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 5000, at=now, by=cashier)
    refund(merchant, purchase.transaction_id, 3000, by=cashier, at=now)
    with pytest.raises(RefundTooLarge):
        refund(merchant, purchase.transaction_id, 2001, by=cashier, at=now)
    for wrong in (0, -100, 10.0):
        with pytest.raises(InvalidAmount):
            refund(merchant, purchase.transaction_id, wrong, by=cashier, at=now)


def test_a_refund_takes_spent_points_back_from_other_points_as_far_as_they_go(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 5000, at=now, by=cashier)  # 50
    services.spend_points(pass_id=member_pass.pk, points=45, request_key=key(), by=member_pass.member, now=now)
    award(merchant, member_pass, 2000, at=now + timedelta(minutes=1), by=cashier)  # 5 + 20 = 25
    result = refund(merchant, purchase.transaction_id, 5000, by=cashier, at=now + timedelta(days=1))
    # 50 due: 5 left in the purchase's own lot, 20 from the later lot, 25 could not be recovered.
    assert (result.points_awarded, result.points_unrecovered, result.balance) == (-25, 25, 0)
    entry = LedgerEntry.objects.get(till_transaction_id=result.transaction_id)
    own_lot = PointLot.objects.get(entry__till_transaction_id=purchase.transaction_id)
    drawn = dict(LotAllocation.objects.filter(entry=entry).values_list("lot_id", "points"))
    assert drawn[own_lot.pk] == 5 and sum(drawn.values()) == 25
    with pytest.raises(AlreadyUndone):  # fully refunded: nothing left to reverse, even unrecovered
        refund(merchant, purchase.transaction_id, 1, by=cashier, at=now + timedelta(days=1))


def test_a_refund_never_takes_points_that_already_expired_again(area, merchant, cashier, member_pass, now):
    rules_for(area, expiry_months=1)
    purchase = award(merchant, member_pass, 5000, at=now, by=cashier)  # 50, expires in a month
    tell_of_expiry()
    later = now + timedelta(days=40)
    assert services.expire_points(now=later) == 1
    award(merchant, member_pass, 3000, at=later, by=cashier)  # 30 fresh points
    result = refund(merchant, purchase.transaction_id, 5000, by=cashier, at=later + timedelta(minutes=1))
    assert (result.points_awarded, result.points_unrecovered, result.balance) == (0, 50, 30)


def test_a_refund_takes_only_what_did_not_expire(area, merchant, cashier, member_pass, now):
    rules_for(area, expiry_months=1)
    purchase = award(merchant, member_pass, 5000, at=now, by=cashier)  # 50
    services.spend_points(pass_id=member_pass.pk, points=20, request_key=key(), by=member_pass.member, now=now)
    tell_of_expiry()
    later = now + timedelta(days=40)  # the other 30 expire
    award(merchant, member_pass, 3000, at=later, by=cashier)
    result = refund(merchant, purchase.transaction_id, 5000, by=cashier, at=later)
    # 20 were spent (taken back from the new points), 30 had expired (not taken twice).
    assert (result.points_awarded, result.points_unrecovered, result.balance) == (-20, 30, 10)


def test_a_purchase_without_points_can_still_be_refunded_and_undone(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 50, at=now, by=cashier)
    assert refund(merchant, purchase.transaction_id, 25, by=cashier, at=now).points_awarded == 0
    assert undo(merchant, purchase.transaction_id, by=cashier, at=now).amount_cents == -25
    assert not LedgerEntry.objects.exists()


def test_a_retried_refund_returns_the_first_result_and_a_changed_one_is_refused(merchant, cashier, member_pass, now):
    purchase = award(merchant, member_pass, 10000, at=now, by=cashier)
    request_key = key()
    first = refund(merchant, purchase.transaction_id, 4000, by=cashier, at=now, request_key=request_key)
    again = refund(merchant, purchase.transaction_id, 4000, by=cashier, at=now, request_key=request_key)
    assert again.is_replay and again.transaction_id == first.transaction_id and balance(member_pass) == 60
    with pytest.raises(RequestKeyReused):
        refund(merchant, purchase.transaction_id, 5000, by=cashier, at=now, request_key=request_key)


def test_partial_refunds_give_back_the_campaigns_share_cumulatively_all_of_it_at_the_end(
    area, merchant, cashier, member_pass, now
):
    from .rewards_helpers import make_campaign

    rules_for(area, points_per_euro=1, first_visit_bonus_points=0)
    make_campaign(area, now=now, multiplier_permille=1700)
    purchase = TillTransaction.objects.get(pk=award(merchant, member_pass, 1000, at=now, by=cashier).transaction_id)
    assert (purchase.points, purchase.campaign_points) == (17, 7)

    for n, cents in enumerate((333, 333, 334), start=1):
        refund(merchant, purchase.pk, cents, by=cashier, at=now + timedelta(hours=n))

    reversals = list(purchase.reversals.order_by("pk").values_list("points", "campaign_points"))
    # points back: 5, 6, 6 (cumulative floor of 17 × refunded ÷ amount); the campaign's part of them likewise
    # cumulative (2, 2, 3): per refund (2, 2, 2) would leave the merchant charged for one campaign point for ever
    assert reversals == [(-5, -2), (-6, -2), (-6, -3)]
    assert sum(points for points, _campaign in reversals) == -purchase.points
    assert sum(campaign for _points, campaign in reversals) == -purchase.campaign_points
