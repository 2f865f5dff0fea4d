"""Chargebacks: Stripe's `charge.dispute.created` / `.closed`, signed and delivered through the webhook view twice
and out of order — the order is marked disputed, payouts not made yet wait, the area manager is e-mailed once; won
releases the held payouts, lost is recorded and nothing more is reversed until the collective settles it (pay the
merchants anyway, or not)."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory
from shop.exceptions import DisputeNotSettleable
from shop.models import (
    Dispute,
    DisputeSettlement,
    DisputeStatus,
    MerchantShop,
    Notice,
    NoticeKind,
    Refund,
    Transfer,
)
from shop.payments.exceptions import NotRefundable
from shop.services import disputes, refunds, transfers

from .factories import variant_of
from .payment_helpers import collect, deliver, events_applied, hand_over, paid_with_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(fake, baker, books):
    for merchant in (baker, books):
        account = fake.create_account(
            merchant_ref=str(merchant.pk), email="", country="NL", idempotency_key=f"a{merchant.pk}"
        )
        fake.enable_account(account)
        MerchantShop.objects.filter(merchant=merchant).update(stripe_account_id=account)
    fake.drop()
    return fake


@pytest.fixture
def manager(area):
    return StaffMembershipFactory(role=Role.AREA_MANAGER, area=area, merchant=None).user


@pytest.fixture
def order(connected, area, baker, books):
    """A paid order of two merchants; the baker's part is handed over and paid out already."""
    items = [(variant_of(baker, price_cents=1500, stock=3), 1), (variant_of(books, price_cents=2500, stock=3), 1)]
    order = paid_with_card(connected, area, items, fulfilment=collect())
    baker_part = order.parts.get(merchant=baker)
    hand_over(baker_part)
    transfers.pay_out_part(part_id=baker_part.pk)
    connected.drop()
    mail.outbox.clear()
    return order


def _disputed(fake, order, *, close: str | None = None) -> str:
    dispute_id = fake.open_dispute(order.payment.intent_id)
    if close:
        fake.close_dispute(dispute_id, status=close)
    return dispute_id


def test_a_dispute_holds_the_payouts_not_made_yet_and_tells_the_area_manager_once(
    connected, order, books, manager, django_capture_on_commit_callbacks
):
    # Given a dispute on the order's charge, its event delivered twice
    dispute_id = _disputed(connected, order)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(connected, copies=2) == [200, 200]

    # Then the order is disputed and the area manager has one e-mail, in Dutch
    order.refresh_from_db()
    assert order.dispute_status == DisputeStatus.OPEN
    dispute = Dispute.objects.get()
    assert (dispute.provider_dispute_id, dispute.status, dispute.amount_cents) == (dispute_id, "open", 4000)
    [message] = mail.outbox
    assert message.to == [manager.email] and order.public_id in message.subject and "40,00" in message.body
    assert "betwist" in message.subject
    assert events_applied() == [("charge.dispute.created", True)]

    # When the bookshop hands over its part, Then its payout waits
    with django_capture_on_commit_callbacks(execute=True):
        hand_over(order.parts.get(merchant=books))
    assert not Transfer.objects.filter(part__merchant=books).exists()
    assert transfers.pay_out_part(part_id=order.parts.get(merchant=books).pk) is None
    # and the payout made before stays (nothing is reversed)
    assert [t["amount_reversed"] for t in connected.transfers.values()] == [0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_won_releases_the_held_payouts_whatever_the_order_of_the_events(
    connected, order, books, manager, django_capture_on_commit_callbacks, seed
):
    # Given the bookshop's part handed over while the dispute is open
    dispute_id = _disputed(connected, order)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(connected)
        hand_over(order.parts.get(merchant=books))
    assert not Transfer.objects.filter(part__merchant=books).exists()

    # When the bank decides for us and the closing event comes twice, shuffled with a repeat of the opening one
    connected.close_dispute(dispute_id, status="won")
    connected.outbox.insert(0, {**_created_event(connected, dispute_id)})
    with django_capture_on_commit_callbacks(execute=True):
        assert set(deliver(connected, copies=2, shuffle=True, seed=seed)) == {200}

    # Then the dispute is won, the held payout is made, the manager heard twice (opened, decided) and no more
    order.refresh_from_db()
    assert order.dispute_status == DisputeStatus.WON
    assert Dispute.objects.get().status == DisputeStatus.WON
    assert Transfer.objects.filter(part__merchant=books).exists()
    assert sorted(Notice.objects.filter(order=order).values_list("kind", flat=True)).count(NoticeKind.DISPUTE) == 1
    assert Notice.objects.filter(order=order, kind=NoticeKind.DISPUTE_CLOSED).count() == 1
    assert len(_to(manager)) == 2


def _to(person):
    return [message for message in mail.outbox if message.to == [person.email]]


def _created_event(fake, dispute_id):
    """A copy of the opening event (as Stripe would redeliver it late), with a new event id."""
    return {
        "id": f"evt_late_{dispute_id}",
        "object": "event",
        "type": "charge.dispute.created",
        "created": 1,
        "livemode": False,
        "data": {"object": {**fake.disputes[dispute_id], "status": "needs_response"}},
    }


def test_the_closing_event_before_the_opening_one_ends_in_the_same_state(
    connected, order, books, manager, django_capture_on_commit_callbacks
):
    # Given a dispute that was lost, its events delivered closing first, each twice
    _disputed(connected, order, close="lost")
    connected.outbox.reverse()
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(connected, copies=2) == [200] * 4
        hand_over(order.parts.get(merchant=books))

    # Then the loss is recorded once, both e-mails went once, the payouts not made stay held, nothing is reversed
    order.refresh_from_db()
    assert order.dispute_status == DisputeStatus.LOST
    dispute = Dispute.objects.get()
    assert dispute.status == DisputeStatus.LOST and dispute.closed_at is not None
    opened, decided = _to(manager)
    assert "betwist" in opened.subject and "verloren" in decided.body
    assert not Transfer.objects.filter(part__merchant=books).exists()
    assert [t["amount_reversed"] for t in connected.transfers.values()] == [0]
    assert len(connected.reversals) == 0


@pytest.fixture
def lost(connected, order, books, django_capture_on_commit_callbacks):
    """The order's dispute lost, the bookshop's part handed over meanwhile and held."""
    _disputed(connected, order, close="lost")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(connected)
        hand_over(order.parts.get(merchant=books))
    assert not Transfer.objects.filter(part__merchant=books).exists()
    return Dispute.objects.get()


def test_a_lost_dispute_settled_by_paying_the_merchants_pays_the_held_part_once(
    lost, order, books, manager, django_capture_on_commit_callbacks
):
    # When the area manager decides the collective bears the loss
    with django_capture_on_commit_callbacks(execute=True):
        settled = disputes.settle_lost_dispute(dispute_id=lost.pk, settlement=DisputeSettlement.PAY_OUT, by=manager)

    # Then the held part is paid out, the decision and who made it are on the dispute, the order reads "settled"
    assert Transfer.objects.filter(part__merchant=books).count() == 1
    assert (settled.settlement, settled.settled_by, settled.status) == (
        DisputeSettlement.PAY_OUT,
        manager,
        DisputeStatus.LOST,
    )
    order.refresh_from_db()
    assert order.dispute_status == DisputeStatus.SETTLED
    # and a second decision is refused: a settlement is final
    with pytest.raises(DisputeNotSettleable):
        disputes.settle_lost_dispute(dispute_id=lost.pk, settlement=DisputeSettlement.WITHHOLD, by=manager)


def test_a_lost_dispute_settled_without_paying_keeps_the_part_unpaid(lost, order, books, manager):
    disputes.settle_lost_dispute(dispute_id=lost.pk, settlement=DisputeSettlement.WITHHOLD, by=manager)
    order.refresh_from_db()
    assert order.dispute_status == DisputeStatus.LOST
    transfers.pay_out_part(part_id=order.parts.get(merchant=books).pk)
    assert not Transfer.objects.filter(part__merchant=books).exists()


def test_an_open_or_won_dispute_cannot_be_settled(connected, order, manager, django_capture_on_commit_callbacks):
    dispute_id = _disputed(connected, order)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(connected)
    with pytest.raises(DisputeNotSettleable):
        disputes.settle_lost_dispute(
            dispute_id=Dispute.objects.get(provider_dispute_id=dispute_id).pk,
            settlement=DisputeSettlement.PAY_OUT,
            by=manager,
        )


def test_the_admin_action_is_the_area_managers_and_merchants_staff_cannot_settle(
    lost, area, books, manager, client, django_capture_on_commit_callbacks
):
    from areas.tests.factories import give_totp

    changelist = reverse("admin:shop_dispute_changelist")
    action = {"action": "settle_paying_merchants", "_selected_action": [lost.pk]}
    # a merchant's owner is not offered the action and cannot post it
    owner = StaffMembershipFactory(role=Role.MERCHANT_OWNER, area=area, merchant=books).user
    for person in (owner, manager):  # both reach the admin (staff with a second factor)
        person.is_staff = True
        person.save()
        give_totp(person)
    client.force_login(owner)
    client.post(changelist, action)
    lost.refresh_from_db()
    assert lost.settlement == ""
    # the area's manager settles it from the list of disputes
    client.force_login(manager)
    assert "settle_paying_merchants" in client.get(changelist).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, action, follow=True)
    assert "1 betwisting afgehandeld" in response.content.decode()  # the admin speaks Dutch first
    lost.refresh_from_db()
    assert lost.settlement == DisputeSettlement.PAY_OUT and lost.settled_by == manager


def _refund_books(order, books):
    return refunds.refund_part(part=order.parts.get(merchant=books), reason="", by=None, idempotency_key="books-back")


def test_a_disputed_payment_is_not_refunded_until_the_bank_decides_and_never_after_it_gave_the_money_back(
    connected, order, books, django_capture_on_commit_callbacks
):
    # While the customer's bank looks into it: Stripe would refuse the refund, so nothing is written at all
    # (no refund row, the stock and points stay where they are)
    dispute_id = _disputed(connected, order)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(connected)
    stock_before = order.parts.get(merchant=books).lines.get().variant.stock_on_hand
    with pytest.raises(NotRefundable) as refused:
        _refund_books(order, books)
    assert "dispute" in str(refused.value.message).lower() or "geschil" in str(refused.value.message).lower()
    assert not Refund.objects.exists()
    assert order.parts.get(merchant=books).lines.get().variant.stock_on_hand == stock_before

    # Lost: the bank gave the money back already; a refund would pay the customer twice
    connected.close_dispute(dispute_id, status="lost")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(connected)
    with pytest.raises(NotRefundable):
        _refund_books(order, books)
    assert not Refund.objects.exists()


def test_after_a_won_dispute_the_order_is_refunded_as_before(
    connected, order, books, django_capture_on_commit_callbacks
):
    _disputed(connected, order, close="won")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(connected)
        refund = _refund_books(order, books)
    assert refund is not None and refund.amount_cents == 2500
