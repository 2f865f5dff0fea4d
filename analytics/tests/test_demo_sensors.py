"""The demo's sensors step: a year of hourly counts with the shapes and the faults it promises."""

from datetime import date, timedelta

import pytest

from analytics.models import AreaDataSettings, CountingPoint, Observation, Sensor, WeatherDay
from analytics.quality import flags_for
from analytics.selectors_sensors import daily_totals
from areas.demo import seed_demo, wipe_demo
from areas.models import ShoppingArea
from privacy.default_purposes import ensure_default_purposes

pytestmark = pytest.mark.django_db
TODAY = date(2022, 6, 30)  # the year before overlaps the real KNMI file (until 2022-03-21)


def test_tiny_demo_sensors(db):
    ensure_default_purposes()
    seed_demo(seed=1, size="tiny", today=TODAY, only=["analytics.sensors"], log=lambda _line: None)
    amersfoort = ShoppingArea.objects.get(slug="amersfoort")
    assert CountingPoint.objects.filter(area=amersfoort).count() == 2
    assert Sensor.objects.count() == 4
    # A year of hours (DST-exact) per sensor, less the one missing day of each area's second sensor.
    assert Observation.objects.count() == 4 * 365 * 24 - 2 * 24
    # The real weather where the file has it, generated after.
    station = AreaDataSettings.objects.get(area=amersfoort).weather_station
    assert WeatherDay.objects.get(station=station, date=date(2022, 3, 20)).temp_mean_c == 4.5
    assert (
        WeatherDay.objects.filter(station=station, date__gte=TODAY - timedelta(days=365), date__lt=TODAY).count() == 365
    )
    notes = {note.code: note for note in flags_for(area=amersfoort, start=TODAY - timedelta(days=365), end=TODAY)}
    assert notes["zero_run"].days == 2 and notes["missing_intervals"].days == 1
    street = CountingPoint.objects.filter(area=amersfoort, kind="pedestrian_zone").first()
    totals = daily_totals(area=amersfoort, start=date(2021, 12, 1), end=date(2022, 1, 1), counting_point=street)
    by_day = dict(zip(totals["date"], totals["value"], strict=True))
    saturdays = [by_day[date(2021, 12, d)] for d in (4, 11, 18)]
    assert by_day[date(2021, 12, 25)] < 0.5 * min(saturdays)  # Christmas Day
    assert min(saturdays) > by_day[date(2021, 12, 7)]  # a Saturday beats a Tuesday
    wipe_demo(log=lambda _line: None)
    assert Observation.objects.count() == 0 and CountingPoint.objects.count() == 0
