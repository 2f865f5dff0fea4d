"""Fixtures of the loyalty tests: a fixed clock, a cashier, the area's manager, a merchant's owner, a member's pass."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, UserFactory

from .factories import PassFactory, cashier_for, person_with, recognisable

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def english():
    """The pages' language for tests that read them (`pytest.mark.usefixtures("english")`): reverse() gives /en/
    URLs, and the pages answer in English whatever the machine's default."""
    with translation.override("en"):
        yield


@pytest.fixture
def now():
    """A Wednesday afternoon in June: every service call in these tests passes its own time."""
    return datetime(2026, 6, 10, 14, 0, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def cashier(merchant):
    return cashier_for(merchant)


@pytest.fixture
def manager(area):
    """The area's manager, with a second factor (not logged in)."""
    return person_with(Role.AREA_MANAGER, area=area)


@pytest.fixture
def owner(merchant):
    """The merchant's owner, with a second factor (not logged in)."""
    return person_with(Role.MERCHANT_OWNER, merchant=merchant)


@pytest.fixture
def other_merchant(area):
    return MerchantFactory(area=area)


@pytest.fixture
def member(area):
    """Sanne, who lets the merchants she visits see her first name."""
    return recognisable(UserFactory(first_name="Sanne"), area)


@pytest.fixture
def member_pass(area, member, now):
    return PassFactory(area=area, member=member, now=now)
