#!/usr/bin/env python
"""Scan-to-award at the till: PostgreSQL behind gunicorn, many tills at once, against the stack's floor.

    .venv/bin/python bench/till_award.py [--tills 50] [--seconds 20] [--workers 5] [--passes 3000]

Sets up a fresh database (AGORA_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
agora_bench_till): one area, one merchant per till with its own cashier and API token, `--passes`
members, and `--history` purchases over the past year (analysed, as a town's tables are). Starts gunicorn
(sync workers) and drives it with one thread per till, each sending the next request as soon as the previous one
answered (a closed loop: the harshest load 50 tills can make):

- award: POST /api/v1/merchants/<id>/till/awards/ with a printed card number, an amount and a fresh
  request key — the full path: token auth, MFA check, permission, the pass and its facts, velocity checks,
  the rules, then till transaction, ledger entry, lot and balance in one statement (loyalty.services.till_sql);
- floor: POST /bench/floor/, a bare Django view doing one INSERT in one transaction;
- statements: POST /bench/award-statements/, the award's four statements to PostgreSQL with its own SQL but no
  DRF, model objects or rules (bench/floor_urls.py): how much of the gap between award and floor is the database
  work alone.

The area's velocity limits are raised for the run (a real till scans a few times a minute; here every
till scans back to back). Prints latency percentiles, throughput, the CPU time the web server and PostgreSQL
spent per request, the ratio award/floor, and as the last line one JSON object. `--skip-statements` leaves the
third path out.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/agora_bench_till"


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(tills: int, passes: int, history: int) -> dict:
    """Area, merchants, cashiers with tokens, passes; returns what the load threads need."""
    import django

    django.setup()
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from accounts.roles import Role
    from areas.models import Merchant, ShoppingArea, StaffMembership
    from loyalty import services
    from loyalty.models import LoyaltySettings, Pass

    User = get_user_model()
    area = ShoppingArea.objects.create(
        name="Bench",
        slug="bench",
        country="NL",
        time_zone="Europe/Amsterdam",
        pass_name="Benchpas",
        collective_name="Bench",
        collective_address="Markt 1",
        privacy_email="privacy@bench.example",
        centre_latitude="52.156100",
        centre_longitude="5.387800",
    )
    rules = LoyaltySettings.for_area(area)
    for field in (
        "max_scans_per_member_per_hour",
        "max_scans_per_member_per_merchant_per_day",
        "max_scans_per_merchant_per_hour",
        "max_scans_per_device_per_hour",
    ):
        setattr(rules, field, 30_000)
    rules.daily_cap_points = 10_000_000
    rules.save()
    tokens, merchant_ids = [], []
    for n in range(tills):
        merchant = Merchant.objects.create(
            area=area,
            trade_name=f"Winkel {n}",
            legal_name=f"Winkel {n} B.V.",
            slug=f"winkel-{n}",
            registration_number=f"{10_000_000 + n}",
            sector="fashion",
            street=f"Langestraat {n + 1}",
            postcode="3811 AB",
            city="Amersfoort",
        )
        cashier = User.objects.create_user(f"kassa{n}@bench.example", "bench-password")
        StaffMembership.objects.create(user=cashier, role=Role.MERCHANT_STAFF, area=area, merchant=merchant)
        Authenticator.objects.create(user=cashier, type=Authenticator.Type.TOTP, data={"secret": "unused"})
        tokens.append(Token.objects.create(user=cashier).key)
        merchant_ids.append(merchant.pk)
    members = User.objects.bulk_create(
        [User(email=f"lid{n}@bench.example", first_name=f"Lid{n}", password="!") for n in range(passes)]
    )
    for member in members:
        services.join_pass(user=member, area=area)
    cards = list(Pass.objects.filter(area=area).values_list("card_number", flat=True))
    cashier_ids = list(
        StaffMembership.objects.filter(merchant_id__in=merchant_ids)
        .order_by("merchant_id")
        .values_list("user_id", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL)")
        seed_history(cursor, history, merchant_ids=sorted(merchant_ids), cashier_ids=cashier_ids)
        cursor.execute("VACUUM ANALYZE")
    connection.close()
    return {"tokens": tokens, "merchants": merchant_ids, "cards": cards}


def seed_history(cursor, count: int, *, merchant_ids: list[int], cashier_ids: list[int]) -> None:
    """The year a town's tables hold before the morning being measured: `count` purchases at random tills, passes and
    times over the past year (at least two hours ago), each with its ledger entry and lot, the passes' balances and
    versions to match; and as many rows in the floor's table. PostgreSQL plans its statements (and the foreign-key
    checks it runs on every insert) from the tables' statistics: over empty tables it scans them whole, which is cheap
    only while they stay nearly empty, and no real till runs on an empty database."""
    params = {"count": count, "merchants": merchant_ids, "cashiers": cashier_ids, "tills": len(merchant_ids)}
    cursor.execute(
        """
        INSERT INTO loyalty_tilltransaction (kind, amount_cents, receipt_number, points, bonus_points,
            points_unrecovered, balance_after, occurred_at, request_key, device_id, by_id, member_pass_id, merchant_id,
            campaign_points, giftcard_cents, points_spent, reward_cents, voucher_cents)
        SELECT 'purchase', amount, '', amount / 100, 0, 0,
            SUM(amount / 100) OVER (PARTITION BY pass_id ORDER BY at, n), at, gen_random_uuid(), 'till-' || (m - 1),
            (%(cashiers)s::bigint[])[m], pass_id, (%(merchants)s::bigint[])[m], 0, 0, 0, 0, 0
        FROM (
            SELECT n, 1 + floor(random() * %(tills)s)::int AS m, 150 + floor(random() * 11850)::int AS amount,
                now() - interval '2 hours' - random() * interval '363 days' AS at,
                (SELECT min(id) FROM loyalty_pass) + floor(random() * (SELECT count(*) FROM loyalty_pass))::bigint
                    AS pass_id
            FROM generate_series(1, %(count)s) n
        ) s
        ORDER BY at
        """,
        params,
    )
    cursor.execute(
        """
        INSERT INTO loyalty_ledgerentry (kind, points, occurred_at, request_key, reason, by_id, merchant_id,
            member_pass_id, till_transaction_id)
        SELECT 'earn', points, occurred_at, request_key, '', by_id, merchant_id, member_pass_id, id
        FROM loyalty_tilltransaction ORDER BY id
        """
    )
    cursor.execute(
        """
        INSERT INTO loyalty_pointlot (points, remaining, earned_at, expires_at, entry_id, member_pass_id)
        SELECT points, points, occurred_at, occurred_at + interval '730 days', id, member_pass_id
        FROM loyalty_ledgerentry ORDER BY id
        """
    )
    cursor.execute(
        """
        UPDATE loyalty_pass p SET points_balance = s.points, till_version = s.versions
        FROM (SELECT member_pass_id, SUM(points) AS points, COUNT(*) AS versions
              FROM loyalty_tilltransaction GROUP BY member_pass_id) s
        WHERE s.member_pass_id = p.id
        """
    )
    cursor.execute(
        "INSERT INTO bench_floor (created_at) "
        "SELECT now() - random() * interval '363 days' FROM generate_series(1, %s)",
        [count],
    )


def start_gunicorn(
    port: int,
    workers: int,
    env: dict,
    *,
    gunicorn: Path = BIN / "gunicorn",
    app: str = "agora.wsgi",
    cwd: Path = ROOT,
    ready_path: str = "/healthz",
    wait_seconds: float = 30,
) -> subprocess.Popen:
    """Start gunicorn (sync workers) and return once `ready_path` answers 200 (other benches start their peers
    with it too)."""
    server = subprocess.Popen(
        [
            gunicorn,
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env=env,
    )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", ready_path)
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn ({app}) did not start")


def cpu_seconds(server_pid: int) -> dict[str, float] | None:
    """CPU time (user and system, seconds) used so far by the web server's processes and by PostgreSQL's, from
    /proc (None where there is none); PostgreSQL must run on this machine."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    used = {"web": 0.0, "postgresql": 0.0}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name, _, rest = (entry / "stat").read_text().partition(") ")
            fields = rest.split()
        except OSError:  # ended in between
            continue
        # Its own time, and that of its children that ended (a backend whose connection closed in between).
        parent, spent = int(fields[1]), sum(int(field) for field in fields[11:15]) / tick
        if int(entry.name) == server_pid or parent == server_pid:
            used["web"] += spent
        elif name.endswith("(postgres"):
            used["postgresql"] += spent
    return used


def load(
    port: int, tills: int, seconds: float, make_request, think: float = 0.0, server_pid: int | None = None
) -> dict:
    """One thread per till for `seconds` after a one-second warm-up; each waits `think` seconds
    (randomised ±50 %) between answer and next request — 0 is back to back. With `server_pid`, also the CPU time
    the web server and PostgreSQL spent per answered request over the measured seconds (`cpu_ms_per_request`)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start_at = time.monotonic() + 1.0
    stop_at = start_at + seconds

    def till(n: int) -> None:
        rng = random.Random(n)
        mine, counts = [], {}
        while (now := time.monotonic()) < stop_at:
            method, path, body, headers = make_request(n, rng)
            began = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            took = time.perf_counter() - began
            if now >= start_at:
                mine.append(took)
                counts[response.status] = counts.get(response.status, 0) + 1
            if think:
                time.sleep(think * rng.uniform(0.5, 1.5))
        with lock:
            latencies.extend(mine)
            for code, count in counts.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=till, args=(n,)) for n in range(tills)]
    for thread in threads:
        thread.start()
    cpu_before = cpu_after = None
    if server_pid is not None:
        time.sleep(max(0.0, start_at - time.monotonic()))
        cpu_before = cpu_seconds(server_pid)
        time.sleep(max(0.0, stop_at - time.monotonic()))
        cpu_after = cpu_seconds(server_pid)
    for thread in threads:
        thread.join()
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    ok = sum(count for code, count in statuses.items() if 200 <= code < 300)
    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": statuses,
        "throughput_rps": round(ok / seconds, 1),
        "p50_ms": round(percentile(0.50), 1),
        "p95_ms": round(percentile(0.95), 1),
        "p99_ms": round(percentile(0.99), 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        "cpu_ms_per_request": (
            {name: round((cpu_after[name] - cpu_before[name]) * 1000 / ok, 2) for name in cpu_after}
            if cpu_before and cpu_after and ok
            else None
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tills", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--passes", type=int, default=3000)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument(
        "--history", type=int, default=100_000, help="purchases already in the tables (a year of the passes' visits)"
    )
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds each till waits between scans (0: back to back)"
    )
    parser.add_argument("--skip-statements", action="store_true", help="do not time the award's statements alone")
    parser.add_argument(
        "--prepared",
        action="store_true",
        help="server-side parameters and prepared statements (DJANGO_DB_PREPARED_STATEMENTS=1) for all three paths",
    )
    args = parser.parse_args()

    url = os.environ.get("AGORA_BENCH_DATABASE_URL", DEFAULT_URL)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "AGORA_ENV"))}
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "agora.settings",
            "DJANGO_ROOT_URLCONF": "floor_urls",
            "PYTHONPATH": str(ROOT / "bench"),
            "DJANGO_CONN_MAX_AGE": "60",
            "DJANGO_DB_PREPARED_STATEMENTS": "1" if args.prepared else "0",
        }
    )
    print(f"Preparing {url}: {args.tills} tills, {args.passes} passes …", flush=True)
    recreate_database(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    fixture = prepare(args.tills, args.passes, args.history)

    server = start_gunicorn(args.port, args.workers, env)
    try:

        def award(n, rng):
            body = json.dumps(
                {
                    "code": rng.choice(fixture["cards"]),
                    "amount_cents": rng.randint(150, 12_000),
                    "request_key": str(uuid.uuid4()),
                    "device_id": f"till-{n}",
                }
            )
            headers = {"Authorization": f"Token {fixture['tokens'][n]}", "Content-Type": "application/json"}
            return "POST", f"/api/v1/merchants/{fixture['merchants'][n]}/till/awards/", body, headers

        def floor(n, rng):
            return "POST", "/bench/floor/", b"", {"Content-Length": "0"}

        def statements(n, rng):
            method, _path, body, headers = award(n, rng)
            body = json.dumps({**json.loads(body), "merchant": fixture["merchants"][n]})
            return method, "/bench/award-statements/", body, headers

        print("Floor: bare view, one INSERT …", flush=True)
        floor_figures = load(args.port, args.tills, args.seconds, floor, args.think, server.pid)
        statements_figures = None
        if not args.skip_statements:
            print("Statements: the award's round trips as plain SQL …", flush=True)
            statements_figures = load(args.port, args.tills, args.seconds, statements, args.think, server.pid)
        print("Award: scan-to-award through the till API …", flush=True)
        award_figures = load(args.port, args.tills, args.seconds, award, args.think, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    ratio = round(award_figures["throughput_rps"] / floor_figures["throughput_rps"], 3)
    paths = [("floor", floor_figures), ("statements", statements_figures), ("award", award_figures)]
    for name, figures in paths:
        if figures is None:
            continue
        print(
            f"{name:10} {figures['throughput_rps']:8.1f} req/s   p50 {figures['p50_ms']:6.1f} ms   "
            f"p95 {figures['p95_ms']:6.1f} ms   p99 {figures['p99_ms']:6.1f} ms   statuses {figures['statuses']}"
        )
        if cpu := figures["cpu_ms_per_request"]:
            print(f"{'':10} CPU per request: web {cpu['web']:.2f} ms, PostgreSQL {cpu['postgresql']:.2f} ms")
    print(f"award/floor throughput: {ratio:.0%}")
    statements_ratio = None
    if statements_figures is not None:
        statements_ratio = round(statements_figures["throughput_rps"] / floor_figures["throughput_rps"], 3)
        print(f"statements/floor throughput: {statements_ratio:.0%} (the award's database work alone)")
    print(
        json.dumps(
            {
                "benchmark": "till_award",
                "tills": args.tills,
                "seconds": args.seconds,
                "gunicorn_workers": args.workers,
                "award": award_figures,
                "floor": floor_figures,
                "throughput_ratio": ratio,
                "statements": statements_figures,
                "statements_ratio": statements_ratio,
                "database": "postgresql",
                "prepared_statements": args.prepared,
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
