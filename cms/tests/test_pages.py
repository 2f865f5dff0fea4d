"""Page-type rules and rendering of every page type (Wagtail's page assertions)."""

from __future__ import annotations

import pytest
from django.test import Client
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from areas.tests.factories import MerchantFactory, ShoppingAreaFactory
from cms.models import (
    ContactPage,
    DirectoryPage,
    EventIndexPage,
    EventPage,
    FeedbackPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    OfferIndexPage,
    OfferPage,
    PassSignupPage,
    PracticalPage,
)

from .conftest import build_site


class PageTypeRulesTests(WagtailPageTestCase):
    def test_the_home_page_holds_the_sections(self):
        for child in (
            EventIndexPage,
            OfferIndexPage,
            NewsIndexPage,
            DirectoryPage,
            PracticalPage,
            PassSignupPage,
            ContactPage,
            FeedbackPage,
        ):
            self.assertCanCreateAt(HomePage, child)
        self.assertCanCreateAt(Page, HomePage)

    def test_items_live_only_in_their_section(self):
        self.assertCanCreateAt(EventIndexPage, EventPage)
        self.assertCanCreateAt(OfferIndexPage, OfferPage)
        self.assertCanCreateAt(NewsIndexPage, NewsPage)
        self.assertCanCreateAt(PracticalPage, PracticalPage)
        self.assertCanNotCreateAt(HomePage, EventPage)
        self.assertCanNotCreateAt(HomePage, OfferPage)
        self.assertCanNotCreateAt(HomePage, NewsPage)
        self.assertCanNotCreateAt(EventIndexPage, NewsPage)
        self.assertCanNotCreateAt(NewsIndexPage, EventPage)
        self.assertCanNotCreateAt(EventPage, EventPage)
        self.assertCanNotCreateAt(DirectoryPage, PracticalPage)
        self.assertCanNotCreateAt(Page, EventPage)
        self.assertCanNotCreateAt(HomePage, HomePage)


class PageRenderingTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.area = ShoppingAreaFactory()
        cls.pages = build_site(cls.area, "renders.localhost", is_default=True)
        cls.merchant = MerchantFactory(area=cls.area, trade_name="Boekhandel Veenendaal", slug="boekhandel")

    def test_every_page_type_renders(self):
        for name, page in self.pages.items():
            if name == "site":
                continue
            with self.subTest(page=name):
                self.assertPageIsRenderable(page)

    def test_routes_render(self):
        self.assertPageIsRenderable(self.pages["directory"], route_path="boekhandel/")
        self.assertPageIsRenderable(self.pages["directory"], route_path="niet-bestaand/", accept_404=True)
        self.assertPageIsRenderable(self.pages["directory"], query_data={"sector": "fashion", "open": "1"})
        self.assertPageIsRenderable(self.pages["feedback"], route_path="poster/")
        self.assertPageIsRenderable(self.pages["home"], route_path="search/", query_data={"q": "boek"})
        self.assertPageIsRenderable(self.pages["events"], query_data={"category": "market"})


@pytest.mark.django_db
def test_english_translation_has_its_own_url(site_pages):
    from wagtail.models import Locale

    english = site_pages["practical"].copy_for_translation(Locale.objects.get(language_code="en"))
    english.save_revision().publish()
    response = Client().get("/en/bereikbaarheid/", HTTP_HOST="amersfoort.localhost")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    dutch = Client().get("/nl/bereikbaarheid/", HTTP_HOST="amersfoort.localhost").content.decode()
    assert 'hreflang="en"' in dutch
    assert "Garage Stadhuisplein" in dutch and "€\u00a02,90" in dutch


@pytest.mark.django_db
def test_every_page_type_and_route_renders_in_english(area, site_pages):
    from wagtail.models import Locale

    # given: the English translation of every page, and a shop
    english = Locale.objects.get(language_code="en")
    MerchantFactory(area=area, trade_name="Boekhandel Veenendaal", slug="boekhandel")
    pages = {name: page for name, page in site_pages.items() if name != "site"}
    for page in pages.values():
        if not page.get_translations().filter(locale=english).exists():
            page.copy_for_translation(english, copy_parents=True).save_revision().publish()
    client = Client(HTTP_HOST="amersfoort.localhost")
    urls = {name: page.get_translation(english).get_url_parts()[2] for name, page in pages.items()}
    urls |= {
        "merchant": "/en/winkels/boekhandel/",
        "directory, open now": "/en/winkels/?open=1",
        "poster": "/en/enquete/poster/",
        "search": "/en/search/?q=boek",
    }
    # then: each English page answers in English, with its Dutch original as the alternate
    assert set(pages) <= set(urls) and all(url.startswith("/en/") for url in urls.values())
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response.headers["Content-Language"] == "en", name
        html = response.content.decode()
        assert '<html lang="en"' in html, name
        if name in pages:
            assert 'hreflang="nl"' in html, name
    assert "Opening hours" in client.get("/en/winkels/boekhandel/").content.decode()


@pytest.mark.django_db
def test_the_agenda_writes_its_days_as_dutch_does(site_pages):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7)  # the weekly market (Saturdays at eight)
    months = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ]
    page = Client().get("/nl/agenda/", HTTP_HOST="amersfoort.localhost").content.decode()
    # "za 5 december", not "za 5 Dec": Dutch writes its months in lower case (today's market may be over)
    assert any(f"za {day.day} {months[day.month - 1]}" in page for day in (saturday, saturday + dt.timedelta(7)))
