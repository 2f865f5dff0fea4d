#!/usr/bin/env python
"""Memory of the web server's processes: gunicorn with and without `preload_app`.

    .venv/bin/python bench/process_memory.py [--workers 5]

Every Django process of Agora starts large (analytics imports pandas, scipy and statsmodels when the app and its
URLs load). Without preload each sync worker loads the application itself; with it the master loads it once
(agora/wsgi.py freezes it for the garbage collector) and forks the workers, which then share those pages copy on
write. This starts gunicorn (`--workers`, sync, DEBUG off) on a fresh, migrated and otherwise empty database
(AGORA_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/agora_bench_memory) twice:

- plain: an empty config file (`--config`), so a ./gunicorn.conf.py cannot turn preload on;
- preload: `--preload`, and the repository's ./gunicorn.conf.py as gunicorn reads it in production, if there is one.

Each time it asks for a few pages (/healthz, which queries the database, the home page and the login page) in
parallel until every worker has answered some (by the pids in gunicorn's access log), then reads
/proc/<pid>/smaps_rollup of the master and of each worker: RSS, PSS and private (Private_Clean + Private_Dirty).
Prints per mode the total PSS of all gunicorn processes (what they cost the machine together), the mean RSS and
the mean private memory per worker, and as the last line one JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from till_award import recreate_database, start_gunicorn  # the same fresh database and server

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/agora_bench_memory"
PAGES = ("/healthz", "/", "/nl/", "/nl/accounts/login/")  # each must answer 200 or a redirect
MIB = 1024 * 1024


def workers_of(master: int) -> list[int]:
    """The processes whose parent is `master` (gunicorn's workers)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            children.append(int(entry.name))
    return sorted(children)


def memory(pid: int) -> dict[str, float]:
    """RSS, PSS and private memory of one process in MiB, from /proc/<pid>/smaps_rollup."""
    kib = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        kib[name.rstrip(":")] = int(value)
    return {
        "rss": kib["Rss"] / 1024,
        "pss": kib["Pss"] / 1024,
        "private": (kib["Private_Clean"] + kib["Private_Dirty"]) / 1024,
    }


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def served_by(access_log: Path) -> set[int]:
    """The workers that answered a request so far, from the access log (its format starts with the pid)."""
    if not access_log.exists():
        return set()
    return {int(line.split()[0].strip("<>")) for line in access_log.read_text().splitlines() if line}


def serve_everywhere(port: int, master: int, workers: int, access_log: Path, rounds: int = 20) -> dict[str, int]:
    """Ask for the pages in parallel until each of the `workers` workers has answered some (at most `rounds`
    rounds); returns the status of each page."""
    deadline = time.monotonic() + 120
    while len(workers_of(master)) < workers:
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn started {len(workers_of(master))} of {workers} workers")
        time.sleep(0.2)
    statuses: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=2 * workers) as pool:
        for _ in range(rounds):
            paths = [path for path in PAGES for _ in range(workers)]
            for path, status in zip(paths, pool.map(lambda path: get(port, path), paths), strict=True):
                if status not in (200, 301, 302):
                    raise SystemExit(f"{path} answered {status}")
                statuses[path] = status
            if set(workers_of(master)) <= served_by(access_log):
                return statuses
    idle = set(workers_of(master)) - served_by(access_log)
    raise SystemExit(f"workers {sorted(idle)} answered nothing after {rounds} rounds")


def measure(port: int, workers: int, env: dict, gunicorn_args: str, tmp: Path) -> dict:
    access_log = tmp / "access.log"
    access_log.unlink(missing_ok=True)
    gunicorn_args += f" --access-logfile {access_log} --access-logformat '%(p)s %(s)s %(r)s'"
    server = start_gunicorn(port, workers, {**env, "GUNICORN_CMD_ARGS": gunicorn_args}, wait_seconds=120)
    try:
        statuses = serve_everywhere(port, server.pid, workers, access_log)
        time.sleep(1)
        master = memory(server.pid)
        each = [memory(pid) for pid in workers_of(server.pid)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "total_pss_mib": round(master["pss"] + sum(m["pss"] for m in each), 1),
        "master_rss_mib": round(master["rss"], 1),
        "master_pss_mib": round(master["pss"], 1),
        "worker_rss_mib": round(sum(m["rss"] for m in each) / len(each), 1),
        "worker_pss_mib": round(sum(m["pss"] for m in each) / len(each), 1),
        "worker_private_mib": round(sum(m["private"] for m in each) / len(each), 1),
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--port", type=int, default=8796)
    args = parser.parse_args()

    load_before = round(os.getloadavg()[0], 2)  # before this script's own migrate
    url = os.environ.get("AGORA_BENCH_DATABASE_URL", DEFAULT_URL)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "AGORA_ENV"))}
    env.update({"DATABASE_URL": url, "DJANGO_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "agora.settings"})
    env.pop("GUNICORN_CMD_ARGS", None)
    print(f"Preparing {url} (migrate, no data) …", flush=True)
    recreate_database(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "plain.conf.py"
        empty.write_text("")
        for mode, gunicorn_args in (("plain", f"--config {empty}"), ("preload", "--preload")):
            print(f"{mode}: gunicorn with {args.workers} workers …", flush=True)
            results[mode] = measure(args.port, args.workers, env, gunicorn_args, Path(tmp))

    print(f"\n{'mode':<8} {'total PSS MiB':>14} {'RSS/worker MiB':>15} {'private/worker MiB':>19}")
    for mode, figures in results.items():
        print(
            f"{mode:<8} {figures['total_pss_mib']:>14.1f} {figures['worker_rss_mib']:>15.1f}"
            f" {figures['worker_private_mib']:>19.1f}"
        )
    saved = results["plain"]["total_pss_mib"] - results["preload"]["total_pss_mib"]
    print(f"preload saves {saved:.1f} MiB of {results['plain']['total_pss_mib']:.1f} MiB in total PSS\n")
    print(
        json.dumps(
            {
                "benchmark": "process_memory",
                "workers": args.workers,
                **results,
                "saved_pss_mib": round(saved, 1),
                "load_average_before": load_before,
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
