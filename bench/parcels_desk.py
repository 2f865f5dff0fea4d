#!/usr/bin/env python
"""The parcel desk under load: intake and pickup on PostgreSQL behind gunicorn, 20 desks at once.

    .venv/bin/python bench/parcels_desk.py [--desks 20] [--seconds 20] [--workers 5] [--think 3]

Sets up a fresh database (AGORA_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
agora_bench_parcels): one area, one parcel point taking all eight carriers, 60 slots, parcels announced by the
webshop (as most are), and per desk its own parcel staff login with TOTP and a signed-in session. Starts gunicorn
(sync workers; its access log records each request's time inside the server) and drives the desk's own screens
the way desk.js does, one thread per desk, each going round a loop:

- intake: scan a parcel in — POST /nl/pakketpunt/<point>/inname/ with `Accept: application/json`, as desk.js
  sends it (`receive_parcel`: carrier recognised, duplicate check, the announcement's recipient, pickup code,
  the intake event with its fee, the notice queued after commit to an in-memory broker; the answer carries the
  result panel and the recent scans as HTML);
- store: scan the suggested slot's label — the same URL with the parcel pending (`store_parcel`);
- pickup: the customer's code — POST …/afgifte/ (`look_up_for_pickup`, the list of parcels; "pickup"), then
  …/afgifte/meegeven/ with them ticked off (`hand_out_parcels`; "hand_out").

Prints per request kind the server-side p50/p95/p99 (gunicorn's request time) and the client's; the last line is
one JSON object.
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
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from till_award import recreate_database, start_gunicorn

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/agora_bench_parcels"
KINDS = ("intake", "store", "pickup", "hand_out")


#: Parcels announced per desk: more than a desk scans in a run (about one every 1.5 s back to back).
ANNOUNCED_PER_DESK = 400


def parcel_code(desk: int, serial: int) -> str:
    from parcels.barcodes import make_webshop_code

    return make_webshop_code(desk * 10_000_000 + serial)


def prepare(desks: int) -> dict:
    """Area, point, agreements, slots, announced parcels, desk staff with TOTP and sessions; returns what the
    threads need."""
    import django

    django.setup()
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from accounts.roles import Role
    from areas.models import ShoppingArea, StaffMembership
    from parcels import services
    from parcels.barcodes import CARRIERS
    from parcels.models import AnnouncementSource, Carrier, CarrierAgreement, ParcelPoint, StorageLocation

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
    point = ParcelPoint.objects.create(area=area, name="Bench pakketpunt", street="Markt 1", city="Amersfoort")
    for code in CARRIERS:
        carrier, _created = Carrier.objects.get_or_create(code=code, defaults={"name": code})
        CarrierAgreement.objects.create(point=point, carrier=carrier, intake_fee_cents=25, pickup_fee_cents=10)
    slots = []
    for zone in "ABC":
        for n in range(20):
            slots.append(
                StorageLocation.objects.create(
                    point=point, zone=zone, shelf=str(n // 5 + 1), slot=str(n % 5 + 1), size_class="L", capacity=100
                ).label_code
            )
    for n in range(desks):
        for serial in range(1, ANNOUNCED_PER_DESK + 1):
            services.announce_parcel(
                point=point,
                carrier_code="webshop",
                tracking_code=parcel_code(n, serial),
                recipient_name=f"Klant {n}-{serial}",
                recipient_email=f"k{n}-{serial}@bench.example",
                source=AnnouncementSource.WEBSHOP,
            )
    cookies = []
    for n in range(desks):
        user = User.objects.create_user(f"balie{n}@bench.example", "bench-password")
        StaffMembership.objects.create(user=user, role=Role.PARCEL_STAFF, area=area)
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "unused"})
        client = Client()
        client.force_login(user)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()
    return {"point": point.pk, "slots": slots, "cookies": cookies}


CSRF_TOKEN = "benchbenchbenchbenchbenchbench32"  # any 32 letters: the cookie and the header must agree


def run(port: int, fixture: dict, desks: int, seconds: float, think: float = 0.0) -> dict:
    client_times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    errors: dict[str, int] = {}
    lock = threading.Lock()
    start_at = time.monotonic() + 1.0
    stop_at = start_at + seconds
    base = f"/nl/pakketpunt/{fixture['point']}"

    def post(path: str, cookie: str, fields: list[tuple[str, str]], *, json_answer: bool = False):
        """A form POST as the desk's browser sends it (session, CSRF and desk-device cookies)."""
        began = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": CSRF_TOKEN,
            "Accept": "application/json" if json_answer else "text/html",
        }
        connection.request("POST", path, body=urlencode(fields), headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        took = time.perf_counter() - began
        data = {}
        if json_answer and response.headers.get("Content-Type", "").startswith("application/json"):
            data = json.loads(payload)
        return response.status, data, took

    def desk(n: int) -> None:
        rng = random.Random(n)
        cookie = f"{fixture['cookies'][n]}; csrftoken={CSRF_TOKEN}; agora_parcel_desk=balie-{n}"
        mine = {kind: [] for kind in KINDS}
        failures: dict[str, int] = {}
        waiting: list[int] = []
        serial = 0
        while (now := time.monotonic()) < stop_at and serial < ANNOUNCED_PER_DESK:
            serial += 1
            fields = [("code", parcel_code(n, serial)), ("size_class", rng.choice("SML"))]
            status, data, took = post(
                f"{base}/inname/?step=intake", cookie, [*fields, ("request_key", str(uuid.uuid4()))], json_answer=True
            )
            ok = status == 200 and data.get("kind") == "received" and data.get("pending")
            outcomes = [("intake", status if ok else f"{status}-{data.get('kind')}", took)]
            if ok:  # Enter: the suggested slot (the scanner reads its label)
                status, answer, took = post(
                    f"{base}/inname/?step=store",
                    cookie,
                    [
                        ("code", data["suggested"]),
                        ("pending", str(data["pending"])),
                        ("suggested", data["suggested"]),
                        ("request_key", data["request_key"]),
                    ],
                    json_answer=True,
                )
                stored = status == 200 and answer.get("kind") == "stored"
                outcomes.append(("store", status if stored else f"{status}-{answer.get('kind')}", took))
                waiting.append(data["pending"])
            if len(waiting) > 2:
                parcel_id = waiting.pop(0)
                code = pickup_codes.get(parcel_id)
                if code:
                    status, _data, took = post(f"{base}/afgifte/", cookie, [("code", code)])
                    outcomes.append(("pickup", status, took))
                    if status == 200:
                        status, _data, took = post(
                            f"{base}/afgifte/meegeven/",
                            cookie,
                            [("code", code), ("request_key", str(uuid.uuid4())), ("parcels", str(parcel_id))],
                        )
                        # handed out: redirected back to an empty pickup screen
                        outcomes.append(("hand_out", 200 if status == 302 else status, took))
            if think:  # a real desk: the next parcel is picked up, turned, scanned (randomised ±50 %)
                time.sleep(think * rng.uniform(0.5, 1.5))
            if now >= start_at:
                for kind, status, took in outcomes:
                    if status == 200:
                        mine[kind].append(took)
                    else:
                        failures[f"{kind}:{status}"] = failures.get(f"{kind}:{status}", 0) + 1
        with lock:
            for kind in KINDS:
                client_times[kind].extend(mine[kind])
            for key, count in failures.items():
                errors[key] = errors.get(key, 0) + count

    # The pickup code is what the recipient's e-mail carries: read it from the database as the customer would.
    pickup_codes = PickupCodes()
    pickup_codes.start()
    threads = [threading.Thread(target=desk, args=(n,)) for n in range(desks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pickup_codes.stop()
    return {"client": client_times, "errors": errors}


class PickupCodes(threading.Thread):
    """Reads the pickup codes of new parcels every 50 ms (stands in for the customer's e-mail)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.codes: dict[int, str] = {}
        self._done = threading.Event()

    def get(self, parcel_id: int) -> str | None:
        for _attempt in range(40):
            if parcel_id in self.codes:
                return self.codes[parcel_id]
            time.sleep(0.05)
        return None

    def run(self) -> None:
        from django.db import connection

        from parcels.models import Parcel

        last = 0
        while not self._done.is_set():
            for pk, code in Parcel.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "pickup_code"):
                self.codes[pk] = code
                last = pk
            time.sleep(0.05)
        connection.close()

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=5)


def percentiles(values: list[float]) -> dict:
    values = sorted(values)
    if not values:
        return {"n": 0}

    def at(p: float) -> float:
        return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 1)

    return {
        "n": len(values),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.fmean(values) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--desks", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds each desk waits between parcels (0: back to back)"
    )
    args = parser.parse_args()

    url = os.environ.get("AGORA_BENCH_DATABASE_URL", DEFAULT_URL)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "AGORA_ENV"))}
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "agora.settings",
            "DJANGO_CONN_MAX_AGE": "60",
            # The ready notice is queued after commit (in memory, never sent): a worker sends it, not the request.
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_BROKER_URL": "memory://",
            "EMAIL_URL": "memorymail://",
        }
    )
    print(f"Preparing {url}: {args.desks} desks …", flush=True)
    recreate_database(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    fixture = prepare(args.desks)
    load_before = os.getloadavg()

    access_log = Path(tempfile.mkstemp(prefix="parcels-desk-", suffix=".log")[1])
    env["GUNICORN_CMD_ARGS"] = f"--access-logfile {access_log} --access-logformat '%(U)s?%(q)s %(s)s %(L)s'"
    server = start_gunicorn(args.port, args.workers, env)
    try:
        print(f"Load: {args.desks} desks for {args.seconds:.0f} s …", flush=True)
        began = time.monotonic()
        figures = run(args.port, fixture, args.desks, args.seconds, args.think)
        elapsed = time.monotonic() - began
    finally:
        server.terminate()
        server.wait(timeout=30)
    load_after = os.getloadavg()

    server_times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for line in access_log.read_text().splitlines():
        parts = line.strip("'").split()
        if len(parts) != 3 or not parts[1].startswith(("2", "3")):
            continue
        path, seconds_taken = parts[0], float(parts[2])
        if "/inname/?step=" in path:
            server_times[path.rsplit("=", 1)[1]].append(seconds_taken)
        elif path.endswith("/afgifte/?"):
            server_times["pickup"].append(seconds_taken)
        elif path.endswith("/afgifte/meegeven/?"):
            server_times["hand_out"].append(seconds_taken)
    access_log.unlink()
    for kind in KINDS:
        # The log also holds the warm-up second's requests (each worker's first, cold ones), which the client does
        # not count: they are the earliest lines, as many as the server has more than the client.
        warm_up = len(server_times[kind]) - len(figures["client"][kind])
        if warm_up > 0:
            server_times[kind] = server_times[kind][warm_up:]
    result = {}
    for kind in KINDS:
        result[kind] = {"server": percentiles(server_times[kind]), "client": percentiles(figures["client"][kind])}
        server, client = result[kind]["server"], result[kind]["client"]
        print(
            f"{kind:7} {client.get('n', 0):6} ok   server p50 {server.get('p50_ms')} ms  p95 {server.get('p95_ms')} ms"
            f"  p99 {server.get('p99_ms')} ms   client p95 {client.get('p95_ms')} ms"
        )
    print(
        f"errors: {figures['errors'] or 'none'}   load average before/after: {load_before[0]:.1f}/{load_after[0]:.1f}"
    )
    print(
        json.dumps(
            {
                "benchmark": "parcels_desk",
                "desks": args.desks,
                "think_s": args.think,
                "seconds": args.seconds,
                "elapsed_s": round(elapsed, 1),
                "gunicorn_workers": args.workers,
                **result,
                "errors": figures["errors"],
                "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
                "database": "postgresql",
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
