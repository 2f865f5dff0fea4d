"""The Hystreet importer on the real Moers exports, quirks included; the Ascension Day dip is a holiday."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.controls import daily_controls
from analytics.importers import hystreet
from analytics.importers.service import import_file_now
from analytics.models import Direction, ImportStatus, Observation, ObservedProperty, SensorDayQuality
from analytics.quality import Flag, flags_for
from analytics.selectors_sensors import counts, daily_totals

from .conftest import MOERS

BERLIN = ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def persons(sensor, when):
    return Observation.objects.get(
        sensor=sensor, observed_property=ObservedProperty.PERSONS, direction=Direction.BOTH, phenomenon_start=when
    )


def test_june_is_clean_latin1_with_directions_named_from_the_header(hystreet_sensor, manager):
    run = import_file_now(
        area=hystreet_sensor.area,
        by=manager,
        source="hystreet",
        data=MOERS["juni"].read_bytes(),
        sensor=hystreet_sensor,
    )
    assert run.status == ImportStatus.DONE and run.errors == []
    assert run.rows_total == 720 and run.rows_done == 720
    assert run.created == 720 * 9  # persons, adults and children: both directions and each one
    hystreet_sensor.refresh_from_db()
    assert (hystreet_sensor.left_label, hystreet_sensor.right_label) == ("Neumarkt", "Neuer Wall")
    first = persons(hystreet_sensor, datetime(2022, 6, 1, 0, tzinfo=BERLIN))
    assert first.value == 11 and first.flags == 0
    left = Observation.objects.get(
        sensor=hystreet_sensor, observed_property="persons", direction="left", phenomenon_start=first.phenomenon_start
    )
    assert left.value == 7
    assert any("Windows-1252" in note for note in run.warnings)


def test_july_shifted_columns_are_read_back_and_the_lost_column_is_computed(hystreet_sensor, manager):
    run = import_file_now(
        area=hystreet_sensor.area,
        by=manager,
        source="hystreet",
        data=MOERS["juli"].read_bytes(),
        sensor=hystreet_sensor,
    )
    assert run.status == ImportStatus.DONE
    assert any("one column to the right" in note for note in run.warnings)
    start = datetime(2022, 7, 1, 9, tzinfo=BERLIN)  # 843;15;cloudy;;446;397;810;33;424;386;22
    row = {
        (o.observed_property, o.direction): o
        for o in Observation.objects.filter(sensor=hystreet_sensor, phenomenon_start=start)
    }
    assert row[("persons", "both")].value == 843
    assert row[("persons", "left")].value == 446 and row[("persons", "right")].value == 397
    assert row[("adults", "both")].value == 810 and row[("children", "both")].value == 33
    assert row[("adults", "left")].value == 424 and row[("adults", "right")].value == 386
    assert row[("children", "left")].value == 22 and row[("children", "right")].value == 11
    assert row[("children", "right")].flags & Flag.IMPUTED
    assert row[("persons", "left")].flags & Flag.SHIFTED_COLUMNS
    codes = {note.code for note in flags_for(area=hystreet_sensor.area, start=date(2022, 7, 1), end=date(2022, 8, 1))}
    assert "shifted_columns" in codes


def test_may_mojibake_and_the_zero_days_are_flagged(hystreet_sensor, manager):
    run = import_file_now(
        area=hystreet_sensor.area, by=manager, source="hystreet", data=MOERS["mai"].read_bytes(), sensor=hystreet_sensor
    )
    assert run.status == ImportStatus.DONE
    assert any("mis-encoded" in note for note in run.warnings)
    assert persons(hystreet_sensor, datetime(2022, 5, 10, 12, tzinfo=BERLIN)).flags & Flag.MOJIBAKE
    zero_days = SensorDayQuality.objects.filter(sensor=hystreet_sensor, flags__gte=0)
    outage = {q.date for q in zero_days if q.flags & Flag.ZERO_RUN}
    assert {date(2022, 5, d) for d in (1, 2, 3, 4)} <= outage
    assert date(2022, 5, 10) not in outage
    daily = counts(area=hystreet_sensor.area, start=date(2022, 5, 1), end=date(2022, 5, 6), interval="day")
    assert list(daily["flag_codes"].str.contains("zero_run")) == [True, True, True, True, False]
    notes = {
        note.code: note for note in flags_for(area=hystreet_sensor.area, start=date(2022, 5, 1), end=date(2022, 6, 1))
    }
    assert notes["zero_run"].days >= 4 and notes["mojibake"].counting_points == ("Steinstraße, Moers",)


def test_ascension_day_dip_is_explained_as_a_german_public_holiday(hystreet_sensor, manager):
    import_file_now(
        area=hystreet_sensor.area, by=manager, source="hystreet", data=MOERS["mai"].read_bytes(), sensor=hystreet_sensor
    )
    totals = daily_totals(area=hystreet_sensor.area, start=date(2022, 5, 16), end=date(2022, 5, 28))
    by_day = dict(zip(totals["date"], totals["value"], strict=True))
    ascension = by_day[date(2022, 5, 26)]
    ordinary = [by_day[date(2022, 5, d)] for d in (17, 18, 19, 24, 25)]  # Tuesdays to Thursdays around it
    assert 4_000 < ascension < 5_000 and min(ordinary) > 2 * ascension
    controls = daily_controls(
        area=hystreet_sensor.area,
        start=date(2022, 5, 16),
        end=date(2022, 5, 28),
        counting_point=hystreet_sensor.counting_point,
    )
    day = controls.loc["2022-05-26"]
    assert (day["is_public_holiday"] and "Himmelfahrt" in day["holiday_name"]) or "Ascension" in day["holiday_name"]
    assert not controls.drop(index=controls.index[controls.index.day == 26])["is_public_holiday"].any()


def test_reimporting_updates_and_never_double_counts(hystreet_sensor, manager):
    data = MOERS["juni"].read_bytes()
    import_file_now(area=hystreet_sensor.area, by=manager, source="hystreet", data=data, sensor=hystreet_sensor)
    again = import_file_now(area=hystreet_sensor.area, by=manager, source="hystreet", data=data, sensor=hystreet_sensor)
    assert again.status == ImportStatus.DONE and again.created == 0 and again.updated == 720 * 9
    assert Observation.objects.filter(sensor=hystreet_sensor).count() == 720 * 9


def test_a_bad_line_refuses_the_whole_file_and_says_where(hystreet_sensor, manager):
    lines = MOERS["juni"].read_bytes().split(b"\r\n")
    lines[5] = lines[5].replace(b"2022-06-01 04:00:00 +0200", b"01.06.2022 vier Uhr")
    lines[9] = lines[9].replace(b";332;", b";drei;")
    run = import_file_now(
        area=hystreet_sensor.area, by=manager, source="hystreet", data=b"\r\n".join(lines), sensor=hystreet_sensor
    )
    assert run.status == ImportStatus.FAILED
    assert [(e["line"], e["field"][:9]) for e in run.errors] == [(6, "time"), (10, "Fu\u00dfg\u00e4nger")]
    assert Observation.objects.count() == 0 and run.payload is None


def test_parser_alone_reads_may_headers_without_their_lost_letters(hystreet_sensor):
    parsed = hystreet.parse(MOERS["mai"].read_bytes(), sensor=hystreet_sensor)
    assert parsed.errors == [] and parsed.lines == 744
    assert {row.observed_property for row in parsed.rows} == {"persons", "adults", "children"}
