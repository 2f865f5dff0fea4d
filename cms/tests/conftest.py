"""Fixtures of the website tests: an area's site with one page of each type."""

from __future__ import annotations

import datetime as dt

import pytest

from cms.models import (
    ContactPage,
    DirectoryPage,
    EventCategory,
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
from cms.services import create_area_site


def publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def build_site(area, hostname: str, *, is_default: bool = False):
    """A site with every page type, all published (the Dutch tree)."""
    site = create_area_site(area=area, hostname=hostname, port=80, is_default=is_default)
    home = HomePage.objects.get(pk=site.root_page_id)
    events = publish(home, EventIndexPage(title="Agenda", slug="agenda"))
    market = publish(
        events,
        EventPage(
            title="Weekmarkt",
            slug="weekmarkt",
            category=EventCategory.MARKET,
            starts_on=dt.date(2026, 1, 3),
            start_time=dt.time(8, 0),
            end_time=dt.time(13, 0),
            place="Hof",
            recurrence="weekly",
            repeat_until=dt.date(2027, 12, 25),
        ),
    )
    offers = publish(home, OfferIndexPage(title="Aanbiedingen", slug="aanbiedingen"))
    offer = publish(
        offers,
        OfferPage(
            title="Dubbele punten",
            slug="dubbele-punten",
            valid_from=dt.date(2026, 1, 1),
            valid_until=dt.date(2027, 12, 31),
        ),
    )
    news = publish(home, NewsIndexPage(title="Nieuws", slug="nieuws"))
    article = publish(news, NewsPage(title="Nieuwe bankjes", slug="nieuwe-bankjes", date=dt.date(2026, 3, 1)))
    practical = publish(
        home,
        PracticalPage(
            title="Bereikbaarheid",
            slug="bereikbaarheid",
            body=[
                (
                    "parking",
                    {
                        "heading": "Parkeren",
                        "garages": [{"name": "Garage Stadhuisplein", "hourly_rate_cents": 290, "day_rate_cents": 2000}],
                    },
                ),
                ("toilets", {"heading": "Toiletten", "toilets": [{"name": "Stadhuis", "is_accessible": True}]}),
            ],
        ),
    )
    signup = publish(home, PassSignupPage(title="Stadspas", slug="stadspas"))
    contact = publish(home, ContactPage(title="Contact", slug="contact", email="info@example.org"))
    directory = publish(home, DirectoryPage(title="Winkels", slug="winkels"))
    feedback = publish(home, FeedbackPage(title="Hoe was uw bezoek?", slug="enquete"))
    return {
        "site": site,
        "home": home,
        "events": events,
        "market": market,
        "offers": offers,
        "offer": offer,
        "news": news,
        "article": article,
        "practical": practical,
        "signup": signup,
        "contact": contact,
        "directory": directory,
        "feedback": feedback,
    }


@pytest.fixture
def site_pages(area):
    return build_site(area, "amersfoort.localhost")


@pytest.fixture
def flemish_site_pages(flemish_area):
    return build_site(flemish_area, "mechelen.localhost")
