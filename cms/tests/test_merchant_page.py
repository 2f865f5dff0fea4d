"""A merchant's public page: a campaign's last day, the English description and holidays on /en/, its English
address in the sitemap, and the staff page's link to it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation
from wagtail.models import Locale

from accounts.roles import Role
from areas.models import ExceptionKind
from areas.services import add_opening_exception, update_merchant
from areas.tests.factories import MerchantFactory, StaffMembershipFactory, give_totp
from loyalty.models import Campaign, CampaignKind

pytestmark = pytest.mark.django_db

HOST = "amersfoort.localhost"


@pytest.fixture
def bakery(area, site_pages):
    return MerchantFactory(
        area=area, trade_name="Bakker Bas", slug="bakker", description="Brood en banket uit eigen bakkerij."
    )


def _english(page):
    translation_ = page.copy_for_translation(Locale.objects.get(language_code="en"), copy_parents=True)
    translation_.save_revision().publish()
    return translation_


def test_the_merchant_page_says_a_campaigns_last_day_not_the_day_after(area, bakery):
    # given: a campaign for every merchant whose last day is in nine days (stored as the next midnight)
    today = timezone.now().astimezone(area.tz).date()
    last_day = today + dt.timedelta(days=9)
    Campaign.objects.create(
        area=area,
        name="Versweken",
        starts_at=dt.datetime.combine(today, dt.time.min, tzinfo=area.tz),
        ends_at=dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=area.tz),
        kind=CampaignKind.MULTIPLIER,
        multiplier_permille=2000,
    )

    html = Client(HTTP_HOST=HOST).get("/nl/winkels/bakker/").content.decode()

    with translation.override("nl"):
        assert f"tot en met {formats.date_format(last_day, 'j F')}</p>" in html
        assert formats.date_format(last_day + dt.timedelta(days=1), "j F") not in html


def test_the_english_page_shows_the_english_description_and_names_holidays_in_english(area, site_pages, bakery):
    # given: the directory in English, the bakery's description in both languages, Christmas closed area-wide
    _english(site_pages["directory"])
    update_merchant(merchant=bakery, description_en="Bread and pastry from our own bakery.")
    christmas = timezone.now().astimezone(area.tz).date() + dt.timedelta(days=5)
    add_opening_exception(area=area, date=christmas, kind=ExceptionKind.CLOSED, label="Eerste Kerstdag")
    client = Client(HTTP_HOST=HOST)

    # when
    english = client.get("/en/winkels/bakker/").content.decode()
    dutch = client.get("/nl/winkels/bakker/").content.decode()

    # then: each page in its language; the area's Dutch name for the day is marked as Dutch
    assert "Bread and pastry from our own bakery." in english and "Brood en banket" not in english
    assert "Brood en banket uit eigen bakkerij." in dutch and "Bread and pastry" not in dutch
    assert ': Closed <span class="muted" lang="nl">(Eerste Kerstdag)</span>' in english


def test_without_an_english_description_the_english_page_shows_the_dutch_one_marked_as_dutch(site_pages, bakery):
    _english(site_pages["directory"])
    html = Client(HTTP_HOST=HOST).get("/en/winkels/bakker/").content.decode()
    assert '<p class="lead" lang="nl">Brood en banket uit eigen bakkerij.</p>' in html


def test_the_sitemap_lists_the_merchant_pages_in_every_language_of_the_directory(site_pages, bakery):
    _english(site_pages["directory"])
    sitemap = Client(HTTP_HOST=HOST).get("/sitemap.xml").content.decode()
    assert "http://amersfoort.localhost/nl/winkels/bakker/" in sitemap
    assert "http://amersfoort.localhost/en/winkels/bakker/" in sitemap


def test_the_staff_merchant_page_links_to_the_public_page(client, bakery):
    owner = StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=bakery).user
    give_totp(owner)
    client.force_login(owner)

    html = client.get(reverse("areas:merchant_detail", kwargs={"pk": bakery.pk})).content.decode()

    assert 'href="http://amersfoort.localhost/nl/winkels/bakker/"' in html
