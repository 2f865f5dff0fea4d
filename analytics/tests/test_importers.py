"""Our own format, Telraam reports and KNMI files: parsed, checked by line, all or nothing, idempotent."""

import json
from datetime import UTC, date, datetime

import pytest

from analytics.controls import daily_controls
from analytics.importers import knmi
from analytics.importers.service import import_file_now
from analytics.models import (
    AreaDataSettings,
    CountingPoint,
    ImportStatus,
    Observation,
    Provider,
    Sensor,
    WeatherDay,
    WeatherStation,
)
from analytics.quality import Flag

from .conftest import KNMI_260, TEST_DATA

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(area):
    point = CountingPoint.objects.create(area=area, name="Deur Boekhandel", kind="store_entrance")
    return Sensor.objects.create(counting_point=point, provider=Provider.OWN, external_id="door-1")


@pytest.fixture
def segment(area):
    point = CountingPoint.objects.create(area=area, name="Langestraat", kind="road_segment")
    return Sensor.objects.create(counting_point=point, provider=Provider.TELRAAM, external_id="426009")


OWN_CSV = (
    "sensor;observed_property;direction;start;end;value;uptime\r\n"
    "door-1;store_entrants;in;2026-06-01T10:00:00+02:00;2026-06-01T11:00:00+02:00;153;0.98\r\n"
    "door-1;store_entrants;in;2026-06-01 11:00;;171,0;\r\n"
)


def test_own_csv_with_a_naive_time_read_in_the_area_zone_and_a_default_end(door, manager):
    run = import_file_now(area=door.area, by=manager, source="own_csv", data=OWN_CSV.encode())
    assert run.status == ImportStatus.DONE and run.created == 2
    second = Observation.objects.get(value=171)
    assert second.phenomenon_start == datetime(2026, 6, 1, 9, tzinfo=UTC)
    assert second.phenomenon_end == datetime(2026, 6, 1, 10, tzinfo=UTC) and second.direction == "in"
    assert Observation.objects.get(value=153).uptime == 0.98


def test_own_csv_every_bad_line_is_reported_and_nothing_is_written(door, manager):
    bad = OWN_CSV + (
        "door-9;store_entrants;in;2026-06-01T12:00:00+02:00;;5;\r\n"
        "door-1;walkers;sideways;gisteren;;-3;2\r\n"
        "door-1;store_entrants;in;2026-06-01T10:00:00+02:00;;1;\r\n"
    )
    run = import_file_now(area=door.area, by=manager, source="own_csv", data=bad.encode())
    assert run.status == ImportStatus.FAILED
    assert [(e["line"], e["field"]) for e in run.errors] == [
        (4, "sensor"),
        (5, "observed_property"),
        (5, "direction"),
        (5, "start"),
        (5, "value"),
        (5, "uptime"),
        (6, "start"),  # the same hour as line 2
    ]
    assert Observation.objects.count() == 0


def test_own_json_and_reimport_updates_in_place(door, manager):
    payload = {
        "observations": [
            {
                "sensor": "door-1",
                "observed_property": "store_entrants",
                "direction": "in",
                "start": "2026-06-01T10:00:00+02:00",
                "value": 10,
            }
        ]
    }
    first = import_file_now(area=door.area, by=manager, source="own_json", data=json.dumps(payload).encode())
    payload["observations"][0]["value"] = 12
    second = import_file_now(area=door.area, by=manager, source="own_json", data=json.dumps(payload).encode())
    assert (first.created, second.created, second.updated) == (1, 0, 1)
    assert Observation.objects.get().value == 12 and Observation.objects.get().import_run_id == second.pk


def test_telraam_snapshot_example_imports_every_class_with_its_uptime(segment, manager):
    run = import_file_now(
        area=segment.area, by=manager, source="telraam", data=(TEST_DATA / "telraam_snapshot_example.json").read_bytes()
    )
    assert run.status == ImportStatus.DONE and run.created == 4
    values = {o.observed_property: o for o in Observation.objects.all()}
    assert values["car"].value == pytest.approx(277.230655312846)
    assert values["bike"].phenomenon_start == datetime(2021, 9, 30, 6, tzinfo=UTC)
    assert values["bike"].phenomenon_end == datetime(2021, 9, 30, 7, tzinfo=UTC)
    assert values["pedestrian"].uptime == pytest.approx(0.750277777777778)


def test_telraam_report_directions_and_low_uptime_flagged(segment, manager):
    report = {
        "report": [
            {
                "segment_id": 426009,
                "date": "2026-06-01T08:00:00.000Z",
                "interval": "hourly",
                "uptime": 0.31,
                "car": 40,
                "car_lft": 25,
                "car_rgt": 15,
                "bike": 9,
            },
            {"segment_id": 426009, "date": "2026-06-01T09:00:00.000Z", "interval": "hourly", "uptime": 0.8, "car": 50},
        ]
    }
    run = import_file_now(area=segment.area, by=manager, source="telraam", data=json.dumps(report).encode())
    assert run.created == 5
    left = Observation.objects.get(observed_property="car", direction="left")
    assert left.value == 25 and left.flags & Flag.LOW_UPTIME
    assert not Observation.objects.get(observed_property="car", direction="both", value=50).flags & Flag.LOW_UPTIME


def test_telraam_unknown_segment_and_bad_row_refused(segment, manager):
    report = {
        "report": [
            {"segment_id": 1, "date": "2026-06-01T08:00:00Z", "car": 4},
            {"segment_id": 426009, "date": "x", "car": "veel"},
        ]
    }
    run = import_file_now(area=segment.area, by=manager, source="telraam", data=json.dumps(report).encode())
    assert run.status == ImportStatus.FAILED
    assert [(e["line"], e["field"]) for e in run.errors] == [(1, "segment_id"), (2, "date")]


def test_knmi_file_parses_with_units_converted():
    parsed = knmi.parse(KNMI_260.read_bytes())
    assert parsed.errors == [] and parsed.station == (260, "De Bilt")
    days = {day.date: day for day in parsed.weather}
    assert len(days) == 8116
    first = days[date(2000, 1, 1)]
    assert (first.temp_mean_c, first.precipitation_mm, first.sunshine_h) == (6.1, 1.0, 0.0)
    assert days[date(2000, 1, 2)].precipitation_mm == 0.0  # −1: less than 0.05 mm
    last = days[date(2022, 3, 21)]
    assert (last.temp_mean_c, last.temp_max_c, last.sunshine_h) == (7.7, 16.3, 11.1)


def test_knmi_import_sets_the_area_station_and_feeds_the_controls(area, manager):
    excerpt = b"\n".join(KNMI_260.read_bytes().splitlines()[:1] + KNMI_260.read_bytes().splitlines()[-40:])
    run = import_file_now(area=area, by=manager, source="knmi", data=excerpt, file_name="etmgeg_260.txt")
    assert run.status == ImportStatus.DONE and run.created == 40
    station = WeatherStation.objects.get(code=260)
    assert AreaDataSettings.objects.get(area=area).weather_station == station
    frame = daily_controls(area=area, start=date(2022, 3, 20), end=date(2022, 3, 23))
    assert list(frame["temp_mean_c"].iloc[:2]) == [4.5, 7.7] and frame["temp_mean_c"].isna().iloc[2]
    again = import_file_now(area=area, by=manager, source="knmi", data=excerpt)
    assert again.created == 0 and again.updated == 40 and WeatherDay.objects.count() == 40


def test_knmi_bad_line_refuses_the_file(area, manager):
    lines = KNMI_260.read_bytes().splitlines()[:5]
    lines[3] = lines[3].replace(b"20000103", b"2000013X")
    run = import_file_now(area=area, by=manager, source="knmi", data=b"\n".join(lines))
    assert run.status == ImportStatus.FAILED and run.errors[0]["line"] == 4
    assert WeatherDay.objects.count() == 0


def test_a_day_without_rows_inside_the_span_is_missing(door, manager):
    rows = ["sensor;observed_property;direction;start;value"]
    for day in (1, 3):
        for hour in range(24):
            rows.append(f"door-1;store_entrants;in;2026-06-0{day}T{hour:02d}:00:00+02:00;{5 + hour}")
    run = import_file_now(area=door.area, by=manager, source="own_csv", data="\n".join(rows).encode())
    assert run.status == ImportStatus.DONE
    from analytics.models import SensorDayQuality

    quality = {q.date: q for q in SensorDayQuality.objects.filter(sensor=door)}
    assert quality[date(2026, 6, 2)].flags == Flag.MISSING and quality[date(2026, 6, 2)].coverage == 0
    assert quality[date(2026, 6, 1)].flags == 0 and quality[date(2026, 6, 1)].coverage == 1
