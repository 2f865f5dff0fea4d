"""The English site lists the events, offers and news, and finds pages in its search: in English where they are
translated, else the Dutch page (as Wagtail's `Page.localized` falls back), never nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from wagtail.models import Locale

pytestmark = pytest.mark.django_db

HOST = "amersfoort.localhost"


def _translate(page, **fields):
    """The page's English translation (with its parents), these fields in English; published unless told."""
    publish = fields.pop("publish", True)
    translation = page.copy_for_translation(Locale.objects.get(language_code="en"), copy_parents=True).specific
    for name, value in fields.items():
        setattr(translation, name, value)
    revision = translation.save_revision()
    if publish:
        revision.publish()
    return translation


def _pages(client: Client, *urls: str) -> dict[str, str]:
    responses = {url: client.get(url) for url in urls}
    assert all(response.status_code == 200 for response in responses.values()), responses
    return {url: response.content.decode() for url, response in responses.items()}


def test_the_english_site_shows_the_dutch_items_that_have_no_english_translation_yet(site_pages):
    # given: the sections are translated, the market, the offer and the article are not
    for name in ("events", "offers", "news"):
        _translate(site_pages[name])

    # when
    pages = _pages(Client(HTTP_HOST=HOST), "/en/", "/en/agenda/", "/en/aanbiedingen/", "/en/nieuws/")

    # then: each list shows the Dutch page, linking to it, instead of "nothing planned"
    home = pages["/en/"]
    assert "Nothing planned this week." not in home and "No offers at the moment." not in home
    assert 'href="/nl/agenda/weekmarkt/"' in home and "Weekmarkt" in home
    assert 'href="/nl/aanbiedingen/dubbele-punten/"' in home and "Dubbele punten" in home
    assert 'href="/nl/nieuws/nieuwe-bankjes/"' in home
    assert 'href="/nl/agenda/weekmarkt/"' in pages["/en/agenda/"]
    assert "No events planned." not in pages["/en/agenda/"]
    assert 'href="/nl/aanbiedingen/dubbele-punten/"' in pages["/en/aanbiedingen/"]
    assert 'href="/nl/nieuws/nieuwe-bankjes/"' in pages["/en/nieuws/"]


def test_the_english_site_shows_an_items_english_translation_instead_of_the_dutch_page(site_pages):
    # given: the market and the offer in English; the article's translation is still a draft
    _translate(site_pages["market"], title="Weekly market")
    _translate(site_pages["offer"], title="Double points")
    _translate(site_pages["article"], title="New benches", publish=False)

    # when
    pages = _pages(Client(HTTP_HOST=HOST), "/en/", "/en/agenda/", "/en/aanbiedingen/", "/nl/")

    # then: English where published, each item once; the draft leaves the Dutch article in place
    home = pages["/en/"]
    assert 'href="/en/agenda/weekmarkt/"' in home and "Weekly market" in home
    assert "/nl/agenda/weekmarkt/" not in home and "Weekmarkt" not in home
    assert 'href="/en/aanbiedingen/dubbele-punten/"' in home and "Double points" in home
    assert "Dubbele punten" not in home
    assert 'href="/nl/nieuws/nieuwe-bankjes/"' in home and "New benches" not in home
    assert pages["/en/agenda/"].count('href="/en/agenda/weekmarkt/"') >= 1
    assert "/nl/agenda/weekmarkt/" not in pages["/en/agenda/"]
    assert "Double points" in pages["/en/aanbiedingen/"] and "Dubbele punten" not in pages["/en/aanbiedingen/"]
    # and the Dutch site keeps its own pages only
    dutch = pages["/nl/"]
    assert "Weekmarkt" in dutch and "Dubbele punten" in dutch
    assert "Weekly market" not in dutch and "Double points" not in dutch


def test_the_english_search_finds_dutch_pages_without_a_translation_and_says_they_are_in_dutch(site_pages):
    # given: the market is not translated; the offer is, as "Double points"
    _translate(site_pages["offer"], title="Double points", search_description="Twice the points this week")
    client = Client(HTTP_HOST=HOST)

    # when: an English visitor searches for the market
    market = _pages(client, "/en/search/?q=Weekmarkt")["/en/search/?q=Weekmarkt"]

    # then: the Dutch page, linked and marked as Dutch, rather than "No pages found."
    assert "No pages found." not in market
    assert '<li lang="nl"><a href="/nl/agenda/weekmarkt/" hreflang="nl">Weekmarkt</a>' in market
    assert "(in Dutch)" in market

    # when: they search for the offer: its English page, never the Dutch original it translates
    offer = _pages(client, "/en/search/?q=points")["/en/search/?q=points"]
    assert 'href="/en/aanbiedingen/dubbele-punten/"' in offer and "Double points" in offer
    dutch_title = _pages(client, "/en/search/?q=Dubbele")["/en/search/?q=Dubbele"]
    assert "/nl/aanbiedingen/dubbele-punten/" not in dutch_title and "(in Dutch)" not in dutch_title
    assert "/nl/aanbiedingen/dubbele-punten/" in _pages(client, "/nl/search/?q=Dubbele")["/nl/search/?q=Dubbele"]

    # and the Dutch search is as it was: Dutch pages, none marked
    dutch = _pages(client, "/nl/search/?q=Weekmarkt")["/nl/search/?q=Weekmarkt"]
    assert 'href="/nl/agenda/weekmarkt/"' in dutch and 'lang="nl"><a' not in dutch
