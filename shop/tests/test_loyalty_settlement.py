"""Points issued in the webshop are settled with the merchant whose sale earned them.

Through the real checkout, payment and refund services: the order's points are shared out per merchant part in
loyalty (`OnlinePointsShare`), and the settlement charges each merchant its share like points issued at its till.
"""

import uuid
from datetime import date, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from loyalty import services as loyalty
from loyalty.models import EntryKind, Funder, LedgerEntry, OnlinePointsShare
from loyalty.services.online import REASON_PREFIX
from loyalty.tests.factories import PassFactory, rules_for
from loyalty.tests.rewards_helpers import make_campaign
from shop.services import loyalty_bridge
from shop.services.refunds import cancel_order, refund_lines

from .factories import UserFactory, paid_order, variant_of

pytestmark = pytest.mark.django_db

JUNE = (date(2026, 6, 1), date(2026, 6, 30))


@pytest.fixture
def member(area):
    return UserFactory(email="sanne@example.org")


@pytest.fixture
def member_pass(area, member, now):
    rules_for(area, welcome_bonus_points=0, points_per_euro=1, daily_cap_points=0)
    return PassFactory(area=area, member=member, now=now - timedelta(days=30))


def _order(area, baker, books, member, at):
    """€15.99 of bread (a +5 bonus the baker pays for) and two books of €10 (×3, paid for by the collective):
    20 points at the baker (5 of them its campaign's), 60 at the bookshop (40 of them the collective's)."""
    make_campaign(area, now=at, merchants=[baker], kind="bonus", bonus_points=5, funded_by=Funder.MERCHANT)
    make_campaign(area, now=at, merchants=[books], multiplier_permille=3000)
    items = [(variant_of(baker, price_cents=1599, stock=5), 1), (variant_of(books, price_cents=1000, stock=5), 2)]
    order = paid_order(area, items, user=member, now=at)
    assert [(p.merchant_id, p.points_awarded) for p in order.parts.order_by("pk")] == [(baker.pk, 20), (books.pk, 60)]
    return order


def _statement(merchant, period):
    return loyalty.compute_statement(merchant=merchant, first_day=period[0], last_day=period[1])


def _shares(order, kind=None) -> dict[int, tuple[int, int]]:
    rows = OnlinePointsShare.objects.filter(entry__reason=f"{REASON_PREFIX} {order.public_id}")
    if kind:
        rows = rows.filter(entry__kind=kind)
    totals = rows.values("merchant_id").annotate(points=Sum("points"), campaign=Sum("campaign_points"))
    return {row["merchant_id"]: (row["points"], row["campaign"]) for row in totals}


def _reversed(order) -> int:
    return -(
        LedgerEntry.objects.filter(kind=EntryKind.REVERSE, reason=f"{REASON_PREFIX} {order.public_id}").aggregate(
            total=Sum("points")
        )["total"]
        or 0
    )


def _around(at) -> tuple[date, date]:
    """A period from the day before `at` to tomorrow: the refunds below are booked at the real time."""
    today = timezone.localdate(timezone.now())
    return timezone.localdate(at) - timedelta(days=1), today + timedelta(days=1)


def test_each_merchant_is_charged_for_its_parts_points_and_the_overview_adds_them_up(
    area, baker, books, member, member_pass, now
):
    # Given a paid order of 20 points at the baker (its own +5 campaign) and 60 at the bookshop (40 the collective's)
    order = _order(area, baker, books, member, now)

    # Then the baker pays for all 20 (it funds its campaign), the bookshop for 20 (not the collective's 40)
    assert _shares(order) == {baker.pk: (20, 5), books.pk: (60, 40)}
    statements = {merchant.pk: _statement(merchant, JUNE) for merchant in (baker, books)}
    assert statements[baker.pk].quantities.points_issued == 20
    assert statements[books.pk].quantities.points_issued == 20
    assert statements[baker.pk].line("points_issued").amount_cents == 20  # 1 cent per point

    # and the collective's overview totals are the sums of the merchants' statements
    overview = loyalty.settlement_overview(area=area, first_day=JUNE[0], last_day=JUNE[1], now=now)
    rows = {row.merchant.pk: row.statement for row in overview.rows}
    assert set(rows) == {baker.pk, books.pk}
    for merchant_id, statement in statements.items():
        assert rows[merchant_id].quantities == statement.quantities
        assert rows[merchant_id].lines == statement.lines
    assert overview.total_quantities.points_issued == 40
    assert overview.totals["points_issued"] == sum(s.line("points_issued").amount_cents for s in statements.values())
    assert overview.net_cents == sum(statement.net_cents for statement in statements.values())

    # and each merchant's detail rows add up to its lines: one webshop row per order, named by its number
    for merchant in (baker, books):
        details = list(loyalty.statement_detail_rows(merchant=merchant, first_day=JUNE[0], last_day=JUNE[1]))
        assert [(row.source, row.kind, row.receipt_number) for row in details] == [
            ("webshop", "order", order.public_id)
        ]
        assert sum(row.points_issued for row in details) == statements[merchant.pk].quantities.points_issued


def test_partial_and_full_refunds_credit_each_merchant_what_was_taken_back(area, baker, books, member, member_pass):
    # Given the order paid half an hour ago (the refunds are booked now)
    at = timezone.now() - timedelta(minutes=30)
    order = _order(area, baker, books, member, at)
    period = _around(at)
    books_line = order.parts.get(merchant=books).lines.get()

    # When one of the two books is refunded (and the refund retried, by the service and by the bridge)
    first = refund_lines(order=order, lines={books_line.pk: 1}, reason="", by=None, idempotency_key="one-book")
    again = refund_lines(order=order, lines={books_line.pk: 1}, reason="", by=None, idempotency_key="one-book")
    loyalty_bridge.reverse_for_refund(order=order, refund=first)
    assert again.pk == first.pk

    # Then half the bookshop's points come back once, its campaign points in proportion
    assert _reversed(order) == 30
    assert _shares(order, EntryKind.REVERSE) == {books.pk: (-30, -20)}
    assert _statement(books, period).quantities.points_issued == (60 - 30) - (40 - 20)
    assert _statement(baker, period).quantities.points_issued == 20

    # When the rest of the order is cancelled
    cancel_order(order=order, by=None, reason="")
    cancel_order(order=order, by=None, reason="")  # again: nothing more

    # Then everything awarded came back, the shares net to zero per merchant, never below, and nobody is charged
    assert _reversed(order) == 80
    assert _shares(order, EntryKind.REVERSE) == {baker.pk: (-20, -5), books.pk: (-60, -40)}
    assert _shares(order) == {baker.pk: (0, 0), books.pk: (0, 0)}
    for merchant in (baker, books):
        statement = _statement(merchant, period)
        assert statement.quantities.points_issued == 0
        details = loyalty.statement_detail_rows(merchant=merchant, first_day=period[0], last_day=period[1])
        assert sum(row.points_issued for row in details) == 0


def test_a_balance_too_small_leaves_the_merchants_charged_for_what_the_member_kept(
    area, baker, books, member, member_pass
):
    # Given the order's 80 points, of which the member spent 70
    at = timezone.now() - timedelta(minutes=30)
    order = _order(area, baker, books, member, at)
    period = _around(at)
    loyalty.spend_points(pass_id=member_pass.pk, points=70, request_key=uuid.uuid4(), by=member, now=at)

    # When the whole order is cancelled: the baker's part first takes back the 10 points left, then nothing is left
    cancel_order(order=order, by=None, reason="")

    # Then only 10 points came back, all the baker's (its campaign's 5 × 10 / 20 = 2 with them)
    assert _reversed(order) == 10
    assert _shares(order, EntryKind.REVERSE) == {baker.pk: (-10, -2)}
    # and the statements charge the 70 points that stayed with the member: the baker 10 (its own campaign
    # included), the bookshop 60 less the collective's 40
    assert _statement(baker, period).quantities.points_issued == 10
    assert _statement(books, period).quantities.points_issued == 20
    assert sum(points for points, _campaign in _shares(order).values()) == 70
