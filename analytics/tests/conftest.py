"""Fixtures of the sensor tests: an area's manager, a Moers counting point with its Hystreet sensor."""

from pathlib import Path

import pytest

from accounts.roles import Role
from analytics.models import CountingPoint, CountingPointKind, Provider, Sensor
from areas.tests.factories import StaffMembershipFactory

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
