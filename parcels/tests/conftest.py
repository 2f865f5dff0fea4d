"""Fixtures of the parcel tests: a fixed clock, a point taking every carrier, its desk staff and manager."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from parcels.barcodes import CARRIERS

from .factories import ParcelPointFactory, agree, desk_staff, manager_for

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def now():
    """A Wednesday afternoon in June: every service call in these tests passes its own time."""
    return datetime(2026, 6, 10, 14, 0, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def point(area):
    """The area's point, taking every carrier at 25 cents per intake and 15 per pickup (returns 30, handover 5)."""
    point = ParcelPointFactory(area=area)
    for code in CARRIERS:
        agree(point, code, intake_fee_cents=25, pickup_fee_cents=15, return_fee_cents=30, handover_fee_cents=5)
    return point


@pytest.fixture
def staff(area):
    return desk_staff(area)


@pytest.fixture
def manager(area):
    return manager_for(area)
