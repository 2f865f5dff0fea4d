"""POST /api/v1/auth/token/: e-mail + password, and a TOTP code for role holders."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, UserFactory, current_totp_code, give_totp

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def obtain(client, **data):
    return client.post(reverse("api:auth-token"), data, content_type="application/json")


def test_a_member_gets_a_token_that_works(client, verified):
    member = verified(UserFactory())
    response = obtain(client, email=member.email.upper(), password=PASSWORD)
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=member).key == key
    me = client.get(reverse("api:me"), headers={"Authorization": f"Token {key}"})
    assert me.status_code == 200 and me.json()["email"] == member.email


def test_asking_again_returns_the_same_token(client, verified):
    member = verified(UserFactory())
    first = obtain(client, email=member.email, password=PASSWORD).json()["token"]
    assert obtain(client, email=member.email, password=PASSWORD).json()["token"] == first


def test_missing_fields_are_field_errors(client, db):
    response = obtain(client, email="not-an-address")
    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}


def test_wrong_password_is_a_non_field_error(client, verified):
    member = verified(UserFactory())
    response = obtain(client, email=member.email, password="wrong password")
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert not Token.objects.exists()


def test_an_unverified_address_gets_no_token(client, db):
    member = UserFactory()
    response = obtain(client, email=member.email, password=PASSWORD)
    assert response.status_code == 403


def test_a_role_holder_without_totp_gets_no_token(client, merchant, verified):
    staff = verified(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant).user)
    response = obtain(client, email=staff.email, password=PASSWORD)
    assert response.status_code == 403
    assert not Token.objects.exists()


def test_a_role_holder_needs_a_current_code_once(client, merchant, verified):
    staff = verified(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant).user)
    secret = give_totp(staff)
    missing = obtain(client, email=staff.email, password=PASSWORD)
    assert missing.status_code == 400 and list(missing.json()) == ["otp_code"]
    wrong = obtain(client, email=staff.email, password=PASSWORD, otp_code="12345")
    assert wrong.status_code == 400
    code = current_totp_code(secret)
    assert obtain(client, email=staff.email, password=PASSWORD, otp_code=code).status_code == 200
    replay = obtain(client, email=staff.email, password=PASSWORD, otp_code=code)
    assert replay.status_code == 400 and list(replay.json()) == ["otp_code"]


def test_the_token_endpoint_ignores_the_session(client, verified):
    # No session authentication on this endpoint, so a signed-in browser needs no CSRF token to use it.
    member = verified(UserFactory())
    client.force_login(UserFactory())
    client.handler.enforce_csrf_checks = True
    assert obtain(client, email=member.email, password=PASSWORD).status_code == 200
