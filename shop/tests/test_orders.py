"""Payment and expiry: an order is paid once whoever tells first; unpaid orders expire and give everything back."""

from datetime import timedelta

import pytest
from django.core import mail

from parcels.models import Announcement
from shop.models import MerchantOrderStatus, Notice, OrderStatus, Reservation, ReservationState, Variant
from shop.services import orders, stock
from shop.services.checkout import FulfilmentChoice

from .factories import place, variant_of

pytestmark = pytest.mark.django_db


def stock_of(variant) -> int:
    return Variant.objects.get(pk=variant.pk).stock_on_hand


def test_paid_once_consumes_stock_announces_parcels_and_mails_once(
    area, baker, books, now, django_capture_on_commit_callbacks
):
    bread = variant_of(baker, stock=3)
    novel = variant_of(books, stock=3)
    order = place(
        area, [(bread, 2), (novel, 1)], now=now, fulfilment={books.pk: FulfilmentChoice(kind="click_and_collect")}
    )
    baker.email, books.email = "bakker@example.org", "boek@example.org"
    baker.save(), books.save()
    with django_capture_on_commit_callbacks(execute=True):
        orders.mark_order_paid(order=order, at=now)
    with django_capture_on_commit_callbacks(execute=True):
        orders.mark_order_paid(order=order, at=now + timedelta(seconds=5))  # the success page, after the webhook

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_at == now
    assert set(order.parts.values_list("status", flat=True)) == {MerchantOrderStatus.NEW}
    assert (stock_of(bread), stock_of(novel)) == (1, 2)
    assert set(Reservation.objects.filter(order=order).values_list("state", flat=True)) == {ReservationState.CONSUMED}
    bakery_part = order.parts.get(merchant=baker)
    announcement = Announcement.objects.get()
    assert announcement.tracking_code == bakery_part.parcel_code
    assert announcement.carrier.code == "webshop"
    assert announcement.recipient_email == order.email
    assert order.parts.get(merchant=books).parcel_code == ""  # click and collect: no parcel
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["bakker@example.org", "boek@example.org", order.email]
    assert Notice.objects.count() == 3
    confirmation = next(m for m in mail.outbox if m.to == [order.email])
    assert order.public_id in confirmation.subject
    assert "?t=" in confirmation.body and confirmation.alternatives


def test_expiry_releases_stock_and_cancels_the_parts(area, baker, now):
    bread = variant_of(baker, stock=1)
    order = place(area, [(bread, 1)], now=now)
    assert stock.available([bread])[bread.pk] == 0
    assert stock.release_lapsed(now=now + timedelta(minutes=14)) == 0
    assert stock.release_lapsed(now=now + timedelta(minutes=15)) == 1
    assert stock.available([bread])[bread.pk] == 1
    assert orders.expire_unpaid(now=now + timedelta(minutes=20)) == 0  # within the grace period
    assert orders.expire_unpaid(now=now + timedelta(minutes=31)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert set(order.parts.values_list("status", flat=True)) == {MerchantOrderStatus.CANCELLED}
    assert orders.expire_unpaid(now=now + timedelta(minutes=32)) == 0


def test_a_payment_after_the_reservation_lapsed_takes_the_stock_again(area, baker, now):
    bread = variant_of(baker, stock=1)
    order = place(area, [(bread, 1)], now=now)
    stock.release_lapsed(now=now + timedelta(minutes=16))
    orders.mark_order_paid(order=order, at=now + timedelta(minutes=17))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert stock_of(bread) == 0


def test_a_lapsed_reservation_whose_stock_was_sold_is_paid_and_the_line_refunded(
    area, baker, now, monkeypatch, django_capture_on_commit_callbacks
):
    bread = variant_of(baker, stock=1)
    late = place(area, [(bread, 1)], now=now)
    stock.release_lapsed(now=now + timedelta(minutes=16))
    early = place(area, [(bread, 1)], now=now + timedelta(minutes=16))
    orders.mark_order_paid(order=early, at=now + timedelta(minutes=17))
    refunded = []
    monkeypatch.setattr(orders, "refund_short_lines", lambda **kw: refunded.append(kw) or 1)
    with django_capture_on_commit_callbacks(execute=True):
        orders.mark_order_paid(order=late, at=now + timedelta(minutes=18))
    late.refresh_from_db()
    assert late.status == OrderStatus.PAID
    assert stock_of(bread) == 0  # never below zero: sold once
    assert refunded == [{"order_id": late.pk, "short": {bread.pk: 1}}]


def test_an_expired_order_paid_anyway_is_revived_when_the_stock_is_still_there(area, baker, now):
    bread = variant_of(baker, stock=1)
    order = place(area, [(bread, 1)], now=now)
    orders.expire_unpaid(now=now + timedelta(minutes=31))
    orders.mark_order_paid(order=order, at=now + timedelta(minutes=32))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and stock_of(bread) == 0
