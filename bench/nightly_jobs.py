#!/usr/bin/env python
"""Benchmark: the loyalty app's nightly jobs over a seeded demo (issue 3: the `large` demo, 100,000 members).

    DATABASE_URL=postgres://…/agora_bench_large python bench/nightly_jobs.py            # a database seeded already
    DATABASE_URL=postgres://…/agora_bench_large python bench/nightly_jobs.py --seed-size large

Each job runs in a child process of its own (`manage.py shell -c …`), timed from start to exit, with the child's
peak resident memory (os.wait4), so one job's memory never counts for the next:

- check_ledger: every pass's balance and lots against the ledger (chunks of 10,000 passes);
- check_gift_cards: every gift card's balance against its entries;
- expire_points (tonight): what the ordinary job finds due today;
- expire_points (catch-up): the job run as if a year had passed, so that a large share of all lots is due at
  once — inside a transaction that is rolled back, so the database is unchanged afterwards. Points expire only once
  their member was told 30 days before (`ledger._hold_untold`), so the year's notices are marked sent first, as
  the daily notice job would have marked them; its result is the lots expired and the seconds the job alone took;
- send_expiry_notices: the daily notice job (e-mail goes to the console backend of the child, discarded).

The last line of output is one JSON object.
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
    "from loyalty.models import Pass, LedgerEntry, PointLot, GiftCard; "
    "print(*(m.objects.count() for m in (Pass, LedgerEntry, PointLot, GiftCard)))"
)
JOBS = {
    "check_ledger": "from loyalty import services; print(len(services.check_ledger()))",
    "check_gift_cards": "from loyalty import services; print(len(services.check_gift_cards()))",
    "expire_points_tonight": "from loyalty import services; print(services.expire_points())",
    "expire_points_catch_up": (
        "from datetime import timedelta\n"
        "from time import perf_counter\n"
        "from django.db import transaction\n"
        "from django.db.models import F\n"
        "from django.utils import timezone\n"
        "from loyalty import services\n"
        "from loyalty.models import PointLot\n"
        "class Rollback(Exception): pass\n"
        "later = timezone.now() + timedelta(days=365)\n"
        "try:\n"
        "    with transaction.atomic():\n"
        "        due = PointLot.objects.filter(remaining__gt=0, expires_at__lte=later)\n"
        "        told_at = F('expires_at') - timedelta(days=30)\n"
        "        due.filter(expiry_notified_at__isnull=True).update(expiry_notified_at=told_at)\n"
        "        started = perf_counter()\n"
        "        print(services.expire_points(now=later), f'{perf_counter() - started:.1f}')\n"
        "        raise Rollback\n"
        "except Rollback:\n"
        "    pass\n"
    ),
    "send_expiry_notices": "from loyalty import services; print(services.send_expiry_notices())",
}


def _run_measured(command: list[str], env: dict) -> tuple[int, float, float, str]:
    """(exit status, seconds, peak RSS in MiB, output) of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    return os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss / 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed-size", choices=["tiny", "small", "medium", "large"], help="seed first (--reset)")
    args = parser.parse_args()
    # DEBUG off (with it on, Django keeps every SQL statement: that would measure its log); mail discarded.
    env = {"DJANGO_DEBUG": "false", **os.environ, "EMAIL_URL": "dummymail://"}
    manage = [PYTHON, "manage.py"]
    if args.seed_size:
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        code, seconds, _rss, output = _run_measured(
            [*manage, "seed_demo", "--seed", "1", "--size", args.seed_size, "--reset"], env
        )
        if code:
            sys.exit(output)
        print(f"seeded {args.seed_size} in {seconds:.1f} s")
    counts = subprocess.run(
        [*manage, "shell", "-c", COUNTS], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()[-4:]
    passes, entries, lots, cards = (int(n) for n in counts)
    print(f"{passes:,} passes, {entries:,} ledger entries, {lots:,} lots, {cards:,} gift cards")
    results = {}
    for name, code_text in JOBS.items():
        code, seconds, rss, output = _run_measured([*manage, "shell", "-c", code_text], env)
        if code:
            sys.exit(f"{name} failed:\n{output}")
        found = output.strip().splitlines()[-1] if output.strip() else ""
        results[name] = {"seconds": round(seconds, 2), "peak_rss_mib": round(rss, 1), "result": found}
        print(f"{name:24} {seconds:8.2f} s   peak {rss:7.1f} MiB   result {found}")
    url = os.environ.get("DATABASE_URL", "")
    print(
        json.dumps(
            {
                "benchmark": "nightly_jobs",
                "date": date.today().isoformat(),
                "database": "postgresql" if url.startswith(("postgres", "pgsql")) else "sqlite",
                "passes": passes,
                "ledger_entries": entries,
                "lots": lots,
                "gift_cards": cards,
                "jobs": results,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
