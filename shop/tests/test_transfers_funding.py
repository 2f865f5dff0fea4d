"""Payouts of orders a gift card or voucher paid part of: Stripe transfers carry each part's share of the card
charge (never more than the charge, as Stripe insists), the collective owes the rest outside Stripe, a voucher the
merchant funds is its own, refunds and reversals follow the same split, and the statement still adds up."""

import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from agora.money import format_euros
from loyalty.models import GiftCard, VoucherKind
from loyalty.services import issue_voucher
from loyalty.tests.factories import PassFactory, manager_for, rules_for
from loyalty.tests.giftcard_factories import sell
from shop.models import MerchantShop, Transfer, TransferReversal
from shop.payments.exceptions import GatewayError
from shop.services import invariants, refunds, transfers
from shop.services.money import commission_cents, share_pro_rata
from shop.services.statements import merchant_statement

from .factories import UserFactory, variant_of
from .merchant_fixtures import staff_of
from .payment_helpers import collect, hand_over, paid_with_card

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
def member(area):
    member = UserFactory(email="sanne@example.org")
    rules_for(area, welcome_bonus_points=0, points_per_euro=1, daily_cap_points=0)
    member.pass_ = PassFactory(area=area, member=member, now=timezone.now() - timedelta(days=30))
    return member


@pytest.fixture
def goods(baker, books):
    return {
        "bread": variant_of(baker, price_cents=2000, stock=5),
        "novel": variant_of(books, price_cents=2000, stock=5),
    }


def _voucher(area, value_cents, **terms):
    return issue_voucher(
        area=area,
        kind=VoucherKind.FIXED,
        value_cents=value_cents,
        expires_at=timezone.now() + timedelta(days=30),
        valid_from=timezone.now() - timedelta(days=1),
        by=manager_for(area),
        request_key=uuid.uuid4(),
        **terms,
    )


def _pay_out_both(order):
    for part in order.parts.order_by("pk"):
        hand_over(part)
        transfers.pay_out_part(part_id=part.pk)


def test_shares_are_to_the_cent_and_the_remainder_goes_to_the_largest_remainders():
    # Given 1000 cents over three equal weights, and 7 over weights 1, 2, 4
    # Then the shares add up exactly; the cent left over goes to the first of the equal remainders
    assert share_pro_rata(1000, [1, 1, 1]) == [334, 333, 333]
    assert share_pro_rata(7, [1, 2, 4]) == [1, 2, 4]
    assert share_pro_rata(5, [3, 0, 3]) == [3, 0, 2]
    assert share_pro_rata(0, [1, 2]) == [0, 0] and share_pro_rata(5, [0, 0]) == [0, 0]


def test_the_fake_refuses_transfers_above_their_source_charge(connected, area, goods):
    # Given a paid order of €20 with its charge
    order = paid_with_card(connected, area, [(goods["bread"], 1)], fulfilment=collect())
    charge = order.payment.charge_id
    account = MerchantShop.objects.get(merchant=order.parts.get().merchant).stripe_account_id
    connected.transfer(
        amount_cents=1500, destination=account, transfer_group="g", source_transaction=charge, idempotency_key="t1"
    )
    # When transfers from it would add up to more than the charge, Then Stripe (the fake) refuses
    with pytest.raises(GatewayError):
        connected.transfer(
            amount_cents=501, destination=account, transfer_group="g", source_transaction=charge, idempotency_key="t2"
        )
    # and what still fits goes
    connected.transfer(
        amount_cents=500, destination=account, transfer_group="g", source_transaction=charge, idempotency_key="t3"
    )


def test_an_order_half_paid_by_gift_card_pays_out_the_card_share_by_stripe_and_the_rest_by_the_collective(
    connected, area, baker, books, goods, member
):
    # Given €40 of goods from two merchants, €20 of it paid with a gift card and €20 by card
    sell(area, 2000, at=timezone.now() - timedelta(days=1), member_pass=member.pass_)
    order = paid_with_card(
        connected, area, [(goods["bread"], 1), (goods["novel"], 1)], user=member, gift_card=2000, fulfilment=collect()
    )
    assert (order.total_cents, order.gift_card_cents) == (2000, 2000)
    parts = list(order.parts.order_by("pk"))
    assert [(p.card_cents, p.gift_card_cents) for p in parts] == [(1000, 1000), (1000, 1000)]

    # When both parts are handed over and paid out
    _pay_out_both(order)

    # Then Stripe carries each part's card share from the charge (the sum never above it), the collective the rest
    commission = commission_cents(2000, parts[0].commission_bps)
    for transfer in Transfer.objects.order_by("part_id"):
        assert (transfer.amount_cents, transfer.collective_cents, transfer.commission_cents) == (
            1000,
            1000 - commission,
            commission,
        )
    sent = list(connected.transfers.values())
    assert sum(t["amount"] for t in sent) == 2000 == order.payment.amount_cents
    assert {t["source_transaction"] for t in sent} == {order.payment.charge_id}
    assert invariants.check_orders() == []
    # and the merchant's statement shows the collective's share as its own line, adding up to the cent
    statement = merchant_statement(merchant=baker, first_day=date(2000, 1, 1), last_day=date(2100, 1, 1))
    [row] = statement.rows
    assert (row.sales_cents, row.transferred_cents, row.collective_cents, row.commission_cents) == (
        2000,
        1000,
        1000 - commission,
        commission,
    )
    assert row.outstanding_cents == 0 == statement.outstanding_cents


def test_a_refund_after_the_payout_is_reversed_along_the_same_split(connected, area, baker, goods, member):
    # Given a paid-out order of two breads (€40), €10 of it paid with a gift card
    card = sell(area, 1000, at=timezone.now() - timedelta(days=1), member_pass=member.pass_)
    order = paid_with_card(connected, area, [(goods["bread"], 2)], user=member, gift_card=1000, fulfilment=collect())
    part = order.parts.get()
    hand_over(part)
    transfer = transfers.pay_out_part(part_id=part.pk)
    commission = commission_cents(4000, part.commission_bps)
    assert (transfer.amount_cents, transfer.collective_cents) == (3000, 1000 - commission)

    # When one bread is refunded, then the other
    line = part.lines.get()
    first = refunds.refund_lines(order=order, lines={line.pk: 1}, reason="", by=None, idempotency_key="r1")
    transfers.reverse_for_refund(refund_id=first.pk)
    second = refunds.refund_lines(order=order, lines={line.pk: 1}, reason="", by=None, idempotency_key="r2")
    transfers.reverse_for_refund(refund_id=second.pk)

    # Then the card gets its €30 back first, the gift card the last €10
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.card_cents, first.gift_card_cents) == (2000, 0)
    assert (second.card_cents, second.gift_card_cents) == (1000, 1000)
    assert GiftCard.objects.get(pk=card.pk).balance_cents == 1000
    # and Stripe's transfer is reversed by the card share, the collective owes nothing, the commission comes back
    reversals = list(TransferReversal.objects.order_by("pk"))
    assert (
        sum(r.amount_cents for r in reversals)
        == 3000
        == connected.transfers[transfer.provider_transfer_id]["amount_reversed"]
    )
    assert sum(r.collective_cents for r in reversals) == 1000 - commission
    assert sum(r.commission_cents for r in reversals) == commission
    assert invariants.check_orders() == []


@pytest.mark.parametrize("funded_by_books", [True, False])
def test_a_voucher_is_owed_by_the_collective_unless_the_merchant_funds_it(
    connected, area, baker, books, goods, member, funded_by_books, client
):
    # Given a €5 voucher valid at the bookshop, funded by the bookshop itself or by the collective
    code = _voucher(area, 500, merchants=[books], funded_by_merchant=books if funded_by_books else None)
    order = paid_with_card(
        connected, area, [(goods["bread"], 1), (goods["novel"], 1)], user=member, voucher_code=code.code,
        fulfilment=collect(),
    )  # fmt: skip
    novel_part = order.parts.get(merchant=books)
    assert (novel_part.voucher_cents, novel_part.voucher_by_merchant) == (500, funded_by_books)
    assert order.parts.get(merchant=baker).voucher_cents == 0

    # When both parts are paid out
    _pay_out_both(order)

    # Then the bookshop gets its sale less commission, less its own voucher if it funds it
    commission = commission_cents(2000, novel_part.commission_bps)
    transfer = Transfer.objects.get(part=novel_part)
    if funded_by_books:
        assert (transfer.amount_cents, transfer.collective_cents) == (2000 - commission - 500, 0)
    else:
        assert (transfer.amount_cents, transfer.collective_cents) == (1500, 500 - commission)
    assert sum(t["amount"] for t in connected.transfers.values()) <= order.payment.amount_cents
    assert invariants.check_orders() == []
    statement = merchant_statement(merchant=books, first_day=date(2000, 1, 1), last_day=date(2100, 1, 1))
    assert statement.own_voucher_cents == (500 if funded_by_books else 0)
    assert statement.outstanding_cents == 0
    # and the order's row on the statement page shows each amount, so the row visibly adds up
    client.force_login(staff_of(books, Role.MERCHANT_OWNER))
    with translation.override("nl"):
        page = client.get(reverse("shop_merchant:statement", args=[books.pk])).content.decode()
    row = page[page.index(order.public_id) :].split("</tr>")[0]
    cells = [format_euros(2000), format_euros(commission), format_euros(transfer.amount_cents)]
    cells.append(format_euros(-500) if funded_by_books else format_euros(transfer.collective_cents))
    assert all(cell in row for cell in cells), row


def test_an_order_paid_entirely_by_gift_card_is_owed_by_the_collective_without_a_stripe_call(
    fake, connected, area, baker, goods, member
):
    # Given an order the gift card paid in full
    from .factories import paid_order

    sell(area, 5000, at=timezone.now() - timedelta(days=1), member_pass=member.pass_)
    order = paid_order(area, [(goods["bread"], 1)], user=member, gift_card=5000, fulfilment=collect())
    assert order.total_cents == 0
    part = order.parts.get()
    hand_over(part)

    # When it is paid out
    transfer = transfers.pay_out_part(part_id=part.pk)

    # Then the collective owes it all; Stripe is not asked
    assert (transfer.amount_cents, transfer.collective_cents) == (0, 2000 - transfer.commission_cents)
    assert connected.transfers == {}
    assert transfers.send_pending_transfers(before=timezone.now() + timedelta(days=1)) == 0
    assert invariants.check_orders() == []
