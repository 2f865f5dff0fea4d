#!/usr/bin/env python
"""Benchmark: a full recomputation of the analytics figures (issue 7 target: under 2 minutes, under 4 GB).

    DATABASE_URL=postgres://…/agora_an_kpi_bench python bench/analytics_recompute.py            # seeded already
    DATABASE_URL=postgres://…/agora_an_kpi_bench python bench/analytics_recompute.py --today 2026-11-30

Runs `analytics.services.recompute` for every area, in one child process (`manage.py shell -c …`) timed from start
to exit (about 3 s of it is starting Django), with the child's peak resident memory (os.wait4). The child also
prints the time of each step per area (extract, cells and suppression, …, store). Before it, the input sizes are
counted (members, visits, pickups, counting points, hourly observations). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

COUNTS = (
    "from loyalty.models import Pass, TillTransaction\n"
    "from analytics.models import CountingPoint, Observation\n"
    "from areas.models import ShoppingArea\n"
    "print(ShoppingArea.objects.count(), Pass.objects.count(), TillTransaction.objects.filter(kind='purchase').count(),"
    " CountingPoint.objects.count(), Observation.objects.count())\n"
)
RECOMPUTE = """
import time
from datetime import date
from areas.models import ShoppingArea
from analytics import services
today = {today!r}
steps = []
for area in ShoppingArea.objects.order_by("pk"):
    last = [time.perf_counter(), "start"]
    def progress(percent, step, area=area, last=last):
        now = time.perf_counter()
        print(f"  {{area.slug:28}} {{last[1]:24}} {{now - last[0]:7.2f}} s")
        last[:] = [now, step]
    started = time.perf_counter()
    run = services.recompute(area=area, today=date.fromisoformat(today) if today else None, progress=progress)
    print(f"  {{area.slug:28}} {{last[1]:24}} {{time.perf_counter() - last[0]:7.2f}} s")
    print(f"AREA {{area.slug}} {{run.rows_written}} {{time.perf_counter() - started:.2f}}")
"""


def _run_measured(command: list[str], env: dict) -> tuple[int, float, float, str]:
    """(exit status, seconds, peak RSS in MiB, output) of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage.ru_maxrss / 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--today", default="", help="the date the run takes as today (default: today)")
    args = parser.parse_args()
    env = {"DJANGO_DEBUG": "false", **os.environ}
    manage = [PYTHON, "manage.py"]
    counts = subprocess.run(
        [*manage, "shell", "-c", COUNTS], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()[-5:]
    areas, passes, visits, points, observations = (int(n) for n in counts)
    print(
        f"{areas} areas, {passes:,} passes, {visits:,} visits, {points} counting points, {observations:,} observations"
    )
    code, seconds, rss, output = _run_measured([*manage, "shell", "-c", RECOMPUTE.format(today=args.today)], env)
    print(output.rstrip())
    if code:
        sys.exit(f"recompute failed (exit {code})")
    rows = sum(int(line.split()[2]) for line in output.splitlines() if line.startswith("AREA "))
    print(f"full recomputation: {seconds:.1f} s, peak {rss:.0f} MiB, {rows:,} figures stored")
    url = os.environ.get("DATABASE_URL", "")
    print(
        json.dumps(
            {
                "benchmark": "analytics_recompute",
                "date": date.today().isoformat(),
                "database": "postgresql" if url.startswith(("postgres", "pgsql")) else "sqlite",
                "areas": areas,
                "passes": passes,
                "visits": visits,
                "counting_points": points,
                "observations": observations,
                "seconds": round(seconds, 1),
                "peak_rss_mib": round(rss, 1),
                "figures": rows,
                "load_average": os.getloadavg(),
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
