"""The member's PIN for the printed card (`forms.PinForm`): one error at a time, and no PIN that is tried first."""

import pytest
from django.urls import reverse

from loyalty.forms import PinForm, is_guessable_pin

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize(
    "pin",
    ["1111", "0000", "999999", "1234", "0123", "123456", "456789", "4321", "9876", "654321", "7890", "0987"],
)
def test_one_digit_over_and_over_or_a_run_of_digits_is_refused(pin):
    form = PinForm({"pin": pin, "pin_again": pin})

    assert not form.is_valid()
    assert form.errors == {
        "pin": [
            "This PIN is too easy to guess. Choose one that is not the same digit over and over (like 1111) and not "
            "a run of digits (like 1234 or 4321)."
        ]
    }
    assert is_guessable_pin(pin)


@pytest.mark.parametrize("pin", ["4711", "1243", "2468", "1122", "1212", "13579", "102938", "1235"])
def test_other_pins_are_taken(pin):
    form = PinForm({"pin": pin, "pin_again": pin})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["pin"] == pin


def test_an_empty_second_pin_says_only_that_it_is_needed():
    form = PinForm({"pin": "4711", "pin_again": ""})

    assert not form.is_valid()
    assert form.errors == {"pin_again": ["This field is required."]}


def test_two_different_pins_say_so():
    form = PinForm({"pin": "4711", "pin_again": "4712"})

    assert not form.is_valid()
    assert form.errors == {"pin_again": ["The two PINs differ."]}


@pytest.mark.django_db
def test_the_card_page_refuses_a_guessable_pin_and_keeps_none(client, member, member_pass):
    client.force_login(member)

    response = client.post(reverse("loyalty:card"), {"pin": "1234", "pin_again": "1234"})

    assert response.status_code == 200 and "too easy to guess" in response.content.decode()
    member_pass.refresh_from_db()
    assert not member_pass.has_pin
