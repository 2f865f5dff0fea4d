"""The age-group download lists the groups young to old, as the origin page does."""

from datetime import date, datetime, timedelta

import pytest

from analytics import exports, services
from areas.tests.factories import MerchantFactory

from .conftest import AMS
from .factories import Till, member

pytestmark = pytest.mark.django_db


def test_the_age_group_download_lists_the_groups_young_to_old(area):
    shop = MerchantFactory(area=area, sector="food")
    till = Till()
    for i, age_band in enumerate(["65+", "35-44", "<25", "", "25-34"]):
        _user, member_pass = member(area, age_band=age_band)
        till.visit(shop, member_pass, 1_000, datetime(2026, 4, 7, 10, 0, tzinfo=AMS) + timedelta(minutes=i))
    services.recompute(area=area, today=date(2026, 5, 15))
    rows = exports.table_rows(area, "ages", period_kind="month", period_start=date(2026, 4, 1))
    assert [row["breakdown"] for row in rows] == ["<25", "25-34", "35-44", "65+", "unknown"]
    csv = exports.render(exports.frame(rows, area=area), "csv").decode("utf-8-sig")
    assert [line.split(",")[8] for line in csv.splitlines()[1:]] == ["<25", "25-34", "35-44", "65+", "unknown"]
