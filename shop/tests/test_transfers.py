"""Payouts: a handed-over part is paid out once, minus commission and refunds, from the order's charge; a later
refund takes the merchant's share back with a transfer reversal; and the money invariant holds."""

import pytest

from shop.models import MerchantShop, Transfer, TransferReversal
from shop.services import invariants, onboarding, refunds, transfers
from shop.services.money import commission_cents

from .factories import variant_of
from .payment_helpers import collect, deliver, hand_over, paid_with_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(fake, baker, books):
    """Both merchants have a Connect account on the fake, payouts enabled."""
    for merchant in (baker, books):
        account = fake.create_account(
            merchant_ref=str(merchant.pk), email="", country="NL", idempotency_key=f"a{merchant.pk}"
        )
        fake.enable_account(account)
        MerchantShop.objects.filter(merchant=merchant).update(stripe_account_id=account)
    fake.drop()
    return fake


@pytest.fixture
def goods(baker, books):
    return {
        "bread": variant_of(baker, price_cents=325, stock=9),
        "cake": variant_of(baker, price_cents=1450, stock=5),
        "novel": variant_of(books, price_cents=2299, stock=2),
    }


def _part(order, merchant):
    return order.parts.get(merchant=merchant)


def _line(order, variant):
    return next(line for part in order.parts.all() for line in part.lines.all() if line.variant_id == variant.pk)


def test_a_handed_over_part_is_paid_out_minus_commission_from_the_charge(
    connected, area, baker, books, goods, django_capture_on_commit_callbacks
):
    order = paid_with_card(
        connected, area, [(goods["bread"], 2), (goods["cake"], 1), (goods["novel"], 1)], fulfilment=collect()
    )
    part = _part(order, baker)

    with django_capture_on_commit_callbacks(execute=True):
        hand_over(part)  # queues pay_out_part_task after commit

    transfer = Transfer.objects.get()
    goods_cents = 2 * 325 + 1450
    assert transfer.part == part and transfer.idempotency_key == f"tr:{part.pk}"
    assert transfer.commission_cents == commission_cents(goods_cents, part.commission_bps) > 0
    assert transfer.amount_cents == goods_cents - transfer.commission_cents
    [sent] = connected.transfers.values()
    assert sent == {
        "id": transfer.provider_transfer_id,
        "amount": transfer.amount_cents,
        "destination": MerchantShop.objects.get(merchant=baker).stripe_account_id,
        "transfer_group": order.public_id,
        "source_transaction": order.payment.charge_id,
        "amount_reversed": 0,
    }
    assert transfers.pay_out_part(part_id=part.pk).pk == transfer.pk  # again: the same, Stripe not asked again
    assert len(connected.transfers) == 1
    assert not Transfer.objects.filter(part=_part(order, books)).exists()  # not handed over yet
    assert invariants.check_orders() == []


def test_a_line_refunded_before_handover_is_never_in_the_transfer(
    connected, area, baker, goods, django_capture_on_commit_callbacks
):
    order = paid_with_card(connected, area, [(goods["bread"], 2), (goods["cake"], 1)], fulfilment=collect())
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_lines(
            order=order,
            lines={_line(order, goods["cake"]).pk: 1},
            reason="",
            by=None,
            idempotency_key="r1",
            restock=False,
        )
        hand_over(_part(order, baker))

    transfer = Transfer.objects.get()
    assert transfer.amount_cents == 650 - commission_cents(650, transfer.part.commission_bps)
    assert not TransferReversal.objects.exists()
    assert invariants.check_orders() == []


def test_a_refund_after_the_payout_is_reversed_for_the_merchants_share(
    connected, area, baker, goods, django_capture_on_commit_callbacks
):
    order = paid_with_card(connected, area, [(goods["bread"], 2), (goods["cake"], 1)], fulfilment=collect())
    with django_capture_on_commit_callbacks(execute=True):
        hand_over(_part(order, baker))
    transfer = Transfer.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        refund = refunds.refund_lines(
            order=order, lines={_line(order, goods["cake"]).pk: 1}, reason="retour", by=None, idempotency_key="r2"
        )

    reversal = TransferReversal.objects.get()
    bps = transfer.part.commission_bps
    commission_back = commission_cents(2100, bps) - commission_cents(650, bps)
    assert (reversal.refund, reversal.amount_cents, reversal.commission_cents) == (
        refund,
        1450 - commission_back,
        commission_back,
    )
    assert reversal.idempotency_key == f"trr:{refund.pk}"
    assert list(connected.reversals.values()) == [
        {
            "id": reversal.provider_reversal_id,
            "transfer": transfer.provider_transfer_id,
            "amount": reversal.amount_cents,
        }
    ]
    assert transfers.reverse_for_refund(refund_id=refund.pk).pk == reversal.pk
    assert len(connected.reversals) == 1
    assert invariants.check_orders() == []


def test_no_payout_while_stripe_holds_the_account_back_then_it_follows_account_updated(
    connected, area, baker, goods, django_capture_on_commit_callbacks
):
    order = paid_with_card(connected, area, [(goods["bread"], 1)], fulfilment=collect())
    account = MerchantShop.objects.get(merchant=baker).stripe_account_id
    connected.enable_account(account, payouts=False)  # Stripe wants more documents first
    with django_capture_on_commit_callbacks(execute=True):
        deliver(connected)
        hand_over(_part(order, baker))
    assert not MerchantShop.objects.get(merchant=baker).payouts_enabled
    assert not Transfer.objects.exists()

    connected.enable_account(account)  # documents accepted: account.updated
    with django_capture_on_commit_callbacks(execute=True):
        deliver(connected, copies=2)

    assert MerchantShop.objects.get(merchant=baker).payouts_enabled
    assert Transfer.objects.get().part == _part(order, baker)
    assert len(connected.transfers) == 1


def test_onboarding_makes_one_account_and_a_fresh_link(fake, area, baker, person):
    MerchantShop.objects.filter(merchant=baker).update(
        stripe_account_id="", charges_enabled=False, payouts_enabled=False
    )

    first = onboarding.start_onboarding(
        merchant=baker, by=person, return_url="https://x/back", refresh_url="https://x/again"
    )
    second = onboarding.start_onboarding(
        merchant=baker, by=person, return_url="https://x/back", refresh_url="https://x/again"
    )

    shop = MerchantShop.objects.get(merchant=baker)
    assert shop.stripe_account_id in first and first == second
    assert len(fake.accounts) == 1
    fake.enable_account(shop.stripe_account_id)
    onboarding.refresh_account(merchant=baker)
    shop.refresh_from_db()
    assert (shop.charges_enabled, shop.payouts_enabled) == (True, True)


def test_the_invariant_finds_a_tampered_transfer(connected, area, baker, goods, django_capture_on_commit_callbacks):
    order = paid_with_card(connected, area, [(goods["bread"], 2)], fulfilment=collect())
    with django_capture_on_commit_callbacks(execute=True):
        hand_over(_part(order, baker))
    Transfer.objects.update(amount_cents=Transfer.objects.get().amount_cents + 1)

    mismatches = invariants.check_orders()

    assert {m.what for m in mismatches} >= {
        f"part {_part(order, baker).pk} transfer less reversals",
        "charge = transfers + commission + refunds + held",
    }
    assert all(m.public_id == order.public_id for m in mismatches)
