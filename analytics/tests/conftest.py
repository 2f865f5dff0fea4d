"""A small analytics world: an area with K = 10, three merchants in two sectors, members and their visits."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from areas.tests.factories import MerchantFactory

from .factories import Till, member

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
