"""Paying again after a card was declined or a 3-D Secure challenge was left open: the order stays payable (a fresh
PaymentIntent when the old one cannot be confirmed again), on the FakeGateway and on localstripe with the real
StripeGateway; and the card endpoint answers in the page's language with a code the page maps to its texts."""

import json

import pytest
from django.urls import reverse

from shop.models import OrderStatus, Payment, PaymentStatus
from shop.payments import PaymentDeclined, use_gateway
from shop.services import payments

from .factories import variant_of
from .payment_helpers import collect, order_with_payment
from .test_localstripe_contract import _card

pytestmark = pytest.mark.django_db

VISA, THREE_D_SECURE, DECLINED = "pm_card_visa", "pm_card_threeDSecure2Required", "pm_card_chargeCustomerFail"


def test_after_an_abandoned_3d_secure_another_card_pays_on_a_fresh_intent(area, baker, fake):
    # given: the shopper started 3-D Secure and left (the phone went to the bank app and never came back)
    order, payment = order_with_payment(area, [(variant_of(baker), 1)], fulfilment=collect())
    assert payments.confirm_card(order=order, payment_method=THREE_D_SECURE).status == "requires_action"

    # when: back on the order page, they pay with a card
    intent = payments.confirm_card(order=order, payment_method=VISA)

    # then: paid, on a new intent; the abandoned one is cancelled, so it can never be charged as well
    assert intent.status == "succeeded" and intent.id != payment.intent_id
    assert fake.retrieve_payment(payment.intent_id).status == "canceled"
    moved = Payment.objects.get(order=order)
    assert (moved.intent_id, moved.client_secret, moved.status) == (intent.id, intent.client_secret, "succeeded")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_after_a_declined_card_another_card_pays(area, baker, fake):
    order, _payment = order_with_payment(area, [(variant_of(baker), 1)], fulfilment=collect())
    with pytest.raises(PaymentDeclined):
        payments.confirm_card(order=order, payment_method=DECLINED)
    assert Payment.objects.get(order=order).status == PaymentStatus.FAILED

    assert payments.confirm_card(order=order, payment_method=VISA).status == "succeeded"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_challenge_completed_meanwhile_is_the_payment(area, baker, fake):
    """The bank app finished 3-D Secure after all: paying again finds the order paid, nothing is charged twice."""
    order, payment = order_with_payment(area, [(variant_of(baker), 1)], fulfilment=collect())
    payments.confirm_card(order=order, payment_method=THREE_D_SECURE)
    fake.authenticate(payment.intent_id, success=True)

    intent = payments.confirm_card(order=order, payment_method=VISA)

    assert (intent.id, intent.status) == (payment.intent_id, "succeeded")
    assert [call for call, _key in fake.calls if call in ("create_payment", "cancel_payment")] == ["create_payment"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def _confirm(client, order, payment, method, **extra):
    return client.post(
        reverse("shop_payments:confirm_card", args=[order.public_id]),
        data=json.dumps({"payment_method": method, "client_secret": payment.client_secret, **extra}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="nl",
    )


def test_the_card_endpoint_answers_in_the_pages_language_with_a_code(client, area, baker, fake):
    order, payment = order_with_payment(area, [(variant_of(baker), 1)], fulfilment=collect())

    declined = _confirm(client, order, payment, DECLINED, language="en")  # the browser says Dutch, the page English

    assert declined.status_code == 402
    assert declined.json() == {
        "code": "declined",
        "error": "The payment was declined. Try another card or payment method.",
        "client_secret": payment.client_secret,  # the intent in use: the next card goes there
    }
    paid = _confirm(client, order, payment, VISA, language="en")
    fresh = Payment.objects.get(order=order)
    assert paid.json() == {"status": "succeeded", "client_secret": fresh.client_secret}
    assert fresh.intent_id != payment.intent_id


def test_a_card_declined_on_a_fresh_intent_hands_the_page_its_secret_for_the_next_card(client, area, baker, fake):
    order, payment = order_with_payment(area, [(variant_of(baker), 1)], fulfilment=collect())
    payments.confirm_card(order=order, payment_method=THREE_D_SECURE)  # left open

    declined = _confirm(client, order, payment, DECLINED, language="en")  # goes on a fresh intent, and is declined

    fresh = Payment.objects.get(order=order)
    assert fresh.intent_id != payment.intent_id
    assert declined.json()["client_secret"] == fresh.client_secret
    paid = client.post(
        reverse("shop_payments:confirm_card", args=[order.public_id]),
        data=json.dumps({"payment_method": VISA, "client_secret": fresh.client_secret, "language": "en"}),
        content_type="application/json",
    )
    assert paid.json()["status"] == "succeeded"


def test_a_page_older_than_its_payment_is_told_to_reload(client, area, baker, fake):
    order, payment = order_with_payment(area, [(variant_of(baker), 1)], fulfilment=collect())
    payments.confirm_card(order=order, payment_method=THREE_D_SECURE)
    payments.confirm_card(order=order, payment_method=VISA)  # paid in another tab, on a fresh intent

    stale = _confirm(client, order, payment, VISA, language="en")

    assert stale.status_code == 403 and stale.json()["code"] == "stale"


# --- The same on localstripe, through the real StripeGateway -----------------------------------------------------


@pytest.mark.xdist_group("localstripe")
def test_on_localstripe_an_abandoned_challenge_and_a_declined_card_do_not_block_the_order(
    stripe_gateway, localstripe_server, area, baker
):
    with use_gateway(stripe_gateway):
        # 3-D Secure left open, then another card
        order, payment = order_with_payment(area, [(variant_of(baker, stock=5), 1)], fulfilment=collect())
        card = _card(localstripe_server, "4000002500003155")
        assert payments.confirm_card(order=order, payment_method=card).status == "requires_action"
        intent = payments.confirm_card(order=order, payment_method=_card(localstripe_server, "4242424242424242"))
        assert intent.status == "succeeded" and intent.id != payment.intent_id
        assert stripe_gateway.retrieve_payment(payment.intent_id).status == "canceled"

        # declined (localstripe keeps the failed charge and refuses a second confirm), then another card
        other, _payment = order_with_payment(area, [(variant_of(baker, stock=5), 1)], fulfilment=collect())
        with pytest.raises(PaymentDeclined):
            payments.confirm_card(order=other, payment_method=_card(localstripe_server, "4000000000000341"))
        again = payments.confirm_card(order=other, payment_method=_card(localstripe_server, "4242424242424242"))
        assert again.status == "succeeded"

    order.refresh_from_db()
    other.refresh_from_db()
    assert order.status == other.status == OrderStatus.PAID
