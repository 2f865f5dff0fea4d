"""What an area's managers may do in the editor beyond editing: translate their pages; and what Wagtail's own
defaults no longer do to them: a moderation workflow nobody in the area can finish, a leftover welcome page."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from wagtail.models import Locale, Page, Workflow, WorkflowState
from wagtail.users.models import UserProfile

from accounts.roles import Role
from areas.services import grant_role
from areas.tests.factories import UserFactory, give_totp
from cms.models import HomePage, NewsIndexPage
from cms.services import create_area_site
from cms.tests.conftest import publish

WELCOME = "Welcome to your new Wagtail site!"
editor_defaults = importlib.import_module("cms.migrations.0003_editor_defaults")


def _apps_of_the_migration():
    """The models as the migration sees them (historical: no tree methods, no signals)."""
    return MigrationExecutor(connection).loader.project_state([("cms", "0003_editor_defaults")]).apps


def _manager(area):
    user = UserFactory()
    grant_role(user=user, role=Role.AREA_MANAGER, area=area, granted_by=UserFactory(is_superuser=True))
    give_totp(user)
    UserProfile.objects.update_or_create(user=user, defaults={"preferred_language": "en"})
    return user


def _news_section(area, hostname):
    home = HomePage.objects.get(pk=create_area_site(area=area, hostname=hostname).root_page_id)
    return publish(home, NewsIndexPage(title="Nieuws", slug="nieuws"))


@pytest.mark.django_db
def test_a_manager_translates_their_own_pages_into_english_but_not_another_areas(client, area, flemish_area):
    news = _news_section(area, "amersfoort.localhost")
    other_news = _news_section(flemish_area, "mechelen.localhost")
    client.force_login(_manager(area))
    english = Locale.objects.get(language_code="en")

    # the page header offers "Translate", and submitting makes the English page under the English home
    assert f"/cms/translation/submit/page/{news.pk}/" in client.get(f"/cms/pages/{news.pk}/edit/").content.decode()
    response = client.post(f"/cms/translation/submit/page/{news.pk}/", {"locales": [english.pk]})
    assert response.status_code == 302
    translation = news.get_translation(english)
    assert translation.get_parent().pk == HomePage.objects.get(locale=english, title=area.name).pk

    # another area's page: refused, nothing made
    refused = client.post(f"/cms/translation/submit/page/{other_news.pk}/", {"locales": [english.pk]})
    assert refused.status_code == 302 and refused["Location"] == "/cms/"
    assert not other_news.get_translations().exists()


@pytest.mark.django_db
def test_wagtails_moderation_workflow_is_off_so_no_page_gets_locked_in_it(client, area):
    news = _news_section(area, "amersfoort.localhost")
    client.force_login(_manager(area))

    assert not Workflow.objects.filter(active=True).exists()
    assert news.get_workflow() is None
    edit = client.get(f"/cms/pages/{news.pk}/edit/").content.decode()
    assert "action-submit" not in edit and "Moderators approval" not in edit


@pytest.mark.django_db
def test_the_migration_switches_the_default_workflow_off_and_releases_pages_waiting_in_it(area):
    # given: Wagtail's default workflow still on (as before the migration), a page submitted to it
    news = _news_section(area, "amersfoort.localhost")
    workflow = Workflow.objects.get(name="Moderators approval")
    workflow.active = True
    workflow.save()
    state = workflow.start(news, UserFactory())
    assert Page.objects.get(pk=news.pk).get_lock() is not None  # locked in the workflow

    # when
    editor_defaults.switch_off_default_workflow(_apps_of_the_migration(), None)

    # then
    workflow.refresh_from_db()
    state.refresh_from_db()
    assert not workflow.active
    assert state.status == WorkflowState.STATUS_CANCELLED
    assert Page.objects.get(pk=news.pk).get_lock() is None


@pytest.mark.django_db
def test_the_welcome_page_goes_once_areas_have_their_sites(area):
    # a fresh database has Wagtail's welcome page as its placeholder site's root; the migration leaves that alone
    editor_defaults.remove_welcome_page(_apps_of_the_migration(), None)
    assert Page.objects.filter(title=WELCOME).exists()

    _news_section(area, "amersfoort.localhost")

    assert not Page.objects.filter(title=WELCOME).exists()
    assert Page.get_first_root_node().get_children().count() == 2  # the Dutch and the English home


@pytest.mark.django_db
def test_the_migration_removes_a_welcome_page_no_site_uses_and_nothing_links_to(area):
    # given: an older install, where the welcome page lost its site but stayed in the tree
    create_area_site(area=area, hostname="amersfoort.localhost")
    root = Page.get_first_root_node()
    welcome = root.add_child(instance=Page(title=WELCOME, slug="home"))

    # when
    editor_defaults.remove_welcome_page(_apps_of_the_migration(), None)

    # then: gone, and the tree's child count agrees
    assert not Page.objects.filter(pk=welcome.pk).exists()
    root.refresh_from_db()
    assert root.numchild == root.get_children().count() == 2
