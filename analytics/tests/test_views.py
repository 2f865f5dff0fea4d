"""The dashboards, downloads, report and API: who sees what, suppressed everywhere but for the platform admin,
and a bounded number of queries per page."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from analytics import services
from areas.tests.factories import ShoppingAreaFactory, StaffMembershipFactory, UserFactory
from privacy.tests.factories import with_totp

from .conftest import TODAY

pytestmark = pytest.mark.django_db

MARCH = {"period": "month", "start": "2026-03-01"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def person_with(role, **scope):
    return with_totp(StaffMembershipFactory(role=role, **scope).user)


@pytest.fixture
def computed(area, world):
    services.recompute(area=area, today=TODAY)
    return world


def area_pages(area):
    return [
        reverse(f"analytics:{name}", kwargs={"area": area.slug})
        for name in ("overview", "trends", "origin", "comparison")
    ]


def test_the_area_manager_sees_every_page_with_suppressed_figures(
    client, area, computed, django_assert_max_num_queries
):
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    for url in area_pages(area):
        with django_assert_max_num_queries(20):
            response = client.get(url, MARCH)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-cache"
    overview = client.get(area_pages(area)[0], MARCH).content.decode()
    assert "Bakkerij" in overview and "Boetiek" in overview
    assert 'role="img"' in overview and "<title" in overview  # the chart, drawn as accessible SVG
    assert "Hidden" in overview or "hidden" in overview
    # The boutique's 4 visits and the florist's 1 are not on the page (area: 17 visits).
    row = overview[overview.index("Boetiek") : overview.index("</tr>", overview.index("Boetiek"))]
    assert '<td class="num">4</td>' not in row and "–" in row
    trends = client.get(area_pages(area)[1], {**MARCH, "kpi": "visits"}).content.decode()
    assert "Visits by weekday and hour" in trends


def test_only_the_platform_admin_may_see_unsuppressed_figures(client, area, computed):
    boutique = computed["boutique"]
    url = reverse("analytics:export", kwargs={"area": area.slug, "table": "merchants", "fmt": "csv"})
    manager = person_with(Role.AREA_MANAGER, area=area)
    client.force_login(manager)
    table = pd.read_csv(io.BytesIO(client.get(url, {**MARCH, "unsuppressed": "1"}).content), dtype={"scope_id": str})
    row = table[(table["scope_id"] == str(boutique.pk)) & (table["kpi"] == "visits")].iloc[0]
    assert pd.isna(row["value"]) and row["suppressed_reason"] == "small_group"
    admin = with_totp(UserFactory(is_superuser=True, is_staff=True))
    client.force_login(admin)
    table = pd.read_csv(io.BytesIO(client.get(url, {**MARCH, "unsuppressed": "1"}).content), dtype={"scope_id": str})
    row = table[(table["scope_id"] == str(boutique.pk)) & (table["kpi"] == "visits")].iloc[0]
    assert row["value"] == 4 and row["suppressed_reason"] == "small_group"
    page = client.get(area_pages(area)[0], {**MARCH, "unsuppressed": "1"}).content.decode()
    assert "without small-group suppression" in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_every_table_downloads_with_hidden_cells_empty_and_their_reason(client, area, computed, fmt):
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    for table in ("overview", "trend", "sectors", "merchants", "hours", "ages", "comparison"):
        url = reverse("analytics:export", kwargs={"area": area.slug, "table": table, "fmt": fmt})
        response = client.get(url, MARCH)
        assert response.status_code == 200, table
        assert response["Content-Disposition"].startswith("attachment;")
        content = io.BytesIO(response.content)
        frame = {"csv": pd.read_csv, "xlsx": pd.read_excel, "parquet": pd.read_parquet}[fmt](content)
        assert "suppressed_reason" in frame.columns
        hidden = frame[frame["suppressed_reason"].astype("string").fillna("") != ""]
        assert hidden["value"].isna().all(), table
    sectors = pd.read_csv(
        io.BytesIO(
            client.get(
                reverse("analytics:export", kwargs={"area": area.slug, "table": "sectors", "fmt": "csv"}), MARCH
            ).content
        )
    )
    assert set(sectors[sectors["kpi"] == "visits"]["suppressed_reason"]) == {"small_group", "secondary"}


def test_quarterly_report_is_a_pdf(client, area, computed):
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    response = client.get(reverse("analytics:report", kwargs={"area": area.slug, "year": 2026, "quarter": 1}))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_people_outside_the_area_get_404_and_merchant_staff_403_or_404(client, area, computed):
    other_area = ShoppingAreaFactory()
    for person in (
        person_with(Role.AREA_MANAGER, area=other_area),
        person_with(Role.MERCHANT_OWNER, merchant=computed["bakery"]),
        person_with(Role.PARCEL_STAFF, area=area),
    ):
        client.force_login(person)
        for url in area_pages(area):
            assert client.get(url).status_code == 404, (person, url)
        url = reverse("analytics:export", kwargs={"area": area.slug, "table": "overview", "fmt": "csv"})
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(area_pages(area)[0]).status_code == 302


def test_a_merchant_owner_sees_only_their_own_page_with_an_index(client, area, computed, django_assert_max_num_queries):
    bakery, boutique = computed["bakery"], computed["boutique"]
    client.force_login(person_with(Role.MERCHANT_OWNER, merchant=bakery))
    url = reverse("analytics:merchant", kwargs={"merchant_pk": bakery.pk})
    with django_assert_max_num_queries(20):
        response = client.get(url, {"period": "month", "start": "2026-04-01"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Index against sector" in page
    assert client.get(reverse("analytics:merchant", kwargs={"merchant_pk": boutique.pk})).status_code == 404
    download = client.get(reverse("analytics:merchant_export", kwargs={"merchant_pk": bakery.pk, "fmt": "csv"}))
    frame = pd.read_csv(io.BytesIO(download.content))
    assert set(frame["purpose"]) == {"share_with_merchants"}
    assert set(frame["scope_id"].astype(str)) == {str(bakery.pk)}
    # 6 of the 12 share with merchants: under K = 10, so the bakery's own figures are hidden.
    assert frame[frame["kpi"] == "visits"]["value"].isna().all()
    assert client.get(reverse("analytics:start")).status_code == 302


def test_recompute_on_demand_shows_progress(client, area, computed, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("analytics.tasks.recompute_area_task.delay", lambda **kw: queued.append(kw))
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("analytics:recompute", kwargs={"area": area.slug}))
    assert response.status_code == 302 and len(queued) == 1
    page = client.get(response["Location"])
    assert b"<progress" in page.content and b'http-equiv="refresh"' in page.content
    status = client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    assert status == {"status": "queued", "progress": 0, "step": ""}


def test_api_gives_the_stored_figures_by_access_level(client, area, computed):
    manager = person_with(Role.AREA_MANAGER, area=area)
    client.force_login(manager)
    url = reverse("api:analytics-area-figures", kwargs={"area": area.slug})
    body = client.get(url, {"period": "month", "start": "2026-03-01", "kpi": "visits", "scope": "merchant"}).json()
    assert body["count"] == 3
    by_id = {row["scope_id"]: row for row in body["results"]}
    assert by_id[str(computed["boutique"].pk)]["value"] is None
    assert by_id[str(computed["boutique"].pk)]["suppressed_reason"] == "small_group"
    owner = person_with(Role.MERCHANT_OWNER, merchant=computed["bakery"])
    client.force_login(owner)
    assert client.get(url).status_code == 404
    mine = reverse("api:analytics-merchant-figures", kwargs={"pk": computed["bakery"].pk})
    assert client.get(mine).status_code == 200
    other = reverse("api:analytics-merchant-figures", kwargs={"pk": computed["boutique"].pk})
    assert client.get(other).status_code == 404
    client.logout()
    assert client.get(url).status_code in (401, 403)


def test_navigation_shows_analytics_to_managers_and_owners_only(client, area, computed):
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    assert reverse("analytics:start").encode() in client.get(reverse("analytics:start"), follow=True).content
    client.force_login(with_totp(UserFactory()))
    assert client.get(reverse("analytics:start")).status_code == 403
