"""Daily control variables: holidays (public, school per region and community), weather."""

from datetime import date

import pytest

from analytics.controls import COLUMNS, daily_controls
from analytics.models import AreaDataSettings, CountingPoint, WeatherDay, WeatherStation


@pytest.mark.django_db
def test_every_day_in_range_with_the_agreed_columns(area):
    frame = daily_controls(area=area, start=date(2024, 4, 25), end=date(2024, 5, 12))
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 17 and frame.index[0].date() == date(2024, 4, 25)
    kings_day = frame.loc["2024-04-27"]
    assert kings_day["is_public_holiday"] and kings_day["holiday_name"] == "Koningsdag"
    assert kings_day["weekday"] == 5 and kings_day["month"] == 4
    assert frame.loc["2024-05-09", "holiday_name"] == "Hemelvaartsdag"
    # Amersfoort (Midden): May holiday 27 April – 5 May 2024.
    assert frame.loc["2024-05-01", "is_school_holiday"] and not frame.loc["2024-05-07", "is_school_holiday"]
    assert frame["temp_mean_c"].isna().all()


@pytest.mark.django_db
def test_school_regions_differ(area):
    # Spring holiday 2024: Zuid and Midden 10–18 February, Noord 17–25 February.
    AreaDataSettings.objects.create(area=area, school_region="Noord")
    frame = daily_controls(area=area, start=date(2024, 2, 12), end=date(2024, 2, 13))
    assert not frame.iloc[0]["is_school_holiday"]
    AreaDataSettings.objects.filter(area=area).update(school_region="Zuid")
    frame = daily_controls(area=area, start=date(2024, 2, 12), end=date(2024, 2, 13))
    assert frame.iloc[0]["is_school_holiday"]


@pytest.mark.django_db
def test_flanders_uses_belgian_holidays_and_flemish_school_holidays(flemish_area):
    frame = daily_controls(area=flemish_area, start=date(2024, 7, 1), end=date(2024, 7, 22))
    assert frame.loc["2024-07-21", "is_public_holiday"]  # Nationale feestdag
    assert frame.loc["2024-07-10", "is_school_holiday"]  # zomervakantie
    krokus = daily_controls(area=flemish_area, start=date(2024, 2, 12), end=date(2024, 2, 13))
    assert krokus.iloc[0]["is_school_holiday"]


@pytest.mark.django_db
def test_a_german_counting_point_is_controlled_with_german_holidays(area):
    moers = CountingPoint.objects.create(area=area, name="Steinstraße", holiday_country="DE", holiday_subdivision="NW")
    frame = daily_controls(area=area, start=date(2022, 6, 15), end=date(2022, 6, 17), counting_point=moers)
    assert frame.loc["2022-06-16", "is_public_holiday"]  # Fronleichnam: NRW, not NL
    dutch = daily_controls(area=area, start=date(2022, 6, 15), end=date(2022, 6, 17))
    assert not dutch["is_public_holiday"].any()


@pytest.mark.django_db
def test_weather_of_the_area_station(area):
    station = WeatherStation.objects.create(code=260, name="De Bilt")
    AreaDataSettings.objects.create(area=area, weather_station=station)
    WeatherDay.objects.create(
        station=station, date=date(2022, 3, 20), temp_mean_c=4.5, precipitation_mm=0.0, sunshine_h=2.4
    )
    frame = daily_controls(area=area, start=date(2022, 3, 20), end=date(2022, 3, 22))
    assert frame.loc["2022-03-20", "temp_mean_c"] == 4.5 and frame.loc["2022-03-20", "sunshine_h"] == 2.4
    assert frame.loc["2022-03-21"].isna()["precipitation_mm"]
