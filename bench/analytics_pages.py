#!/usr/bin/env python
"""Benchmark: the analytics dashboards' response times over stored figures (issue 7 target: p95 under 300 ms).

    DATABASE_URL=postgres://…/agora_an_kpi_bench python bench/analytics_pages.py [--requests 30]

In-process, one request at a time, through Django's test client (the whole middleware stack, sessions, the
second-factor check, template rendering; no network and no web server): a signed-in manager of the first area
(a bench login with an authenticator, made once) asks for each page `--requests` times after 3 warm-up requests,
and a merchant owner for their own page. Run `bench/analytics_recompute.py` first: pages read stored figures.
Prints p50/p95/max per page, the queries per page, and as the last line one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")
TARGET_P95_MS = 300


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.roles import Role
    from analytics import selectors
    from areas.models import Merchant, ShoppingArea, StaffMembership
    from areas.tests.factories import give_totp

    settings.ALLOWED_HOSTS = ["*"]
    area = ShoppingArea.objects.order_by("pk").first()
    month = selectors.latest_period(area, "month")
    users = get_user_model().objects
    manager, _ = users.get_or_create(email="bench-analytics-manager@example.org")
    StaffMembership.objects.get_or_create(user=manager, role=Role.AREA_MANAGER, area=area, merchant=None)
    merchant = Merchant.objects.filter(area=area).order_by("pk").first()
    owner, _ = users.get_or_create(email="bench-analytics-owner@example.org")
    StaffMembership.objects.get_or_create(user=owner, role=Role.MERCHANT_OWNER, area=area, merchant=merchant)
    for user in (manager, owner):
        if not user.authenticator_set.exists():
            give_totp(user)
    slug = area.slug
    period = {"period": "month", "start": f"{month:%Y-%m-%d}"} if month else {}
    pages = {
        "overview": (manager, reverse("analytics:overview", kwargs={"area": slug}), period),
        "overview_week": (manager, reverse("analytics:overview", kwargs={"area": slug}), {"period": "week"}),
        "trends": (manager, reverse("analytics:trends", kwargs={"area": slug}), period),
        "trends_day_spend": (
            manager,
            reverse("analytics:trends", kwargs={"area": slug}),
            {"period": "day", "kpi": "spend_cents"},
        ),
        "visitors": (manager, reverse("analytics:origin", kwargs={"area": slug}), period),
        "comparison": (manager, reverse("analytics:comparison", kwargs={"area": slug}), period),
        "merchants_csv": (
            manager,
            reverse("analytics:export", kwargs={"area": slug, "table": "merchants", "fmt": "csv"}),
            period,
        ),
        "merchants_xlsx": (
            manager,
            reverse("analytics:export", kwargs={"area": slug, "table": "merchants", "fmt": "xlsx"}),
            period,
        ),
        "api_figures": (
            manager,
            reverse("api:analytics-area-figures", kwargs={"area": slug}),
            {**period, "scope": "merchant"},
        ),
        "merchant_own": (owner, reverse("analytics:merchant", kwargs={"merchant_pk": merchant.pk}), {}),
    }
    results = {}
    clients = {}
    for name, (user, url, query) in pages.items():
        client = clients.get(user.pk)
        if client is None:
            client = clients[user.pk] = Client()
            client.force_login(user)
        for _ in range(3):
            response = client.get(url, query)
            assert response.status_code == 200, (name, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url, query)
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url, query)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        results[name] = {
            "p50_ms": round(percentile(times, 0.5), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "max_ms": round(max(times), 1),
            "queries": len(queries),
            "bytes": len(response.content),
        }
        verdict = "" if results[name]["p95_ms"] < TARGET_P95_MS else "  over target"
        print(
            f"{name:18} p50 {results[name]['p50_ms']:7.1f} ms  p95 {results[name]['p95_ms']:7.1f} ms  "
            f"max {results[name]['max_ms']:7.1f} ms  {len(queries):3} queries{verdict}"
        )
    from analytics.models import KpiValue

    print(
        json.dumps(
            {
                "benchmark": "analytics_pages",
                "date": date.today().isoformat(),
                "database": connection.vendor,
                "stored_figures": KpiValue.objects.count(),
                "requests_per_page": args.requests,
                "pages": results,
                "target_p95_ms": TARGET_P95_MS,
                "load_average": os.getloadavg(),
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
