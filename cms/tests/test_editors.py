"""Editor permissions per area: Wagtail's page permissions and accounts.permissions agree, both ways."""

from __future__ import annotations

import pytest
from wagtail.models import Page

from accounts.permissions import can
from accounts.roles import Role
from areas.services import end_role, grant_role
from areas.tests.factories import MerchantFactory, UserFactory
from cms.services import create_area_site


def _wagtail_can_edit(user, page) -> bool:
    fresh = type(user).objects.get(pk=user.pk)  # Wagtail and Django cache permissions on the user object
    return page.permissions_for_user(fresh).can_edit()


@pytest.mark.django_db
def test_a_manager_edits_only_their_own_areas_site_and_both_checks_agree(area, flemish_area, site_pages):
    # given two sites, the second created after the roles were granted
    admin = UserFactory(is_superuser=True)
    manager_a = UserFactory()
    manager_b = UserFactory()
    owner = UserFactory()
    grant_role(user=manager_a, role=Role.AREA_MANAGER, area=area, granted_by=admin)
    grant_role(user=manager_b, role=Role.AREA_MANAGER, area=flemish_area, granted_by=admin)
    grant_role(user=owner, role=Role.MERCHANT_OWNER, merchant=MerchantFactory(area=area), granted_by=admin)
    create_area_site(area=flemish_area, hostname="mechelen.localhost")
    flemish_area.refresh_from_db()
    page_of = {
        area: [site_pages["market"], site_pages["home"], *site_pages["home"].get_translations()],
        flemish_area: list(Page.objects.get(pk=flemish_area.site.root_page_id).get_translations(inclusive=True)),
    }
    # then Wagtail and the role helper give the same answer for every person, area and page
    for user in (manager_a, manager_b, owner, UserFactory()):
        for some_area, pages in page_of.items():
            for page in pages:
                assert _wagtail_can_edit(user, page.specific) == can(user, "cms.edit_site", some_area), (user, page)
    assert _wagtail_can_edit(manager_a, site_pages["market"]) is True
    assert _wagtail_can_edit(manager_a, page_of[flemish_area][0]) is False
    assert manager_a.has_perm("wagtailadmin.access_admin")

    # when the role ends, both say no
    membership = manager_a.staff_memberships.get(role=Role.AREA_MANAGER)
    end_role(membership=membership, by=admin)
    assert _wagtail_can_edit(manager_a, site_pages["market"]) is False
    assert can(type(manager_a).objects.get(pk=manager_a.pk), "cms.edit_site", area) is False
    assert not type(manager_a).objects.get(pk=manager_a.pk).has_perm("wagtailadmin.access_admin")


@pytest.mark.django_db
def test_a_platform_admin_role_edits_every_site(area, site_pages):
    admin = UserFactory(is_superuser=True)
    platform_admin = UserFactory()
    grant_role(user=platform_admin, role=Role.PLATFORM_ADMIN, granted_by=admin)
    assert _wagtail_can_edit(platform_admin, site_pages["news"]) is True
    assert can(platform_admin, "cms.edit_site", area) is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("area_manager", True),
        ("platform_admin", True),
        ("other_area_manager", False),
        ("merchant_owner", False),
        ("member", False),
        ("anonymous", False),
    ],
)
def test_the_website_editor_entry_shows_for_whoever_may_edit_this_areas_site(
    client, area, flemish_area, site_pages, who, shown
):
    from areas.tests.factories import give_totp

    roles = {
        "area_manager": {"role": Role.AREA_MANAGER, "area": area},
        "platform_admin": {"role": Role.PLATFORM_ADMIN},
        "other_area_manager": {"role": Role.AREA_MANAGER, "area": flemish_area},
        "merchant_owner": {"role": Role.MERCHANT_OWNER, "merchant": MerchantFactory(area=area)},
    }
    user = None if who == "anonymous" else UserFactory()
    if who in roles:
        grant_role(user=user, granted_by=UserFactory(is_superuser=True), **roles[who])
    if user is not None:
        give_totp(user)
        client.force_login(user)
    html = client.get("/nl/", HTTP_HOST="amersfoort.localhost").content.decode()
    assert ('<a href="/cms/"' in html) is shown
    if shown:
        assert client.get("/cms/", HTTP_HOST="amersfoort.localhost").status_code == 200


@pytest.mark.django_db
def test_the_wagtail_login_form_cannot_skip_the_second_factor(client, area, site_pages):
    # given: a manager with a password and an authenticator app
    from areas.tests.factories import give_totp

    manager = UserFactory()
    manager.set_password("correct horse battery")
    manager.save()
    grant_role(user=manager, role=Role.AREA_MANAGER, area=area, granted_by=UserFactory(is_superuser=True))
    give_totp(manager)

    # when: they post their password to Wagtail's own login form
    response = client.post("/cms/login/?next=/cms/", {"username": manager.email, "password": "correct horse battery"})

    # then: they are sent to the site's login (password, then the code) and are not signed in
    assert response.status_code == 302 and response["Location"].startswith("/nl/accounts/login/")
    assert "next=/cms/" in response["Location"]
    assert "_auth_user_id" not in client.session
    # and the editor's own address leads there too, through Wagtail's login address
    first = client.get("/cms/")["Location"]
    assert first.startswith("/cms/login/") and client.get(first)["Location"].startswith("/nl/accounts/login/")
