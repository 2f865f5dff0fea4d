"""Awarding points at the till: the earning rules, the pass code checks, idempotency, limits and who may."""

from datetime import timedelta

import pytest
from django.utils import translation

from accounts.roles import Role
from areas.models import MerchantStatus
from areas.tests.factories import MerchantFactory, ShoppingAreaFactory, StaffMembershipFactory, UserFactory
from loyalty import selectors, services, totp
from loyalty.codes import qr_payload
from loyalty.exceptions import (
    CodeAlreadyUsed,
    CodeExpired,
    DuplicateReceipt,
    InvalidAmount,
    InvalidPassCode,
    NotAllowed,
    PassBlocked,
    PassNotFound,
    RequestKeyReused,
    VelocityLimitExceeded,
)
from loyalty.models import EntryKind, LedgerEntry, Pass, PassStatus, PointLot, TillTransaction
from privacy.services import withdraw_consent

from .factories import PassFactory, award, cashier_for, key, manager_for, qr, rules_for, set_multiplier

pytestmark = pytest.mark.django_db


# --- The earning rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount_cents", "rate", "permille", "points"),
    [
        (2399, 1, 1000, 23),  # whole euros only: €23.99 → 23
        (99, 1, 1000, 0),
        (100, 1, 1000, 1),
        (2399, 2, 1000, 46),
        (2399, 1, 1500, 34),  # 23 × 1.5 = 34.5 → 34
        (2399, 3, 1250, 86),  # 23 × 3 × 1.25 = 86.25 → 86
        (10000, 1, 0, 0),
    ],
)
def test_points_are_whole_euros_times_rate_times_multiplier_rounded_down(amount_cents, rate, permille, points):
    assert services.calculate_points(amount_cents=amount_cents, points_per_euro=rate, multiplier_permille=permille) == (
        points
    )


def test_a_purchase_earns_the_base_rate_per_whole_euro(merchant, cashier, member_pass, now):
    result = award(merchant, member_pass, 2399, at=now, by=cashier, receipt_number="R-1", device_id="till-1")
    assert (result.member_first_name, result.points_awarded, result.balance, result.is_replay) == (
        "Sanne",
        23,
        23,
        False,
    )
    purchase = TillTransaction.objects.get(pk=result.transaction_id)
    assert (purchase.kind, purchase.amount_cents, purchase.points, purchase.receipt_number) == (
        "purchase",
        2399,
        23,
        "R-1",
    )
    assert (purchase.device_id, purchase.by, purchase.occurred_at, purchase.balance_after) == (
        "till-1",
        cashier,
        now,
        23,
    )
    entry = LedgerEntry.objects.get(till_transaction=purchase)
    assert (entry.kind, entry.points, entry.merchant, entry.request_key) == (
        EntryKind.EARN,
        23,
        merchant,
        purchase.request_key,
    )
    assert PointLot.objects.get(entry=entry).expires_at == now.replace(year=2028)
    assert Pass.objects.get(pk=member_pass.pk).points_balance == 23


def test_the_merchant_multiplier_and_the_area_rate_apply(area, merchant, cashier, member_pass, now):
    rules_for(area, points_per_euro=2)
    set_multiplier(merchant, 1500)
    assert award(merchant, member_pass, 1050, at=now, by=cashier).points_awarded == 30  # 10 × 2 × 1.5


def test_a_purchase_under_a_euro_is_a_visit_without_points(merchant, cashier, member_pass, now):
    result = award(merchant, member_pass, 80, at=now, by=cashier)
    assert result.points_awarded == 0 and result.balance == 0
    assert TillTransaction.objects.filter(pk=result.transaction_id).exists()
    assert not LedgerEntry.objects.exists()


def test_the_first_visit_at_a_merchant_earns_the_bonus_once(area, merchant, other_merchant, member_pass, now):
    rules_for(area, first_visit_bonus_points=25)
    cashier, other_cashier = cashier_for(merchant), cashier_for(other_merchant)
    first = award(merchant, member_pass, 1000, at=now, by=cashier)
    second = award(merchant, member_pass, 1000, at=now + timedelta(minutes=1), by=cashier)
    elsewhere = award(other_merchant, member_pass, 1000, at=now + timedelta(minutes=2), by=other_cashier)
    assert (first.points_awarded, second.points_awarded, elsewhere.points_awarded) == (35, 10, 35)
    assert TillTransaction.objects.get(pk=first.transaction_id).bonus_points == 25
    assert TillTransaction.objects.get(pk=second.transaction_id).bonus_points == 0


def test_an_undone_first_visit_does_not_use_up_the_bonus(area, merchant, cashier, member_pass, now):
    rules_for(area, first_visit_bonus_points=25)
    mistake = award(merchant, member_pass, 10000, at=now, by=cashier)
    services.undo_till_transaction(
        merchant=merchant, transaction_id=mistake.transaction_id, request_key=key(), by=cashier, now=now
    )
    assert award(merchant, member_pass, 1000, at=now + timedelta(minutes=1), by=cashier).points_awarded == 35


def test_points_are_capped_per_member_per_day_in_the_areas_time_zone(area, merchant, cashier, member_pass, now):
    rules_for(area, daily_cap_points=100, max_scans_per_member_per_merchant_per_day=0)
    assert award(merchant, member_pass, 8000, at=now, by=cashier).points_awarded == 80
    capped = award(merchant, member_pass, 5000, at=now + timedelta(minutes=5), by=cashier)
    assert (capped.points_awarded, capped.balance) == (20, 100)
    assert award(merchant, member_pass, 5000, at=now + timedelta(minutes=10), by=cashier).points_awarded == 0
    # Midnight in Amsterdam (22:00 UTC in summer) starts a new day.
    tomorrow = now.replace(hour=0, minute=0) + timedelta(days=1)
    assert award(merchant, member_pass, 5000, at=tomorrow, by=cashier).points_awarded == 50


def test_an_undone_scan_gives_its_points_back_to_the_days_cap(area, merchant, cashier, member_pass, now):
    rules_for(area, daily_cap_points=100)
    typo = award(merchant, member_pass, 10000, at=now, by=cashier)
    services.undo_till_transaction(
        merchant=merchant, transaction_id=typo.transaction_id, request_key=key(), by=cashier, now=now
    )
    assert award(merchant, member_pass, 1000, at=now + timedelta(minutes=1), by=cashier).points_awarded == 10


def _online_order(member_pass, merchant, cents, *, ref, now) -> list[int]:
    """An order paid in the webshop, credited as the shop credits it."""
    return services.award_online_points(
        member=member_pass.member,
        area=member_pass.area,
        purchases=[services.OnlinePurchase(merchant.pk, cents)],
        order_ref=ref,
        now=now,
    )


def test_the_webshops_points_of_the_day_count_against_the_tills_daily_cap(
    area, merchant, other_merchant, cashier, member_pass, now
):
    rules_for(area, daily_cap_points=100, welcome_bonus_points=0, first_visit_bonus_points=0)
    # given: 70 points in the webshop this morning
    assert _online_order(member_pass, other_merchant, 7000, ref="W-1", now=now - timedelta(hours=2)) == [70]
    # when / then: the till gives what is left of the one cap, and says the cap cut it
    result = award(merchant, member_pass, 5000, at=now, by=cashier)
    assert (result.points_awarded, result.daily_cap_points) == (30, 100)
    assert award(merchant, member_pass, 5000, at=now + timedelta(minutes=5), by=cashier).points_awarded == 0
    # the webshop's points of yesterday do not count today
    tomorrow = now + timedelta(days=1)
    assert award(merchant, member_pass, 5000, at=tomorrow, by=cashier).points_awarded == 50


def test_the_tills_points_of_the_day_count_against_the_webshops_daily_cap(
    area, merchant, other_merchant, cashier, member_pass, now
):
    rules_for(area, daily_cap_points=100, welcome_bonus_points=0, first_visit_bonus_points=0)
    assert award(merchant, member_pass, 8000, at=now, by=cashier).points_awarded == 80
    assert _online_order(member_pass, other_merchant, 5000, ref="W-2", now=now + timedelta(minutes=5)) == [20]
    # and back at a till the cap is full: till and webshop together made 100
    assert award(merchant, member_pass, 1000, at=now + timedelta(minutes=10), by=cashier).points_awarded == 0


def test_only_the_webshops_earnings_share_the_cap_with_the_till(area, merchant, cashier, now):
    # the welcome bonus is credited too, but is no purchase: it leaves the day's cap alone
    rules_for(area, daily_cap_points=100, welcome_bonus_points=90, first_visit_bonus_points=0)
    member_pass = PassFactory(area=area, now=now)
    assert LedgerEntry.objects.get(member_pass=member_pass, kind=EntryKind.EARN).points == 90
    assert award(merchant, member_pass, 5000, at=now + timedelta(minutes=1), by=cashier).points_awarded == 50


def test_a_purchase_the_daily_cap_cut_says_so_with_the_cap(area, merchant, cashier, member_pass, now):
    rules_for(area, daily_cap_points=100, max_scans_per_member_per_merchant_per_day=0)
    assert award(merchant, member_pass, 8000, at=now, by=cashier).daily_cap_points == 0  # 80 of 100: not cut
    cut = award(merchant, member_pass, 5000, at=now + timedelta(minutes=5), by=cashier)
    assert (cut.points_awarded, cut.daily_cap_points) == (20, 100)
    nothing = award(merchant, member_pass, 5000, at=now + timedelta(minutes=10), by=cashier)
    assert (nothing.points_awarded, nothing.daily_cap_points) == (0, 100)
    # a purchase under a euro earns nothing, but not because of the cap
    assert award(merchant, member_pass, 50, at=now + timedelta(minutes=15), by=cashier).daily_cap_points == 0


def test_the_balance_after_a_purchase_leaves_out_overdue_points_as_the_members_app_does(
    area, merchant, other_merchant, cashier, member_pass, now
):
    # given: 30 points earned longer ago than the expiry period, not yet taken by the night's expiry
    rules_for(area, expiry_months=12)
    award(merchant, member_pass, 3000, at=now - timedelta(days=400), by=cashier)
    member_pass.refresh_from_db()
    assert (member_pass.points_balance, selectors.pass_overview(member_pass, now=now)["balance"]) == (30, 0)
    # when: a purchase
    result = award(merchant, member_pass, 1500, at=now, by=cashier)
    # then: the till shows what the app shows, and keeps it with the purchase; the ledger is left to the night
    member_pass.refresh_from_db()
    assert result.balance == selectors.pass_overview(member_pass, now=now)["balance"] == 15
    assert TillTransaction.objects.get(pk=result.transaction_id).balance_after == 15
    assert member_pass.points_balance == 45
    later = award(other_merchant, member_pass, 1000, at=now + timedelta(minutes=1), by=cashier_for(other_merchant))
    member_pass.refresh_from_db()
    assert later.balance == selectors.pass_overview(member_pass, now=now)["balance"] == 25


def test_a_code_used_for_an_undone_purchase_says_to_wait_for_the_next_one(merchant, cashier, member_pass, now):
    code = qr(member_pass, now)
    first = award(merchant, member_pass, 1000, at=now, by=cashier, code=code)
    services.undo_till_transaction(
        merchant=merchant, transaction_id=first.transaction_id, request_key=key(), by=cashier, now=now
    )
    with translation.override("en"), pytest.raises(CodeAlreadyUsed) as refused:
        award(merchant, member_pass, 1000, at=now + timedelta(seconds=5), by=cashier, code=code)
    assert "new code within 30 seconds" in refused.value.message and "card number" in refused.value.message
    # the next code the pass shows is taken, and so is the card number alone
    assert award(merchant, member_pass, 1000, at=now + timedelta(seconds=30), by=cashier).points_awarded == 10
    alone = award(merchant, member_pass, 1000, at=now + timedelta(seconds=40), by=cashier, code=member_pass.card_number)
    assert alone.points_awarded == 10


# --- Pass codes -------------------------------------------------------------------------------------------


def test_a_printed_card_number_alone_earns(merchant, cashier, member_pass, now):
    result = award(merchant, member_pass, 1500, at=now, by=cashier, code=member_pass.card_number_display)
    assert result.points_awarded == 15


def test_a_typed_card_number_with_its_code_earns(merchant, cashier, member_pass, now):
    typed = f"{member_pass.card_number_display} {totp.code_at(member_pass.totp_secret, now)}"
    assert award(merchant, member_pass, 1500, at=now, by=cashier, code=typed).points_awarded == 15


def test_a_used_code_is_refused_even_at_another_shop(merchant, other_merchant, cashier, member_pass, now):
    code = qr(member_pass, now)
    award(merchant, member_pass, 1000, at=now, by=cashier, code=code)
    with pytest.raises(CodeAlreadyUsed):
        award(merchant, member_pass, 1000, at=now + timedelta(seconds=5), by=cashier, code=code)
    with pytest.raises(CodeAlreadyUsed):
        award(other_merchant, member_pass, 1000, at=now, by=cashier_for(other_merchant), code=code)
    assert TillTransaction.objects.count() == 1


def test_an_older_code_is_refused_after_a_newer_one_was_used(merchant, cashier, member_pass, now):
    older = qr(member_pass, now - timedelta(seconds=30))
    award(merchant, member_pass, 1000, at=now, by=cashier)  # the current step
    with pytest.raises(CodeAlreadyUsed):
        award(merchant, member_pass, 1000, at=now, by=cashier, code=older)


def test_a_fresh_code_thirty_seconds_later_is_accepted(merchant, cashier, member_pass, now):
    award(merchant, member_pass, 1000, at=now, by=cashier)
    later = now + timedelta(seconds=30)
    assert award(merchant, member_pass, 1000, at=later, by=cashier).balance == 20


@pytest.mark.parametrize("seconds", [-30, 30])
def test_one_step_of_clock_drift_is_accepted(merchant, cashier, member_pass, now, seconds):
    code = qr(member_pass, now + timedelta(seconds=seconds))
    assert award(merchant, member_pass, 1000, at=now, by=cashier, code=code).points_awarded == 10


@pytest.mark.parametrize("seconds", [-90, -60, 60, 90, 3600])
def test_a_code_from_further_away_is_refused(merchant, cashier, member_pass, now, seconds):
    # A screenshot is useless a minute later.
    code = qr(member_pass, now + timedelta(seconds=seconds))
    with pytest.raises(CodeExpired) as error:
        award(merchant, member_pass, 1000, at=now, by=cashier, code=code)
    assert isinstance(error.value, InvalidPassCode)
    assert not TillTransaction.objects.exists()


def test_a_wrong_code_is_refused(merchant, cashier, member_pass, now):
    right = totp.code_at(member_pass.totp_secret, now)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(InvalidPassCode):
        award(merchant, member_pass, 1000, at=now, by=cashier, code=qr_payload(member_pass.card_number, wrong))


def test_a_refused_purchase_does_not_use_up_the_code(merchant, cashier, member_pass, now):
    code = qr(member_pass, now)
    with pytest.raises(InvalidAmount):
        award(merchant, member_pass, 100_000_000, at=now, by=cashier, code=code)
    assert award(merchant, member_pass, 1000, at=now, by=cashier, code=code).points_awarded == 10


def test_a_pass_of_another_area_or_an_unknown_number_is_not_found(merchant, cashier, now):
    foreign = PassFactory(area=ShoppingAreaFactory())
    with pytest.raises(PassNotFound):
        award(merchant, foreign, 1000, at=now, by=cashier)
    with pytest.raises(PassNotFound):
        award(merchant, foreign, 1000, at=now, by=cashier, code="123456789015")


@pytest.mark.parametrize("status", [PassStatus.BLOCKED, PassStatus.CLOSED])
def test_a_blocked_or_closed_pass_earns_nothing(merchant, cashier, member_pass, now, status):
    Pass.objects.filter(pk=member_pass.pk).update(status=status)
    with pytest.raises(PassBlocked):
        award(merchant, member_pass, 1000, at=now, by=cashier)


def test_the_member_blocks_a_lost_pass(merchant, cashier, member_pass, member, now):
    with pytest.raises(NotAllowed):
        services.block_pass(pass_id=member_pass.pk, by=UserFactory())
    services.block_pass(pass_id=member_pass.pk, by=member)
    with pytest.raises(PassBlocked):
        award(merchant, member_pass, 1000, at=now, by=cashier)


# --- Amounts, receipts, limits -------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -500, 1.5, "1000", True, None])
def test_amounts_must_be_positive_whole_cents(merchant, cashier, member_pass, now, amount):
    with pytest.raises(InvalidAmount):
        award(merchant, member_pass, amount, at=now, by=cashier)


def test_amounts_above_the_areas_maximum_are_refused(area, merchant, cashier, member_pass, now):
    rules_for(area, max_purchase_cents=50_000)
    with pytest.raises(InvalidAmount):
        award(merchant, member_pass, 50_001, at=now, by=cashier)
    assert award(merchant, member_pass, 50_000, at=now, by=cashier).points_awarded == 500


def test_a_receipt_earns_once_unless_its_scan_was_undone(merchant, cashier, area, now):
    first_pass, second_pass = PassFactory(area=area), PassFactory(area=area)
    first = award(merchant, first_pass, 1000, at=now, by=cashier, receipt_number="R-9")
    with pytest.raises(DuplicateReceipt):
        award(merchant, second_pass, 1000, at=now, by=cashier, receipt_number="R-9")
    services.undo_till_transaction(
        merchant=merchant, transaction_id=first.transaction_id, request_key=key(), by=cashier, now=now
    )
    assert award(merchant, second_pass, 1000, at=now, by=cashier, receipt_number="R-9").points_awarded == 10


def test_the_same_receipt_number_at_another_merchant_is_another_receipt(
    merchant, other_merchant, cashier, member_pass, now
):
    award(merchant, member_pass, 1000, at=now, by=cashier, receipt_number="1")
    later = now + timedelta(seconds=30)
    assert award(other_merchant, member_pass, 1000, at=later, by=cashier_for(other_merchant), receipt_number="1")


def test_velocity_per_member_per_hour(area, merchant, other_merchant, cashier, member_pass, now):
    rules_for(area, max_scans_per_member_per_hour=2)
    award(merchant, member_pass, 1000, at=now, by=cashier, code=member_pass.card_number)
    award(other_merchant, member_pass, 1000, at=now, by=cashier_for(other_merchant), code=member_pass.card_number)
    with pytest.raises(VelocityLimitExceeded) as error:
        award(merchant, member_pass, 1000, at=now + timedelta(minutes=30), by=cashier, code=member_pass.card_number)
    assert error.value.limit == "member"
    assert award(merchant, member_pass, 1000, at=now + timedelta(minutes=61), by=cashier, code=member_pass.card_number)


def test_velocity_per_member_per_merchant_per_day(area, merchant, cashier, member_pass, now):
    rules_for(area, max_scans_per_member_per_merchant_per_day=2, max_scans_per_member_per_hour=0)
    for hours in (0, 2):
        award(merchant, member_pass, 1000, at=now + timedelta(hours=hours), by=cashier, code=member_pass.card_number)
    with pytest.raises(VelocityLimitExceeded) as error:
        award(merchant, member_pass, 1000, at=now + timedelta(hours=4), by=cashier, code=member_pass.card_number)
    assert error.value.limit == "member_merchant"


def test_a_purchase_undone_at_once_does_not_use_up_a_slot_of_the_members_limits(
    area, merchant, other_merchant, cashier, member_pass, now
):
    rules_for(area, max_scans_per_member_per_merchant_per_day=3, max_scans_per_member_per_hour=3)
    card = member_pass.card_number
    # given: a typo undone at once, and two real purchases (all within the hour, here)
    typo = award(merchant, member_pass, 100_00, at=now, by=cashier, code=card)
    services.undo_till_transaction(
        merchant=merchant, transaction_id=typo.transaction_id, request_key=key(), by=cashier, now=now
    )
    for minutes in (1, 2):
        award(merchant, member_pass, 1000, at=now + timedelta(minutes=minutes), by=cashier, code=card)

    # when/then: the third real purchase is the last one the limits allow, per hour and here today
    assert award(merchant, member_pass, 1000, at=now + timedelta(minutes=3), by=cashier, code=card).points_awarded
    with pytest.raises(VelocityLimitExceeded) as error:
        award(merchant, member_pass, 1000, at=now + timedelta(minutes=4), by=cashier, code=card)
    assert error.value.limit in ("member", "member_merchant")


def test_an_undo_counts_only_against_a_purchase_inside_the_limits_window(area, merchant, cashier, member_pass, now):
    rules_for(
        area, max_scans_per_member_per_hour=2, max_scans_per_member_per_merchant_per_day=0, undo_window_minutes=30
    )
    card = member_pass.card_number
    # a purchase undone 20 minutes later: 70 minutes on, it has left the hour, and its undo gives no slot back
    early = award(merchant, member_pass, 1000, at=now, by=cashier, code=card)
    services.undo_till_transaction(
        merchant=merchant,
        transaction_id=early.transaction_id,
        request_key=key(),
        by=cashier,
        now=now + timedelta(minutes=20),
    )
    later = now + timedelta(minutes=70)
    for seconds in (0, 1):
        award(merchant, member_pass, 1000, at=later + timedelta(seconds=seconds), by=cashier, code=card)

    with pytest.raises(VelocityLimitExceeded) as error:
        award(merchant, member_pass, 1000, at=later + timedelta(seconds=2), by=cashier, code=card)
    assert error.value.limit == "member"


def test_a_refund_does_not_give_a_slot_back(area, merchant, cashier, member_pass, now):
    # A refund is a real purchase brought back later, not a cashier's mistake: it still counted as a visit with points.
    rules_for(area, max_scans_per_member_per_merchant_per_day=1, max_scans_per_member_per_hour=0)
    card = member_pass.card_number
    first = award(merchant, member_pass, 1000, at=now, by=cashier, code=card)
    services.refund_purchase(
        merchant=merchant,
        transaction_id=first.transaction_id,
        refund_cents=1000,
        request_key=key(),
        by=cashier,
        now=now,
    )
    with pytest.raises(VelocityLimitExceeded):
        award(merchant, member_pass, 1000, at=now + timedelta(minutes=5), by=cashier, code=card)


@pytest.mark.parametrize(
    ("limit", "rules", "expected"),
    [
        (
            "member_merchant",
            {"max_scans_per_member_per_merchant_per_day": 2, "max_scans_per_member_per_hour": 0},
            "This member has reached the maximum of 2 purchases with points at this shop per day. They can earn "
            "points here again tomorrow. Nothing was recorded: the purchase itself can go ahead, without points.",
        ),
        (
            "member",
            {"max_scans_per_member_per_hour": 2, "max_scans_per_member_per_merchant_per_day": 0},
            "This member has reached the maximum of 2 purchases with points per hour, at all shops together. They "
            "can earn points again within the hour. Nothing was recorded: the purchase itself can go ahead, without "
            "points.",
        ),
    ],
)
def test_a_members_limit_says_which_limit_and_when_points_come_again(
    area, merchant, cashier, member_pass, now, limit, rules, expected
):
    rules_for(area, **rules)
    card = member_pass.card_number
    for minutes in (0, 1):
        award(merchant, member_pass, 1000, at=now + timedelta(minutes=minutes), by=cashier, code=card)

    with translation.override("en"), pytest.raises(VelocityLimitExceeded) as error:
        award(merchant, member_pass, 1000, at=now + timedelta(minutes=2), by=cashier, code=card)

    assert (error.value.limit, error.value.maximum, error.value.message) == (limit, 2, expected)
    assert TillTransaction.objects.count() == 2  # nothing recorded for the refused one


def test_the_shops_and_the_tills_limits_say_so(area, merchant, cashier, now):
    rules_for(area, max_scans_per_device_per_hour=1, max_scans_per_merchant_per_hour=2)
    passes = [PassFactory(area=area) for _ in range(3)]
    award(merchant, passes[0], 1000, at=now, by=cashier, device_id="till-1")
    with translation.override("en"), pytest.raises(VelocityLimitExceeded) as device:
        award(merchant, passes[1], 1000, at=now, by=cashier, device_id="till-1")
    award(merchant, passes[1], 1000, at=now, by=cashier, device_id="till-2")
    with translation.override("en"), pytest.raises(VelocityLimitExceeded) as shop:
        award(merchant, passes[2], 1000, at=now, by=cashier, device_id="till-3")

    assert device.value.message.startswith(
        "This till has reached the maximum of 1 purchase with points per hour. Use another till, or try again"
    )
    assert shop.value.message.startswith("This shop has reached the maximum of 2 purchases with points per hour.")


def test_velocity_per_merchant_and_per_till_device(area, merchant, cashier, now):
    rules_for(area, max_scans_per_device_per_hour=2, max_scans_per_merchant_per_hour=3)
    passes = [PassFactory(area=area) for _ in range(4)]
    award(merchant, passes[0], 1000, at=now, by=cashier, device_id="till-1")
    award(merchant, passes[1], 1000, at=now, by=cashier, device_id="till-1")
    with pytest.raises(VelocityLimitExceeded) as error:
        award(merchant, passes[2], 1000, at=now, by=cashier, device_id="till-1")
    assert error.value.limit == "device"
    award(merchant, passes[2], 1000, at=now, by=cashier, device_id="till-2")
    with pytest.raises(VelocityLimitExceeded) as error:
        award(merchant, passes[3], 1000, at=now, by=cashier, device_id="till-3")
    assert error.value.limit == "merchant"


# --- Idempotency ---------------------------------------------------------------------------------------------


def test_a_retry_with_the_same_request_key_returns_the_first_result(area, merchant, cashier, member_pass, now):
    request_key, code = key(), qr(member_pass, now)
    first = award(merchant, member_pass, 2500, at=now, by=cashier, code=code, request_key=request_key)
    # the till retries after a timeout, with the same key and the same (now used) code, a little later
    again = award(
        merchant, member_pass, 2500, at=now + timedelta(seconds=40), by=cashier, code=code, request_key=request_key
    )
    assert again.is_replay and not first.is_replay
    assert (again.transaction_id, again.points_awarded, again.balance) == (first.transaction_id, 25, 25)
    assert TillTransaction.objects.count() == 1 and LedgerEntry.objects.count() == 1
    # A replay shows the first answer even after the balance moved on.
    award(merchant, member_pass, 1000, at=now + timedelta(minutes=1), by=cashier)
    replay = award(
        merchant, member_pass, 2500, at=now + timedelta(minutes=2), by=cashier, code=code, request_key=request_key
    )
    assert replay.balance == 25


def test_a_request_key_used_for_a_different_request_is_refused(area, merchant, cashier, member_pass, now):
    request_key = key()
    award(merchant, member_pass, 2500, at=now, by=cashier, request_key=request_key, code=member_pass.card_number)
    with pytest.raises(RequestKeyReused):
        award(merchant, member_pass, 9900, at=now, by=cashier, request_key=request_key, code=member_pass.card_number)
    with pytest.raises(RequestKeyReused):
        other = PassFactory(area=area)
        award(merchant, other, 2500, at=now, by=cashier, request_key=request_key, code=other.card_number)
    assert TillTransaction.objects.count() == 1


# --- Who may ---------------------------------------------------------------------------------------------------


def test_only_staff_of_the_merchant_operate_its_till(area, merchant, other_merchant, member_pass, now):
    outsiders = [
        cashier_for(other_merchant),  # staff of another shop in the same area
        manager_for(area),  # an area manager does not work the tills
        UserFactory(),  # a member
        StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=MerchantFactory()).user,  # another area
    ]
    for person in outsiders:
        with pytest.raises(NotAllowed):
            award(merchant, member_pass, 1000, at=now, by=person, code=member_pass.card_number)
    assert (
        award(merchant, member_pass, 1000, at=now, by=cashier_for(merchant, Role.MERCHANT_OWNER)).points_awarded == 10
    )


def test_a_former_employee_can_no_longer_award(merchant, member_pass, now):
    membership = StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant)
    membership.ended_at = now
    membership.save()
    with pytest.raises(NotAllowed):
        award(merchant, member_pass, 1000, at=now, by=membership.user)


def test_a_paused_merchant_awards_nothing(merchant, cashier, member_pass, now):
    merchant.status = MerchantStatus.PAUSED
    merchant.save()
    with pytest.raises(NotAllowed):
        award(merchant, member_pass, 1000, at=now, by=cashier)


def test_the_till_sees_the_first_name_only_with_the_members_consent(area, merchant, cashier, member, member_pass, now):
    assert award(merchant, member_pass, 1000, at=now, by=cashier).member_first_name == "Sanne"

    withdraw_consent(subject=member, area=area, purpose_code="share_with_merchants", method="settings", language="nl")
    later = now + timedelta(minutes=1)
    assert award(merchant, member_pass, 1000, at=later, by=cashier).member_first_name == ""
    assert selectors.recent_till_transactions(merchant, now=later)[0].member_first_name == ""
