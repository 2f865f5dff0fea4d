"""The language switch leads to the page in the other language where it exists, else to its section or the home page
in that language: never to a 404. The app's own pages keep switching by path."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from wagtail.models import Locale

from areas.tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db

HOST = "amersfoort.localhost"


def _translate(page, **fields):
    """The page's published English translation (with its parents)."""
    translation = page.copy_for_translation(Locale.objects.get(language_code="en"), copy_parents=True).specific
    for name, value in fields.items():
        setattr(translation, name, value)
    translation.save_revision().publish()
    return translation


def _switch_to(client: Client, url: str, language: str) -> str:
    """Press the language button on `url`: where the browser lands (after set_language's redirects), checked to
    be a page that answers."""
    html = client.get(url).content.decode()
    forms = re.findall(r'<form class="language-switch".*?</form>', html, flags=re.DOTALL)
    form = next(form for form in forms if f'name="language" value="{language}"' in form)
    next_url = re.search(r'name="next" type="hidden" value="([^"]*)"', form).group(1)
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url}, follow=True)
    landed = response.redirect_chain[-1][0]
    assert response.status_code == 200, landed
    return landed


def test_a_translated_page_switches_to_its_translation_and_back(site_pages):
    # given: the practical page and the directory in English
    _translate(site_pages["practical"], title="Getting here")
    _translate(site_pages["directory"], title="Shops")
    MerchantFactory(area=site_pages["site"].root_page.specific.area, trade_name="Bakker Bas", slug="bakker")
    client = Client(HTTP_HOST=HOST)

    # then: the switch goes to the translation, and from there back to the Dutch page
    assert _switch_to(client, "/nl/bereikbaarheid/", "en") == "/en/bereikbaarheid/"
    assert _switch_to(client, "/en/bereikbaarheid/", "nl") == "/nl/bereikbaarheid/"
    # and a route below a page (a shop in the directory) keeps its place
    assert _switch_to(client, "/nl/winkels/bakker/", "en") == "/en/winkels/bakker/"


def test_an_untranslated_item_switches_to_its_sections_translation_else_to_the_home_page(site_pages):
    # given: the news overview is in English, the article is not; the agenda and its market are not translated
    _translate(site_pages["news"], title="News")

    client = Client(HTTP_HOST=HOST)
    # then: English leads to the English news overview and to the English home page, not to a 404 at the same path
    assert _switch_to(client, "/nl/nieuws/nieuwe-bankjes/", "en") == "/en/nieuws/"
    assert _switch_to(client, "/nl/agenda/weekmarkt/", "en") == "/en/"


def test_an_app_page_switches_by_its_path(site_pages):
    client = Client(HTTP_HOST=HOST)
    html = client.get("/nl/privacy/").content.decode()
    assert 'name="next" type="hidden" value="/privacy/"' in html
    assert _switch_to(client, "/nl/privacy/", "en") == "/en/privacy/"
