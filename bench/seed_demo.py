#!/usr/bin/env python
"""Benchmark: seed the large demo town (100,000 members) and report wall time and peak memory.

    python bench/seed_demo.py                      # SQLite in a fresh temporary directory
    DATABASE_URL=postgres://…/agora_seed_bench python bench/seed_demo.py
    python bench/seed_demo.py --size medium --seed 2 --keep

Runs `manage.py migrate` (not timed), then `manage.py seed_demo --size large --seed 1 --reset` in a
child process, timed from start to exit; peak memory is the child's own maximum resident set
size (os.wait4, so the migrate run does not count). Django's DEBUG is off in the child unless
DJANGO_DEBUG is set: with it on, Django keeps and formats every SQL statement, which measures
Django's debug log rather than the generator. The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _database(url: str) -> str:
    return "postgresql" if url.startswith(("postgres://", "postgresql://", "pgsql://")) else "sqlite"


def _run_measured(command: list[str], env: dict) -> tuple[int, float, float, str]:
    """(exit status, seconds, peak RSS in MiB, output) of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read()  # the child's output until it closes (it exits right after)
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    child.stdout.close()
    peak_mib = usage.ru_maxrss / 1024  # kilobytes on Linux
    return child.returncode, seconds, peak_mib, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", default=date.today().isoformat(), help="reference date of the demo data")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite database")
    args = parser.parse_args()

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("DJANGO_DEBUG", "0")
    temporary = None
    if not env.get("DATABASE_URL"):
        temporary = tempfile.mkdtemp(prefix="agora-bench-")
        env["DATABASE_URL"] = f"sqlite:///{temporary}/bench.sqlite3"
    database = _database(env["DATABASE_URL"])
    manage = [sys.executable, str(ROOT / "manage.py")]

    print(f"Database: {database}" + (f" (temporary, {temporary})" if temporary else ""), flush=True)
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)

    seed = [*manage, "seed_demo", "--size", args.size, "--seed", str(args.seed), "--reset", "--today", args.today]
    print("Running:", " ".join(seed[1:]), flush=True)
    status, seconds, peak_mib, output = _run_measured(seed, env)
    steps = [line for line in output.splitlines() if re.match(r"^(wipe )?[\w.]+\s+[\d.]+ s$", line)]
    print("\n".join(steps))
    if status:
        print(output, file=sys.stderr)
        sys.exit(f"seed_demo failed with exit status {status}")
    summary = re.search(r"Demo town seeded in [\d.]+ s: (.*)\.", output)
    items = re.findall(r"(\d[\d,]*) ([a-z ]+?)(?:,|$)", summary.group(1))
    counts = {what: int(n.replace(",", "")) for n, what in items}
    rows = sum(counts.values())
    print(
        f"\nseed_demo --size {args.size}: {counts.get('members', 0):,} members, {rows:,} rows in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s), peak RSS {peak_mib:,.0f} MiB, on {database}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    if temporary and not args.keep:
        for name in os.listdir(temporary):
            os.remove(os.path.join(temporary, name))
        os.rmdir(temporary)
    print(
        json.dumps(
            {
                "benchmark": f"seed_demo_{args.size}",
                "members": counts.get("members", 0),
                "rows": rows,
                "seconds": round(seconds, 2),
                "peak_rss_mb": round(peak_mib, 1),
                "database": database,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
