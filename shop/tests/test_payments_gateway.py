"""The FakeGateway behaves like Stripe where we depend on it (idempotency keys, limits, signed events), and the
payment page's pieces: the card-confirm endpoint and the payment element."""

import json

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from shop.models import PaymentStatus
from shop.payments import GatewayError, InvalidSignature
from shop.payments.fake import FakeGateway
from shop.payments.gateway import verify_and_parse

from .factories import variant_of
from .payment_helpers import collect, order_with_payment


def _intent(fake, ref="ORDER1", amount=1000):
    return fake.create_payment(
        order_ref=ref, amount_cents=amount, currency="eur", idempotency_key=f"pi:{ref}", metadata={}
    )


def test_the_same_key_returns_the_first_object_and_other_parameters_are_refused():
    fake = FakeGateway()
    first, again = _intent(fake), _intent(fake)
    assert first == again and len(fake.intents) == 1
    with pytest.raises(GatewayError):
        fake.create_payment(
            order_ref="ORDER1", amount_cents=999, currency="eur", idempotency_key="pi:ORDER1", metadata={}
        )


def test_refunds_cannot_exceed_the_charge():
    fake = FakeGateway()
    intent = fake.pay(_intent(fake).id)
    fake.refund(intent_id=intent.id, amount_cents=600, idempotency_key="re:a")
    with pytest.raises(GatewayError):
        fake.refund(intent_id=intent.id, amount_cents=401, idempotency_key="re:b")
    assert fake.refund(intent_id=intent.id, amount_cents=600, idempotency_key="re:a") in fake.refunds


def test_ideal_and_bancontact_come_back_from_the_bank_and_3ds_waits_for_the_challenge():
    fake = FakeGateway()
    assert fake.pay(_intent(fake, "A").id, method="ideal").payment_method_type == "ideal"
    assert fake.pay(_intent(fake, "B").id, method="bancontact").status == "succeeded"
    secure = fake.pay(_intent(fake, "C").id, method="pm_card_threeDSecure2Required")
    assert secure.status == "requires_action"
    assert fake.authenticate(secure.id, success=False).status == "requires_payment_method"


def test_events_are_signed_like_stripe_and_can_be_duplicated_shuffled_held_and_released():
    fake = FakeGateway(webhook_secret="whsec_x")
    fake.hold("payment_intent.succeeded")
    fake.pay(_intent(fake, "A").id)
    assert fake.deliveries() == []
    fake.release()
    fake.pay(_intent(fake, "B").id)

    delivered = fake.deliveries(copies=3, shuffle=True, seed=1)

    assert len(delivered) == 6
    events = [verify_and_parse(payload, header, secret="whsec_x") for payload, header in delivered]
    assert sorted({e["id"] for e in events}) == ["evt_fake_0001", "evt_fake_0002"]
    assert [e["id"] for e in events] != sorted(e["id"] for e in events)  # reordered
    with pytest.raises(InvalidSignature):
        verify_and_parse(delivered[0][0], delivered[0][1], secret="whsec_other")


@pytest.mark.django_db
def test_the_card_endpoint_confirms_with_the_client_secret_only(fake, area, baker):
    order, payment = order_with_payment(area, [(variant_of(baker, price_cents=500), 1)], fulfilment=collect())
    url = reverse("shop_payments:confirm_card", args=[order.public_id])
    client = Client()

    wrong = client.post(
        url, json.dumps({"payment_method": "pm_card_visa", "client_secret": "nope"}), "application/json"
    )
    declined = client.post(
        url,
        json.dumps({"payment_method": "pm_card_chargeCustomerFail", "client_secret": payment.client_secret}),
        "application/json",
    )
    secure = client.post(
        url,
        json.dumps({"payment_method": "pm_card_threeDSecure2Required", "client_secret": payment.client_secret}),
        "application/json",
    )

    assert wrong.status_code == 403
    assert declined.status_code == 402 and declined.json()["error"]
    payment.refresh_from_db()
    # after the decline the next card goes on a fresh intent: the page gets its client secret for 3-D Secure
    assert secure.json() == {"status": "requires_action", "client_secret": payment.client_secret}
    assert payment.status == PaymentStatus.REQUIRES_PAYMENT  # the 3-D Secure attempt waits for the shopper


@pytest.mark.django_db
def test_the_payment_element_loads_stripe_js_and_our_script(fake, area, baker, settings):
    order, payment = order_with_payment(area, [(variant_of(baker, price_cents=500), 2)])
    settings.STRIPE_JS_URL = "http://127.0.0.1:8420/js.stripe.com/v3/"
    request = RequestFactory().get("/")

    html = Template('{% include "shop/payments/payment_element.html" with payment=payment return_url=url %}').render(
        Context({"payment": payment, "url": "/nl/shop/bedankt/", "request": request})
    )

    assert 'src="http://127.0.0.1:8420/js.stripe.com/v3/"' in html
    assert "shop/payment.js" in html
    assert f'data-client-secret="{payment.client_secret}"' in html
    assert reverse("shop_payments:confirm_card", args=[order.public_id]) in html
    assert 'data-return-url="/nl/shop/bedankt/"' in html
    assert "10,00" in html
