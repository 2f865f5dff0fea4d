"""The pre-announcement API: token auth, single and batch, idempotent per code, 400 with field errors."""

import pytest
from rest_framework.authtoken.models import Token

from parcels.models import Announcement
from privacy.tests.factories import with_totp

from .factories import UPS_CODES, desk_staff


def url(point):
    return f"/api/v1/parcel-points/{point.pk}/announcements/"


def token_headers(user):
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=with_totp(user)).key}"}


def parcel(index=0, **changes):
    return {
        "tracking_code": UPS_CODES[index],
        "carrier": "ups",
        "recipient_name": "Sanne de Vries",
        "recipient_email": "sanne@example.org",
    } | changes


@pytest.fixture
def api(client, staff):
    client.defaults.update(token_headers(staff))
    return client


def test_one_parcel_is_announced_and_a_retry_returns_the_first(api, point):
    response = api.post(
        url(point), parcel(expected_on="2026-06-12", reference="order 1"), content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["carrier"] == "ups" and body["tracking_code"] == UPS_CODES[0] and body["created"] is True
    again = api.post(url(point), parcel(tracking_code=UPS_CODES[0].lower()), content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == body["id"] and again.json()["created"] is False
    assert Announcement.objects.get().source == "api"


def test_a_batch_is_announced_whole_with_the_carrier_recognised(api, point):
    batch = [parcel(0), parcel(1, carrier=""), parcel(2, recipient_email="jan@example.org")]
    response = api.post(url(point), batch, content_type="application/json")
    assert response.status_code == 201
    assert [row["created"] for row in response.json()] == [True, True, True]
    assert [row["carrier"] for row in response.json()] == ["ups", "ups", "ups"]
    assert api.post(url(point), batch, content_type="application/json").status_code == 200
    assert Announcement.objects.count() == 3


def test_a_batch_with_one_bad_item_announces_nothing(api, point):
    batch = [parcel(0), parcel(1, tracking_code="1Z5R89390357567128")]
    response = api.post(url(point), batch, content_type="application/json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["index"], error["field"]) == (1, "tracking_code")
    assert not Announcement.objects.exists()


def test_field_errors_come_back_per_field(api, point):
    response = api.post(url(point), parcel(recipient_email="nope", carrier="fedex"), content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"recipient_email", "carrier"}
    batch = api.post(url(point), [parcel(0), {"tracking_code": ""}], content_type="application/json")
    assert batch.status_code == 400 and set(batch.json()) == {"1"} and "recipient_name" in batch.json()["1"]


def test_only_the_points_staff_may_call_it(client, point, person, flemish_area):
    assert client.post(url(point), parcel(), content_type="application/json").status_code in (401, 403)
    other = client.post(
        url(point), parcel(), content_type="application/json", **token_headers(desk_staff(flemish_area))
    )
    assert other.status_code == 404
    member = client.post(url(point), parcel(), content_type="application/json", **token_headers(person))
    assert member.status_code == 404
    assert not Announcement.objects.exists()


def test_the_endpoint_is_in_the_openapi_schema(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/parcel-points/{id}/announcements/:" in schema and "ParcelAnnouncementRequest" in schema


def test_a_long_address_and_an_implausible_date_are_refused_per_item(api, point):
    long_address = "a" * 250 + "@example.org"  # 262 characters: the column takes 254
    batch = [parcel(0), parcel(1, expected_on="1900-01-01"), parcel(2, expected_on="2026-06-12")]
    response = api.post(url(point), batch, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["index"], error["item"], error["field"]) == (1, 2, "expected_on")
    assert error["message"].startswith("1900-01-01 is not a plausible expected date: give one from ")
    too_long = api.post(url(point), parcel(recipient_email=long_address), content_type="application/json")
    assert too_long.status_code == 400 and "recipient_email" in too_long.json()
    assert not Announcement.objects.exists()


def test_errors_number_the_items_from_one(api, point):
    batch = [parcel(0), parcel(1), parcel(0)]
    response = api.post(url(point), batch, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    (error,) = response.json()["errors"]
    assert (error["index"], error["item"]) == (2, 3)
    assert error["message"] == "This parcel is in the list twice (also item 1)."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "The request body is not valid JSON."),
        ("null", "Send one parcel (an object) or a list of parcels."),
        ("[]", "The list of parcels is empty."),
    ],
)
def test_a_body_that_is_no_parcel_gets_a_message_of_ours(api, point, body, message):
    response = api.post(url(point), body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and response.json()["detail"] == message


def test_the_messages_are_in_the_requests_language(api, point):
    # Dutch: the framework's own (translated) and the date's, which the framework only half translates
    dutch = api.post(url(point), parcel(expected_on="12 juni", recipient_name=""), content_type="application/json")
    assert dutch.json()["recipient_name"] == ["Dit veld mag niet leeg zijn."]
    assert "Date heeft het verkeerde formaat" not in dutch.json()["expected_on"][0]
    english = api.post(
        url(point), parcel(expected_on="12 juni"), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json()["expected_on"] == ["Give the date as YYYY-MM-DD, for example 2026-06-12."]
    too_many = api.post(url(point), [parcel(0)] * 501, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert too_many.json()["detail"] == "At most 500 parcels per request."
    elsewhere = f"/api/v1/parcel-points/{point.pk + 1000}/announcements/"
    missing = api.post(elsewhere, parcel(), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No such parcel point, or not one you work at."
