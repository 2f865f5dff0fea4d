"""What the pages, the downloads and the API publish about small groups: parts of a cell (first-time visitors,
combination visits, pickups followed by a visit), hidden cells that add up to a small group, and places named
only where K of their people are in the figure.

The town: K = 10. 31 members shop at the bakery in April 2026, 28 of whom already did in March; 12 others shop
at the butcher's in March and in April. So April has 43 visitors, 3 of them new. 32 live in Amersfoort (the
centre), 6 in Roosendaal (94 km) and 5 in Culemborg (25 km); 40 are 35–44, two under 25 and one 65 or older. Two
of the bakery's visitors also buy at the butcher's on their April day.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from analytics import charts, services
from areas.tests.factories import MerchantFactory, StaffMembershipFactory
from privacy.tests.factories import with_totp

from .conftest import AMS, TODAY
from .factories import Till, member

pytestmark = pytest.mark.django_db

APRIL = {"period": "month", "start": "2026-04-01"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def town(area):
    area.suppression_k = 10
    area.save(update_fields=["suppression_k"])
    bakery = MerchantFactory(area=area, sector="food_specialty", trade_name="Bakkerij")
    butcher = MerchantFactory(area=area, sector="food_specialty", trade_name="Slagerij")
    till = Till()
    people = (
        [("3811", "35-44")] * 20
        + [("4701", "35-44")] * 6
        + [("4101", "35-44"), ("4101", "35-44"), ("4101", "<25"), ("4101", "<25"), ("4101", "65+")]
    )
    for i, (postcode, age_band) in enumerate(people):
        _user, member_pass = member(area, postcode=postcode, age_band=age_band)
        if i < 28:
            till.visit(bakery, member_pass, 1_500, datetime(2026, 3, 3, 10, 0, tzinfo=AMS) + timedelta(minutes=i))
        till.visit(bakery, member_pass, 1_500 + i, datetime(2026, 4, 7, 10, 0, tzinfo=AMS) + timedelta(minutes=i))
        if i < 2:
            till.visit(butcher, member_pass, 2_000, datetime(2026, 4, 7, 15, 0, tzinfo=AMS) + timedelta(minutes=i))
    for i in range(12):
        _user, member_pass = member(area, postcode="3811", age_band="35-44")
        till.visit(butcher, member_pass, 2_500, datetime(2026, 3, 3, 15, 0, tzinfo=AMS) + timedelta(minutes=i))
        till.visit(butcher, member_pass, 2_500, datetime(2026, 4, 8, 15, 0, tzinfo=AMS) + timedelta(minutes=i))
    services.recompute(area=area, today=TODAY)
    return area


@pytest.fixture
def manager_client(client, town):
    client.force_login(with_totp(StaffMembershipFactory(role=Role.AREA_MANAGER, area=town, merchant=None).user))
    return client


def page(client, name, area, **params):
    return client.get(reverse(f"analytics:{name}", kwargs={"area": area.slug}), {**APRIL, **params}).content.decode()


def download(client, area, table) -> pd.DataFrame:
    url = reverse("analytics:export", kwargs={"area": area.slug, "table": table, "fmt": "csv"})
    return pd.read_csv(io.BytesIO(client.get(url, APRIL).content), dtype={"breakdown": str, "scope_id": str})


def api(client, area, **params) -> list[dict]:
    url = reverse("api:analytics-area-figures", kwargs={"area": area.slug})
    return client.get(url, {"period": "month", "start": "2026-04-01", "limit": 500, **params}).json()["results"]


def tile(html: str, label: str) -> str:
    """The value a figure tile shows ("–" when hidden)."""
    found = re.search(rf'figure__label">{re.escape(label)}</p>\s*<p class="figure__value"[^>]*>([^<]*)</p>', html)
    assert found, label
    return found.group(1).strip()


def table_rows(html: str, caption: str) -> list[tuple[str, str]]:
    """(row header, first number cell) of the table with this caption start, in page order ("–" when hidden)."""
    start = html.index("<caption>" + caption)
    body = html[start : html.index("</table>", start)]
    rows = re.findall(r'<th scope="row">([^<]*)</th><td class="num">(?:<span title="[^"]*">)?([^<]*)', body)
    return [(label.strip(), value.strip()) for label, value in rows]


def test_first_time_visitors_are_hidden_when_few_and_so_are_the_repeat_visitors(manager_client, town):
    # 43 visitors in April, 3 of them new: "3 new" (or 43 − 40 returning) would single out the 3.
    overview = page(manager_client, "overview", town)
    assert tile(overview, "Unique visitors") == "43"
    assert tile(overview, "First-time visitors") == "–"
    assert tile(overview, "Repeat visitors") == "–"
    # The sector table shows unique and repeat visitors side by side: the repeat column is hidden for food.
    food = overview[overview.index('<th scope="row">Food specialities') :]
    cells = re.findall(r'<td class="num">(?:<span title="[^"]*">)?([^<]*)', food[: food.index("</tr>")])
    assert [cells[1], cells[4]] == ["43", "–"]  # unique visitors, repeat visitors
    # Two members bought at two shops on their day: the combination share (2 of 43 member-days) is hidden.
    assert tile(overview, "Combination visits") == "–"
    figures = download(manager_client, town, "overview").set_index("kpi")
    for kpi in ("first_time_visitors", "repeat_visitors", "combination_share"):
        assert pd.isna(figures.loc[kpi, "value"]) and figures.loc[kpi, "suppressed_reason"] == "small_group", kpi
    assert figures.loc["unique_visitors", "value"] == 43
    published = {(r["kpi"], r["scope"]): r for r in api(manager_client, town, scope="sector")}
    assert published[("unique_visitors", "sector")]["value"] == 43
    assert published[("repeat_visitors", "sector")]["value"] is None
    assert published[("first_time_visitors", "sector")]["suppressed_reason"] == "small_group"


def test_pickups_followed_by_a_visit_are_hidden_when_few_of_them_did_or_did_not(area):
    # 40 members pick up a parcel on 5 May; 4 of them shop within 24 hours: "10 %" of 40 names 4 people.
    at = pd.Timestamp("2026-05-05 09:00", tz=AMS)
    pickups = pd.DataFrame(
        {
            "subject": np.arange(40),
            "picked_up_at": [at + timedelta(minutes=i) for i in range(40)],
            "local_date": pd.Timestamp("2026-05-05"),
        }
    )
    visits = pd.DataFrame({"subject": np.arange(4), "occurred_at": [at + timedelta(hours=2)] * 4})
    rows = services._pickup_rows(pickups, visits, k=10, window=(date(2026, 5, 1), date(2026, 6, 1)))
    month = rows[(rows["period_kind"] == "month")].set_index("kpi")
    assert month.loc["pickups", "value"] == 40
    assert np.isnan(month.loc["pickup_conversion", "value"])
    assert month.loc["pickup_conversion", "suppressed_reason"] == "small_group"
    assert month.loc["pickup_conversion", "raw_value"] == 0.1


def test_hidden_age_groups_never_add_up_to_a_small_group(manager_client, town):
    # 40 of the 43 are 35–44; showing it would publish 43 − 40 = 3 people under 25 or 65 or older.
    origin = page(manager_client, "origin", town)
    ages = table_rows(origin, "Unique visitors by age group")
    assert ages == [("under 25", "–"), ("35–44", "–"), ("65 or older", "–")]  # young to old, as the form lists
    table = download(manager_client, town, "ages").set_index("breakdown")
    assert pd.isna(table.loc["35-44", "value"]) and table.loc["35-44", "suppressed_reason"] == "secondary"
    # The distance bands beyond 5 km hold 6 + 5 = 11 people together: the 32 within 5 km stay shown.
    bands = table_rows(origin, "Unique visitors by distance band")
    assert bands[0] == ("0-5 km", "32") and {value for _label, value in bands[1:]} == {"–"}


@pytest.mark.usefixtures("english")
def test_places_with_fewer_than_k_visitors_are_not_named_but_counted_together(manager_client, town):
    origin = page(manager_client, "origin", town)
    municipalities = table_rows(origin, "Unique visitors by municipality")
    assert municipalities == [("Amersfoort", "32"), ("other municipalities", "11")]
    assert "municipalities with fewer than 10 visitors counted together" in origin
    assert "the 25 largest" not in origin
    csv = download(manager_client, town, "municipalities")
    assert dict(zip(csv["breakdown"], csv["value"], strict=True)) == {"Amersfoort": 32, "other": 11}
    published = api(manager_client, town, kpi="visitors_by_municipality")
    text = origin + csv.to_csv() + str(published)
    assert "Roosendaal" not in text and "Culemborg" not in text  # 6 and 5 people: never named
    # March: 8 people outside Amersfoort, so "other" is hidden, and Amersfoort with it (40 − 32 = 8).
    with translation.override("en"):  # the API request above left its own language active
        march = page(manager_client, "origin", town, start="2026-03-01")
    assert table_rows(march, "Unique visitors by municipality") == [("Amersfoort", "–"), ("other municipalities", "–")]


def test_a_bar_chart_of_people_counts_in_whole_steps_and_without_a_scale_when_all_is_hidden():
    hidden = str(charts.bar_chart(title="Ages", labels=["under 25", "25–34"], values=[None, None]))
    assert 'text-anchor="end"' not in hidden  # no value axis: 0, 0.25 … 1 measured nothing
    assert "No figures to show." in hidden and hidden.count("bar--hidden") == 2
    shown = str(charts.bar_chart(title="Ages", labels=["under 25", "25–34"], values=[10.0, None]))
    ticks = re.findall(r'text-anchor="end">([^<]*)<', shown)
    assert ticks == ["0", "5", "10", "15", "20"]
