"""The verification e-mail speaks in the area's name, and its link brings the person back to where they were going
(joining the area's pass), also when it is opened in another browser than the one they signed up in."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
JOIN = "/nl/mijn/join/"


@pytest.fixture
def area_site(area):
    from cms.services import create_area_site

    create_area_site(area=area, hostname="testserver", is_default=True)
    return area


def _sign_up_from_the_join_page(client, email: str):
    """As a shopper does: "Vraag de pas aan" → "Account aanmaken" (the link carries ?next=) → the sign-up form."""
    join = client.get(JOIN).content.decode()
    signup_url = re.search(r'href="(/nl/accounts/signup/\?next=[^"]+)"', join).group(1)
    page = client.get(signup_url).content.decode()
    next_url = re.search(r'name="next" value="([^"]*)"', page).group(1)
    response = client.post(
        "/nl/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def _link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_the_verification_mail_speaks_in_the_areas_name(client, area_site):
    message = _sign_up_from_the_join_page(client, "fleur@example.org")
    assert message.subject.startswith(f"[{area_site.name}] ")
    assert "Agora" not in message.subject
    assert message.from_email.startswith(f"{area_site.name} <") or message.from_email.startswith(
        f'"{area_site.name}" <'
    )
    assert f"{area_site.name}!" in message.body  # "Hallo van Binnenstad 3!"
    assert "Hallo van testserver" not in message.body


def test_confirming_in_the_same_browser_goes_on_to_joining(client, area_site):
    message = _sign_up_from_the_join_page(client, "fleur@example.org")
    response = client.post(_link_in(message))
    assert response.status_code == 302 and response["Location"] == JOIN
    assert client.get(JOIN).status_code == 200 and "_auth_user_id" in client.session


def test_confirming_in_another_browser_goes_to_joining_after_logging_in(client, area_site):
    message = _sign_up_from_the_join_page(client, "fleur@example.org")
    # when: the link is opened in a mail app's browser, which has no session
    elsewhere = Client()
    link = _link_in(message)
    page = elsewhere.get(link).content.decode()
    next_url = re.search(r'name="next" value="([^"]*)"', page).group(1)
    response = elsewhere.post(link.split("?")[0], {"next": next_url.replace("&amp;", "&")})
    # then: confirmed, not logged in (a link is not a login), asked to log in, and then on to joining
    assert EmailAddress.objects.get(email="fleur@example.org").verified
    assert "_auth_user_id" not in elsewhere.session
    login_url = response["Location"]
    assert login_url.startswith("/nl/accounts/login/")
    response = elsewhere.post(login_url, {"login": "fleur@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == JOIN


def test_a_next_page_elsewhere_is_not_carried_into_the_link(client, area_site):
    client.post(
        "/nl/accounts/signup/",
        {"email": "fleur@example.org", "password1": PASSWORD, "password2": PASSWORD, "next": "https://evil.example/"},
    )
    assert "evil.example" not in mail.outbox[0].body
