"""The pass in the webshop: gift-card value and vouchers pay part, points on what was paid, all given back."""

import uuid
from datetime import timedelta

import pytest

from loyalty.models import GiftCard, LedgerEntry, Voucher, VoucherKind
from loyalty.services import issue_voucher
from loyalty.tests.factories import PassFactory, manager_for, rules_for, set_multiplier
from loyalty.tests.giftcard_factories import sell
from loyalty.tests.rewards_helpers import make_campaign
from shop.exceptions import VoucherNotUsable
from shop.models import OrderStatus, Refund
from shop.services import loyalty_bridge, orders
from shop.services.refunds import refund_part

from .factories import UserFactory, paid_order, place, variant_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(area):
    return UserFactory(email="sanne@example.org")


@pytest.fixture
def member_pass(area, member, now):
    rules_for(area, welcome_bonus_points=0, points_per_euro=1, daily_cap_points=0)
    return PassFactory(area=area, member=member, now=now - timedelta(days=30))


def balance(card) -> int:
    return GiftCard.objects.get(pk=card.pk).balance_cents


def voucher(area, now, **terms) -> Voucher:
    return issue_voucher(
        area=area,
        kind=terms.pop("kind", VoucherKind.FIXED),
        value_cents=terms.pop("value_cents", 500),
        expires_at=now + timedelta(days=30),
        valid_from=now - timedelta(days=1),
        by=manager_for(area),
        request_key=uuid.uuid4(),
        **terms,
    )


def test_gift_card_pays_part_and_points_only_on_the_rest(area, baker, member, member_pass, now):
    card = sell(area, 1000, at=now - timedelta(days=1), member_pass=member_pass)
    bread = variant_of(baker, price_cents=2550, stock=5)
    order = paid_order(area, [(bread, 1)], user=member, now=now, gift_card=5000)
    assert (order.gift_card_cents, order.total_cents) == (1000, 1550)
    assert balance(card) == 0
    assert order.points_awarded == 15  # whole euros of €15.50 paid by card
    orders.mark_order_paid(order=order, at=now)  # again: no second credit
    assert LedgerEntry.objects.filter(member_pass=member_pass, kind="earn").count() == 1


def test_expired_order_gives_the_gift_card_and_voucher_back(area, baker, member, member_pass, now):
    card = sell(area, 1000, at=now - timedelta(days=1), member_pass=member_pass)
    code = voucher(area, now, value_cents=300)
    bread = variant_of(baker, price_cents=2000, stock=5)
    order = place(area, [(bread, 1)], user=member, now=now, gift_card=400, voucher_code=code.code)
    assert (order.voucher_cents, order.gift_card_cents, order.total_cents) == (300, 400, 1300)
    assert balance(card) == 600
    code.refresh_from_db()
    assert code.redeemed_online == order.public_id and code.redeemed_at is not None
    orders.expire_unpaid(now=now + timedelta(hours=1))
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert balance(card) == 1000
    code.refresh_from_db()
    assert code.redeemed_at is None and code.redeemed_online == ""
    loyalty_bridge.give_back(order=order, now=now + timedelta(hours=2))  # twice: nothing more
    assert balance(card) == 1000


def test_a_voucher_is_used_once_and_only_on_the_merchants_it_is_valid_at(area, baker, books, member, member_pass, now):
    code = voucher(area, now, value_cents=1000, merchants=[books])
    bread = variant_of(baker, price_cents=2000)
    novel = variant_of(books, price_cents=600)
    order = place(area, [(bread, 1), (novel, 1)], user=member, now=now, voucher_code=code.code.lower())
    assert order.voucher_cents == 600  # only the bookshop's goods
    with pytest.raises(VoucherNotUsable):
        place(area, [(bread, 1)], user=member, now=now, voucher_code=code.code)


def test_a_voucher_paying_everything_makes_the_order_paid_at_once(
    area, baker, member, member_pass, now, django_capture_on_commit_callbacks
):
    code = voucher(area, now, value_cents=5000)
    bread = variant_of(baker, price_cents=2000)
    with django_capture_on_commit_callbacks(execute=True):
        order = place(area, [(bread, 1)], user=member, now=now, voucher_code=code.code)
    order.refresh_from_db()
    assert order.total_cents == 0 and order.status == OrderStatus.PAID
    assert order.points_awarded == 0


def test_a_refund_takes_points_back_pro_rata_and_puts_gift_card_value_back(area, baker, member, member_pass, now):
    card = sell(area, 1000, at=now - timedelta(days=1), member_pass=member_pass)
    bread = variant_of(baker, price_cents=5000)
    order = paid_order(area, [(bread, 1)], user=member, now=now, gift_card=1000)
    assert order.points_awarded == 40
    first = Refund.objects.create(
        order=order, idempotency_key="re:1", amount_cents=2500, card_cents=2000, gift_card_cents=500
    )
    loyalty_bridge.reverse_for_refund(order=order, refund=first, now=now)
    loyalty_bridge.reverse_for_refund(order=order, refund=first, now=now)  # a retry changes nothing
    member_pass.refresh_from_db()
    assert member_pass.points_balance == 40 - 20
    assert balance(card) == 500
    rest = Refund.objects.create(
        order=order, idempotency_key="re:2", amount_cents=2500, card_cents=2000, gift_card_cents=500
    )
    loyalty_bridge.reverse_for_refund(order=order, refund=rest, now=now)
    member_pass.refresh_from_db()
    assert member_pass.points_balance == 0
    assert balance(card) == 1000


def _two_merchant_order(area, baker, books, member, now, **options):
    set_multiplier(baker, 2000)  # the baker gives double points
    make_campaign(area, now=now, merchants=[books], multiplier_permille=3000)  # triple points at the bookshop
    items = [(variant_of(baker, price_cents=1599, stock=5), 1), (variant_of(books, price_cents=2050, stock=5), 1)]
    return paid_order(area, items, user=member, now=now, **options)


def test_online_points_follow_the_tills_rules_per_merchant_part(area, baker, books, member, member_pass, now):
    # Given the baker's multiplier ×2 and a ×3 campaign at the bookshop
    # When the member pays €15.99 of bread and €20.50 of books by card
    order = _two_merchant_order(area, baker, books, member, now)

    # Then each part earns as at its till: 15 × 2 = 30 at the baker, 20 × 3 = 60 at the bookshop
    assert [(p.merchant_id, p.points_awarded) for p in order.parts.order_by("pk")] == [(baker.pk, 30), (books.pk, 60)]
    assert order.points_awarded == 90
    assert LedgerEntry.objects.get(member_pass=member_pass, kind="earn").points == 90
    orders.mark_order_paid(order=order, at=now)  # again: nothing more
    assert LedgerEntry.objects.filter(member_pass=member_pass, kind="earn").count() == 1


def test_online_points_respect_the_daily_cap_with_what_the_member_got_today(
    area, baker, books, member, member_pass, now
):
    # Given a daily cap of 100 points and 40 points earned in the webshop earlier today
    rules_for(area, daily_cap_points=100)
    paid_order(area, [(variant_of(books, price_cents=4000, stock=5), 1)], user=member, now=now - timedelta(hours=1))

    # When the order that would earn 90 is paid
    order = _two_merchant_order(area, baker, books, member, now)

    # Then it earns the 60 left under the cap, the first part first
    assert [p.points_awarded for p in order.parts.order_by("pk")] == [30, 30]
    assert order.points_awarded == 60


def test_a_refund_takes_back_the_points_of_its_own_part(area, baker, books, member, member_pass, now):
    # Given the order of 30 points at the baker and 60 at the bookshop
    order = _two_merchant_order(area, baker, books, member, now)
    books_part = order.parts.get(merchant=books)

    # When the bookshop's part is refunded
    refund_part(part=books_part, reason="", by=None, idempotency_key="books-back")

    # Then exactly its 60 points go back (not 90 × 20.50 / 36.49 of the whole order)
    assert LedgerEntry.objects.get(member_pass=member_pass, kind="reverse").points == -60
    # and the baker's part refunded too takes back the rest: all that was awarded
    refund_part(part=order.parts.get(merchant=baker), reason="", by=None, idempotency_key="bread-back")
    assert sum(e.points for e in LedgerEntry.objects.filter(member_pass=member_pass, kind="reverse")) == -90
