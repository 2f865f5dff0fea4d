"""The site's hot pages read the database a fixed number of times, whatever the data volume (no N+1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from areas.models import OpeningException, OpeningHours
from areas.sectors import Sector
from areas.tests.factories import MerchantFactory
from cms.models import EventCategory, EventPage, NewsPage, OfferPage
from loyalty.models import Campaign, CampaignKind
from shop.tests.factories import MerchantShopFactory, variant_of

from .conftest import publish

HOST = "amersfoort.localhost"


def _grow(area, pages, *, n: int, first_slug: str = "") -> None:
    """n more of everything the pages list: merchants with hours, exceptions, campaigns and web-shop products
    (a "Hof" in every title, for the search), events (some weekly), offers and news."""
    now = timezone.now()
    today = now.astimezone(area.tz).date()
    sectors = [Sector.FASHION, Sector.FOOD_SPECIALTY, Sector.BOOKS_TOYS]
    for i in range(n):
        extra = {"slug": first_slug} if first_slug and i == 0 else {}
        merchant = MerchantFactory(area=area, sector=sectors[i % len(sectors)], **extra)
        OpeningHours.objects.bulk_create(
            OpeningHours(merchant=merchant, weekday=day, opens_at=dt.time(9), closes_at=dt.time(18)) for day in range(7)
        )
        OpeningException.objects.create(area=area, merchant=merchant, date=today, kind="closed", label="Verbouwing")
        campaign = Campaign.objects.create(
            area=area,
            name=f"Actie {merchant.slug}",
            starts_at=now - dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=7),
            kind=CampaignKind.MULTIPLIER,
            multiplier_permille=2000,
        )
        campaign.merchants.set([merchant])
        MerchantShopFactory(merchant=merchant)
        for _ in range(2):
            variant_of(merchant, title_nl=f"Kaas van het Hof, {merchant.slug}")
        publish(
            pages["events"],
            EventPage(
                title=f"Evenement {merchant.slug}",
                category=EventCategory.FESTIVAL,
                starts_on=today + dt.timedelta(days=i % 6),
                start_time=dt.time(10),
                end_time=dt.time(17),
                place="Hof",
                recurrence="weekly" if i % 2 else "none",
                repeat_until=today + dt.timedelta(days=90) if i % 2 else None,
            ),
        )
        publish(pages["offers"], OfferPage(title=f"Aanbod {merchant.slug}", valid_from=today, valid_until=today))
        publish(pages["news"], NewsPage(title=f"Bericht {merchant.slug}", date=today))


#: Queries per page, the same for a site with one of everything and with many: the site and its root paths,
#: the page route (with its aliases and view restrictions), the area (the request's and the page's), the
#: page's own reads and its translations. Wagtail's `public()` reads the view restrictions once per call. The
#: merchant page and the search read the web shop's products with their variants and photos (3 more each).
EXPECTED = {
    "home": ("/nl/", 16),
    "directory": ("/nl/winkels/", 15),
    "directory, open now": ("/nl/winkels/?open=1", 15),
    "merchant": ("/nl/winkels/boekhandel/", 20),
    "event": ("/nl/agenda/weekmarkt/", 13),
    "events": ("/nl/agenda/", 13),
    "practical": ("/nl/bereikbaarheid/", 10),
    "search": ("/nl/search/?q=Hof", 15),
}


@pytest.mark.django_db
def test_the_site_pages_read_a_fixed_number_of_times_whatever_the_volume(area, site_pages, django_assert_num_queries):
    # given: one merchant with a campaign, then many more of everything
    _grow(area, site_pages, n=1, first_slug="boekhandel")
    for volume in (1, 9):
        if volume > 1:
            _grow(area, site_pages, n=volume - 1)
        client = Client(HTTP_HOST=HOST)
        for name, (url, queries) in EXPECTED.items():
            assert client.get(url).status_code == 200  # warms the cache of the site's root paths
            # then: the same number of queries at either volume
            with django_assert_num_queries(queries):
                response = client.get(url)
            assert response.status_code == 200, (name, volume)
