"""Fixtures of the analytics tests: the sensor tests' Moers counting point (an-inputs), and a small world of
members and visits for the KPI, suppression and dashboard tests (an-kpi)."""

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from accounts.roles import Role
from analytics.models import CountingPoint, CountingPointKind, Provider, Sensor
from areas.tests.factories import MerchantFactory, StaffMembershipFactory

from .factories import Till, member

DATA = Path(__file__).resolve().parent.parent / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"
MOERS = {month: DATA / "footfall" / f"hystreet_moers_{month}-2022_hourly.csv" for month in ("mai", "juni", "juli")}
KNMI_260 = DATA / "weather" / "knmi_etmgeg_260_debilt.txt"


@pytest.fixture
def manager(area):
    return StaffMembershipFactory(role=Role.AREA_MANAGER, area=area, merchant=None).user


@pytest.fixture
def moers(area):
    """Steinstraße in Moers (NRW): a German street in the test area, controlled with German holidays."""
    return CountingPoint.objects.create(
        area=area,
        name="Steinstraße, Moers",
        kind=CountingPointKind.PEDESTRIAN_ZONE,
        latitude="51.451400",
        longitude="6.626700",
        holiday_country="DE",
        holiday_subdivision="NW",
    )


@pytest.fixture
def hystreet_sensor(moers):
    return Sensor.objects.create(counting_point=moers, provider=Provider.HYSTREET, external_id="moers-steinstrasse")


AMS = ZoneInfo("Europe/Amsterdam")
TODAY = date(2026, 5, 15)


@pytest.fixture
def world(area):
    """12 members visit the bakery (food) in March and April 2026; 4 of them also visit the boutique (fashion)
    in March; one member visits the florist (fashion) once. All consent to analytics; members 0–5 also to
    sharing with merchants. K = 10."""
    area.suppression_k = 10
    area.save(update_fields=["suppression_k"])
    bakery = MerchantFactory(area=area, sector="food", trade_name="Bakkerij")
    boutique = MerchantFactory(area=area, sector="fashion", trade_name="Boetiek")
    florist = MerchantFactory(area=area, sector="fashion", trade_name="Bloemist")
    till = Till()
    members = []
    for i in range(12):
        user, member_pass = member(area, share=i < 6, postcode="3511", age_band="25-34" if i % 2 else "35-44")
        members.append((user, member_pass))
        # In time order per pass: the till accepts each pass's codes only forward in time.
        till.visit(bakery, member_pass, 1_000 + i * 10, datetime(2026, 3, 2, 9, 0, tzinfo=AMS) + timedelta(minutes=i))
        if i < 4:
            till.visit(boutique, member_pass, 5_000, datetime(2026, 3, 2, 14, 0, tzinfo=AMS) + timedelta(minutes=i))
        if i == 0:
            till.visit(florist, member_pass, 2_000, datetime(2026, 3, 20, 11, 0, tzinfo=AMS))
        till.visit(bakery, member_pass, 500, datetime(2026, 4, 6, 9, 0, tzinfo=AMS) + timedelta(minutes=i))
    return {"members": members, "bakery": bakery, "boutique": boutique, "florist": florist, "till": till}
