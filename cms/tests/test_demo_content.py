"""The demo's website content as a visitor reads it: English on the English site, informal Dutch ("je") on the
Dutch one, and offers of pass campaigns ending on the campaign's last day."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format
from wagtail.models import Page

from areas.demo import seed_demo
from loyalty.models import Campaign
from privacy.default_purposes import ensure_default_purposes

HOST = "amersfoort.localhost"


@pytest.fixture
def demo(db, settings, tmp_path):
    """The tiny demo's pass campaigns and websites (today: the real date, so that the pages, which read the
    clock, show its offers); the banners it draws go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    ensure_default_purposes()
    seed_demo(seed=1, size="tiny", today=timezone.localdate(), only=["loyalty", "cms"], log=lambda _line: None)


def _get(url: str) -> str:
    response = Client(HTTP_HOST=HOST).get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_home_page_gives_a_campaign_offers_last_day_not_the_day_after(demo):
    # given: the sector campaign running now, ending at midnight (its last day is the day before)
    campaign = Campaign.objects.get(area__slug="amersfoort", name__startswith="Versweken")
    ends_at = timezone.localtime(campaign.ends_at, campaign.area.tz)
    assert ends_at.time() == dt.time.min
    last_day = ends_at.date() - dt.timedelta(days=1)

    # when
    dutch, english = _get("/nl/"), _get("/en/")

    # then
    with translation.override("nl"):
        assert f"Tot en met {date_format(last_day, 'j F')}" in dutch
        assert f"Tot en met {date_format(ends_at.date(), 'j F')}" not in dutch
    with translation.override("en"):
        assert f"Until {date_format(last_day, 'j F')}" in english


def test_the_english_demo_site_is_in_english(demo):
    home, events, offers = _get("/en/"), _get("/en/agenda/"), _get("/en/aanbiedingen/")

    assert "Nothing planned this week." not in home and "No offers at the moment." not in home
    assert "Weekly market on the Hof" in home and "Late-night shopping" in home
    assert "Fresh weeks: double points at the specialist shops" in home and "Free coffee at the market" in home
    assert "Getting here" in home and "How was your visit?" in home
    assert "New bicycle parking by the market" in home
    for dutch in ("Bereikbaarheid", "Hoe was", "Weekmarkt", "Koopavond", "Versweken", "Gratis koffie"):
        assert dutch not in home, dutch
    assert "Weekly market on the Hof" in events and "Summer festival" in events
    assert "Late-night shopping in December: double points" in offers and "Show your city pass" in offers
    assert "Public transport" in _get("/en/bereikbaarheid/")


def test_the_dutch_demo_content_says_je_not_u(demo):
    home = _get("/nl/")
    assert "Hoe was je bezoek?" in home and "Laat je stadspas zien bij de koffiekar." in home
    formal = re.compile(r"\b(u|uw)\b", re.IGNORECASE)
    for page in Page.objects.filter(locale__language_code="nl").specific():
        text = json.dumps(page.serializable_data(), ensure_ascii=False, default=str)
        assert not formal.search(text), (page.title, formal.findall(text))


def test_the_demo_area_managers_can_open_their_own_sites_editor(demo):
    # the seed writes the staff in bulk: the managers' website editor groups must follow all the same
    from django.contrib.auth import get_user_model

    from cms.models import EditorGroup

    manager = get_user_model().objects.get(email="manager.amersfoort@agora.localhost")
    assert manager.has_perm("wagtailadmin.access_admin")
    groups = set(EditorGroup.objects.filter(group__user=manager).values_list("area__slug", flat=True))
    assert groups == {"amersfoort"}
    member = get_user_model().objects.get(email="member.amersfoort@agora.localhost")
    assert not member.has_perm("wagtailadmin.access_admin")
