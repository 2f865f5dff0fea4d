"""The merchant directory: sector filter, "open now" on the area's wall clock, exceptions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from areas.models import ExceptionKind, MerchantStatus
from areas.sectors import Sector
from areas.services import add_opening_exception, set_opening_hours
from areas.tests.factories import MerchantFactory
from cms.selectors import directory, merchant_profile

UTC = dt.UTC
WEEKDAYS_9_TO_18 = {day: [(dt.time(9), dt.time(18))] for day in range(6)}


@pytest.fixture
def shops(area, flemish_area):
    made = {
        "fashion": MerchantFactory(area=area, sector=Sector.FASHION, trade_name="Mode Marie", slug="mode-marie"),
        "bakery": MerchantFactory(area=area, sector=Sector.FOOD_SPECIALTY, trade_name="Bakker Bas", slug="bakker"),
        "paused": MerchantFactory(area=area, sector=Sector.FASHION, status=MerchantStatus.PAUSED, slug="pauze"),
        "flemish": MerchantFactory(area=flemish_area, sector=Sector.FASHION, trade_name="Mode Mechelen", slug="mm"),
    }
    for merchant in made.values():
        set_opening_hours(merchant=merchant, week=WEEKDAYS_9_TO_18)
    return made


@pytest.mark.django_db
def test_sector_filter_lists_active_merchants_of_the_area(area, shops):
    listing = directory(area, sector=Sector.FASHION)
    assert [m.trade_name for m in listing["merchants"]] == ["Mode Marie"]
    assert {value for value, _label in listing["sectors"]} == {Sector.FASHION, Sector.FOOD_SPECIALTY}
    assert len(directory(area, sector="nonsense")["merchants"]) == 2


@pytest.mark.django_db
def test_open_now_reads_the_areas_wall_clock_across_daylight_saving(area, flemish_area, shops):
    # 07:30 UTC is 08:30 in winter (closed) and 09:30 in summer (open), in Amsterdam and in Brussels alike
    winter = dt.datetime(2026, 1, 14, 7, 30, tzinfo=UTC)
    summer = dt.datetime(2026, 7, 15, 7, 30, tzinfo=UTC)
    for some_area, name in ((area, "Mode Marie"), (flemish_area, "Mode Mechelen")):
        assert directory(some_area, open_now=True, now=winter)["merchants"] == []
        assert name in [m.trade_name for m in directory(some_area, open_now=True, now=summer)["merchants"]]
    # 17:30 UTC on a summer Wednesday is 19:30 local: closed everywhere
    assert directory(flemish_area, open_now=True, now=dt.datetime(2026, 7, 15, 17, 30, tzinfo=UTC))["merchants"] == []


@pytest.mark.django_db
def test_a_closure_exception_closes_the_day_and_an_area_late_night_opens_the_evening(area, shops):
    wednesday_noon = dt.datetime(2026, 7, 15, 12, tzinfo=ZoneInfo("Europe/Amsterdam"))
    add_opening_exception(merchant=shops["bakery"], area=area, date=dt.date(2026, 7, 15), kind=ExceptionKind.CLOSED)
    assert [m.trade_name for m in directory(area, open_now=True, now=wednesday_noon)["merchants"]] == ["Mode Marie"]
    thursday_evening = dt.datetime(2026, 7, 16, 20, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert directory(area, open_now=True, now=thursday_evening)["merchants"] == []
    add_opening_exception(
        area=area, date=dt.date(2026, 7, 16), kind=ExceptionKind.LATE_NIGHT, opens_at=dt.time(18), closes_at=dt.time(21)
    )
    assert len(directory(area, open_now=True, now=thursday_evening)["merchants"]) == 2


@pytest.mark.django_db
def test_merchant_profile_and_its_page(area, shops, site_pages, client):
    now = dt.datetime(2026, 7, 15, 10, tzinfo=UTC)
    profile = merchant_profile(area, slug="bakker", now=now)
    assert profile["is_open_now"] and profile["week"][6][1] == []
    assert merchant_profile(area, slug="mm", now=now) is None  # another area's merchant
    assert merchant_profile(area, slug="pauze", now=now) is None  # not active
    response = client.get("/nl/winkels/bakker/", HTTP_HOST="amersfoort.localhost")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bakker Bas" in html and '"@type": "LocalBusiness"' in html and "https://schema.org/Monday" in html
    listing = client.get("/nl/winkels/?sector=fashion", HTTP_HOST="amersfoort.localhost").content.decode()
    assert "Mode Marie" in listing and "Bakker Bas" not in listing and "Mode Mechelen" not in listing


@pytest.mark.django_db
def test_the_merchant_page_and_the_search_show_the_web_shops_products(area, shops, site_pages, client):
    from shop.tests.factories import MerchantShopFactory, variant_of

    # given: the bakery sells online (one active product, one withdrawn); the fashion shop has products but is
    # not selling online
    MerchantShopFactory(merchant=shops["bakery"])
    variant_of(shops["bakery"], title_nl="Zuurdesem brood", slug="desembrood", price_cents=495)
    variant_of(shops["bakery"], title_nl="Oud brood", slug="rogge", is_active=False)
    MerchantShopFactory(merchant=shops["fashion"], is_selling=False)
    variant_of(shops["fashion"], title_nl="Tas voor brood", slug="broodtas")
    # when / then: the bakery's page lists what it sells, with the price and a link to the product in the shop
    html = client.get("/nl/winkels/bakker/", HTTP_HOST="amersfoort.localhost").content.decode()
    assert "Zuurdesem brood" in html and "4,95" in html and "/nl/winkelen/product/bakker/desembrood/" in html
    assert "Oud brood" not in html and "/nl/winkelen/winkel/bakker/" in html
    # and the fashion shop's page has no web-shop section at all
    assert (
        "merchant-products"
        not in client.get("/nl/winkels/mode-marie/", HTTP_HOST="amersfoort.localhost").content.decode()
    )
    # when / then: the site search finds the sellable product (a whole word: PostgreSQL's full text does not split
    # Dutch compounds), not the withdrawn one nor the one of a shop that does not sell online
    results = client.get("/nl/search/?q=brood", HTTP_HOST="amersfoort.localhost").content.decode()
    assert "Zuurdesem brood" in results and "Tas voor brood" not in results and "Oud brood" not in results
