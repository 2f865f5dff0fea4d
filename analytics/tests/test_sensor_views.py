"""Sensors dashboard, upload with progress, the push API, the public open-data page and its OSLO export."""

import csv
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from accounts.roles import Role
from analytics.importers.service import import_file_now
from analytics.models import (
    AreaDataSettings,
    CountingPoint,
    ImportRun,
    ImportStatus,
    Observation,
    Provider,
    Sensor,
)
from areas.tests.factories import MerchantFactory, ShoppingAreaFactory, StaffMembershipFactory
from privacy.tests.factories import with_totp

from .conftest import MOERS, TEST_DATA

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, manager):
    client.force_login(with_totp(manager))
    return client


def dashboard_url(area):
    return f"/nl/analyse/{area.slug}/sensoren/"


def test_manager_sees_counting_points_charts_and_quality_flags(signed_in, hystreet_sensor, manager):
    import_file_now(
        area=hystreet_sensor.area, by=manager, source="hystreet", data=MOERS["mai"].read_bytes(), sensor=hystreet_sensor
    )
    response = signed_in.get(dashboard_url(hystreet_sensor.area) + "?until=2022-05-10")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Steinstraße, Moers" in html and html.count("<svg") >= 2
    assert "bar--hidden" in html  # the zero days are drawn hatched
    assert "nullen" in html.lower() or "zeros" in html.lower()


def test_others_may_not_see_or_upload(client, hystreet_sensor):
    area = hystreet_sensor.area
    shopkeeper = StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=MerchantFactory(area=area)).user
    other_manager = StaffMembershipFactory(role=Role.AREA_MANAGER, area=ShoppingAreaFactory(), merchant=None).user
    for user in (shopkeeper, other_manager):
        client.force_login(with_totp(user))
        assert client.get(dashboard_url(area)).status_code == 404
        upload = SimpleUploadedFile("x.csv", MOERS["juni"].read_bytes())
        response = client.post(
            dashboard_url(area) + "import/", {"source": "hystreet", "sensor": hystreet_sensor.pk, "file": upload}
        )
        assert response.status_code == 404
    client.logout()
    assert client.get(dashboard_url(area)).status_code == 302  # to the login page
    assert ImportRun.objects.count() == 0


def test_upload_runs_in_the_background_and_the_progress_can_be_polled(
    signed_in, hystreet_sensor, django_capture_on_commit_callbacks
):
    area = hystreet_sensor.area
    upload = SimpleUploadedFile(
        "hystreet_moers_juni-2022_hourly.csv", MOERS["juni"].read_bytes(), content_type="text/csv"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            dashboard_url(area) + "import/", {"source": "hystreet", "sensor": hystreet_sensor.pk, "file": upload}
        )
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/sensoren/import/{run.pk}/")
    status = signed_in.get(response["Location"] + "status/").json()
    assert status == {
        "status": "done",
        "status_label": status["status_label"],
        "rows_total": 720,
        "rows_done": 720,
        "progress": 1.0,
        "finished": True,
        "created": 720 * 9,
        "updated": 0,
        "errors": 0,
    }
    page = signed_in.get(response["Location"]).content.decode()
    assert "6480" in page


def test_a_refused_upload_lists_its_lines(signed_in, hystreet_sensor, django_capture_on_commit_callbacks):
    area = hystreet_sensor.area
    data = MOERS["juni"].read_bytes().replace(b"2022-06-01 04:00:00 +0200", b"kapot")
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            dashboard_url(area) + "import/",
            {"source": "hystreet", "sensor": hystreet_sensor.pk, "file": SimpleUploadedFile("j.csv", data)},
        )
    page = signed_in.get(response["Location"]).content.decode()
    assert ImportRun.objects.get().status == ImportStatus.FAILED and "kapot" in page and ">6<" in page
    assert Observation.objects.count() == 0


def test_hystreet_upload_needs_a_sensor(signed_in, hystreet_sensor):
    upload = SimpleUploadedFile("j.csv", MOERS["juni"].read_bytes())
    response = signed_in.post(dashboard_url(hystreet_sensor.area) + "import/", {"source": "hystreet", "file": upload})
    assert response.status_code == 400 and ImportRun.objects.count() == 0


# --- API ------------------------------------------------------------------------------------------------------


@pytest.fixture
def door(area):
    point = CountingPoint.objects.create(area=area, name="Deur", kind="store_entrance")
    return Sensor.objects.create(counting_point=point, provider=Provider.OWN, external_id="door-1")


def push(client, area, observations, user):
    if not Token.objects.filter(user=user).exists():
        with_totp(user)
    token = Token.objects.get_or_create(user=user)[0].key
    return client.post(
        f"/api/v1/areas/{area.pk}/observations/",
        {"observations": observations},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


def observation(hour, value):
    return {
        "sensor": "door-1",
        "observed_property": "store_entrants",
        "direction": "in",
        "start": f"2026-06-01T{hour:02d}:00:00+02:00",
        "value": value,
    }


def test_api_push_is_all_or_nothing_and_idempotent(client, door, manager):
    response = push(client, door.area, [observation(10, 5), observation(11, 7)], manager)
    assert response.status_code == 201 and response.json()["created"] == 2
    again = push(client, door.area, [observation(10, 5), observation(11, 8)], manager)
    assert again.status_code == 200 and again.json() == {
        "import_run": again.json()["import_run"],
        "created": 0,
        "updated": 2,
    }
    bad = push(client, door.area, [observation(12, 1), observation(13, -1)], manager)
    assert bad.status_code == 400 and bad.json()["errors"] == [
        {"line": 2, "field": "value", "message": bad.json()["errors"][0]["message"]}
    ]
    assert (
        Observation.objects.count() == 2
        and Observation.objects.get(phenomenon_start=datetime(2026, 6, 1, 9, tzinfo=UTC)).value == 8
    )


def test_api_push_refused_to_a_merchant_and_another_areas_manager(client, door):
    shopkeeper = StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=MerchantFactory(area=door.area)).user
    stranger = StaffMembershipFactory(role=Role.AREA_MANAGER, area=ShoppingAreaFactory(), merchant=None).user
    assert push(client, door.area, [observation(10, 5)], shopkeeper).status_code == 404
    assert push(client, door.area, [observation(10, 5)], stranger).status_code == 404
    assert client.post(
        f"/api/v1/areas/{door.area.pk}/observations/", {}, content_type="application/json"
    ).status_code in (401, 403)
    assert Observation.objects.count() == 0


# --- open data ------------------------------------------------------------------------------------------------


@pytest.fixture
def published(hystreet_sensor, manager, door):
    import_file_now(
        area=hystreet_sensor.area,
        by=manager,
        source="hystreet",
        data=MOERS["juni"].read_bytes(),
        sensor=hystreet_sensor,
    )
    import_file_now(
        area=door.area,
        by=manager,
        source="own_json",
        data=json.dumps(
            {
                "observations": [
                    {
                        "sensor": "door-1",
                        "observed_property": "persons",
                        "start": "2022-06-02T10:00:00+02:00",
                        "value": 77,
                    }
                ]
            }
        ).encode(),
    )
    return hystreet_sensor.area


def test_open_data_is_public_and_daily_only(client, published):
    response = client.get("/nl/open-data/?from=2022-06-01&to=2022-06-07")
    html = response.content.decode()
    assert response.status_code == 200 and "Steinstraße, Moers" in html
    assert "Deur" not in html  # a shop's door is never published
    assert "creativecommons.org/licenses/by/4.0/" in html
    csv_text = client.get("/nl/open-data/counts.csv?from=2022-06-01&to=2022-06-07").content.decode()
    lines = csv_text.strip().splitlines()
    assert lines[0] == "area,counting_point,date,observed_property,value,coverage,quality_flags,licence"
    assert len(lines) == 1 + 7 and "Deur" not in csv_text
    first = next(csv.reader([lines[1]]))
    assert first[2] == "2022-06-01" and float(first[4]) > 5000 and first[5] == "1.000"


def test_open_data_can_be_switched_off(client, published):
    AreaDataSettings.objects.create(area=published, open_data=False)
    assert client.get("/nl/open-data/").status_code == 404


def test_oslo_export_has_the_shape_of_the_worked_example(client, published):
    ours = json.loads(client.get("/nl/open-data/counts.jsonld?from=2022-06-01&to=2022-06-02").content)
    example = json.loads((TEST_DATA / "telraam_oslo_verkeersmetingen_compact.jsonld").read_text())
    assert ours["@context"][:5] == example["@context"][:5]
    assert set(example["@context"][5]) <= set(ours["@context"][5])

    def by_type(doc, kind):
        return [node for node in doc["@graph"] if node.get("@type") == kind]

    for kind in ("Dataset", "Verkeerstelling", "Sensor", "Verkeersmeetpunt"):
        assert by_type(ours, kind), kind
        expected = set(by_type(example, kind)[0]) - {
            "Verkeersmeetpunt.netwerkreferentie",
            "Verkeersbemonsteringsobject.bemonsterdObject",
        }
        assert expected <= set(by_type(ours, kind)[0]), kind
    tellingen = by_type(ours, "Verkeerstelling")
    assert len(tellingen) == 2
    telling = tellingen[0]
    assert telling["Verkeerstelling.geobserveerdKenmerk"] == {
        "@type": "Verkeerstellingkenmerk",
        "Verkeerstellingkenmerk.kenmerktype": "cl-vkt:aantal",
        "Verkeerskenmerk.voertuigType": "cl-vrt:voetganger",
    }
    ids = {node["@id"] for node in ours["@graph"]}
    assert {
        telling["Verkeersmeting.geobserveerdObject"],
        telling["Verkeersmeting.fenomeenTijd"],
        telling["Verkeersmeting.uitgevoerdMet"],
        telling["dct:memberOf"],
    } <= ids
    time_node = next(node for node in ours["@graph"] if node["@id"] == telling["Verkeersmeting.fenomeenTijd"])
    begin = time_node["Verkeersmeting.fenomeenTijd"]["time:hasBeginning"]["time:inXSDDateTime"]["@value"]
    end = time_node["Verkeersmeting.fenomeenTijd"]["time:hasEnd"]["time:inXSDDateTime"]["@value"]
    assert datetime.fromisoformat(end) - datetime.fromisoformat(begin) == timedelta(days=1)
    assert date.fromisoformat(begin[:10]) == date(2022, 6, 1)
