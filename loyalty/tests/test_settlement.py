"""Settlement: the four rules, the period's local days, rounding, issued statements and the collective's overview.

Purchases, undos and refunds go through the real till services. The parts the till does not fill yet (campaign,
voucher, reward and gift-card columns) are written with the ORM by `till_row` and `giftcard_entry` below.
"""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from areas.tests.factories import MerchantFactory, ShoppingAreaFactory, UserFactory
from loyalty import services
from loyalty.exceptions import NotAllowed
from loyalty.models import (
    Campaign,
    EntryKind,
    Funder,
    GiftCard,
    GiftCardEntry,
    GiftCardEntryKind,
    LedgerEntry,
    OnlinePointsShare,
    Reward,
    SettlementStatement,
    TillKind,
    TillTransaction,
    Voucher,
    VoucherKind,
)
from loyalty.services.settlement import round_millicents
from privacy.exceptions import AppendOnlyViolation

from .factories import PassFactory, award, manager_for, rules_for

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MAY = (date(2026, 5, 1), date(2026, 5, 31))
EXAMPLES = int(os.environ.get("SETTLEMENT_PROPERTY_EXAMPLES", "40"))
_numbers = itertools.count(1)


def at(day: int, hour: int = 12, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMSTERDAM)


# --- Helpers: the till columns the till services do not fill yet ------------------------------------------------


def till_row(merchant, member_pass, *, when, by, kind=TillKind.PURCHASE, amount_cents=1000, reverses=None, **parts):
    """A till transaction written directly (campaign, voucher, reward and gift-card parts included)."""
    return TillTransaction.objects.create(
        merchant=merchant,
        member_pass=member_pass,
        kind=kind,
        amount_cents=amount_cents,
        balance_after=0,
        occurred_at=when,
        request_key=uuid.uuid4(),
        by=by,
        reverses=reverses,
        **{"points": 0, **parts},
    )


def webshop_entry(member_pass, sign: int, shares: list[tuple], *, when):
    """A webshop order's EARN entry (sign +1) or a refund's REVERSE entry (−1) with its shares per merchant:
    (merchant, points, campaign, campaign points), written directly as `online.award_online_points` and
    `reverse_online_points` write them."""
    entry = LedgerEntry.objects.create(
        member_pass=member_pass,
        kind=EntryKind.EARN if sign > 0 else EntryKind.REVERSE,
        points=sign * sum(points for _merchant, points, _campaign, _campaign_points in shares),
        occurred_at=when,
        request_key=uuid.uuid4(),
        reason=f"webshop W{next(_numbers)}",
    )
    OnlinePointsShare.objects.bulk_create(
        OnlinePointsShare(
            entry=entry,
            merchant=merchant,
            points=sign * points,
            campaign=campaign if campaign_points else None,
            campaign_points=sign * campaign_points,
        )
        for merchant, points, campaign, campaign_points in shares
    )
    return entry


def reversal_row(purchase, *, when, kind=TillKind.UNDO, **parts):
    return till_row(
        purchase.merchant,
        purchase.member_pass,
        when=when,
        by=purchase.by,
        kind=kind,
        amount_cents=-purchase.amount_cents,
        reverses=purchase,
        **parts,
    )


def campaign(area, funded_by=Funder.COLLECTIVE) -> Campaign:
    return Campaign.objects.create(
        area=area, name=f"Campagne {funded_by}", starts_at=at(1), ends_at=at(31), funded_by=funded_by
    )


def reward(area, merchant=None) -> Reward:
    return Reward.objects.create(area=area, merchant=merchant, title="Koffie", cost_points=100, value_cents=350)


def voucher(area, *, kind=VoucherKind.FIXED, funded_by_merchant=None, member_pass=None, reward_=None) -> Voucher:
    return Voucher.objects.create(
        area=area,
        code=f"V{next(_numbers):08d}",
        kind=kind,
        value_cents=500,
        funded_by_merchant=funded_by_merchant,
        member_pass=member_pass,
        reward=reward_,
        valid_from=at(1, 0),
        expires_at=at(30, month=9),
        request_key=uuid.uuid4(),
    )


def gift_card(area) -> GiftCard:
    return GiftCard.objects.create(
        area=area, number=f"{next(_numbers):016d}", issued_at=at(1, 0), expires_at=at(1, 0) + timedelta(days=800)
    )


def giftcard_entry(card, kind, amount_cents, *, when, merchant=None, till_transaction=None) -> GiftCardEntry:
    return GiftCardEntry.objects.create(
        card=card,
        kind=kind,
        amount_cents=amount_cents,
        occurred_at=when,
        merchant=merchant,
        till_transaction=till_transaction,
        request_key=uuid.uuid4(),
    )


def quantities(merchant, period=MAY) -> services.Quantities:
    return services.compute_statement(merchant=merchant, first_day=period[0], last_day=period[1]).quantities


# --- Rule 1: points issued ------------------------------------------------------------------------------------


def test_points_issued_are_net_of_undos_and_refunds_made_at_the_real_till(merchant, cashier, member_pass):
    rules_for(merchant.area, issue_fee_millicents_per_point=1000)
    first = award(merchant, member_pass, 2500, at=at(4, 10), by=cashier)
    second = award(merchant, member_pass, 2500, at=at(5, 10), by=cashier)
    award(merchant, member_pass, 2500, at=at(6, 10), by=cashier)
    services.undo_till_transaction(
        merchant=merchant, transaction_id=first.transaction_id, request_key=uuid.uuid4(), by=cashier, now=at(4, 10, 5)
    )
    services.refund_purchase(
        merchant=merchant,
        transaction_id=second.transaction_id,
        refund_cents=1250,
        request_key=uuid.uuid4(),
        by=cashier,
        now=at(7, 10),
    )

    statement = services.compute_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1])

    assert statement.quantities.points_issued == 25 + 25 + 25 - 25 - 12
    assert statement.line("points_issued").amount_cents == 38
    assert statement.net_cents == 38


def test_the_collective_pays_for_its_own_campaigns_points_but_not_for_a_merchants(area, merchant, cashier, member_pass):
    ours, theirs = campaign(area, Funder.COLLECTIVE), campaign(area, Funder.MERCHANT)
    purchase = till_row(merchant, member_pass, when=at(3), by=cashier, points=40, campaign=ours, campaign_points=20)
    till_row(merchant, member_pass, when=at(4), by=cashier, points=30, campaign=theirs, campaign_points=15)
    # the undo takes back the campaign's share with the points
    reversal_row(purchase, when=at(3, 12, 5), points=-40, campaign=ours, campaign_points=-20)
    till_row(merchant, member_pass, when=at(5), by=cashier, points=7)

    assert quantities(merchant).points_issued == (40 - 20) + 30 + (-40 + 20) + 7


# --- Rule 2: points redeemed -------------------------------------------------------------------------------------


def test_only_rewards_funded_by_the_collective_are_reimbursed_per_point(area, merchant, cashier, member_pass):
    rules_for(area, redeem_refund_millicents_per_point=2500)
    collective, own = reward(area), reward(area, merchant)
    used = till_row(
        merchant, member_pass, when=at(8), by=cashier, reward=collective, reward_cents=350, points_spent=100
    )
    till_row(merchant, member_pass, when=at(9), by=cashier, reward=collective, reward_cents=350, points_spent=100)
    till_row(merchant, member_pass, when=at(10), by=cashier, reward=own, reward_cents=350, points_spent=100)
    reversal_row(used, when=at(8, 12, 3), reward=collective, reward_cents=-350, points_spent=-100)

    statement = services.compute_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1])

    assert statement.quantities.points_redeemed == 100
    assert statement.line("points_redeemed").amount_cents == -250  # 100 points × 2.5 ct, paid to the merchant
    assert statement.net_cents == -250


# --- Rule 3: vouchers of the collective --------------------------------------------------------------------------


def test_vouchers_of_the_collective_are_repaid_in_full_but_not_merchant_or_reward_vouchers(
    area, merchant, cashier, member_pass
):
    collective = voucher(area)
    percent = Voucher.objects.create(
        area=area,
        code="PCT00001",
        kind=VoucherKind.PERCENT,
        percent=10,
        valid_from=at(1, 0),
        expires_at=at(30, month=9),
        request_key=uuid.uuid4(),
    )
    own = voucher(area, funded_by_merchant=merchant)
    from_reward = voucher(area, kind=VoucherKind.REWARD, member_pass=member_pass, reward_=reward(area))
    till_row(merchant, member_pass, when=at(11), by=cashier, voucher=collective, voucher_cents=500)
    till_row(merchant, member_pass, when=at(12), by=cashier, voucher=percent, voucher_cents=123)
    till_row(merchant, member_pass, when=at(13), by=cashier, voucher=own, voucher_cents=500)
    till_row(merchant, member_pass, when=at(14), by=cashier, voucher=from_reward, voucher_cents=500)

    statement = services.compute_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1])

    assert statement.quantities.voucher_cents == 623
    assert statement.line("collective_vouchers").amount_cents == -623


# --- Rule 4: gift cards taken -------------------------------------------------------------------------------------


def test_gift_cards_taken_include_standalone_spends_and_reversals_less_the_commission(
    area, merchant, other_merchant, cashier, member_pass
):
    rules_for(area, giftcard_commission_permille=25)
    card = gift_card(area)
    giftcard_entry(card, GiftCardEntryKind.LOAD, 10_000, when=at(2))
    purchase = till_row(merchant, member_pass, when=at(3), by=cashier, amount_cents=2500, giftcard_cents=2000)
    giftcard_entry(card, GiftCardEntryKind.SPEND, -2000, when=at(3), merchant=merchant, till_transaction=purchase)
    standalone = giftcard_entry(card, GiftCardEntryKind.SPEND, -1500, when=at(4), merchant=merchant)
    giftcard_entry(card, GiftCardEntryKind.REVERSE, 1500, when=at(4, 13), merchant=merchant)
    giftcard_entry(card, GiftCardEntryKind.SPEND, -999, when=at(5), merchant=merchant)
    giftcard_entry(card, GiftCardEntryKind.SPEND, -700, when=at(5), merchant=other_merchant)
    giftcard_entry(card, GiftCardEntryKind.EXPIRE, -100, when=at(6))
    assert standalone.till_transaction_id is None

    statement = services.compute_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1])

    assert statement.quantities.giftcard_cents == 2999
    assert statement.line("gift_cards").amount_cents == -2999
    # 2999 ct × 25 ‰ = 74.975 ct → 75 ct
    assert statement.line("gift_card_commission").amount_cents == 75
    assert statement.net_cents == -2999 + 75


# --- The period: whole local days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "counts"),
    [
        (at(1, 0, 0), True),
        (at(30, 23, 59, month=4), False),
        (at(31, 23, 30), True),
        (at(1, 0, 10, month=6), False),
    ],
    ids=["first-midnight", "day-before", "last-day-23:30", "next-day-00:10"],
)
def test_a_row_counts_by_its_local_day(merchant, cashier, member_pass, when, counts):
    till_row(merchant, member_pass, when=when, by=cashier, points=10)
    card = gift_card(merchant.area)
    giftcard_entry(card, GiftCardEntryKind.SPEND, -300, when=when, merchant=merchant)

    q = quantities(merchant)

    assert (q.points_issued, q.giftcard_cents) == ((10, 300) if counts else (0, 0))


def test_a_flemish_areas_days_are_counted_in_brussels_time_across_the_clock_change(flemish_area):
    merchant = MerchantFactory(area=flemish_area)
    member_pass = PassFactory(area=flemish_area, member=UserFactory())
    brussels = ZoneInfo("Europe/Brussels")
    by = UserFactory()
    # October 2026: the clocks go back on the 25th; 31 Oct 23:30 local is 22:30 UTC.
    till_row(merchant, member_pass, when=datetime(2026, 10, 31, 23, 30, tzinfo=brussels), by=by, points=5)
    till_row(merchant, member_pass, when=datetime(2026, 11, 1, 0, 10, tzinfo=brussels), by=by, points=7)
    till_row(merchant, member_pass, when=datetime(2026, 10, 1, 0, 0, tzinfo=brussels), by=by, points=11)

    assert quantities(merchant, services.month_period(2026, 10)).points_issued == 16


def test_a_period_must_be_whole_days_in_order_and_at_most_a_year(merchant):
    with pytest.raises(services.InvalidPeriod):
        services.compute_statement(merchant=merchant, first_day=date(2026, 5, 2), last_day=date(2026, 5, 1))
    with pytest.raises(services.InvalidPeriod):
        services.compute_statement(merchant=merchant, first_day=date(2025, 1, 1), last_day=date(2026, 1, 2))
    with pytest.raises(services.InvalidPeriod):
        services.statement_detail_rows(merchant=merchant, first_day=date(2026, 5, 2), last_day=date(2026, 5, 1))
    assert services.month_period(2024, 2) == (date(2024, 2, 1), date(2024, 2, 29))
    assert services.month_period(2026, 12) == (date(2026, 12, 1), date(2026, 12, 31))


# --- Money: millicents, rounded once per line ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("millicents", "cents"), [(1500, 2), (1499, 1), (500, 1), (499, 0), (0, 0), (-1500, -2), (-1499, -1)]
)
def test_a_line_is_rounded_half_up_to_whole_cents(millicents, cents):
    assert round_millicents(millicents) == cents


def test_one_point_at_one_and_a_half_cent_costs_two_cents(area, merchant, cashier, member_pass):
    rules_for(area, issue_fee_millicents_per_point=1500, redeem_refund_millicents_per_point=1500)
    till_row(merchant, member_pass, when=at(3), by=cashier, points=1)
    till_row(merchant, member_pass, when=at(4), by=cashier, reward=reward(area), reward_cents=100, points_spent=1)

    statement = services.compute_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1])

    assert statement.line("points_issued").amount_cents == 2
    assert statement.line("points_redeemed").amount_cents == -2
    assert statement.net_cents == 0


def test_rounding_is_once_per_line_not_per_row(area, merchant, cashier, member_pass):
    rules_for(area, issue_fee_millicents_per_point=1500)
    for day in (3, 4, 5):
        till_row(merchant, member_pass, when=at(day), by=cashier, points=1)
    # 3 × 1.5 ct = 4.5 ct → 5 ct (per row it would have been 3 × 2 ct = 6 ct)
    statement = services.compute_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1])
    assert statement.line("points_issued").amount_cents == 5


# --- No unexplained cents, over a randomised month ------------------------------------------------------------------

row_spec = st.fixed_dictionaries(
    {
        "merchant": st.integers(0, 1),
        # minutes from 30 April 22:00 to 1 June 02:00 local: the edges of the month included
        "minute": st.integers(0, (32 * 24 + 4) * 60),
        "kind": st.sampled_from(
            ["purchase", "purchase", "purchase", "undo", "refund", "gift_spend", "gift_reverse", "web_earn", "web_back"]
        ),
        "points": st.integers(0, 400),
        "campaign": st.sampled_from([None, "collective", "merchant"]),
        "campaign_points": st.integers(0, 400),
        "reward": st.sampled_from([None, "collective", "merchant"]),
        "points_spent": st.integers(0, 500),
        "voucher": st.sampled_from([None, "collective", "merchant", "reward"]),
        "voucher_cents": st.integers(0, 5000),
        "cents": st.integers(1, 20_000),
    }
)
rates_spec = st.tuples(st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 200))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_spec, max_size=40), rates=rates_spec)
def test_every_cent_of_a_random_month_is_explained(area, cashier, member_pass, rows, rates):
    with transaction.atomic():
        _check_random_month(area, cashier, member_pass, rows, rates)
        transaction.set_rollback(True)


def _check_random_month(area, cashier, member_pass, rows, rates):
    rules_for(
        area,
        issue_fee_millicents_per_point=rates[0],
        redeem_refund_millicents_per_point=rates[1],
        giftcard_commission_permille=rates[2],
    )
    merchants = [MerchantFactory(area=area), MerchantFactory(area=area)]
    campaigns = {"collective": campaign(area, Funder.COLLECTIVE), "merchant": campaign(area, Funder.MERCHANT)}
    rewards = {"collective": reward(area), "merchant": reward(area, merchants[0])}
    vouchers = {
        "collective": voucher(area),
        "merchant": voucher(area, funded_by_merchant=merchants[1]),
        "reward": voucher(area, kind=VoucherKind.REWARD, member_pass=member_pass, reward_=rewards["collective"]),
    }
    card = gift_card(area)
    start_local = datetime(2026, 4, 30, 22, 0, tzinfo=AMSTERDAM)
    expected = [services.Quantities(), services.Quantities()]
    window = services.settlement.local_window(area, *MAY)
    for spec in rows:
        merchant = merchants[spec["merchant"]]
        when = start_local + timedelta(minutes=spec["minute"])
        counts = window[0] <= when < window[1]
        if spec["kind"].startswith("gift"):
            sign = -1 if spec["kind"] == "gift_spend" else 1
            kind = GiftCardEntryKind.SPEND if sign < 0 else GiftCardEntryKind.REVERSE
            giftcard_entry(card, kind, sign * spec["cents"], when=when, merchant=merchant)
            change = services.Quantities(giftcard_cents=-sign * spec["cents"])
        elif spec["kind"].startswith("web"):
            # a webshop order's points (or a refund's take-back) for this merchant's part, and the other merchant's
            sign = 1 if spec["kind"] == "web_earn" else -1
            points = max(spec["points"], 1)
            campaign_points = min(spec["campaign_points"], points) if spec["campaign"] else 0
            other = spec["cents"] % 50
            shares = [(merchant, points, campaigns.get(spec["campaign"]), campaign_points)]
            if other:
                shares.append((merchants[1 - spec["merchant"]], other, None, 0))
            webshop_entry(member_pass, sign, shares, when=when)
            change = services.Quantities(
                points_issued=sign * (points - (campaign_points if spec["campaign"] == "collective" else 0))
            )
            if counts and other:
                expected[1 - spec["merchant"]] += services.Quantities(points_issued=sign * other)
        else:
            sign = 1 if spec["kind"] == "purchase" else -1
            points_spent = spec["points_spent"] if spec["reward"] else 0
            voucher_cents = min(spec["voucher_cents"], spec["cents"]) if spec["voucher"] else 0
            campaign_points = min(spec["campaign_points"], spec["points"]) if spec["campaign"] else 0
            parts = {
                "points": sign * spec["points"],
                "campaign": campaigns.get(spec["campaign"]),
                "campaign_points": sign * campaign_points,
                "reward": rewards.get(spec["reward"]),
                "points_spent": sign * points_spent,
                "voucher": vouchers.get(spec["voucher"]),
                "voucher_cents": sign * voucher_cents,
            }
            if sign > 0:
                till_row(merchant, member_pass, when=when, by=cashier, amount_cents=spec["cents"], **parts)
            else:
                purchase = till_row(merchant, member_pass, when=when, by=cashier, amount_cents=spec["cents"])
                kind = TillKind.UNDO if spec["kind"] == "undo" else TillKind.REFUND
                reversal_row(purchase, when=when, kind=kind, **parts)
            change = services.Quantities(
                points_issued=sign * (spec["points"] - (campaign_points if spec["campaign"] == "collective" else 0)),
                points_redeemed=sign * points_spent if spec["reward"] == "collective" else 0,
                voucher_cents=sign * voucher_cents if spec["voucher"] == "collective" else 0,
            )
        if counts:
            expected[spec["merchant"]] += change

    overview = services.settlement_overview(area=area, first_day=MAY[0], last_day=MAY[1])
    for index, merchant in enumerate(merchants):
        statement = services.compute_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1])
        # the rules, against an independent oracle
        assert statement.quantities == expected[index]
        # every quantity is the sum of its detail rows
        detail = list(services.statement_detail_rows(merchant=merchant, first_day=MAY[0], last_day=MAY[1]))
        assert sum(row.points_issued for row in detail) == statement.quantities.points_issued
        assert sum(row.points_redeemed for row in detail) == statement.quantities.points_redeemed
        assert sum(row.voucher_cents for row in detail) == statement.quantities.voucher_cents
        assert sum(row.giftcard_cents for row in detail) == statement.quantities.giftcard_cents
        assert [row.occurred_at for row in detail] == sorted(row.occurred_at for row in detail)
        # each line: exact fractions, rounded half up once; the net is the sum of the lines
        for line in statement.lines:
            exact = Fraction(line.quantity * line.millicents_per_unit, 1000)
            rounded = int(abs(exact) + Fraction(1, 2)) * (1 if exact >= 0 else -1)
            assert line.amount_cents == line.direction * rounded
        assert statement.net_cents == sum(line.amount_cents for line in statement.lines)
        row = next(row for row in overview.rows if row.merchant.pk == merchant.pk)
        assert row.statement.lines == statement.lines
    # the overview's totals are the sums of its rows
    for code, total in overview.totals.items():
        assert total == sum(row.amounts[code] for row in overview.rows)
    assert overview.net_cents == sum(row.statement.net_cents for row in overview.rows) == sum(overview.totals.values())


# --- Issued statements ------------------------------------------------------------------------------------------


def test_an_issued_statement_keeps_its_rates_and_amounts_after_a_rate_change(
    area, merchant, cashier, member_pass, manager, now
):
    rules_for(area, issue_fee_millicents_per_point=1000)
    till_row(merchant, member_pass, when=at(3), by=cashier, points=250)
    issued = services.issue_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1], by=manager, now=now)
    rules_for(area, issue_fee_millicents_per_point=3000)

    shown = services.get_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1], now=now)

    assert (issued.issue_fee_cents, issued.net_cents, issued.issue_fee_millicents_per_point) == (250, 250, 1000)
    assert shown.stored == issued and not shown.is_draft
    assert shown.net_cents == 250 and shown.line("points_issued").millicents_per_unit == 1000
    # a draft of the same period would use today's rate
    assert services.compute_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1]).net_cents == 750


def test_issuing_is_idempotent_and_numbers_run_per_area_without_gaps(area, merchant, other_merchant, manager, now):
    first = services.issue_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1], by=manager, now=now)
    again = services.issue_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1], by=manager, now=now)
    second = services.issue_statement(merchant=other_merchant, first_day=MAY[0], last_day=MAY[1], by=manager, now=now)
    elsewhere = MerchantFactory(area=ShoppingAreaFactory())
    third = services.issue_statement(
        merchant=elsewhere, first_day=MAY[0], last_day=MAY[1], by=manager_for(elsewhere.area), now=now
    )

    assert again.pk == first.pk
    assert (first.number, second.number, third.number) == ("000001", "000002", "000001")
    assert SettlementStatement.objects.count() == 3


def test_an_open_or_overlapping_period_cannot_be_issued(merchant, manager, now):
    with pytest.raises(services.PeriodNotClosed):
        services.issue_statement(
            merchant=merchant, first_day=date(2026, 6, 1), last_day=date(2026, 6, 10), by=manager, now=now
        )
    services.issue_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1], by=manager, now=now)
    with pytest.raises(services.OverlappingStatement):
        services.issue_statement(
            merchant=merchant, first_day=date(2026, 5, 31), last_day=date(2026, 6, 9), by=manager, now=now
        )
    # the day after is fine: 10 June has not ended, 9 June has
    services.issue_statement(
        merchant=merchant, first_day=date(2026, 6, 1), last_day=date(2026, 6, 9), by=manager, now=now
    )


def test_only_the_areas_manager_issues(merchant, now):
    owner = UserFactory()
    from areas.tests.factories import StaffMembershipFactory

    StaffMembershipFactory(user=owner, role="merchant_owner", merchant=merchant)
    other_manager = manager_for(ShoppingAreaFactory())
    for person in (owner, other_manager):
        with pytest.raises(NotAllowed):
            services.issue_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1], by=person, now=now)
    assert not SettlementStatement.objects.exists()


def test_issued_statements_cannot_be_changed_or_deleted(merchant, manager, now):
    statement = services.issue_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1], by=manager, now=now)
    with pytest.raises(AppendOnlyViolation):
        statement.save()
    with pytest.raises(AppendOnlyViolation):
        statement.delete()
    with pytest.raises(AppendOnlyViolation):
        SettlementStatement.objects.update(net_cents=1)
    with pytest.raises(AppendOnlyViolation):
        SettlementStatement.objects.all().delete()


@pytest.mark.postgres
def test_postgresql_refuses_changes_to_issued_statements_even_in_raw_sql(merchant, manager, now):
    services.issue_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1], by=manager, now=now)
    for sql in (
        "UPDATE loyalty_settlementstatement SET merchant_details = '{}'",
        "DELETE FROM loyalty_settlementstatement",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_database_refuses_a_net_that_is_not_the_sum_of_the_lines(merchant, manager, now):
    statement = services.issue_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1], by=manager, now=now)
    fields = {f.attname: getattr(statement, f.attname) for f in SettlementStatement._meta.concrete_fields}
    fields.update(pk=None, id=None, first_day=date(2026, 4, 1), last_day=date(2026, 4, 30), sequence=99, net_cents=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        SettlementStatement(**fields).save()


# --- Overview -------------------------------------------------------------------------------------------------------


def test_the_overview_has_every_merchant_the_gift_card_float_and_totals_that_add_up(
    area, merchant, other_merchant, cashier, member_pass, manager, now
):
    rules_for(area, giftcard_commission_permille=10)
    till_row(merchant, member_pass, when=at(3), by=cashier, points=120)
    till_row(other_merchant, member_pass, when=at(3), by=cashier, points=80)
    idle = MerchantFactory(area=area)
    card = gift_card(area)
    giftcard_entry(card, GiftCardEntryKind.LOAD, 5000, when=at(20, month=4))
    giftcard_entry(card, GiftCardEntryKind.LOAD, 2500, when=at(2))
    giftcard_entry(card, GiftCardEntryKind.SPEND, -1000, when=at(10), merchant=other_merchant)
    giftcard_entry(card, GiftCardEntryKind.SPEND, -400, when=at(2, month=6), merchant=other_merchant)
    services.issue_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1], by=manager, now=now)

    overview = services.settlement_overview(area=area, first_day=MAY[0], last_day=MAY[1], now=now)

    assert {row.merchant.pk for row in overview.rows} == {merchant.pk, other_merchant.pk, idle.pk}
    assert overview.giftcards_sold_cents == 2500
    assert overview.giftcards_outstanding_cents == 5000 + 2500 - 1000
    by_merchant = {row.merchant.pk: row for row in overview.rows}
    assert not by_merchant[merchant.pk].statement.is_draft and by_merchant[other_merchant.pk].statement.is_draft
    assert by_merchant[other_merchant.pk].amounts == {
        "points_issued": 80,
        "points_redeemed": 0,
        "collective_vouchers": 0,
        "gift_cards": -1000,
        "gift_card_commission": 10,
    }
    assert overview.totals["points_issued"] == 200
    assert overview.net_cents == 120 + 80 - 1000 + 10


# --- Query counts ----------------------------------------------------------------------------------------------------


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as queries:
        function()
    return len(queries)


def test_statements_and_the_overview_take_a_fixed_number_of_queries(area, merchant, cashier, member_pass, now):
    services.settlement.Rates.of_area(area)  # the area's settings exist
    card = gift_card(area)

    def counts():
        return (
            _queries(lambda: services.compute_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1])),
            _queries(lambda: services.get_statement(merchant=merchant, first_day=MAY[0], last_day=MAY[1])),
            _queries(
                lambda: list(services.statement_detail_rows(merchant=merchant, first_day=MAY[0], last_day=MAY[1]))
            ),
            _queries(lambda: services.settlement_overview(area=area, first_day=MAY[0], last_day=MAY[1], now=now)),
        )

    before = counts()
    for day in range(1, 29):
        till_row(merchant, member_pass, when=at(day), by=cashier, points=day, reward=reward(area), points_spent=1)
        giftcard_entry(card, GiftCardEntryKind.SPEND, -day, when=at(day), merchant=MerchantFactory(area=area))
        # a webshop order with parts at the merchant and at another one (their shares of the points)
        services.award_online_points(
            member=member_pass.member,
            area=area,
            purchases=[
                services.OnlinePurchase(merchant.pk, 100 * day),
                services.OnlinePurchase(MerchantFactory(area=area).pk, 500),
            ],
            order_ref=f"Q-{day}",
            now=at(day),
        )

    assert OnlinePointsShare.objects.filter(merchant=merchant).count() == 28
    assert counts() == before
    assert before == (4, 5, 3, 7)
