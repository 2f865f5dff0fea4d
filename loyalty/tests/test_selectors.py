"""The reads: the member's pass screen, the till's day and last transactions, visits for analytics."""

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from areas.tests.factories import FlemishAreaFactory, MerchantFactory, ShoppingAreaFactory
from loyalty import selectors, services, totp
from loyalty.codes import parse_pass_code

from .conftest import AMSTERDAM
from .factories import PassFactory, award, cashier_for, key, recognisable, rules_for, tell_of_expiry

pytestmark = pytest.mark.django_db


def test_pass_for_member(area, member, member_pass):
    assert selectors.pass_for_member(member, area) == member_pass
    assert selectors.pass_for_member(member, ShoppingAreaFactory()) is None
    assert selectors.pass_for_member(AnonymousUser(), area) is None


def test_the_current_code_is_what_the_app_shows(member_pass, now):
    parsed = parse_pass_code(selectors.current_pass_code(member_pass, at=now))
    assert parsed.card_number == member_pass.card_number
    assert parsed.otp == totp.code_at(member_pass.totp_secret, now)


def test_the_pass_overview_and_its_history_in_a_query_each(
    area, merchant, other_merchant, cashier, member, now, django_assert_num_queries
):
    rules_for(area, welcome_bonus_points=10, expiry_months=1)
    member_pass = PassFactory(area=area, member=member, now=now - timedelta(days=40))  # welcome bonus expired
    tell_of_expiry()  # as the daily job did: the member was told in time
    other_cashier = cashier_for(other_merchant)
    purchase = award(merchant, member_pass, 2000, at=now - timedelta(days=20), by=cashier)
    award(other_merchant, member_pass, 3000, at=now - timedelta(days=10), by=other_cashier)
    services.refund_purchase(
        merchant=merchant,
        transaction_id=purchase.transaction_id,
        refund_cents=500,
        request_key=key(),
        by=cashier,
        now=now - timedelta(days=5),
    )
    services.spend_points(pass_id=member_pass.pk, points=4, request_key=key(), by=member, reason="Koffie", now=now)
    member_pass.refresh_from_db()
    member_pass = selectors.pass_for_member(member, area)

    with django_assert_num_queries(1):
        overview = selectors.pass_overview(member_pass, now=now)
    with django_assert_num_queries(1), translation.override("en"):
        entries = selectors.pass_history(member_pass).entries

    # 20 − 5 (refund) − 4 (spent, from the oldest lot) = 11 left of the first purchase's lot, and 30 of the second.
    assert overview["balance"] == 41
    # earned on 21 and 31 May with one month to go: 21 June, and 30 June (June has no 31st)
    assert overview["expiring_soon"] == [(date(2026, 6, 21), 11), (date(2026, 6, 30), 30)]
    history = [(row["kind"], row["label"], row["points"], row["merchant"]) for row in entries]
    assert history == [
        ("spend", "Koffie", -4, ""),
        ("reverse", "Refund", -5, merchant.trade_name),
        ("expire", "Expired", -10, ""),  # the welcome bonus, dated 1 June when it expired
        ("earn", "Purchase", 30, other_merchant.trade_name),
        ("earn", "Purchase", 20, merchant.trade_name),
        ("earn", "Welcome bonus", 10, ""),
    ]
    assert entries[1]["amount_cents"] == -500  # money taken back, signed as on the till


def test_the_history_pages_through_every_entry_once_even_when_several_share_a_moment(
    area, merchant, other_merchant, cashier, member_pass, now, django_assert_num_queries
):
    # given: two purchases, and five spends at one and the same moment (a tie only the id breaks)
    award(merchant, member_pass, 5000, at=now - timedelta(hours=2), by=cashier)
    award(other_merchant, member_pass, 3000, at=now - timedelta(hours=1), by=cashier_for(other_merchant))
    for n in range(5):
        services.spend_points(
            pass_id=member_pass.pk, points=1, request_key=key(), by=member_pass.member, reason=f"Koffie {n}", now=now
        )
    everything = [entry["id"] for entry in selectors.pass_history(member_pass, limit=100).entries]
    assert len(everything) == 7

    # when: the member reads it three entries at a time
    seen, before = [], None
    while True:
        with django_assert_num_queries(1):
            page = selectors.pass_history(member_pass, before=before, limit=3)
        seen += [entry["id"] for entry in page.entries]
        if page.older is None:
            break
        before = page.older

    # then: every entry, newest first, none twice, none skipped
    assert seen == everything
    assert [entry["label"] for entry in selectors.pass_history(member_pass, limit=2).entries] == [
        "Koffie 4",
        "Koffie 3",
    ]


def test_the_history_of_one_shop_and_never_of_another_pass(area, merchant, other_merchant, cashier, member_pass, now):
    award(merchant, member_pass, 2000, at=now - timedelta(days=2), by=cashier)
    award(other_merchant, member_pass, 3000, at=now - timedelta(days=1), by=cashier_for(other_merchant))
    assert selectors.history_merchants(member_pass) == sorted(
        [(merchant.pk, merchant.trade_name), (other_merchant.pk, other_merchant.trade_name)], key=lambda m: m[1]
    )
    only_here = selectors.pass_history(member_pass, merchant_id=merchant.pk).entries
    assert [(entry["merchant"], entry["points"]) for entry in only_here] == [(merchant.trade_name, 20)]

    # an entry of someone else's pass as the page's start shows nothing of theirs, nor of ours
    other_pass = PassFactory(area=area)
    theirs = award(merchant, other_pass, 9900, at=now, by=cashier)
    their_entry = other_pass.entries.get(till_transaction_id=theirs.transaction_id)
    assert selectors.pass_history(member_pass, before=their_entry.pk).entries == []


def test_the_history_names_the_webshop_order_and_the_gift_card_page_the_webshop(
    area, merchant, member, member_pass, now
):
    from loyalty.services import OnlinePurchase
    from loyalty.services.online import spend_gift_cards_online

    from .giftcard_factories import sell

    # given: points for webshop order W-7, and gift-card value spent on order W-8
    services.award_online_points(
        member=member, area=area, purchases=[OnlinePurchase(merchant.pk, 2500)], order_ref="W-7", now=now
    )
    sell(area, 2000, at=now - timedelta(days=1), member_pass=member_pass)
    spend_gift_cards_online(member_pass=member_pass, amount_cents=500, order_ref="W-8", now=now)

    with translation.override("en"):
        labels = [entry["label"] for entry in selectors.pass_history(member_pass).entries]
        [card] = selectors.pass_gift_cards_history(member_pass)

    # then: the order number says where the points came from, not a bare "Earned"; the gift card says "Webshop"
    assert "Online order W-7" in labels
    newest = card["entries"][0]
    assert (newest["label"], newest["merchant"]) == ("Spent", "Webshop, order W-8")


def test_the_overview_leaves_out_points_the_nightly_job_has_not_expired_yet(area, merchant, cashier, member_pass, now):
    rules_for(area, expiry_months=1)
    award(merchant, member_pass, 2000, at=now, by=cashier)
    later = now + timedelta(days=32)
    member_pass.refresh_from_db()
    assert member_pass.points_balance == 20  # the projection, until the job runs
    overview = selectors.pass_overview(member_pass, now=later)
    assert overview["balance"] == 0 and overview["expiring_soon"] == []


def test_the_till_summary_counts_the_merchants_day_in_the_areas_time_zone(area, merchant, cashier, now):
    first, second = PassFactory(area=area), PassFactory(area=area)
    day = now.date()
    early = datetime(2026, 6, 10, 0, 5, tzinfo=AMSTERDAM)  # 22:05 UTC the day before
    award(merchant, first, 1000, at=early, by=cashier)
    kept = award(merchant, second, 4550, at=now, by=cashier)
    typo = award(merchant, first, 99900, at=now + timedelta(minutes=1), by=cashier)
    services.undo_till_transaction(
        merchant=merchant, transaction_id=typo.transaction_id, request_key=key(), by=cashier, now=now
    )
    services.refund_purchase(
        merchant=merchant, transaction_id=kept.transaction_id, refund_cents=550, request_key=key(), by=cashier, now=now
    )
    award(merchant, second, 2000, at=datetime(2026, 6, 11, 0, 1, tzinfo=AMSTERDAM), by=cashier)  # tomorrow

    summary = selectors.till_summary(merchant, day)
    assert summary["count"] == 2 and (summary["purchases"], summary["undone"], summary["refunds"]) == (3, 1, 1)
    assert summary["amount_cents"] == 1000 + 4550 - 550
    assert summary["points"] == 10 + 45 - 5
    assert selectors.till_summary(merchant, date(2026, 6, 9))["count"] == 0


def test_recent_till_transactions_are_the_merchants_own_with_what_can_be_undone(
    area, merchant, other_merchant, cashier, now, django_assert_num_queries
):
    rules_for(area, undo_window_minutes=10)
    first, second = PassFactory(area=area), PassFactory(area=area)
    recognisable(first.member, area)  # the second member keeps their name to themselves
    old = award(merchant, first, 1000, at=now - timedelta(minutes=30), by=cashier)
    undone = award(merchant, second, 2000, at=now - timedelta(minutes=5), by=cashier)
    services.undo_till_transaction(
        merchant=merchant, transaction_id=undone.transaction_id, request_key=key(), by=cashier, now=now
    )
    fresh = award(merchant, first, 3000, at=now - timedelta(minutes=2), by=cashier)
    award(other_merchant, second, 4000, at=now, by=cashier_for(other_merchant))  # another shop's

    with django_assert_num_queries(4):
        recent = selectors.recent_till_transactions(merchant, now=now)

    assert [(r.kind, r.amount_cents, r.can_undo, r.is_undone) for r in recent] == [
        ("undo", -2000, False, False),
        ("purchase", 3000, True, False),
        ("purchase", 2000, False, True),
        ("purchase", 1000, False, False),  # past the window
    ]
    assert [r.id for r in recent][1:] == [fresh.transaction_id, undone.transaction_id, old.transaction_id]
    assert recent[1].member_first_name == first.member.first_name and recent[1].points == 30
    assert recent[0].member_first_name == recent[2].member_first_name == ""
    assert recent[1].refundable_cents == 3000 and recent[2].refundable_cents == 0
    assert len(selectors.recent_till_transactions(merchant, limit=2, now=now)) == 2


def test_visits_are_the_areas_scans_without_the_undone_ones(area, merchant, other_merchant, cashier, now):
    first, second = PassFactory(area=area), PassFactory(area=area)
    award(merchant, first, 1000, at=now, by=cashier)
    typo = award(merchant, second, 2000, at=now + timedelta(minutes=1), by=cashier)
    services.undo_till_transaction(
        merchant=merchant, transaction_id=typo.transaction_id, request_key=key(), by=cashier, now=now
    )
    refunded = award(other_merchant, second, 3000, at=now + timedelta(minutes=2), by=cashier_for(other_merchant))
    services.refund_purchase(
        merchant=other_merchant,
        transaction_id=refunded.transaction_id,
        refund_cents=3000,
        request_key=key(),
        by=cashier_for(other_merchant),
        now=now,
    )
    award(merchant, first, 500, at=now + timedelta(days=1), by=cashier)  # after the period
    elsewhere = FlemishAreaFactory()
    foreign_merchant = MerchantFactory(area=elsewhere)
    award(foreign_merchant, PassFactory(area=elsewhere), 900, at=now, by=cashier_for(foreign_merchant))

    rows = list(selectors.visits(area, now - timedelta(hours=1), now + timedelta(hours=1)))
    assert [(r.pass_id, r.merchant_id, r.occurred_at, r.amount_cents) for r in rows] == [
        (first.pk, merchant.pk, now, 1000),
        (second.pk, other_merchant.pk, now + timedelta(minutes=2), 3000),
    ]


def test_expiring_points_per_pass_for_the_notice(area, merchant, cashier, now):
    rules_for(area, expiry_months=1)
    first, second, blocked = PassFactory(area=area), PassFactory(area=area), PassFactory(area=area)
    award(merchant, first, 1000, at=now, by=cashier)
    award(merchant, first, 2000, at=now + timedelta(hours=2), by=cashier, code=first.card_number)
    award(merchant, second, 3000, at=now + timedelta(days=3), by=cashier)
    award(merchant, blocked, 4000, at=now, by=cashier)
    services.block_pass(pass_id=blocked.pk, by=blocked.member)
    window = (now + timedelta(days=30), now + timedelta(days=31, hours=1))
    rows = list(selectors.expiring_points(area, start=window[0], end=window[1]))
    assert [(r.pass_id, r.member_id, r.points) for r in rows] == [(first.pk, first.member_id, 30)]
    assert rows[0].first_expires_at == datetime(2026, 7, 10, 14, 0, tzinfo=AMSTERDAM)
