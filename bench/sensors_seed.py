#!/usr/bin/env python
"""Benchmark: the sensors demo step at `large` — 100 sensors (50 per area) with a year of hourly counts.

    DATABASE_URL=postgres://…/agora_bench python bench/sensors_seed.py [--size large]

Runs the analytics sensors step alone (`analytics.demo_sensors.seed_sensors`) for the two demo towns inside a
transaction that is rolled back at the end, so the database is left as it was. Measures the whole step (weather,
generating, writing — COPY on PostgreSQL, bulk INSERTs elsewhere — and the quality assessment per sensor), then
two reads the dashboards do: a year of daily totals of an area, and four weeks of hourly counts of one point.
Peak resident memory is the process's. The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="large", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--today", default="2026-11-30")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction

    from analytics import demo_sensors
    from analytics.models import CountingPoint, Observation
    from analytics.selectors_sensors import counts, daily_totals
    from areas.demo import SIZES, DemoContext
    from areas.demo.towns import TOWNS
    from areas.models import ShoppingArea

    today = date.fromisoformat(args.today)
    result = {}
    try:
        with transaction.atomic():
            ctx = DemoContext(seed=1, size=SIZES[args.size], today=today, log=lambda _line: None)
            for town in TOWNS:
                area = ShoppingArea.objects.filter(slug=town.slug).first() or ShoppingArea.objects.create(
                    name=town.name,
                    slug=town.slug,
                    country=town.country,
                    time_zone=town.time_zone,
                    pass_name=town.pass_name,
                    collective_name=town.collective_name,
                    collective_address=town.collective_address,
                    privacy_email=town.privacy_email,
                    centre_latitude=town.latitude,
                    centre_longitude=town.longitude,
                )
                CountingPoint.objects.filter(area=area).delete()
                ctx.areas[town.slug] = area
            started = time.perf_counter()
            demo_sensors.seed_sensors(ctx)
            seed_seconds = time.perf_counter() - started
            rows = Observation.objects.count()
            area = ctx.areas["amersfoort"]
            started = time.perf_counter()
            daily = daily_totals(area=area, start=today - timedelta(days=365), end=today)
            daily_seconds = time.perf_counter() - started
            point = CountingPoint.objects.filter(area=area).first()
            started = time.perf_counter()
            hourly = counts(area=area, start=today - timedelta(days=28), end=today, counting_point=point)
            hourly_seconds = time.perf_counter() - started
            result = {
                "benchmark": "sensors_seed",
                "size": args.size,
                "database": connection.vendor,
                "sensors": sum(demo_sensors.POINTS_PER_AREA[args.size] for _town in TOWNS),
                "observations": rows,
                "seed_seconds": round(seed_seconds, 1),
                "rows_per_second": round(rows / seed_seconds),
                "read_daily_year_area_seconds": round(daily_seconds, 2),
                "daily_rows": len(daily),
                "read_hourly_4_weeks_point_seconds": round(hourly_seconds, 3),
                "hourly_rows": len(hourly),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "machine": f"{platform.machine()} {os.cpu_count()} cores",
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "date": date.today().isoformat(),
            }
            raise Rollback
    except Rollback:
        pass
    print(json.dumps(result))


if __name__ == "__main__":
    main()
