"""The password rules' messages on the Dutch sign-up page are Dutch (and say "je"), as the rest of the site."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def _password_errors(client, language: str, email: str, password: str) -> list[str]:
    response = client.post(
        f"/{language}/accounts/signup/", {"email": email, "password1": password, "password2": password}
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(email=email).exists()
    return response.context["form"].errors["password1"]


def test_a_too_short_password_is_said_in_dutch_on_the_dutch_pages(client):
    errors = _password_errors(client, "nl", "nieuw@example.org", "kort-3Xq")
    assert errors == ["Dit wachtwoord is te kort. De minimale lengte is 10 tekens."]


def test_a_too_short_password_is_said_in_english_on_the_english_pages(client):
    errors = _password_errors(client, "en", "new@example.org", "short-3Xq")
    assert errors == ["This password is too short. It must contain at least 10 characters."]


def test_the_other_password_rules_speak_dutch_too(client):
    assert _password_errors(client, "nl", "een@example.org", "1234567890") == [
        "Dit wachtwoord is te algemeen.",
        "Dit wachtwoord bevat alleen cijfers.",
    ]


def test_a_password_like_the_address_is_said_in_good_dutch(client):
    # Django's Dutch says "lijkt te veel op de e-mailadres". Needs the msgid
    # "The password is too similar to your %(verbose_name)s." in locale/nl.
    assert _password_errors(client, "nl", "rozemarijn.vandijk@example.org", "rozemarijn.vandijk") == [
        "Het wachtwoord lijkt te veel op je e-mailadres."
    ]
