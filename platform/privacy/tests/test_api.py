"""The member's privacy API: own data only, field errors on bad input."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from privacy import selectors
from privacy.models import AuditEntry, ConsentEvent, ConsentState


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def api(person):
    return _client_for(person)


def test_list_my_consents_in_an_area(api, person, area, decide):
    decide(person, area, "analytics", ConsentState.GIVEN)
    response = api.get("/api/v1/me/consents/", {"area": area.slug})
    assert response.status_code == 200
    rows = {row["purpose"]: row for row in response.json()}
    assert rows["analytics"]["status"] == "given" and rows["analytics"]["is_given"]
    assert rows["operate_pass"]["status"] == "contract" and not rows["operate_pass"]["needs_consent"]
    assert rows["marketing"]["status"] == "" and rows["marketing"]["text_version"] == 1


def test_record_a_decision(api, person, area):
    response = api.post("/api/v1/me/consents/", {"area": area.slug, "purpose": "marketing", "state": "given"})
    assert response.status_code == 201
    assert response.json()["state"] == "given" and response.json()["text_version"] == 1
    assert selectors.has_consent(person, "marketing", area=area)
    assert ConsentEvent.objects.get().method == "api"

    api.post("/api/v1/me/consents/", {"area": area.slug, "purpose": "marketing", "state": "withdrawn"})
    assert not selectors.has_consent(person, "marketing", area=area)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"purpose": "marketing", "state": "given"}, "area"),
        ({"area": "nowhere", "purpose": "marketing", "state": "given"}, "area"),
        ({"area": None, "purpose": "marketing", "state": "maybe"}, "state"),
        ({"area": None, "purpose": "profiling", "state": "given"}, "purpose"),
        ({"area": None, "purpose": "operate_pass", "state": "withdrawn"}, "purpose"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(api, area, payload, field):
    if payload.get("area", "") is None:
        payload["area"] = area.slug
    response = api.post("/api/v1/me/consents/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ConsentEvent.objects.exists()


def test_consent_to_an_outdated_text_version_is_a_400(api, area):
    payload = {"area": area.slug, "purpose": "marketing", "state": "given", "text_version": 7}
    response = api.post("/api/v1/me/consents/", payload, format="json")
    assert response.status_code == 400 and list(response.json()) == ["text_version"]
    payload["text_version"] = 1
    assert api.post("/api/v1/me/consents/", payload, format="json").status_code == 201


def test_reads_need_a_known_area(api):
    for path in ("/api/v1/me/consents/", "/api/v1/me/consent-receipt/"):
        for query in ({}, {"area": "nowhere"}):
            response = api.get(path, query)
            assert response.status_code == 400 and list(response.json()) == ["area"]


def test_receipt_by_api(api, person, area):
    response = api.get("/api/v1/me/consent-receipt/", {"area": area.slug})
    assert response.status_code == 200
    assert response.json()["pii_principal_id"] == str(person.pseudonym)


def test_export_by_api_is_audited(api, person):
    response = api.get("/api/v1/me/export/")
    assert response.status_code == 200
    assert response.json()["data"]["accounts.user"]["rows"][0]["email"] == person.email
    assert AuditEntry.objects.get(subject=person, action="export").via == "api"


def test_person_a_cannot_read_or_change_person_b(person, other_person, area, decide):
    decide(other_person, area, "analytics", ConsentState.GIVEN)
    a = _client_for(person)

    export = a.get("/api/v1/me/export/", {"user": other_person.pk, "subject": other_person.pk}).content.decode()
    assert other_person.email not in export and person.email in export
    receipt = a.get("/api/v1/me/consent-receipt/", {"area": area.slug, "user": other_person.pk}).json()
    assert receipt["pii_principal_id"] == str(person.pseudonym)
    consents = a.get("/api/v1/me/consents/", {"area": area.slug, "user": other_person.pk}).json()
    assert next(row for row in consents if row["purpose"] == "analytics")["status"] == ""

    a.post(
        "/api/v1/me/consents/",
        {"area": area.slug, "purpose": "analytics", "state": "withdrawn", "subject": other_person.pk},
    )
    assert selectors.has_consent(other_person, "analytics", area=area)


def test_anonymous_callers_get_nothing(area):
    client = APIClient()
    for path in ("/api/v1/me/consents/", "/api/v1/me/consent-receipt/", "/api/v1/me/export/"):
        assert client.get(path, {"area": area.slug}).status_code in (401, 403)
