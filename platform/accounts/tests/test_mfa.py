"""Role holders must set up TOTP (allauth.mfa) before they reach anything but allauth's own pages."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, UserFactory, current_totp_code, give_totp

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def merchant_staff(merchant, verified):
    return verified(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant).user)


def _log_in(client, user):
    """A real login through allauth, so the session records how the person authenticated."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return response


def test_the_activation_url_is_allauths_under_the_language_prefix():
    for language in ("nl", "en"):
        with translation.override(language):
            assert reverse("mfa_activate_totp") == f"/{language}/accounts/2fa/totp/activate/"


def test_staff_without_totp_are_sent_to_set_it_up(client, merchant_staff):
    client.force_login(merchant_staff)
    response = client.get("/en/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/2fa/totp/activate/?next=%2Fen%2Fstaff%2F"


def test_staff_without_totp_get_403_json_on_the_api(client, merchant_staff):
    client.force_login(merchant_staff)
    response = client.get(reverse("api:me"))
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"] or "tweestaps" in response.json()["detail"]


def test_the_whole_way_to_totp_stays_open_and_then_the_staff_pages_open(client, merchant_staff):
    # given: signed in with e-mail and password, no second factor yet
    _log_in(client, merchant_staff)
    # when: a staff page sends them to the activation page, which first asks for the password again
    response = client.get("/en/staff/", follow=True)
    assert response.status_code == 200
    assert [url.split("?")[0] for url, _status in response.redirect_chain] == [
        "/en/accounts/2fa/totp/activate/",
        "/en/accounts/reauthenticate/",
    ]
    response = client.post(response.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert response.status_code == 200 and "totp_url" in response.context
    # ...and the code from their authenticator app activates TOTP
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp_code(secret)})
    # then
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=merchant_staff, type=Authenticator.Type.TOTP).exists()
    assert client.get("/en/staff/").status_code == 200
    assert client.get(reverse("api:me")).status_code == 200


def test_staff_with_totp_pass(client, merchant_staff):
    give_totp(merchant_staff)
    client.force_login(merchant_staff)
    assert client.get("/en/staff/").status_code == 200
    assert client.get(reverse("api:me")).status_code == 200


def test_logging_out_and_switching_language_stay_open(client, merchant_staff):
    client.force_login(merchant_staff)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/en/"}).status_code == 302
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_plain_member_is_never_asked(client, verified):
    member = verified(UserFactory())
    _log_in(client, member)
    assert client.get("/en/privacy/").status_code == 200
    assert client.get(reverse("api:me")).status_code == 200
    assert client.get("/en/staff/").status_code == 403  # no role: not a staff page for them, but no MFA detour


def test_superusers_need_it_for_the_admin(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/accounts/2fa/totp/activate/" in response["Location"]
    give_totp(admin)
    assert client.get("/admin/").status_code == 200


def test_an_ended_role_no_longer_needs_totp(client, merchant_staff):
    from areas import services

    services.end_role(membership=merchant_staff.staff_memberships.get())
    client.force_login(merchant_staff)
    assert client.get(reverse("api:me")).status_code == 200


def test_the_rule_can_be_switched_off(client, merchant_staff, settings):
    settings.AGORA_REQUIRE_STAFF_MFA = False
    client.force_login(merchant_staff)
    assert client.get("/en/staff/").status_code == 200


def test_an_api_token_does_not_bypass_the_second_factor(client, merchant_staff):
    # A token obtained as a plain member, before the role was granted, must not reach the API without TOTP.
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=merchant_staff)
    response = client.get(reverse("api:me"), headers={"Authorization": f"Token {token.key}"})
    assert response.status_code == 403
    give_totp(merchant_staff)
    assert client.get(reverse("api:me"), headers={"Authorization": f"Token {token.key}"}).status_code == 200


def test_a_role_holders_roles_and_second_factor_are_read_in_one_query(client, merchant_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    give_totp(merchant_staff)
    client.force_login(merchant_staff)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/en/staff/").status_code == 200
    asking = [query["sql"] for query in queries if "mfa_authenticator" in query["sql"]]
    assert len(asking) == 1 and "areas_staffmembership" in asking[0]


def test_a_removed_second_factor_is_asked_for_again_at_the_next_request(client, merchant_staff):
    give_totp(merchant_staff)
    client.force_login(merchant_staff)
    assert client.get("/en/staff/").status_code == 200
    Authenticator.objects.filter(user=merchant_staff).delete()
    assert client.get("/en/staff/").status_code == 302
