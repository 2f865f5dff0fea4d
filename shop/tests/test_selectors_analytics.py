"""The webshop's reads for analytics: paid orders per merchant's part (goods after refunds), and what vouchers
took off paid orders, with the customer's pseudonym and no personal data."""

import uuid
from datetime import timedelta

import pytest

from loyalty.models import VoucherKind
from loyalty.services import issue_voucher
from loyalty.tests.factories import PassFactory, manager_for
from shop import selectors
from shop.models import Fulfilment
from shop.services import refunds

from .factories import UserFactory, paid_order, place, variant_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(area, now):
    user = UserFactory(email="sanne@example.org", first_name="Sanne")
    PassFactory(area=area, member=user, now=now - timedelta(days=30))
    return user


def test_paid_order_parts_are_one_row_per_merchant_with_goods_after_refunds(fake, area, baker, books, member, now):
    # given: a member's order at two merchants (2 × 3.25 bread, 1 × 22.99 novel), paid; one bread refunded;
    # a guest's paid order; a member's order that was never paid; and one paid before the window
    bread, novel = variant_of(baker, price_cents=325, stock=9), variant_of(books, price_cents=2299, stock=9)
    order = paid_order(area, [(bread, 2), (novel, 1)], user=member, now=now)
    line = next(line for part in order.parts.all() for line in part.lines.all() if line.variant_id == bread.pk)
    refunds.refund_lines(order=order, lines={line.pk: 1}, reason="", by=None, idempotency_key="an-1")
    guest = paid_order(area, [(bread, 1)], user=None, now=now + timedelta(hours=1))
    place(area, [(novel, 1)], user=member, now=now + timedelta(hours=2))
    paid_order(area, [(bread, 1)], user=member, now=now - timedelta(days=3))

    # when: analytics reads the day's paid orders
    rows = selectors.paid_order_parts(area=area, start=now - timedelta(hours=1), end=now + timedelta(days=1))

    # then: the member's two parts (bread 650 − 325 refunded; the novel 2299) and the guest's part without a
    # pseudonym; the unpaid order and the earlier one are not there; no name or e-mail in any row
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in rows] == [
        (member.pseudonym, order.pk, baker.pk, 325, Fulfilment.PARCEL_POINT),
        (member.pseudonym, order.pk, books.pk, 2_299, Fulfilment.PARCEL_POINT),
        (None, guest.pk, baker.pk, 325, Fulfilment.PARCEL_POINT),
    ]
    assert rows[0][3] == order.paid_at
    text = " ".join(str(value) for row in rows for value in row)
    assert "Sanne" not in text and "sanne@example.org" not in text


def test_voucher_orders_are_the_paid_ones_with_what_the_voucher_took_off(area, baker, member, now):
    # given: a 20% voucher (at most 4 euros) used by a paid order of 25 euros, and a fixed one by an unpaid order
    def voucher(**terms):
        return issue_voucher(
            area=area,
            expires_at=now + timedelta(days=30),
            valid_from=now - timedelta(days=1),
            by=manager_for(area),
            request_key=uuid.uuid4(),
            **terms,
        )

    percent = voucher(kind=VoucherKind.PERCENT, percent=20, max_discount_cents=400)
    fixed = voucher(kind=VoucherKind.FIXED, value_cents=300)
    cake = variant_of(baker, price_cents=2500, stock=9)
    paid = paid_order(area, [(cake, 1)], user=member, now=now, voucher_code=percent.code)
    pending = place(area, [(cake, 1)], user=member, now=now, voucher_code=fixed.code)

    # when: analytics asks what the vouchers' orders took off
    rows = selectors.voucher_orders(area=area, public_ids=[paid.public_id, pending.public_id, "UNKNOWN"])

    # then: the paid order only, 4 euros off (20% of 25 is 5, capped at 4)
    assert rows == [(paid.public_id, member.pseudonym, 400)]
    assert selectors.voucher_orders(area=area, public_ids=[]) == []
