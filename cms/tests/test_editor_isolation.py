"""An area's managers see and choose only their own site's pages in the Wagtail admin; a platform admin sees all."""

from __future__ import annotations

import datetime as dt

import pytest
from wagtail.models import Page
from wagtail.users.models import UserProfile

from accounts.roles import Role
from areas.services import grant_role
from areas.tests.factories import UserFactory, give_totp
from cms.models import HomePage, NewsIndexPage, NewsPage
from cms.services import create_area_site
from cms.tests.conftest import publish

REFUSED = "Sorry, you do not have permission to access this area."


def _editor(role, area=None):
    """An editor whose admin speaks English (Wagtail's own choice; the admin's default is the site's Dutch)."""
    user = UserFactory()
    grant_role(user=user, role=role, area=area, granted_by=UserFactory(is_superuser=True))
    give_totp(user)
    UserProfile.objects.update_or_create(user=user, defaults={"preferred_language": "en"})
    return user


def _site(area, hostname: str) -> dict:
    home = HomePage.objects.get(pk=create_area_site(area=area, hostname=hostname).root_page_id)
    return {"home": home, "news": publish(home, NewsIndexPage(title="Nieuws", slug="nieuws"))}


@pytest.fixture
def sites(area, flemish_area):
    """Two areas' sites with a news section; a published news item in the own one, a scheduled one (not live) in
    the other."""
    own = _site(area, "amersfoort.localhost")
    other = _site(flemish_area, "mechelen.localhost")
    own["mine"] = publish(own["news"], NewsPage(title="Eigen bericht", slug="eigen-bericht", date=dt.date(2026, 3, 2)))
    scheduled = NewsPage(title="Gepland bericht", slug="gepland-bericht", date=dt.date(2026, 12, 2), live=False)
    other["news"].add_child(instance=scheduled)
    scheduled.go_live_at = dt.datetime(2027, 1, 4, 8, tzinfo=dt.UTC)
    scheduled.save_revision().publish()  # a go-live time ahead: scheduled, not live
    other["scheduled"] = Page.objects.get(pk=scheduled.pk)
    assert not other["scheduled"].live
    return own, other


@pytest.mark.django_db
def test_the_page_chooser_browses_and_searches_only_the_managers_own_site(client, area, sites):
    own, other = sites
    client.force_login(_editor(Role.AREA_MANAGER, area))

    # the chooser's start lists the own home page only (not the other area's, not Wagtail's welcome page)
    start = client.get("/cms/choose-page/").json()["html"]
    assert own["home"].title in start
    assert other["home"].title not in start and "Welcome to your new Wagtail site" not in start

    # searching finds the own news item, never the other area's scheduled one
    found = client.get("/cms/choose-page/search/", {"q": "bericht"}).content.decode()
    assert "Eigen bericht" in found and "Gepland bericht" not in found

    # and opening the other area's news section by its id is refused (the chooser is a modal: 403)
    other_news = f"/cms/choose-page/{other['news'].pk}/"
    assert client.get(other_news, headers={"x-requested-with": "XMLHttpRequest"}).status_code == 403
    assert client.get(f"/cms/choose-page/{own['news'].pk}/").status_code == 200


@pytest.mark.django_db
def test_the_explorer_refuses_another_areas_page_by_id(client, area, sites):
    own, other = sites
    client.force_login(_editor(Role.AREA_MANAGER, area))

    for page in (other["home"], other["news"], other["scheduled"]):
        response = client.get(f"/cms/pages/{page.pk}/", follow=True)
        assert response.redirect_chain[0] == ("/cms/", 302), page
        assert REFUSED in response.content.decode() and "Gepland bericht" not in response.content.decode()
    assert client.get(f"/cms/pages/{other['news'].pk}/results/").status_code == 302

    assert client.get(f"/cms/pages/{own['news'].pk}/").status_code == 200
    root = client.get("/cms/pages/1/")  # the tree's top lists the own home pages only
    assert root.status_code == 200 and f"/cms/pages/{own['home'].pk}/" in root.content.decode()
    assert f"/cms/pages/{other['home'].pk}/" not in root.content.decode()


@pytest.mark.django_db
def test_the_dashboard_counts_and_the_reports_show_only_the_managers_own_pages(client, area, sites):
    own, other = sites
    client.force_login(_editor(Role.AREA_MANAGER, area))
    own_pages = (
        Page.objects.descendant_of(own["home"], inclusive=True).count()
        + Page.objects.filter(
            locale__language_code="en", depth=2, sites_rooted_here__isnull=True, title=own["home"].title
        ).count()
    )

    dashboard = client.get("/cms/").content.decode()
    assert f"{own_pages} Pages" in " ".join(dashboard.split()), dashboard

    # the page types report counts every site's pages: refused, and not in the menu
    response = client.get("/cms/reports/page-types-usage/", follow=True)
    assert response.redirect_chain[0] == ("/cms/", 302) and REFUSED in response.content.decode()
    assert "/cms/reports/page-types-usage/" not in dashboard
    aging = client.get("/cms/reports/aging-pages/").content.decode()
    assert "Eigen bericht" in aging and other["home"].title not in aging


@pytest.mark.django_db
def test_a_platform_admin_keeps_seeing_every_site(client, sites):
    own, other = sites
    client.force_login(_editor(Role.PLATFORM_ADMIN))

    start = client.get("/cms/choose-page/").json()["html"]
    assert own["home"].title in start and other["home"].title in start
    assert "Gepland bericht" in client.get("/cms/choose-page/search/", {"q": "bericht"}).content.decode()
    assert client.get(f"/cms/pages/{other['news'].pk}/").status_code == 200
    assert client.get("/cms/reports/page-types-usage/").status_code == 200
    total = Page.objects.filter(depth__gt=1).count()
    assert f"{total} Pages" in " ".join(client.get("/cms/").content.decode().split())
