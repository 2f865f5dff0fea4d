#!/usr/bin/env python
"""The area website's pages: PostgreSQL behind gunicorn, 10–20 visitors at once, p50/p95 per page.

    .venv/bin/python bench/site_pages.py [--clients 16] [--seconds 30] [--workers 5] [--think 0]

Sets up a fresh database (AGORA_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
agora_bench_site) the way a developer gets one: `manage.py migrate`, then `manage.py seed_demo --size small
--seed 1` (both towns with their sites, merchants, events, offers, news, practical pages). Starts gunicorn
(sync workers, DEBUG off) and drives the Amersfoort site with one thread per client, each asking for the next
page as soon as the previous one answered (closed loop; `--think` seconds between pages, randomised ±50 %, for
a visitor's pace). The pages: home, directory, directory?open=1, a merchant page, the event index, an event
page, a practical page and a search; each client walks them round-robin from its own starting point, anonymous
(as almost every visitor is). Prints p50/p95/p99 per page and, as the last line, one JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from till_award import recreate_database, start_gunicorn  # the same fresh database and server

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/agora_bench_site"
HOST = "amersfoort.localhost:8000"  # the demo's default site (areas.demo.towns, areas.demo.shops.SITE_PORT)
TARGET_P95_MS = 100


def pages() -> dict[str, str]:
    """The paths to ask for, read from the seeded database."""
    import django

    django.setup()
    from django.db import connection
    from wagtail.models import Site

    from areas.selectors import list_merchants
    from cms.models import EventPage, PracticalPage

    site = Site.objects.get(hostname="amersfoort.localhost")
    home = site.root_page
    area = site.shopping_area
    merchant = list_merchants(area)[0]
    event = EventPage.objects.descendant_of(home).live().order_by("pk").first()
    practical = PracticalPage.objects.descendant_of(home).live().order_by("pk").first()

    def url(page) -> str:
        return page.get_url_parts()[2]

    found = {
        "home": url(home),
        "directory": "/nl/winkels/",
        "directory_open": "/nl/winkels/?open=1",
        "merchant": f"/nl/winkels/{merchant.slug}/",
        "event_index": url(event.get_parent()),
        "event": url(event),
        "practical": url(practical),
        "search": "/nl/search/?q=markt",
    }
    connection.close()
    return found


def load(port: int, clients: int, seconds: float, paths: dict[str, str], think: float) -> dict:
    """One thread per client for `seconds` after a two-second warm-up; latencies per page."""
    names = list(paths)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start_at = time.monotonic() + 2.0
    stop_at = start_at + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        mine: dict[str, list[float]] = {name: [] for name in names}
        counts: dict[int, int] = {}
        step = n
        while (now := time.monotonic()) < stop_at:
            name = names[step % len(names)]
            step += 1
            began = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", paths[name], headers={"Host": HOST, "Accept-Language": "nl"})
            response = connection.getresponse()
            response.read()
            connection.close()
            took = time.perf_counter() - began
            if now >= start_at:
                mine[name].append(took)
                counts[response.status] = counts.get(response.status, 0) + 1
            if think:
                time.sleep(think * rng.uniform(0.5, 1.5))
        with lock:
            for name in names:
                latencies[name].extend(mine[name])
            for code, count in counts.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    def percentile(values: list[float], p: float) -> float:
        return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 1)

    figures = {}
    for name in names:
        values = sorted(latencies[name])
        figures[name] = {
            "path": paths[name],
            "requests": len(values),
            "p50_ms": percentile(values, 0.50) if values else None,
            "p95_ms": percentile(values, 0.95) if values else None,
            "p99_ms": percentile(values, 0.99) if values else None,
        }
    total = sum(len(values) for values in latencies.values())
    return {"pages": figures, "statuses": statuses, "throughput_rps": round(total / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--think", type=float, default=0.0, help="seconds between a client's pages (0: back to back)")
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run (no fresh seed)")
    args = parser.parse_args()

    url = os.environ.get("AGORA_BENCH_DATABASE_URL", DEFAULT_URL)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "AGORA_ENV"))}
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "agora.settings",
            "DJANGO_CONN_MAX_AGE": "60",
        }
    )
    if not args.reuse:
        print(f"Preparing {url}: migrate, seed_demo --size small --seed 1 …", flush=True)
        recreate_database(url)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [sys.executable, "manage.py", "seed_demo", "--size", "small", "--seed", "1"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    os.environ.update(env)
    paths = pages()
    load_average = os.getloadavg()[0]

    server = start_gunicorn(args.port, args.workers, env)
    try:
        pace = f"{args.think} s between pages" if args.think else "back to back"
        print(f"{args.clients} clients, {pace}, {args.seconds:g} s, load average {load_average:.2f} …", flush=True)
        figures = load(args.port, args.clients, args.seconds, paths, args.think)
    finally:
        server.terminate()
        server.wait(timeout=30)

    for name, page in figures["pages"].items():
        verdict = "" if page["p95_ms"] is None or page["p95_ms"] < TARGET_P95_MS else "  over target"
        print(
            f"{name:15} {page['requests']:6} req   p50 {page['p50_ms']:7.1f} ms   p95 {page['p95_ms']:7.1f} ms   "
            f"p99 {page['p99_ms']:7.1f} ms{verdict}"
        )
    print(f"throughput {figures['throughput_rps']} req/s, statuses {figures['statuses']}")
    print(
        json.dumps(
            {
                "benchmark": "site_pages",
                "clients": args.clients,
                "think_s": args.think,
                "seconds": args.seconds,
                "gunicorn_workers": args.workers,
                "load_average_before": round(load_average, 2),
                "target_p95_ms": TARGET_P95_MS,
                **figures,
                "database": "postgresql",
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
