"""Webshop points in the settlement: each order's points are shared out over the merchants whose sale earned them.

Awards and reversals go through the real online services (`award_online_points`, `reverse_online_points`); the shop's
side (orders, refunds) is in shop/tests/test_loyalty_settlement.py.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import translation

from areas.tests.factories import MerchantFactory
from loyalty import services
from loyalty.models import Campaign, EntryKind, Funder, LedgerEntry, OnlinePointsShare
from loyalty.services import OnlinePurchase, PartRefund
from loyalty.services.ledger import credit, lock_pass
from loyalty.services.online import REASON_PREFIX
from loyalty.settlement_documents import statement_csv
from privacy.exceptions import AppendOnlyViolation

from .factories import award as award_at_till
from .factories import rules_for
from .rewards_helpers import make_campaign

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
JUNE = (date(2026, 6, 1), date(2026, 6, 30))


@pytest.fixture(autouse=True)
def plain_rules(area):
    rules_for(area, points_per_euro=1, daily_cap_points=0, welcome_bonus_points=0)


def award(member, area, parts: list[tuple], order_ref: str, now: datetime) -> list[int]:
    """Points for an order whose parts are (merchant, cents paid by card)."""
    return services.award_online_points(
        member=member,
        area=area,
        purchases=[OnlinePurchase(merchant.pk, cents) for merchant, cents in parts],
        order_ref=order_ref,
        now=now,
    )


def reverse(member, area, order_ref, shares, refund_ref, now) -> int:
    return services.reverse_online_points(
        member=member, area=area, order_ref=order_ref, shares=shares, refund_ref=refund_ref, now=now
    )


def shares_of(order_ref: str, kind: str | None = None) -> dict[int, tuple[int, int]]:
    """(points, campaign points) per merchant id, over the order's entries (of `kind`)."""
    rows = OnlinePointsShare.objects.filter(entry__reason=f"{REASON_PREFIX} {order_ref}")
    if kind:
        rows = rows.filter(entry__kind=kind)
    totals = rows.values("merchant_id").annotate(points=Sum("points"), campaign=Sum("campaign_points"))
    return {row["merchant_id"]: (row["points"], row["campaign"]) for row in totals}


def assert_every_webshop_entry_is_shared_out_exactly():
    for entry in LedgerEntry.objects.filter(reason__startswith=f"{REASON_PREFIX} "):
        total = entry.online_shares.aggregate(total=Sum("points"))["total"]
        assert total == entry.points, entry


def issued(merchant, period=JUNE) -> int:
    return services.settlement.merchant_quantities(merchant, *period).points_issued


def test_an_award_shares_its_points_per_part_with_the_campaigns_part(
    area, merchant, other_merchant, member, member_pass, now
):
    # Given a ×3 campaign of the collective at the other merchant
    campaign = make_campaign(area, now=now, merchants=[other_merchant], multiplier_permille=3000)
    nothing_paid_by_card = MerchantFactory(area=area)

    # When an order pays €30 at the merchant, €20 at the other and nothing by card at a third
    points = award(member, area, [(merchant, 3000), (other_merchant, 2000), (nothing_paid_by_card, 0)], "W-1", now)

    # Then one EARN entry of 90, shared 30 (no campaign) and 60 (40 of them the campaign's); none for the third
    assert points == [30, 60, 0]
    entry = LedgerEntry.objects.get(kind=EntryKind.EARN)
    assert (entry.points, entry.merchant_id) == (90, None)
    shares = {share.merchant_id: share for share in entry.online_shares.all()}
    assert set(shares) == {merchant.pk, other_merchant.pk}
    assert (shares[merchant.pk].points, shares[merchant.pk].campaign_id, shares[merchant.pk].campaign_points) == (
        30,
        None,
        0,
    )
    assert (shares[other_merchant.pk].points, shares[other_merchant.pk].campaign_id) == (60, campaign.pk)
    assert shares[other_merchant.pk].campaign_points == 40
    # and paying again changes nothing
    assert award(member, area, [(merchant, 3000), (other_merchant, 2000)], "W-1", now) == []
    assert OnlinePointsShare.objects.count() == 2


def test_the_daily_cap_leaves_the_campaign_what_survived_of_it_as_at_the_till(
    area, merchant, other_merchant, member, member_pass, now
):
    # Given a cap of 50 points a day and a +40 bonus campaign at the other merchant
    rules_for(area, daily_cap_points=50)
    make_campaign(area, now=now, merchants=[other_merchant], kind="bonus", bonus_points=40)
    third = MerchantFactory(area=area)

    # When the parts would earn 30, 20 + 40 and 10
    points = award(member, area, [(merchant, 3000), (other_merchant, 2000), (third, 1000)], "W-2", now)

    # Then the first parts take the room first, and the campaign keeps min(extra, points) of the capped part
    assert points == [30, 20, 0]
    assert shares_of("W-2") == {merchant.pk: (30, 0), other_merchant.pk: (20, 20)}


def test_one_purchase_per_merchant(area, merchant, member, member_pass, now):
    with pytest.raises(ValueError):
        award(member, area, [(merchant, 1000), (merchant, 2000)], "W-3", now)
    assert not LedgerEntry.objects.exists()


def test_the_statement_charges_each_merchant_its_share_less_the_collectives_campaign(
    area, merchant, other_merchant, member, member_pass, now
):
    # Given an order of 30 points at the merchant and 60 at the other, 40 of them a campaign of the collective
    campaign = make_campaign(area, now=now, merchants=[other_merchant], multiplier_permille=3000)
    award(member, area, [(merchant, 3000), (other_merchant, 2000)], "W-4", now)

    # Then the merchant pays for 30 and the other for 20; the collective pays for its campaign's 40
    assert (issued(merchant), issued(other_merchant)) == (30, 20)
    overview = services.settlement_overview(area=area, first_day=JUNE[0], last_day=JUNE[1], now=now)
    by_merchant = {row.merchant.pk: row.statement.quantities.points_issued for row in overview.rows}
    assert (by_merchant[merchant.pk], by_merchant[other_merchant.pk]) == (30, 20)
    assert overview.total_quantities.points_issued == 50

    # When the campaign is the other merchant's own, the merchant pays for its points too
    Campaign.objects.filter(pk=campaign.pk).update(funded_by=Funder.MERCHANT)
    assert issued(other_merchant) == 60


def test_webshop_detail_rows_name_the_order_and_add_up_to_the_line(
    area, merchant, other_merchant, cashier, member, member_pass, now
):
    # Given a till purchase and a webshop order at the merchant, and a refund taking back a third of the order
    make_campaign(area, now=now, merchants=[merchant], multiplier_permille=2000)
    award_at_till(merchant, member_pass, 1000, at=now, by=cashier)
    award(member, area, [(merchant, 3000), (other_merchant, 1000)], "W-5", now + timedelta(minutes=5))
    reverse(member, area, "W-5", [PartRefund(merchant.pk, 60, 3000, 1000)], "refund-1", now + timedelta(hours=1))

    rows = list(services.statement_detail_rows(merchant=merchant, first_day=JUNE[0], last_day=JUNE[1]))
    statement = services.compute_statement(merchant=merchant, first_day=JUNE[0], last_day=JUNE[1])

    # Then: the till row, the order (60 points, 30 of them the collective's campaign), the refund (−20, −10)
    assert [(row.source, row.kind, row.receipt_number, row.points_issued) for row in rows] == [
        ("till", "purchase", "", 10),
        ("webshop", "order", "W-5", 30),
        ("webshop", "refund", "W-5", -10),
    ]
    assert rows[1].reference == LedgerEntry.objects.get(kind=EntryKind.EARN, reason=f"{REASON_PREFIX} W-5").pk
    assert sum(row.points_issued for row in rows) == statement.quantities.points_issued == 30
    # and the CSV shows them as webshop orders with the order number
    with translation.override("en"):
        text = "".join(statement_csv(statement, iter(rows)))
    csv_rows = [line.split(";") for line in text.splitlines()]
    webshop = [row for row in csv_rows if len(row) > 2 and row[1] == "Webshop"]
    assert [(row[3], row[4], row[10]) for row in webshop] == [("Order", "W-5", "30"), ("Refund", "W-5", "-10")]


def test_a_webshop_entry_counts_on_its_local_day(area, merchant, member, member_pass):
    # At 23:30 on 30 June in Amsterdam (21:30 UTC): June's statement, not July's
    late = datetime(2026, 6, 30, 23, 30, tzinfo=AMSTERDAM)
    award(member, area, [(merchant, 2500)], "W-6", late)
    assert issued(merchant) == 25
    assert issued(merchant, (date(2026, 7, 1), date(2026, 7, 31))) == 0


def test_refunds_take_back_per_merchant_never_more_than_awarded_and_once_per_refund(
    area, merchant, other_merchant, member, member_pass, now
):
    # Given 30 points at the merchant and 60 at the other, 40 of them the campaign's
    make_campaign(area, now=now, merchants=[other_merchant], multiplier_permille=3000)
    award(member, area, [(merchant, 3000), (other_merchant, 2000)], "W-7", now)
    later = now + timedelta(hours=2)

    # When a quarter of the other's part is refunded (twice: a retry), then all of both parts
    quarter = [PartRefund(merchant.pk, 30, 3000, 0), PartRefund(other_merchant.pk, 60, 2000, 500)]
    assert reverse(member, area, "W-7", quarter, "r-1", later) == 15
    assert reverse(member, area, "W-7", quarter, "r-1", later) == 15
    assert shares_of("W-7", EntryKind.REVERSE) == {other_merchant.pk: (-15, -10)}
    everything = [PartRefund(merchant.pk, 30, 3000, 3000), PartRefund(other_merchant.pk, 60, 2000, 2000)]
    assert reverse(member, area, "W-7", everything, "r-2", later) == 75
    assert reverse(member, area, "W-7", everything, "r-3", later) == 0  # nothing left to take

    # Then the reversals net the award out exactly, campaign points included, and nobody is charged
    assert shares_of("W-7", EntryKind.REVERSE) == {merchant.pk: (-30, 0), other_merchant.pk: (-60, -40)}
    assert shares_of("W-7") == {merchant.pk: (0, 0), other_merchant.pk: (0, 0)}
    assert (issued(merchant), issued(other_merchant)) == (0, 0)
    assert_every_webshop_entry_is_shared_out_exactly()


def test_a_short_balance_takes_the_shortfall_from_the_last_parts_and_catches_up_later(
    area, merchant, other_merchant, member, member_pass, now
):
    # Given 30 points at the merchant and 60 at the other (40 of them the collective's campaign)
    make_campaign(area, now=now, merchants=[other_merchant], multiplier_permille=3000)
    award(member, area, [(merchant, 3000), (other_merchant, 2000)], "W-8", now)
    # and the member spent 40 of the 90 points
    services.spend_points(pass_id=member_pass.pk, points=40, request_key=uuid.uuid4(), by=member, now=now)

    # When the whole order is refunded at once
    everything = [PartRefund(merchant.pk, 30, 3000, 3000), PartRefund(other_merchant.pk, 60, 2000, 2000)]
    assert reverse(member, area, "W-8", everything, "r-1", now + timedelta(hours=1)) == 50

    # Then the first part gives back all, the last part the rest, its campaign points in proportion (40 × 20 / 60)
    assert shares_of("W-8", EntryKind.REVERSE) == {merchant.pk: (-30, 0), other_merchant.pk: (-20, -13)}
    # and the statements charge what stayed with the member: 40 points, of which 27 the collective's campaign
    assert (issued(merchant), issued(other_merchant)) == (0, 40 - 27)
    assert_every_webshop_entry_is_shared_out_exactly()

    # When the member has points again, a later refund of the order takes back the rest: never more than awarded
    award(member, area, [(merchant, 10000)], "W-9", now + timedelta(hours=2))
    assert reverse(member, area, "W-8", everything, "r-2", now + timedelta(hours=3)) == 40
    assert shares_of("W-8") == {merchant.pk: (0, 0), other_merchant.pk: (0, 0)}
    assert_every_webshop_entry_is_shared_out_exactly()


def test_without_a_merchant_split_the_points_taken_back_are_shared_pro_rata(
    area, merchant, other_merchant, member, member_pass, now
):
    # Given 25 points at the merchant and 50 at the other
    award(member, area, [(merchant, 2500), (other_merchant, 5000)], "W-10", now)

    # When a third of the order is refunded without knowing which part (25 points)
    whole = PartRefund(None, 75, 7500, 2500)
    assert reverse(member, area, "W-10", [whole], "r-1", now) == 25

    # Then 8 + 16 pro rata, and the rounding rest from the first merchant: 9 + 16
    assert shares_of("W-10", EntryKind.REVERSE) == {merchant.pk: (-9, 0), other_merchant.pk: (-16, 0)}

    # and the rest of the order nets every merchant out exactly
    assert reverse(member, area, "W-10", [whole._replace(refunded_cents=7500)], "r-2", now) == 50
    assert shares_of("W-10") == {merchant.pk: (0, 0), other_merchant.pk: (0, 0)}
    assert_every_webshop_entry_is_shared_out_exactly()


def test_an_order_credited_before_shares_existed_is_reversed_without_shares(area, merchant, member, member_pass, now):
    # Given an order's EARN entry as it was written before points were shared per merchant
    from loyalty.services.online import _order_key, _reason

    member_pass = lock_pass(pk=member_pass.pk)
    credit(
        member_pass,
        points=40,
        kind=EntryKind.EARN,
        request_key=_order_key("W-11", "earn"),
        now=now,
        rules=rules_for(area),
        reason=_reason("W-11"),
    )

    # When it is refunded: the points come back, but nobody was charged for them, so nobody is credited
    assert reverse(member, area, "W-11", [PartRefund(merchant.pk, 40, 4000, 4000)], "r-1", now) == 40
    assert not OnlinePointsShare.objects.exists()
    assert issued(merchant) == 0


def test_shares_are_append_only_and_the_database_keeps_the_campaign_within_the_points(
    area, merchant, member, member_pass, now
):
    award(member, area, [(merchant, 2000)], "W-12", now)
    share = OnlinePointsShare.objects.get()
    with pytest.raises(AppendOnlyViolation):
        share.delete()
    campaign, other = make_campaign(area, now=now), MerchantFactory(area=area)
    for wrong in (
        {"merchant": merchant, "points": 5},  # a second share of the same merchant
        {"merchant": other, "points": 5, "campaign": campaign, "campaign_points": 6},
        {"merchant": other, "points": -5, "campaign": campaign, "campaign_points": 1},
        {"merchant": other, "points": 5, "campaign_points": 2},  # campaign points of no campaign
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            OnlinePointsShare.objects.create(entry=share.entry, **wrong)


@pytest.mark.postgres
def test_postgresql_refuses_changes_to_shares_even_in_raw_sql(area, merchant, member, member_pass, now):
    award(member, area, [(merchant, 2000)], "W-13", now)
    for sql in ("UPDATE loyalty_onlinepointsshare SET points = 1", "DELETE FROM loyalty_onlinepointsshare"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
