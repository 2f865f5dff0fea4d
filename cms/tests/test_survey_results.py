"""The survey's results for the area's managers (/<lang>/enquete/resultaten/): who may see them, the period,
and suppression below K answers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, UserFactory, give_totp
from cms.models import SurveyResponse

HOST = {"HTTP_HOST": "amersfoort.localhost"}
URL = "/nl/enquete/resultaten/"


def _answers(area, count: int, *, visit_date: dt.date, **scores):
    SurveyResponse.objects.bulk_create(
        SurveyResponse(area=area, rating=4, visit_date=visit_date, **scores) for _n in range(count)
    )


def _signed_in(client, user):
    give_totp(user)  # role holders need a second factor before any page
    client.force_login(user)
    return user


@pytest.fixture(autouse=True)
def _k_is_ten(db, area):
    area.suppression_k = 10  # the lowest allowed; the default is 30
    area.save()


@pytest.fixture
def manager(area):
    return StaffMembershipFactory(role=Role.AREA_MANAGER, area=area).user


def _cells(html: str) -> dict[str, str]:
    """Question label → the text of its row's cells."""
    rows = re.findall(r'<tr>\s*<th scope="row">([^<]+)</th>(.*?)</tr>', html, flags=re.S)
    return {label.strip(): re.sub(r"<[^>]+>", " ", cells).split() for label, cells in rows}


@pytest.mark.django_db
def test_the_manager_sees_averages_and_suppressed_figures_never_show_their_count(client, area, site_pages, manager):
    # given: 12 answers this month, 7 of which rated cleanliness; K is 10
    today = timezone.now().astimezone(area.tz).date()
    _answers(area, 5, visit_date=today)
    _answers(area, 7, visit_date=today, cleanliness=2)
    _signed_in(client, manager)

    # when
    response = client.get(URL, **HOST)

    # then: the overall rating with its count; cleanliness as "fewer than 10 answers", without the 7
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    cells = _cells(response.content.decode())
    assert cells["Totaalcijfer"] == ["4,0", "12"]
    assert cells["Netheid"] == ["minder", "dan", "10", "antwoorden"]
    assert "7" not in cells["Netheid"] and "2,0" not in response.content.decode()
    assert '<meta name="robots" content="noindex">' in response.content.decode()


@pytest.mark.django_db
def test_the_default_period_is_this_month_and_the_two_before(client, area, site_pages, manager):
    today = timezone.now().astimezone(area.tz).date()
    this_month = today.replace(day=1)
    three_months_ago = (this_month - dt.timedelta(days=75)).replace(day=1)
    _answers(area, 10, visit_date=this_month)
    _answers(area, 10, visit_date=three_months_ago)  # outside the default period
    _signed_in(client, manager)
    response = client.get(URL, **HOST)
    assert response.context["figures"]["rating"].responses == 10
    assert response.context["end"] >= today


@pytest.mark.django_db
def test_a_chosen_period_counts_whole_months(client, area, site_pages, manager):
    _answers(area, 10, visit_date=dt.date(2025, 3, 1))
    _answers(area, 10, visit_date=dt.date(2025, 4, 30))
    _answers(area, 10, visit_date=dt.date(2025, 5, 1))
    _signed_in(client, manager)
    response = client.get(URL, {"start": "2025-03", "end": "2025-04"}, **HOST)
    assert (response.context["start"], response.context["end"]) == (dt.date(2025, 3, 1), dt.date(2025, 4, 30))
    assert response.context["figures"]["rating"].responses == 20


@pytest.mark.django_db
def test_a_period_ending_before_it_starts_shows_an_error_and_the_default_period(client, area, site_pages, manager):
    _signed_in(client, manager)
    response = client.get(URL, {"start": "2025-05", "end": "2025-03"}, **HOST)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["end"].month == timezone.now().astimezone(area.tz).month


@pytest.mark.django_db
def test_the_english_page_shows_the_results_too(client, area, site_pages, manager):
    from wagtail.models import Locale

    site_pages["feedback"].copy_for_translation(Locale.objects.get(language_code="en")).save_revision().publish()
    _signed_in(client, manager)
    response = client.get("/en/enquete/resultaten/", **HOST)
    assert response.status_code == 200
    assert "fewer than 10 answers" in response.content.decode()


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_log_in(client, site_pages):
    response = client.get(URL, **HOST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["member", "other_area_manager", "merchant_owner", "parcel_staff"])
def test_only_the_areas_managers_see_the_results(client, area, flemish_area, site_pages, who):
    from areas.tests.factories import MerchantFactory

    user = {
        "member": lambda: UserFactory(),
        "other_area_manager": lambda: StaffMembershipFactory(role=Role.AREA_MANAGER, area=flemish_area).user,
        "merchant_owner": lambda: (
            StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=MerchantFactory(area=area)).user
        ),
        "parcel_staff": lambda: StaffMembershipFactory(role=Role.PARCEL_STAFF, area=area).user,
    }[who]()
    _signed_in(client, user)
    assert client.get(URL, **HOST).status_code == 403


@pytest.mark.django_db
def test_a_platform_admin_sees_the_results(client, site_pages):
    _signed_in(client, StaffMembershipFactory(role=Role.PLATFORM_ADMIN).user)
    assert client.get(URL, **HOST).status_code == 200


@pytest.mark.django_db
def test_the_survey_links_to_the_results_for_the_managers_only(client, site_pages, manager):
    link = 'href="/nl/enquete/resultaten/"'
    assert link not in client.get("/nl/enquete/", **HOST).content.decode()
    _signed_in(client, manager)
    assert link in client.get("/nl/enquete/", **HOST).content.decode()
