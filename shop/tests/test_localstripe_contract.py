"""Contract tests: our StripeGateway against localstripe, for what localstripe supports.

PaymentIntent create/confirm/cancel, 3-D Secure, a declined card, partial refunds and signed webhooks
verified by our own `construct_event`. Connect (transfers, accounts) and iDEAL are not in localstripe:
those are proven on the FakeGateway (test_payments_*.py, test_transfers*.py).
"""

import json

import pytest
import stripe

from shop.payments import GatewayError, InvalidSignature, PaymentDeclined
from shop.payments.gateway import sign_payload
from shop.services.payments import payment_status_of

pytestmark = pytest.mark.xdist_group("localstripe")


def _new_intent(gateway, ref, amount=4250):
    return gateway.create_payment(
        order_ref=ref, amount_cents=amount, currency="eur", idempotency_key=f"pi:{ref}", metadata={"order_id": 1}
    )


def _card(server, number):
    """A card as the stand-in Stripe.js tokenises it (POST /v1/tokens)."""
    client = stripe.StripeClient("sk_test_contract", base_addresses={"api": server.base_url})
    token = client.v1.tokens.create({"card": {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}})
    return token["card"]["id"]


def test_a_card_payment_succeeds_with_a_charge(stripe_gateway):
    intent = _new_intent(stripe_gateway, "CONTRACT01")
    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(intent.id)

    confirmed = stripe_gateway.confirm_payment(
        intent_id=intent.id, payment_method="pm_card_visa", idempotency_key="pic:CONTRACT01"
    )

    assert confirmed.status == "succeeded"
    assert confirmed.charge_id.startswith("ch_")
    fetched = stripe_gateway.retrieve_payment(intent.id)
    assert (fetched.status, fetched.amount_cents, fetched.charge_id) == ("succeeded", 4250, confirmed.charge_id)
    assert payment_status_of(fetched) == "succeeded"


def test_three_d_secure_needs_the_challenge_then_succeeds(stripe_gateway, localstripe_server):
    intent = _new_intent(stripe_gateway, "CONTRACT02")
    card = _card(localstripe_server, "4000002500003155")

    pending = stripe_gateway.confirm_payment(intent_id=intent.id, payment_method=card, idempotency_key="pic:2")
    assert pending.status == "requires_action"
    assert payment_status_of(pending) == "requires_payment"

    localstripe_server.authenticate(intent.id, intent.client_secret, success=True)
    assert stripe_gateway.retrieve_payment(intent.id).status == "succeeded"


def test_a_failed_challenge_leaves_the_payment_open(stripe_gateway, localstripe_server):
    intent = _new_intent(stripe_gateway, "CONTRACT03")
    card = _card(localstripe_server, "4000002500003155")
    stripe_gateway.confirm_payment(intent_id=intent.id, payment_method=card, idempotency_key="pic:3")

    localstripe_server.authenticate(intent.id, intent.client_secret, success=False)

    fetched = stripe_gateway.retrieve_payment(intent.id)
    assert fetched.status == "requires_payment_method"
    assert payment_status_of(fetched) == "failed"


def test_a_declined_card_raises_payment_declined_and_the_intent_says_why(stripe_gateway):
    intent = _new_intent(stripe_gateway, "CONTRACT04")

    with pytest.raises(PaymentDeclined) as declined:
        stripe_gateway.confirm_payment(
            intent_id=intent.id, payment_method="pm_card_chargeCustomerFail", idempotency_key="pic:4"
        )

    assert declined.value.code == "card_declined"
    fetched = stripe_gateway.retrieve_payment(intent.id)
    assert fetched.status == "requires_payment_method"
    assert fetched.last_error
    assert payment_status_of(fetched) == "failed"


def test_partial_refunds_add_up_on_the_charge(stripe_gateway, localstripe_server):
    intent = _new_intent(stripe_gateway, "CONTRACT05")
    charge_id = stripe_gateway.confirm_payment(
        intent_id=intent.id, payment_method="pm_card_visa", idempotency_key="pic:5"
    ).charge_id

    first = stripe_gateway.refund(intent_id=intent.id, amount_cents=1000, idempotency_key="re:CONTRACT05:a")
    second = stripe_gateway.refund(intent_id=intent.id, amount_cents=2000, idempotency_key="re:CONTRACT05:b")

    assert first.startswith("re_") and second.startswith("re_") and first != second
    client = stripe.StripeClient("sk_test_contract", base_addresses={"api": localstripe_server.base_url})
    assert client.v1.charges.retrieve(charge_id)["amount_refunded"] == 3000


def test_a_payment_can_be_cancelled_before_it_is_paid(stripe_gateway):
    intent = _new_intent(stripe_gateway, "CONTRACT06")

    assert stripe_gateway.cancel_payment(intent_id=intent.id, idempotency_key="pix:6").status == "canceled"
    assert payment_status_of(stripe_gateway.retrieve_payment(intent.id)) == "cancelled"


def test_without_connect_no_transfer_is_attempted(stripe_gateway):
    assert stripe_gateway.supports_connect is False
    with pytest.raises(GatewayError):
        stripe_gateway.transfer(
            amount_cents=100,
            destination="acct_x",
            transfer_group="G",
            source_transaction="ch_x",
            idempotency_key="tr:1",
        )


def test_localstripe_webhooks_verify_with_our_construct_event(stripe_gateway, webhook_receiver):
    intent = _new_intent(stripe_gateway, "CONTRACT07")
    stripe_gateway.confirm_payment(intent_id=intent.id, payment_method="pm_card_visa", idempotency_key="pic:7")

    body, signature = webhook_receiver.wait_for(
        lambda body: (
            json.loads(body)["data"]["object"].get("id") == intent.id
            and json.loads(body)["type"] == "payment_intent.succeeded"
        )
    )

    event = stripe_gateway.construct_event(body, signature)
    assert event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"]["id"] == intent.id
    with pytest.raises(InvalidSignature):  # one byte changed
        stripe_gateway.construct_event(body.replace(b"succeeded", b"succeedeD", 1), signature)
    with pytest.raises(InvalidSignature):  # signed with another secret
        stripe_gateway.construct_event(body, sign_payload(body, secret="whsec_someone_else"))


def test_a_declined_payment_sends_a_signed_failure_webhook(stripe_gateway, webhook_receiver):
    intent = _new_intent(stripe_gateway, "CONTRACT08")
    with pytest.raises(PaymentDeclined):
        stripe_gateway.confirm_payment(
            intent_id=intent.id, payment_method="pm_card_chargeCustomerFail", idempotency_key="pic:8"
        )

    body, signature = webhook_receiver.wait_for(lambda body: json.loads(body)["data"]["object"].get("id") == intent.id)

    assert stripe_gateway.construct_event(body, signature)["type"] == "payment_intent.payment_failed"


@pytest.mark.django_db
def test_a_checkout_paid_on_localstripe_is_marked_paid_by_its_signed_webhook(
    stripe_gateway, localstripe_server, webhook_receiver, area, baker, django_capture_on_commit_callbacks, settings
):
    """Our services end to end on localstripe: the intent, the card confirmed with 3-D Secure as the stand-in
    Stripe.js does it, localstripe's own signed webhook through our view, the order paid."""
    from shop.models import OrderStatus, PaymentStatus
    from shop.payments import use_gateway
    from shop.services import payments

    from .factories import variant_of
    from .payment_helpers import collect, order_with_payment, post_webhook

    settings.STRIPE_WEBHOOK_SECRET = stripe_gateway.webhook_secret
    with use_gateway(stripe_gateway):
        order, payment = order_with_payment(
            area, [(variant_of(baker, price_cents=1250, stock=3), 2)], fulfilment=collect()
        )
        assert payment.intent_id.startswith("pi_") and payment.amount_cents == 2500

        intent = payments.confirm_card(order=order, payment_method=_card(localstripe_server, "4000002500003155"))
        assert intent.status == "requires_action"
        localstripe_server.authenticate(payment.intent_id, payment.client_secret, success=True)
        body, signature = webhook_receiver.wait_for(
            lambda body: (
                json.loads(body)["data"]["object"].get("id") == payment.intent_id
                and json.loads(body)["type"] == "payment_intent.succeeded"
            )
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert post_webhook(body, signature).status_code == 200

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.charge_id.startswith("ch_")
    assert order.status == OrderStatus.PAID
