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
