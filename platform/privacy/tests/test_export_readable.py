"""The export page ("Alles wat we over je bewaren") reads in the person's language: column names, choices by their
label, Ja/Nee, times in the area's time zone. The JSON download keeps the values as stored."""

import datetime as dt
import json
import re
import zoneinfo

import pytest
from allauth.account.models import EmailAddress
from django.utils import formats, timezone, translation

from loyalty import services as loyalty_services

PAGE = "/{language}/privacy/my-data/"
AMERSFOORT = zoneinfo.ZoneInfo("Europe/Amsterdam")


def _moment() -> dt.datetime:
    """A whole minute just after the purposes' texts were published (a decision needs a text shown by then)."""
    return (timezone.now() + dt.timedelta(minutes=2)).replace(second=0, microsecond=0)


def _as_people_write_it(moment: dt.datetime, language: str, zone) -> str:
    with translation.override(language):
        return formats.date_format(moment.astimezone(zone), "DATETIME_FORMAT")


@pytest.fixture
def exported(client, person, area, decide):
    """A person with a verified address, a pass (its welcome points) and a consent decision, logged in."""
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    client.moment = _moment()
    loyalty_services.join_pass(user=person, area=area, now=client.moment)
    decide(person, area, "analytics", "given", at=client.moment)
    client.force_login(person)
    return client


def _headers(html: str) -> list[str]:
    return re.findall(r'<th scope="col">([^<]*)</th>', html)


def _cells(html: str) -> list[str]:
    return [cell.strip() for cell in re.findall(r"<td>([^<]*)</td>", html)]


def test_the_dutch_page_names_columns_and_values_in_dutch(exported, area):
    html = exported.get(PAGE.format(language="nl")).content.decode()
    headers, cells = _headers(html), _cells(html)
    for english in ("Record id", "Area", "Purpose", "Purpose version", "State", "Updated at"):
        assert english not in headers
    assert {"Winkelgebied", "Doel", "Tekstversie", "Bijgewerkt op"} <= set(headers)
    for raw in ("earn", "welcome", "given", "signup", "settings", "active", "True", "False", "analytics", "en"):
        assert raw not in cells, raw
    assert {"Ja", "Gegeven", "Engels", area.name} <= set(cells)  # "Engels": the language the text was shown in
    # times in the area's time zone, as people write them
    assert "+00:00" not in html and exported.moment.isoformat()[:11] not in html
    assert _as_people_write_it(exported.moment, "nl", AMERSFOORT) in html
    assert _as_people_write_it(exported.moment, "nl", dt.UTC) not in html


def test_the_english_page_shows_labels_too(exported):
    html = exported.get(PAGE.format(language="en")).content.decode()
    cells = _cells(html)
    assert {"Yes", "Given"} <= set(cells)
    assert "given" not in cells and "True" not in cells
    assert _as_people_write_it(exported.moment, "en", AMERSFOORT) in html


def test_the_download_keeps_the_stored_values(exported):
    response = exported.get(PAGE.format(language="nl"), {"format": "json"})
    data = json.loads(response.content)
    consent = data["data"]["privacy.consentevent"]
    assert consent["rows"][0]["state"] == "given" and consent["rows"][0]["occurred_at"] == exported.moment.isoformat()
    assert consent["fields"]["purpose"] == "doel"  # the column names are readable here too
    assert data["data"]["account.emailaddress"]["rows"][0]["verified"] is True


def test_the_dutch_page_says_je_not_u(exported):
    # Needs the Dutch of the analytics sections' titles with "je" (analytics/locale/nl).
    html = exported.get(PAGE.format(language="nl")).content.decode()
    for formal in ("Door u ", "Uw klantsegment", "uw bezoeken", "als u "):
        assert formal not in html, formal


def test_column_names_read_alike_in_the_download_and_on_the_page(exported):
    # Other packages name some fields with a capital ("Primair", allauth's), Django's own in lower case.
    data = json.loads(exported.get(PAGE.format(language="nl"), {"format": "json"}).content)["data"]
    labels = [label for section in data.values() for label in section["fields"].values()]
    words = [label for label in labels if len(label) > 1 and not label.isupper()]
    assert words and all(label[0] == label[0].lower() for label in words), [w for w in words if w[0].isupper()]
    assert data["account.emailaddress"]["fields"]["primary"] == "primair"
    html = exported.get(PAGE.format(language="nl")).content.decode()
    assert "Primair" in _headers(html)  # the page capitalises every column name alike


def test_a_customer_segment_is_named_as_the_campaign_pages_name_it(exported, person, area):
    from analytics.extract import subject_of
    from analytics.models import SegmentAssignment, SegmentRun

    run = SegmentRun.objects.create(area=area, as_of=dt.date(2026, 11, 1))
    SegmentAssignment.objects.create(
        run=run, subject=subject_of(person.pseudonym), recency=5, frequency=1, monetary=2, segment="rfm_new", cluster=0
    )

    page = exported.get(PAGE.format(language="en")).content.decode()
    assert "New (first visit in the last 90 days)" in page and "rfm_new" not in page
    download = json.loads(exported.get(PAGE.format(language="en") + "?format=json").content)
    assert "rfm_new" in json.dumps(download)  # the download keeps the stored value


def test_the_audit_and_the_requests_read_in_words_not_table_names(exported):
    exported.get(PAGE.format(language="en") + "?format=json")  # an export: audited, and a request with a summary

    page = exported.get(PAGE.format(language="en")).content.decode()

    assert "accounts.user" not in page and "loyalty.pass" not in page and '{"rows"' not in page
    assert re.search(r"\d+ kinds of data, \d+ rows", page)
