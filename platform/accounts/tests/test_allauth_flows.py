"""Sign-up, e-mail verification, login and password reset through allauth's real views."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from areas.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new staple 42"


def _link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_sign_up_asks_for_nothing_but_an_email_address_and_a_password(client):
    form = client.get("/en/accounts/signup/").context["form"]
    required = {name for name, field in form.fields.items() if field.required}
    assert required == {"email", "password1", "password2"}
    # the optional consents: one box per consent purpose, none of them ticked
    boxes = {
        name: field for name, field in form.fields.items() if name.startswith("consent_") and "version" not in name
    }
    assert set(boxes) == {"consent_analytics", "consent_marketing", "consent_share_with_merchants"}
    assert not any(field.initial for field in boxes.values())


def test_consent_ticked_at_sign_up_is_recorded_and_unticked_ones_are_not(client, area):
    from cms.services import create_area_site
    from privacy.models import ConsentEvent
    from privacy.selectors import has_consent

    create_area_site(area=area, hostname="testserver", is_default=True)
    client.post(
        "/nl/accounts/signup/",
        {
            "email": "joost@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "consent_analytics": "on",
            "consent_analytics_version": "1",
        },
    )
    person = get_user_model().objects.get(email="joost@example.org")
    event = ConsentEvent.objects.get(subject=person)
    assert (event.purpose.code, event.state, event.method, event.language) == ("analytics", "given", "signup", "nl")
    assert has_consent(person, "analytics", area=area)
    assert not has_consent(person, "marketing", area=area)


def test_sign_up_then_verify_by_email_then_signed_in(client):
    # when: signing up
    response = client.post(
        "/en/accounts/signup/", {"email": "Fleur@Example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    # then: no session yet, a verification e-mail instead
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = get_user_model().objects.get(email="fleur@example.org")
    assert user.preferred_language == "en"  # signed up on the English pages
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["fleur@example.org"]

    # an attempt to log in before verifying is held back (and sends the link again)
    response = client.post(reverse("account_login"), {"login": "fleur@example.org", "password": PASSWORD})
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    # when: following the link and confirming
    confirm_url = _link_in(mail.outbox[0])
    assert client.get(confirm_url).status_code == 200
    response = client.post(confirm_url)
    # then: verified and signed in
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_up_refuses_a_weak_password(client):
    weak = client.post("/en/accounts/signup/", {"email": "new@example.org", "password1": "12345", "password2": "12345"})
    assert weak.status_code == 200 and "password1" in weak.context["form"].errors
    assert not get_user_model().objects.filter(email="new@example.org").exists()


def test_sign_up_with_a_taken_address_does_not_reveal_the_account(client):
    # allauth answers as for a new address and mails the owner instead (no account enumeration).
    owner = UserFactory(email="taken@example.org")
    response = client.post(
        "/en/accounts/signup/", {"email": "taken@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response["Location"] == reverse("account_email_verification_sent")
    assert get_user_model().objects.filter(email="taken@example.org").get() == owner
    assert [message.to for message in mail.outbox] == [["taken@example.org"]]


def test_login_with_a_verified_address(client, verified):
    user = verified(UserFactory())
    response = client.post(reverse("account_login"), {"login": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_with_a_wrong_password_fails(client, verified):
    user = verified(UserFactory())
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong password"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client, verified):
    # given
    user = verified(UserFactory())
    # when: asking for a reset link
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    # ...following it (allauth moves the key into the session and redirects) and choosing a new password
    response = client.get(_link_in(mail.outbox[0]), follow=True)
    assert response.status_code == 200
    set_password_url = response.redirect_chain[-1][0]
    response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    # then: the new password works and the old one does not
    client.logout()
    assert client.login(email=user.email, password=NEW_PASSWORD)
    client.logout()
    assert not client.login(email=user.email, password=PASSWORD)


def test_password_reset_does_not_reveal_unknown_addresses(client, db):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302  # the same answer as for a known address
    assert all("/password/reset/key/" not in message.body for message in mail.outbox)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_login_goes_home_in_the_language_it_was_done_in_not_the_browsers(client, verified, language):
    user = verified(UserFactory())
    browser_says = {"nl": "en-GB,en;q=0.9", "en": "nl-NL,nl;q=0.9"}[language]
    response = client.post(
        f"/{language}/accounts/login/",
        {"login": user.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE=browser_says,
    )
    assert response.status_code == 302 and response["Location"] == f"/{language}/"


def test_login_still_follows_its_next_page(client, verified):
    user = verified(UserFactory())
    response = client.post("/nl/accounts/login/?next=/nl/mijn/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/nl/mijn/"


def test_the_password_rules_speak_to_you_as_the_rest_of_the_site_does(client, db):
    page = client.get("/nl/accounts/signup/").content.decode()
    assert "Je wachtwoord moet minstens 10 tekens lang zijn." in page
    assert "Je wachtwoord mag niet volledig uit cijfers bestaan." in page
    assert "Uw wachtwoord" not in page


@pytest.mark.parametrize(
    ("path", "words", "not_words"),
    [
        ("/en/accounts/login/", ["Log in", "No account yet?", "Keep me logged in"], ["Sign In", "sign up"]),
        ("/nl/accounts/login/", ["Inloggen", "Nog geen account?", "Ingelogd blijven"], ["Aanmelden"]),
    ],
)
def test_the_login_page_says_log_in_as_the_rest_of_the_site(client, path, words, not_words):
    # allauth's own words ("Sign In", and in Dutch "Aanmelden", which reads as signing up) would sit next to our
    # menu's "Log in"
    page = client.get(path).content.decode()
    assert all(word in page for word in words), words
    assert not any(word in page for word in not_words), not_words
