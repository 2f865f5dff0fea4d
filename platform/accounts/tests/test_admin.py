import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, UserFactory, give_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(client):
    admin = StaffMembershipFactory(role=Role.PLATFORM_ADMIN).user
    admin.is_staff = True
    admin.save()
    give_totp(admin)
    client.force_login(admin)
    return admin


def test_users_are_added_by_email_without_a_username(client, platform_admin):
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Noor@Example.org",
            "usable_password": "true",
            "password1": "een lang wachtwoord",
            "password2": "een lang wachtwoord",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email__iexact="noor@example.org")
    assert user.check_password("een lang wachtwoord")


def test_user_list_is_searchable_by_email(client, platform_admin):
    UserFactory(email="fatima@example.org")
    response = client.get(reverse("admin:accounts_user_changelist"), {"q": "fatima"})
    assert [u.email for u in response.context["cl"].queryset] == ["fatima@example.org"]


def test_people_cannot_be_deleted_in_the_admin(client, platform_admin):
    # Erasure is a privacy feature (personal data removed, bookkeeping kept), not a cascade delete.
    person = UserFactory()
    assert client.get(reverse("admin:accounts_user_delete", args=[person.pk])).status_code == 403


def test_members_cannot_reach_the_admin(client, db):
    member = UserFactory()
    client.force_login(member)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_the_admin_login_form_cannot_skip_the_second_factor(client, db):
    # given: a platform admin with a password and an authenticator app
    admin = UserFactory(is_staff=True, is_superuser=True)
    admin.set_password("correct horse battery")
    admin.save()
    give_totp(admin)

    # when: they post their password to Django's own admin login form
    response = client.post("/admin/login/?next=/admin/", {"username": admin.email, "password": "correct horse battery"})

    # then: they are sent to the site's login (password, then the code) and are not signed in
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "next=/admin/" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_someone_signed_in_without_access_to_an_admin_is_refused_not_sent_round_in_circles(client, db):
    # given: a member, signed in, who follows a link to the admin or to the website's editor
    client.force_login(UserFactory())

    # when / then: the admin's login says no (403) instead of sending them to the login, which sends them back
    for start in ("/admin/", "/cms/"):
        response = client.get(start, follow=True)
        assert response.status_code == 403, response.redirect_chain
        assert len(response.redirect_chain) <= 2
