"""The feedback survey (storage, rate limit, suppression), the sitemap and structured data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from cms.exceptions import TooManyResponses
from cms.models import SurveyResponse
from cms.selectors import survey_summary
from cms.services import SURVEY_ANSWERS_PER_HOUR, record_survey_response


def _answers(area, count: int, **scores):
    for n in range(count):
        record_survey_response(
            area=area, page=None, ip=f"10.0.0.{n}", rating=4, visit_date=dt.date(2026, 5, 2), **scores
        )


@pytest.mark.django_db
def test_below_k_answers_every_figure_is_suppressed_with_a_reason(area):
    area.suppression_k = 10
    _answers(area, 9, cleanliness=3)
    summary = survey_summary(area=area, start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31))
    assert summary["k"] == 10
    assert summary["figures"]["rating"].average is None
    assert summary["figures"]["rating"].responses is None
    assert "10" in summary["figures"]["rating"].suppressed_reason


@pytest.mark.django_db
def test_at_k_answers_the_average_shows_and_a_rarely_answered_question_stays_hidden(area):
    area.suppression_k = 12
    _answers(area, 12)
    _answers(area, 1, cleanliness=2)
    figures = survey_summary(area=area, start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31))["figures"]
    assert figures["rating"].average == 4.0 and figures["rating"].responses == 13
    assert figures["cleanliness"].average is None
    # outside the period nothing counts
    assert (
        survey_summary(area=area, start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30))["figures"]["rating"].average
        is None
    )


@pytest.mark.django_db
def test_the_threshold_is_never_below_ten(area):
    area.suppression_k = 3  # as if the check constraint were bypassed
    _answers(area, 9)
    assert survey_summary(area=area, start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31))["k"] == 10


@pytest.mark.django_db
def test_answers_from_one_address_are_rate_limited_and_no_address_is_stored(area):
    for _n in range(SURVEY_ANSWERS_PER_HOUR):
        record_survey_response(area=area, page=None, ip="192.0.2.7", rating=5, visit_date=timezone.localdate())
    with pytest.raises(TooManyResponses):
        record_survey_response(area=area, page=None, ip="192.0.2.7", rating=5, visit_date=timezone.localdate())
    assert SurveyResponse.objects.count() == SURVEY_ANSWERS_PER_HOUR
    assert "192.0.2.7" not in {str(v) for row in SurveyResponse.objects.values() for v in row.values()}


@pytest.mark.django_db
def test_the_survey_page_stores_an_answer_and_the_poster_has_a_qr_code(site_pages, client):
    host = {"HTTP_HOST": "amersfoort.localhost"}
    response = client.post(
        "/nl/enquete/",
        {"rating": "5", "cleanliness": "4", "atmosphere": "", "visit_date": timezone.localdate().isoformat()},
        **host,
    )
    assert response.status_code == 200 and SurveyResponse.objects.get().cleanliness == 4
    assert client.post("/nl/enquete/", {"visit_date": "2026-01-01"}, **host).status_code == 200  # shows errors
    assert SurveyResponse.objects.count() == 1
    poster = client.get("/nl/enquete/poster/", **host).content.decode()
    assert "<svg" in poster and "http://amersfoort.localhost/nl/enquete/" in poster


@pytest.mark.django_db
def test_sitemap_lists_the_pages_and_their_translations(site_pages, client):
    from wagtail.models import Locale

    english = site_pages["news"].copy_for_translation(Locale.objects.get(language_code="en"))
    english.save_revision().publish()
    xml = client.get("/sitemap.xml", HTTP_HOST="amersfoort.localhost").content.decode()
    assert "http://amersfoort.localhost/nl/agenda/weekmarkt/" in xml
    assert "http://amersfoort.localhost/en/nieuws/" in xml


@pytest.mark.django_db
def test_event_pages_carry_event_json_ld_and_a_description(site_pages, client):
    html = client.get("/nl/agenda/weekmarkt/", HTTP_HOST="amersfoort.localhost").content.decode()
    assert '<script type="application/ld+json">' in html and '"@type": "Event"' in html
    assert '<meta name="description"' in html and "<title>Weekmarkt" in html


@pytest.mark.django_db
def test_the_visit_date_starts_at_today_in_iso_and_is_marked_required(site_pages, client):
    # A date input only takes an ISO value: in the page's own format ("01-12-2026") the browser shows it empty.
    html = client.get("/nl/enquete/", HTTP_HOST="amersfoort.localhost").content.decode()
    date_input = re.search(r'<input type="date" name="visit_date"[^>]*>', html).group(0)
    assert f'value="{timezone.localdate().isoformat()}"' in date_input and "required" in date_input
    label = re.search(r'<label for="id_visit_date">(.*?)</label>', html, re.S).group(1)
    assert "(verplicht)" in label
    # the optional comment is not marked required
    assert "(verplicht)" not in re.search(r'<label for="id_comment">(.*?)</label>', html, re.S).group(1)
