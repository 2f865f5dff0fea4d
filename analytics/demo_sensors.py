"""Demo footfall sensors and weather: counting points per area with a year of hourly counts.

Per area a few counting points (a shopping street, the market square, a shop's door; at `large` 50 per
area, 100 sensors in all), each with a sensor and 365 days of hourly counts up to yesterday, shaped by:
- the hour of the day (weekday, Saturday, Sunday profiles) and the day of the week;
- the month (December busy, January quiet);
- public holidays (Sunday-like, and lower) and school holidays (a little higher), from `analytics.controls`;
- the weather of the day (rain lowers, a mild day raises), from the KNMI rows stored for De Bilt;
- Poisson noise around that.
Two faults are injected on purpose, for the quality flags to find: the first sensor of each area counts
zeros for two days in a row (an outage), the second has one day without any rows (a missing day).

Weather: KNMI De Bilt (260) for both demo areas (the demo has no Belgian station; a real Flemish area
would read its own). Days covered by the shipped real file (2000-01-01 → 2022-03-21) are copied from it;
others are generated from its climatology: the day of the year's mean temperature plus a persistent
anomaly, rain and sunshine drawn together from a real day of the same month.

Rows are generated with numpy and written in bulk (COPY on PostgreSQL); `bench/sensors_seed.py` measures it.
"""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from django.db import connection

from areas.demo import DemoContext, WipeScope, demo_step, demo_wipe
from areas.demo.towns import TOWNS

from .controls import public_holidays, school_holidays
from .models import (
    AreaDataSettings,
    CountingPoint,
    CountingPointKind,
    ImportRun,
    Observation,
    ObservedProperty,
    Provider,
    Sensor,
    SensorDayQuality,
    WeatherDay,
    WeatherStation,
)
from .quality import assess_sensor

DAYS = 365
POINTS_PER_AREA = {"tiny": 2, "small": 3, "medium": 8, "large": 50}
STATION = (260, "De Bilt")
REAL_FILE = "data/weather/knmi_etmgeg_260_debilt.txt"
SCHOOL_REGION = {"NL": "Midden", "BE": "Flemish"}

# Share of a day's passers per hour (00–23) on a weekday, a Saturday and a Sunday or holiday.
_WEEKDAY = [2, 1, 1, 1, 1, 2, 5, 12, 25, 45, 70, 90, 100, 98, 92, 90, 88, 80, 55, 35, 25, 18, 10, 5]
_SATURDAY = [4, 2, 1, 1, 1, 1, 2, 5, 15, 40, 75, 100, 115, 118, 115, 110, 100, 80, 45, 25, 18, 14, 9, 6]
_SUNDAY = [4, 2, 1, 1, 1, 1, 1, 2, 5, 12, 30, 60, 85, 100, 105, 100, 85, 55, 25, 12, 8, 6, 4, 3]
PROFILES = {
    kind: np.array(shape, dtype=float) / sum(shape)
    for kind, shape in (("weekday", _WEEKDAY), ("saturday", _SATURDAY), ("sunday", _SUNDAY))
}
WEEKDAY_FACTOR = [0.85, 0.9, 0.95, 1.0, 1.1, 1.35, 0.55]
MONTH_FACTOR = [0.82, 0.85, 0.95, 1.0, 1.02, 1.0, 0.95, 0.93, 1.0, 1.0, 1.05, 1.28]
KINDS = [
    (CountingPointKind.PEDESTRIAN_ZONE, 14_000),
    (CountingPointKind.SQUARE, 6_000),
    (CountingPointKind.STORE_ENTRANCE, 700),
    (CountingPointKind.STREET, 9_000),
]


def _period(ctx: DemoContext) -> tuple[date, date]:
    end = ctx.today  # up to yesterday: today is not over
    return end - timedelta(days=DAYS), end


# --- weather ------------------------------------------------------------------------------------------------


def _real_weather() -> list[WeatherDay]:
    from pathlib import Path

    from .importers import knmi

    parsed = knmi.parse((Path(__file__).resolve().parent / REAL_FILE).read_bytes())
    return parsed.weather


def seed_weather(ctx: DemoContext, start: date, end: date) -> WeatherStation:
    """Store De Bilt's weather for [start, end): real where the shipped file has the day, else generated."""
    station, _created = WeatherStation.objects.get_or_create(code=STATION[0], defaults={"name": STATION[1]})
    real = _real_weather()
    by_day = {day.date: day for day in real}
    climate: dict[int, list[float]] = {}
    by_month: dict[int, list[WeatherDay]] = {}
    for day in real:
        if day.temp_mean_c is not None:
            climate.setdefault(day.date.timetuple().tm_yday, []).append(day.temp_mean_c)
        if day.precipitation_mm is not None and day.sunshine_h is not None:
            by_month.setdefault(day.date.month, []).append(day)
    rng = ctx.rng("analytics.weather")
    anomaly = 0.0
    rows = []
    day = start
    while day < end:
        found = by_day.get(day)
        if found is not None:
            rows.append(
                WeatherDay(
                    station=station,
                    date=day,
                    temp_mean_c=found.temp_mean_c,
                    temp_min_c=found.temp_min_c,
                    temp_max_c=found.temp_max_c,
                    precipitation_mm=found.precipitation_mm,
                    sunshine_h=found.sunshine_h,
                )
            )
        else:
            normals = climate.get(day.timetuple().tm_yday) or climate[1]
            anomaly = 0.75 * anomaly + rng.gauss(0, 1.8)
            mean = sum(normals) / len(normals) + anomaly
            like = rng.choice(by_month[day.month])
            spread = rng.uniform(3, 8)
            rows.append(
                WeatherDay(
                    station=station,
                    date=day,
                    temp_mean_c=round(mean, 1),
                    temp_min_c=round(mean - spread / 2, 1),
                    temp_max_c=round(mean + spread / 2, 1),
                    precipitation_mm=like.precipitation_mm,
                    sunshine_h=like.sunshine_h,
                )
            )
        day += timedelta(days=1)
    WeatherDay.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["station", "date"],
        update_fields=["temp_mean_c", "temp_min_c", "temp_max_c", "precipitation_mm", "sunshine_h"],
    )
    return station


# --- counts -------------------------------------------------------------------------------------------------


def _day_factors(area, start: date, end: date, weather: dict[date, WeatherDay]) -> list[tuple[date, str, float]]:
    """(day, profile, factor) per day: weekday, month, holidays and weather together."""
    public = public_holidays(country=area.country, subdivision=None, start=start, end=end)
    school = school_holidays(country=area.country, region=SCHOOL_REGION.get(area.country), start=start, end=end)
    days = []
    day = start
    while day < end:
        factor = WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month - 1]
        profile = "saturday" if day.weekday() == 5 else "sunday" if day.weekday() == 6 else "weekday"
        if day in public:
            profile = "sunday"
            factor = 0.3 if (day.month, day.day) in ((12, 25), (1, 1)) else 0.6
        elif day in school:
            factor *= 1.05
        w = weather.get(day)
        if w is not None:
            rain = w.precipitation_mm or 0.0
            factor *= math.exp(-0.025 * min(rain, 25))
            temp = w.temp_mean_c if w.temp_mean_c is not None else 10
            factor *= 1 + 0.006 * max(min(temp, 24) - 10, -10) - 0.015 * max(temp - 28, 0)
        days.append((day, profile, factor))
        day += timedelta(days=1)
    return days


def _points(ctx: DemoContext, area, town, n: int) -> list[tuple[CountingPoint, Sensor, float, str]]:
    rng = ctx.rng(f"analytics.sensors.{area.slug}")
    merchants = ctx.merchant_ids.get(area.slug, [])
    made = []
    for index in range(n):
        kind, level = KINDS[index % len(KINDS)]
        street = town.streets[index % len(town.streets)]
        suffix = f" {index // len(town.streets) + 1}" if index >= len(town.streets) else ""
        name = {
            CountingPointKind.STORE_ENTRANCE: f"Winkeldeur {street.name}{suffix}",
            CountingPointKind.SQUARE: f"Plein {street.name}{suffix}",
        }.get(kind, f"{street.name}{suffix}")
        east, north = street.offset_m
        point = CountingPoint.objects.create(
            area=area,
            name=name,
            kind=kind,
            latitude=round(town.latitude + north / 111_320, 6),
            longitude=round(town.longitude + east / (111_320 * math.cos(math.radians(town.latitude))), 6),
            merchant_id=merchants[index % len(merchants)]
            if kind == CountingPointKind.STORE_ENTRANCE and merchants
            else None,
            is_public=kind != CountingPointKind.STORE_ENTRANCE,
        )
        provider = (
            Provider.OWN
            if kind == CountingPointKind.STORE_ENTRANCE
            else Provider.HYSTREET
            if index % 2 == 0
            else Provider.OWN
        )
        sensor = Sensor.objects.create(
            counting_point=point, provider=provider, external_id=f"{area.slug}-{index + 1:03d}"
        )
        prop = ObservedProperty.STORE_ENTRANTS if kind == CountingPointKind.STORE_ENTRANCE else ObservedProperty.PERSONS
        made.append((point, sensor, level * rng.uniform(0.7, 1.3), prop))
    return made


def _hourly(area, days, level: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(UTC start times as datetime64[s], counts) for every local hour of the days (DST-exact)."""
    tz = area.tz
    starts, means = [], []
    for day, profile, factor in days:
        local_midnight = datetime.combine(day, time(0), tzinfo=tz)
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        hours = int(next_midnight.timestamp() - local_midnight.timestamp()) // 3600  # 23 or 25 on DST days
        first = int(local_midnight.timestamp())
        shape = PROFILES[profile]
        noise = math.exp(rng.normal(0, 0.05))
        for h in range(hours):
            moment = first + 3600 * h
            local_hour = datetime.fromtimestamp(moment, tz).hour
            starts.append(moment)
            means.append(level * factor * noise * shape[local_hour])
    counts = rng.poisson(np.array(means))
    return np.array(starts, dtype="int64"), counts.astype(float)


def _write(sensor_id: int, prop: str, starts: np.ndarray, values: np.ndarray) -> int:
    if connection.vendor == "postgresql":
        return _copy(sensor_id, prop, starts, values)
    objects = [
        Observation(
            sensor_id=sensor_id,
            observed_property=prop,
            direction="both" if prop != ObservedProperty.STORE_ENTRANTS else "in",
            phenomenon_start=datetime.fromtimestamp(int(start), UTC),
            phenomenon_end=datetime.fromtimestamp(int(start) + 3600, UTC),
            value=float(value),
        )
        for start, value in zip(starts, values, strict=True)
    ]
    Observation.objects.bulk_create(objects, batch_size=5000)
    return len(objects)


def _copy(sensor_id: int, prop: str, starts: np.ndarray, values: np.ndarray) -> int:
    """COPY the rows in (PostgreSQL): an order of magnitude faster than INSERTs for a year of hours."""
    direction = "both" if prop != ObservedProperty.STORE_ENTRANTS else "in"
    buffer = io.StringIO()
    for start, value in zip(starts, values, strict=True):
        begin = datetime.fromtimestamp(int(start), UTC).isoformat()
        end = datetime.fromtimestamp(int(start) + 3600, UTC).isoformat()
        buffer.write(f"{sensor_id}\t{prop}\t{direction}\t{begin}\t{end}\t{value:g}\t0\n")
    table = Observation._meta.db_table
    with connection.cursor() as cursor:
        columns = "sensor_id, observed_property, direction, phenomenon_start, phenomenon_end, value, flags"
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
    return len(starts)


@demo_step(order=520, name="analytics.sensors")
def seed_sensors(ctx: DemoContext) -> None:
    start, end = _period(ctx)
    station = seed_weather(ctx, start, end)
    weather = {w.date: w for w in WeatherDay.objects.filter(station=station, date__gte=start, date__lt=end)}
    n = POINTS_PER_AREA.get(ctx.size.name, 3)
    towns = {town.slug: town for town in TOWNS}
    rows = 0
    for slug, area in ctx.areas.items():
        town = towns.get(slug)
        if town is None:
            continue
        AreaDataSettings.objects.update_or_create(
            area=area, defaults={"weather_station": station, "school_region": SCHOOL_REGION.get(area.country, "")}
        )
        days = _day_factors(area, start, end, weather)
        for index, (_point, sensor, level, prop) in enumerate(_points(ctx, area, town, n)):
            rng = np.random.default_rng([ctx.seed, index, sum(map(ord, slug))])
            starts, values = _hourly(area, days, level, rng)
            if index == 0:  # an outage: two days of zeros, about a month before the end
                outage_from = int(datetime.combine(end - timedelta(days=33), time(0), tzinfo=area.tz).timestamp())
                values[(starts >= outage_from) & (starts < outage_from + 2 * 86_400)] = 0
            if index == 1:  # a missing day
                gap_from = int(datetime.combine(end - timedelta(days=20), time(0), tzinfo=area.tz).timestamp())
                keep = (starts < gap_from) | (starts >= gap_from + 86_400)
                starts, values = starts[keep], values[keep]
            rows += _write(sensor.pk, prop, starts, values)
            assess_sensor(sensor=sensor, start=start, end=end - timedelta(days=1))
    ctx.count("sensor observations", rows)
    ctx.log(f"analytics: {rows:,} hourly sensor counts")


@demo_wipe(order=520, name="analytics.sensors")
def wipe_sensors(scope: WipeScope) -> None:
    Observation.objects.filter(sensor__area_id__in=scope.area_ids).delete()
    SensorDayQuality.objects.filter(sensor__area_id__in=scope.area_ids).delete()
    ImportRun.objects.filter(area_id__in=scope.area_ids).delete()
    Sensor.objects.filter(area_id__in=scope.area_ids).delete()
    CountingPoint.objects.filter(area_id__in=scope.area_ids).delete()
    AreaDataSettings.objects.filter(area_id__in=scope.area_ids).delete()
