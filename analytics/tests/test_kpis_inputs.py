"""The webshop's and the vouchers' KPIs on small hand-made frames; the figures are worked out by hand in the
comments. Then the same KPIs through a whole run (`services.recompute`), suppressed by the K rule."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from analytics import kpis, services
from analytics.models import KpiValue
from areas.tests.factories import StaffMembershipFactory
from privacy.tests.factories import with_totp

from .conftest import TODAY
from .test_kpis import VISITS, cell

AMS = ZoneInfo("Europe/Amsterdam")


def orders_frame(rows) -> pd.DataFrame:
    """rows: (subject, order_key, merchant_id, 'YYYY-MM-DD HH:MM', goods_cents), Amsterdam time."""
    frame = pd.DataFrame(rows, columns=["subject", "order_key", "merchant_id", "at", "goods_cents"])
    frame["paid_at"] = pd.to_datetime(frame["at"]).dt.tz_localize(AMS)
    frame["local_date"] = frame["paid_at"].dt.tz_localize(None).dt.normalize()
    return frame.drop(columns=["at"])


def redemptions_frame(rows) -> pd.DataFrame:
    """rows: (subject, merchant_id or None, kind, value_cents, 'YYYY-MM-DD HH:MM')."""
    frame = pd.DataFrame(rows, columns=["subject", "merchant_id", "kind", "value_cents", "at"])
    frame["occurred_at"] = pd.to_datetime(frame["at"]).dt.tz_localize(AMS)
    frame["local_date"] = frame["occurred_at"].dt.tz_localize(None).dt.normalize()
    return frame.drop(columns=["at"])


# Subject 1 orders once in March at two merchants (order 100: 1500 + 500), subject 4 (no shop visits) twice in
# March (orders 101: 800, 102: 1200), subject 3 once in April (order 103: 2000).
ORDERS = orders_frame(
    [
        (1, 100, 10, "2026-03-05 20:00", 1_500),
        (1, 100, 12, "2026-03-05 20:00", 500),
        (4, 101, 11, "2026-03-06 09:00", 800),
        (4, 102, 10, "2026-03-20 09:00", 1_200),
        (3, 103, 11, "2026-04-08 21:00", 2_000),
    ]
)


def test_online_orders_spend_and_spend_per_order():
    cells = kpis.order_cells(ORDERS, kind="month")
    march = cell(cells, "area", "2026-03-01")
    # 3 orders (100, 101, 102) by 2 buyers; 1500 + 500 + 800 + 1200 = 4000; the biggest buyer: 2000 each.
    assert (march.orders, march.spend_cents, march.spend_cents_top, march.n) == (3, 4_000, 2_000, 2)
    april = cell(cells, "area", "2026-04-01")
    assert (april.orders, april.spend_cents, april.n) == (1, 2_000, 1)
    # The days add up to the month (the time relation secondary suppression uses).
    days = kpis.order_cells(ORDERS, kind="day")
    assert days[days["period_start"] < pd.Timestamp("2026-04-01")]["orders"].sum() == 3
    assert kpis.order_cells(ORDERS.iloc[:0], kind="month").empty


def test_omnichannel_share_counts_members_who_bought_both_ways():
    # March: shop buyers (VISITS) 1 and 2, online buyers 1 and 4 → either: 1, 2, 4; both: 1 → 1/3. The smaller
    # side: 1 did both, 2 did one only → n = 1.
    # April: shop buyers 1 and 3, online buyer 3 → either: 1, 3; both: 3 → 1/2, n = 1.
    cells = kpis.omnichannel_cells(ORDERS, VISITS, kind="month")
    march, april = cell(cells, "area", "2026-03-01"), cell(cells, "area", "2026-04-01")
    assert (march.both, march.buyers, march.n) == (1, 3, 1) and march.value == pytest.approx(1 / 3)
    assert (april.both, april.buyers, april.n) == (1, 2, 1) and april.value == pytest.approx(1 / 2)
    # Over the year: either 1, 2, 3, 4; both 1 and 3 → 2/4 (not the mean of the months: distinct members).
    year = cell(kpis.omnichannel_cells(ORDERS, VISITS, kind="year"), "area", "2026-01-01")
    assert (year.both, year.buyers, year.n, year.value) == (2, 4, 2, 0.5)


def test_voucher_and_reward_redemptions_count_and_value():
    redemptions = redemptions_frame(
        [
            (1, 10, "voucher", 500, "2026-03-02 10:00"),
            (2, None, "voucher", 700, "2026-03-04 21:00"),  # online: no merchant
            (2, 10, "voucher", 300, "2026-03-10 12:00"),
            (1, 12, "reward", 200, "2026-03-02 15:00"),
            (3, 11, "reward", 300, "2026-04-07 16:00"),
        ]
    )
    vouchers = kpis.redemption_cells(redemptions, kind="month", redemption_kind="voucher")
    march = cell(vouchers, "area", "2026-03-01")
    # 3 vouchers by 2 members: 500 + 700 + 300 = 1500; member 2 holds 1000 of it.
    assert (march.redemptions, march.value_cents, march.value_cents_top, march.n) == (3, 1_500, 1_000, 2)
    assert len(vouchers) == 1  # none in April
    rewards = kpis.redemption_cells(redemptions, kind="month", redemption_kind="reward")
    assert cell(rewards, "area", "2026-03-01")[["redemptions", "value_cents", "n"]].tolist() == [1, 200, 1]
    assert cell(rewards, "area", "2026-04-01")[["redemptions", "value_cents", "n"]].tolist() == [1, 300, 1]


# --- Through a run ------------------------------------------------------------------------------------------------


def stored(area, kpi, start, kind="month"):
    return KpiValue.objects.get(
        area=area, kpi=kpi, period_kind=kind, period_start=start, scope="area", purpose="analytics", breakdown=""
    )


@pytest.mark.django_db
def test_a_run_stores_the_webshop_and_voucher_kpis_suppressed_by_the_k_rule(area, world):
    # given: world's 12 members (K = 10) all bought in a shop in March and April; members 0–10 order online in
    # March (a bread of 4 euros; member 0 also a book of 20 euros), members 0 and 1 in April; member 0 uses a
    # 5-euro voucher at the bakery in April
    import uuid

    from loyalty.models import VoucherKind
    from loyalty.services import issue_voucher
    from loyalty.tests.factories import award, cashier_for, manager_for
    from shop.tests.factories import SellingMerchantFactory, paid_order, variant_of

    baker = SellingMerchantFactory(area=area, sector="food", trade_name="Webbakker")
    bread, book = variant_of(baker, price_cents=400, stock=99), variant_of(baker, price_cents=2_000, stock=9)
    members = world["members"]
    for i, (user, _pass) in enumerate(members[:11]):
        items = [(bread, 1), (book, 1)] if i == 0 else [(bread, 1)]
        paid_order(area, items, user=user, now=datetime(2026, 3, 10, 20, i, tzinfo=AMS))
    for i, (user, _pass) in enumerate(members[:2]):
        paid_order(area, [(bread, 1)], user=user, now=datetime(2026, 4, 14, 20, i, tzinfo=AMS))
    voucher = issue_voucher(
        area=area,
        kind=VoucherKind.FIXED,
        value_cents=500,
        valid_from=datetime(2026, 4, 1, tzinfo=AMS),
        expires_at=datetime(2026, 5, 1, tzinfo=AMS),
        by=manager_for(area),
        request_key=uuid.uuid4(),
    )
    at = datetime(2026, 4, 20, 10, tzinfo=AMS)
    award(world["bakery"], members[0][1], 1_500, at=at, by=cashier_for(world["bakery"]), voucher_code=voucher.code)

    # when: the area's figures are recomputed
    services.recompute(area=area, today=TODAY)

    # then: March online: 11 orders by 11 buyers, 11 × 400 + 2000 = 6400 cents, 6400 / 11 per order; the
    # biggest buyer (2400) is 37.5% of it: hidden by the dominance rule, the whole cell with it
    march, april = date(2026, 3, 1), date(2026, 4, 1)
    orders = stored(area, "online_orders", march)
    assert (orders.raw_value, orders.n) == (11, 11)
    spend = stored(area, "online_spend_cents", march)
    assert spend.raw_value == 6_400 and spend.is_suppressed and spend.suppressed_reason == "dominance"
    assert orders.is_suppressed and orders.value is None
    assert stored(area, "online_spend_per_order_cents", march).raw_value == pytest.approx(6_400 / 11)
    # The first quarter holds the same orders (March is its only month with any): hidden with it (secondary).
    assert stored(area, "online_orders", date(2026, 1, 1), kind="quarter").is_suppressed
    # April: 2 buyers, under K.
    assert stored(area, "online_orders", april).suppressed_reason == "small_group"
    # Omnichannel: March 11 of 12 did both, 1 only one: the smaller side is 1 < K, hidden; raw 11/12.
    share = stored(area, "omnichannel_share", march)
    assert share.raw_value == pytest.approx(11 / 12) and share.is_suppressed
    # Vouchers in April: one, by one member: hidden; rewards: none used, no row.
    used = stored(area, "voucher_redemptions", april)
    assert (used.raw_value, used.is_suppressed) == (1, True)
    assert stored(area, "voucher_redemption_cents", april).raw_value == 500
    assert not KpiValue.objects.filter(area=area, kpi="reward_redemptions").exists()
    assert orders.provenance["source"] == "shop.selectors.paid_order_parts"
    assert orders.provenance["window"] == "2026-03-01/2026-04-01"
    assert orders.provenance["suppression"] == {"k": 10, "applied": "dominance"}


@pytest.mark.django_db
def test_online_orders_resting_on_k_members_are_shown_on_the_dashboard(client, area, world):
    # given: 10 of world's members (K = 10) each order a bread of 4 euros online in March, nobody dominating
    from shop.tests.factories import SellingMerchantFactory, paid_order, variant_of

    baker = SellingMerchantFactory(area=area, sector="food", trade_name="Webbakker")
    bread = variant_of(baker, price_cents=400, stock=99)
    for i, (user, _pass) in enumerate(world["members"][:10]):
        paid_order(area, [(bread, 1)], user=user, now=datetime(2026, 3, 10, 20, 0, tzinfo=AMS) + timedelta(hours=i))

    # when: the area's figures are recomputed
    services.recompute(area=area, today=TODAY)

    # then: 10 orders, 4000 cents, 400 per order, all shown; the share who bought both ways (10 of 12; the other
    # side, 2, is under K) stays hidden
    march = date(2026, 3, 1)
    assert stored(area, "online_orders", march).value == 10
    assert stored(area, "online_spend_cents", march).value == 4_000
    assert stored(area, "online_spend_per_order_cents", march).value == 400
    assert stored(area, "online_orders", march).previous_value is None
    assert stored(area, "omnichannel_share", march).is_suppressed

    # and the area manager sees them on the overview, next to the visits, and as a trend
    client.force_login(with_totp(StaffMembershipFactory(role=Role.AREA_MANAGER, area=area, merchant=None).user))
    with translation.override("en"):
        overview = client.get(
            reverse("analytics:overview", kwargs={"area": area.slug}), {"period": "month", "start": "2026-03-01"}
        ).content.decode()
        trend = client.get(
            reverse("analytics:trends", kwargs={"area": area.slug}), {"period": "month", "kpi": "online_orders"}
        )
    for label in ("Online orders", "Online spend per order", "Bought online and in a shop"):
        assert label in overview, label
    tile = overview[overview.index("Online orders") :][:600]
    assert ">10<" in tile
    assert trend.status_code == 200 and "Online orders" in trend.content.decode()
