"""Erasing an account whose login is older than allauth's re-authentication window: the password is asked again,
then the person is back on the erasure page, where the erasure works (also after a mistyped address)."""

import re
import time

import pytest
from allauth.account.models import EmailAddress

from areas.tests.factories import UserFactory

PASSWORD = "correct horse battery"
ERASE = "/nl/privacy/erase/"
REAUTHENTICATE = "/nl/accounts/reauthenticate/"


@pytest.fixture
def person(db):
    person = UserFactory()
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    return person


@pytest.fixture
def logged_in_a_while_ago(client, person):
    """A real password login, its record in the session moved an hour back (past ACCOUNT_REAUTHENTICATION_TIMEOUT)."""
    response = client.post("/nl/accounts/login/", {"login": person.email, "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(person.pk)
    session = client.session
    session["account_authentication_methods"] = [
        {**record, "at": time.time() - 3600} for record in session["account_authentication_methods"]
    ]
    session.save()
    return client


def _give_password(client, reauthenticate_url: str):
    """As the browser does: the password page's form posts to its own address, `next` in a hidden field."""
    page = client.get(reauthenticate_url).content.decode()
    next_url = re.search(r'name="next" value="([^"]*)"', page).group(1)
    return client.post(REAUTHENTICATE, {"password": PASSWORD, "next": next_url})


def _form_action(html: str) -> str:
    return re.search(r'<form method="post" action="([^"]*)" class="card"', html).group(1)


def test_the_password_is_asked_first_then_the_person_is_back_on_the_erasure_page(logged_in_a_while_ago, person):
    client = logged_in_a_while_ago
    # when: opening the erasure page
    response = client.get(ERASE)
    # then: the password first, and back to the erasure page after it
    assert response.status_code == 302 and response["Location"].startswith(REAUTHENTICATE)
    response = _give_password(client, response["Location"])
    assert response.status_code == 302 and response["Location"] == ERASE

    page = client.get(ERASE)
    assert page.status_code == 200 and _form_action(page.content.decode()) == ERASE
    # a mistyped address is said on the erasure page itself
    response = client.post(ERASE, {"email": "wrong@example.com"})
    assert response.status_code == 200 and _form_action(response.content.decode()) == ERASE
    person.refresh_from_db()
    assert not person.is_erased

    response = client.post(ERASE, {"email": person.email})
    assert response.status_code == 302 and response["Location"] == "/nl/privacy/erase/done/"
    person.refresh_from_db()
    assert person.is_erased


def test_a_mistyped_address_sent_after_the_window_closed_can_be_corrected_after_the_password(
    logged_in_a_while_ago, person
):
    client = logged_in_a_while_ago
    # given: the page was opened after a password check, and the address sent after the window closed
    response = client.post(ERASE, {"email": "wrong@example.com"})
    assert response["Location"].startswith(REAUTHENTICATE)
    # when: giving the password, allauth replays the sent form (mistyped), on its own page
    response = _give_password(client, response["Location"])
    assert response.status_code == 200
    # then: the form shown posts to the erasure page, not to the password check
    assert _form_action(response.content.decode()) == ERASE
    response = client.post(ERASE, {"email": person.email})
    assert response.status_code == 302 and response["Location"] == "/nl/privacy/erase/done/"
    person.refresh_from_db()
    assert person.is_erased
