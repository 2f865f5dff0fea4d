"""Fixtures of the shop tests: a fixed clock and an area whose shop has a parcel point."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from .factories import SellingMerchantFactory, shop_rules

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def now():
    """A Wednesday afternoon in June: every service call in these tests passes its own time."""
    return datetime(2026, 6, 10, 14, 0, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def rules(area):
    """The area's shop settings, with a parcel point."""
    return shop_rules(area)


@pytest.fixture
def baker(area, rules):
    return SellingMerchantFactory(area=area, trade_name="Bakkerij Bol")


@pytest.fixture
def books(area, rules):
    return SellingMerchantFactory(area=area, trade_name="Boekhandel Blad")


# shop-pay's fixtures: `fake` (the in-memory Stripe in use), localstripe as a process (contract tests)
from .localstripe import localstripe_server, stripe_gateway, webhook_receiver  # noqa: E402, F401
from .payment_helpers import fake  # noqa: E402, F401
