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


def test_wrong_pins_here_stop_the_page_for_the_card_but_never_the_till(client, area, merchant):
    card = sell(area, 5000, at=timezone.now() - timedelta(days=1))

    wrong = [look_up(client, card.number, pin="0000") for _ in range(5)]
    locked = look_up(client, card.number)  # even the right PIN, now

    assert all(r.status_code == 400 and "PIN is not correct" in r.content.decode() for r in wrong)
    assert locked.status_code == 400 and "Try again tomorrow" in locked.content.decode()
    assert GiftCard.objects.get(pk=card.pk).failed_pin_attempts == 0  # the till's count: untouched
    pay(merchant, card, 1000, at=timezone.now(), by=cashier_for(merchant))  # the holder still pays with it
    assert balance(card) == 4000


@pytest.mark.parametrize(
    "number, message",
    [
        ("1234 5678", "This is not a valid gift card number"),
        ("on a pass", "the pass's app shows its balance"),
        ("another area", "No gift card with this number in this shopping area."),
    ],
)
def test_a_number_that_is_no_card_here_says_why_on_its_field(client, area, number, message):
    if number == "on a pass":
        number = sell(area, 2000, at=timezone.now(), member_pass=PassFactory(area=area)).number
    elif number == "another area":
        number = sell(ShoppingAreaFactory(), 2000, at=timezone.now()).number

    response = look_up(client, number)

    assert response.status_code == 400 and message in " ".join(response.context["form"].errors["number"])
