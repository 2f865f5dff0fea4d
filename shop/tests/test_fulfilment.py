"""The merchant's steps on an order part: the state machine, the handover to customer, parcel point and courier
(the payout queued after commit; a parcel-point part on its way until the point's intake scan takes it in and tells
the customer), and a line unavailable: refunded for exactly its gross, and never in the merchant's transfer."""

import uuid

import pytest
from django.conf import settings
from django.core import mail

from accounts.roles import Role
from parcels.models import Announcement, Parcel
from parcels.services import receive_parcel
from parcels.states import ParcelState
from parcels.tests.factories import agree, desk_staff
from shop.exceptions_merchant import InvalidPartMove, InvalidUnavailable, NotAllowed, WrongHandover, WrongPickupCode
from shop.models import Fulfilment, MerchantOrderStatus, OrderStatus, Refund, Transfer
from shop.payments import use_gateway
from shop.payments.fake import FakeGateway
from shop.services import fulfilment, payments
from shop.services.checkout import FulfilmentChoice

from .factories import SellingMerchantFactory, contact, place, variant_of
from .merchant_fixtures import staff_of

pytestmark = pytest.mark.django_db
S = MerchantOrderStatus


@pytest.fixture
def fake():
    with use_gateway(FakeGateway(webhook_secret=settings.STRIPE_WEBHOOK_SECRET)) as gateway:
        yield gateway


def _paid(area, items, fake, *, kind=Fulfilment.CLICK_AND_COLLECT, **options):
    """Checked out, paid by card in the (fake) browser, confirmed as the success page does."""
    for variant, _quantity in items:  # the merchants' connected accounts exist at the (fake) Stripe
        shop = variant.product.merchant.shop
        fake.accounts.setdefault(shop.stripe_account_id, {"id": shop.stripe_account_id})
    order = place(area, items, fulfilment=FulfilmentChoice(kind=kind), **options)
    payment = payments.start_payment(order=order)
    fake.pay(payment.intent_id)
    payments.confirm_from_redirect(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


@pytest.fixture
def cheese(baker):
    return variant_of(baker, stock=20, price_cents=895, vat_rate_bps=900, title_nl="Oude kaas")


@pytest.fixture
def bread(baker):
    return variant_of(baker, stock=20, price_cents=425, vat_rate_bps=900, title_nl="Desem")


def test_the_steps_go_in_order_and_other_moves_are_refused(area, baker, cheese, fake):
    order = _paid(area, [(cheese, 1)], fake)
    part = order.parts.get()
    staff = staff_of(baker)
    with pytest.raises(InvalidPartMove):
        fulfilment.mark_ready(part=part, by=staff)
    with pytest.raises(InvalidPartMove):
        fulfilment.hand_over_part(part=part, by=staff, to="customer", pickup_code=part.pickup_code)
    part = fulfilment.accept_part(part=part, by=staff)
    with pytest.raises(InvalidPartMove):
        fulfilment.accept_part(part=part, by=staff)
    part = fulfilment.mark_ready(part=part, by=staff)
    assert (part.status, part.accepted_at is not None, part.ready_at is not None) == (S.READY, True, True)


def test_another_merchants_staff_cannot_move_a_part(area, baker, books, cheese, fake):
    order = _paid(area, [(cheese, 1)], fake)
    with pytest.raises(NotAllowed):
        fulfilment.accept_part(part=order.parts.get(), by=staff_of(books))
    assert order.parts.get().status == S.NEW


def _ready(part, staff):
    fulfilment.accept_part(part=part, by=staff)
    return fulfilment.mark_ready(part=part, by=staff)


def test_click_and_collect_needs_the_customers_code_then_pays_out(
    area, baker, cheese, fake, django_capture_on_commit_callbacks
):
    order = _paid(area, [(cheese, 2)], fake)
    staff = staff_of(baker)
    part = _ready(order.parts.get(), staff)
    with pytest.raises(WrongHandover):
        fulfilment.hand_over_part(part=part, by=staff, to="courier")
    with pytest.raises(WrongPickupCode):
        fulfilment.hand_over_part(part=part, by=staff, to="customer", pickup_code="AAAAAA")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        part = fulfilment.hand_over_part(part=part, by=staff, to="customer", pickup_code=part.pickup_code.lower())
    assert part.status == S.HANDED_OVER
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    transfer = Transfer.objects.get(part=part)
    # goods 17,90; commission 8 % of it = 1,43 (half up); the rest to the merchant
    assert (transfer.amount_cents, transfer.commission_cents) == (1790 - 143, 143)
    # the customer's "handed over" e-mail (shop-buy's notice), once
    assert [(m.to, order.public_id in m.subject) for m in mail.outbox] == [([order.email], True)]


def test_sent_to_the_parcel_point_it_is_on_its_way_until_the_points_intake_scan_takes_it_in(
    area, rules, baker, cheese, fake, django_capture_on_commit_callbacks
):
    agree(rules.parcel_point, "webshop")
    order = _paid(area, [(cheese, 1)], fake, kind=Fulfilment.PARCEL_POINT, contact=contact(language="en"))
    staff = staff_of(baker, Role.MERCHANT_OWNER)
    part = _ready(order.parts.get(), staff)
    mail.outbox.clear()
    # when: the merchant sends it on its way
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.hand_over_part(part=part, by=staff, to="parcel_point")
    part.refresh_from_db()
    # then: announced at the point under the label code, not in its stock, and no "ready for pickup" yet
    assert part.status == S.HANDED_OVER and part.parcel_code
    assert Announcement.objects.filter(point=rules.parcel_point, tracking_code=part.parcel_code).exists()
    assert not Parcel.objects.filter(point=rules.parcel_point).exists()
    assert [m.to for m in mail.outbox] == [[order.email]]
    assert "is bringing your order to the parcel point" in mail.outbox[0].body
    # a second click (a double click) is refused
    with pytest.raises(InvalidPartMove):
        fulfilment.hand_over_part(part=part, by=staff, to="parcel_point")

    # when: the point's staff scan its label at intake
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = receive_parcel(
            point=rules.parcel_point, raw_code=part.parcel_code, by=desk_staff(area), request_key=uuid.uuid4()
        )
    # then: it is in, for the customer of the announcement, who gets the point's e-mail with the pickup code
    parcel = result.parcel
    assert parcel.state == ParcelState.RECEIVED and parcel.recipient_email == order.email
    assert [m.to for m in mail.outbox] == [[order.email]] and parcel.pickup_code in mail.outbox[0].body
    assert Parcel.objects.filter(tracking_code=part.parcel_code).count() == 1


def test_a_line_unavailable_is_refunded_for_its_gross_and_left_out_of_the_transfer(
    area, baker, cheese, bread, fake, django_capture_on_commit_callbacks
):
    order = _paid(area, [(cheese, 2), (bread, 3)], fake)
    part = order.parts.get()
    staff = staff_of(baker)
    cheese_line = part.lines.get(title__startswith="Oude kaas")
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        refund = fulfilment.mark_line_unavailable(line=cheese_line, quantity=1, by=staff, request_key=key)
    assert refund.amount_cents == 895 and refund.part_id == part.pk
    refund.refresh_from_db()
    assert refund.provider_refund_id  # sent to Stripe after commit
    # a retry (same request key) returns the same refund and marks nothing more
    again = fulfilment.mark_line_unavailable(line=cheese_line, quantity=1, by=staff, request_key=key)
    assert again.pk == refund.pk and Refund.objects.filter(order=order).count() == 1
    cheese_line.refresh_from_db()
    assert cheese_line.unavailable_quantity == 1
    cheese.refresh_from_db()
    assert cheese.stock_on_hand == 20 - 2  # not back on the shelf: it is not there
    with pytest.raises(InvalidUnavailable):
        fulfilment.mark_line_unavailable(line=cheese_line, quantity=2, by=staff, request_key=uuid.uuid4())
    part = _ready(part, staff)
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.hand_over_part(part=part, by=staff, to="customer", pickup_code=part.pickup_code)
    transfer = Transfer.objects.get(part=part)
    goods_left = 895 + 3 * 425
    commission = (goods_left * 800 + 5000) // 10000
    assert (transfer.amount_cents, transfer.commission_cents) == (goods_left - commission, commission)


def test_every_line_unavailable_cancels_the_part(area, baker, books, cheese, fake, django_capture_on_commit_callbacks):
    novel = variant_of(books, stock=5, price_cents=2250, vat_rate_bps=900, title_nl="Roman")
    order = _paid(area, [(cheese, 1), (novel, 1)], fake)
    part = order.parts.get(merchant=baker)
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.mark_line_unavailable(
            line=part.lines.get(), quantity=1, by=staff_of(baker), request_key=uuid.uuid4()
        )
    part.refresh_from_db()
    order.refresh_from_db()
    assert part.status == S.CANCELLED
    assert order.status == OrderStatus.PAID  # the bookshop's part goes on
    assert order.parts.get(merchant=books).status == S.NEW


def test_a_handed_over_part_cannot_have_lines_marked_unavailable(area, baker, cheese, fake):
    order = _paid(area, [(cheese, 1)], fake)
    staff = staff_of(baker)
    part = _ready(order.parts.get(), staff)
    fulfilment.hand_over_part(part=part, by=staff, to="customer", pickup_code=part.pickup_code)
    with pytest.raises(InvalidUnavailable):
        fulfilment.mark_line_unavailable(line=part.lines.get(), quantity=1, by=staff, request_key=uuid.uuid4())


def test_the_courier_part_is_handed_to_the_courier(area, baker, cheese, fake):
    merchant = SellingMerchantFactory(area=area)
    assert merchant  # a second merchant does not get in the way
    order = _paid(area, [(cheese, 1)], fake)
    part = order.parts.get()
    part.fulfilment = Fulfilment.BIKE_COURIER  # set directly: the courier zone's checkout is shop-buy's test
    part.save(update_fields=["fulfilment"])
    staff = staff_of(baker)
    part = _ready(part, staff)
    with pytest.raises(WrongHandover):
        fulfilment.hand_over_part(part=part, by=staff, to="customer", pickup_code=part.pickup_code)
    assert fulfilment.hand_over_part(part=part, by=staff, to="courier").status == S.HANDED_OVER
