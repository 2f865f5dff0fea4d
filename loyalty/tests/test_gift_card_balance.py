"""The gift card holder's balance page (/<lang>/cadeaukaart/saldo/): number and PIN → what is left, read only; wrong
PINs counted apart from the till's, so a stranger who saw the number cannot lock the holder out of paying."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from areas.tests.factories import ShoppingAreaFactory
from loyalty.models import GiftCard

from .factories import PassFactory, cashier_for
from .giftcard_factories import PIN, balance, pay, sell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def look_up(client, number: str, pin: str = PIN):
    return client.post(reverse("loyalty:gift_card_balance"), {"number": number, "pin": pin})


def test_the_holder_sees_what_is_left_until_when_and_where_it_was_spent(client, area, merchant):
    card = sell(area, 5000, at=timezone.now() - timedelta(days=10))
    pay(merchant, card, 1250, at=timezone.now() - timedelta(days=2), by=cashier_for(merchant))

    response = look_up(client, str(card))

    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    assert "€37.50" in page and merchant.trade_name in page and "−€12.50" in page
    assert response.context["card"]["is_usable"] and "valid until" in page
    assert PIN not in page  # the PIN is not sent back


ONE_ANSWER = "The number or the PIN is not right."


def test_wrong_pins_here_stop_the_page_for_the_card_but_never_the_till(client, area, merchant):
    card = sell(area, 5000, at=timezone.now() - timedelta(days=1))

    wrong = [look_up(client, card.number, pin="0000") for _ in range(5)]
    locked = look_up(client, card.number)  # even the right PIN, now

    assert all(r.status_code == 400 and ONE_ANSWER in r.content.decode() for r in wrong)
    # the paused card gets the wrong PIN's answer (no card shown), so the page does not tell that the number is a card
    assert locked.status_code == 400 and locked.context["card"] is None
    assert locked.context["form"].non_field_errors() == wrong[0].context["form"].non_field_errors()
    assert "€50.00" not in locked.content.decode()
    assert GiftCard.objects.get(pk=card.pk).failed_pin_attempts == 0  # the till's count: untouched
    pay(merchant, card, 1000, at=timezone.now(), by=cashier_for(merchant))  # the holder still pays with it
    assert balance(card) == 4000


def test_a_mistyped_number_is_told_on_its_field(client, area):
    response = look_up(client, "1234 5678")

    form = response.context["form"]
    assert response.status_code == 400
    assert "This is not a valid gift card number" in " ".join(form.errors["number"])
    assert ONE_ANSWER not in response.content.decode()


@pytest.mark.parametrize("number", ["on a pass", "another area"])
def test_a_number_that_is_no_card_here_gets_the_wrong_pins_answer(client, area, number):
    if number == "on a pass":
        number = sell(area, 2000, at=timezone.now(), member_pass=PassFactory(area=area)).number
    elif number == "another area":
        number = sell(ShoppingAreaFactory(), 2000, at=timezone.now()).number
    standalone = sell(area, 2000, at=timezone.now())
    wrong_pin = look_up(client, standalone.number, pin="0000").context["form"]

    response = look_up(client, number)

    form = response.context["form"]
    assert response.status_code == 400 and response.context["card"] is None
    assert ONE_ANSWER in " ".join(form.non_field_errors())
    assert "number" not in form.errors  # nothing on the field that would single the number out
    assert form.errors == wrong_pin.errors  # word for word the answer to a card of this area with a wrong PIN
    assert "pass's app shows it" in response.content.decode()  # the page points a pass's card to its app
