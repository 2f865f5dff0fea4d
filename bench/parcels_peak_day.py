#!/usr/bin/env python
"""A peak day at the parcel point: 4,000 parcels (5× the demo's 800 a day) through announce → intake → store →
notify → pickup, on PostgreSQL, with a few desks at once. Counts errors (the target is none) and the duration.

    .venv/bin/python bench/parcels_peak_day.py [--parcels 4000] [--desks 4]

Sets up a fresh database (AGORA_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
agora_bench_peak). Runs in one process, calling the services the desk and the API call: every parcel is
announced (API, the carrier mix of the demo), scanned in, put on a slot, its recipient told by e-mail (Celery
eager, Django's locmem outbox: the task runs after the intake's commit, as a worker would), and picked up with the
code from that e-mail. The day's clock runs from 08:00 to 18:00 in the area's zone; each desk thread has its own
database connection. Prints the phases' durations, the error count and the e-mails sent; the last line is one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from till_award import recreate_database

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/agora_bench_peak"
ZONE = ZoneInfo("Europe/Amsterdam")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=4000)
    parser.add_argument("--desks", type=int, default=4)
    args = parser.parse_args()

    url = os.environ.get("AGORA_BENCH_DATABASE_URL", DEFAULT_URL)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "AGORA_ENV"))}
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "agora.settings",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "EMAIL_URL": "memorymail://",
        }
    )
    print(f"Preparing {url} …", flush=True)
    recreate_database(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path[1:1] = [str(ROOT / "platform"), str(ROOT)]

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.db import connection

    from accounts.roles import Role
    from areas.models import ShoppingArea, StaffMembership
    from parcels import services
    from parcels.barcodes import CARRIERS
    from parcels.demo import AGREEMENTS, MIX, tracking_code
    from parcels.models import AnnouncementSource, Carrier, CarrierAgreement, Parcel, ParcelPoint, StorageLocation

    mail.outbox = []
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
        intake, pickup, returns, handover, days, _id_check = AGREEMENTS[code]
        CarrierAgreement.objects.create(
            point=point,
            carrier=carrier,
            storage_days=days,
            intake_fee_cents=intake,
            pickup_fee_cents=pickup,
            return_fee_cents=returns,
            handover_fee_cents=handover,
        )
    slots = [
        StorageLocation.objects.create(
            point=point, zone=zone, shelf=str(n // 10 + 1), slot=str(n % 10 + 1), size_class="XL", capacity=100
        ).label_code
        for zone in "ABC"
        for n in range(30)
    ]
    User = get_user_model()
    desks = []
    for n in range(args.desks):
        user = User.objects.create_user(f"balie{n}@bench.example", "bench-password")
        StaffMembership.objects.create(user=user, role=Role.PARCEL_STAFF, area=area)
        desks.append(user)
    connection.close()

    rng = random.Random(4000)
    mix = MIX["NL"]
    day = datetime(2026, 12, 1, 8, 0, tzinfo=ZONE)  # the Tuesday after Cyber Monday
    plan = []
    for n in range(args.parcels):
        carrier = rng.choices(list(mix), weights=list(mix.values()))[0]
        plan.append(
            {
                "carrier": carrier,
                "code": tracking_code(carrier, 5_000_000 + 7 * n, rng),
                "name": f"Klant {n}",
                "email": f"klant{n}@bench.example",
                "at": day + timedelta(seconds=n * 36_000 / args.parcels),
            }
        )
    errors: list[str] = []
    lock = threading.Lock()

    def in_parallel(work) -> float:
        began = time.perf_counter()

        def desk(index: int) -> None:
            try:
                for item in plan[index :: args.desks]:
                    try:
                        work(desks[index], item)
                    except Exception as error:  # counted, not fatal: the figure is "errors"
                        with lock:
                            errors.append(f"{type(error).__name__}: {error}")
            finally:
                connection.close()

        threads = [threading.Thread(target=desk, args=(index,)) for index in range(args.desks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - began

    point = ParcelPoint.objects.select_related("area").get(pk=point.pk)

    def announce(_by, item):
        services.announce_parcel(
            point=point,
            carrier_code=item["carrier"],
            tracking_code=item["code"],
            recipient_name=item["name"],
            recipient_email=item["email"],
            source=AnnouncementSource.API,
            expected_on=item["at"].date(),
        )

    def intake(by, item):
        result = services.receive_parcel(
            point=point, raw_code=item["code"], by=by, request_key=uuid.uuid4(), device=by.email, now=item["at"]
        )
        if result.parcel is None or result.is_duplicate:
            raise RuntimeError(f"intake of {item['code']}: {result}")
        services.store_parcel(
            parcel=result.parcel,
            location_label_code=rng.choice(slots),
            by=by,
            device=by.email,
            now=item["at"] + timedelta(seconds=20),
        )
        item["parcel"] = result.parcel.pk

    code_in_mail = re.compile(r"\b([A-Z0-9]{6})\b")
    mails_by_recipient: dict[str, str] = {}

    def pickup(by, item):
        body = mails_by_recipient.get(item["email"], "")
        codes = [
            code for code in code_in_mail.findall(body) if code == Parcel.objects.get(pk=item["parcel"]).pickup_code
        ]
        if not codes:
            raise RuntimeError(f"no pickup code in the e-mail to {item['email']}")
        parcels = services.look_up_for_pickup(point=point, pickup_code_or_token=codes[0], by=by, device=by.email)
        services.hand_out_parcels(
            point=point,
            parcel_ids=[parcel.pk for parcel in parcels],
            pickup_code_or_token=codes[0],
            by=by,
            request_key=uuid.uuid4(),
            device=by.email,
            now=item["at"] + timedelta(hours=4),
        )

    load_before = os.getloadavg()
    print(f"{args.parcels} parcels, {args.desks} desks …", flush=True)
    phases = {"announce": in_parallel(announce)}
    print(f"  announce {phases['announce']:.1f} s", flush=True)
    phases["intake_store_notify"] = in_parallel(intake)
    print(f"  intake, store, notify {phases['intake_store_notify']:.1f} s", flush=True)
    for message in mail.outbox:
        for recipient in message.to:
            mails_by_recipient[recipient] = message.body
    phases["pickup"] = in_parallel(pickup)
    print(f"  pickup {phases['pickup']:.1f} s", flush=True)
    load_after = os.getloadavg()
    total = sum(phases.values())
    picked = Parcel.objects.filter(point=point, state="picked_up").count()
    print(
        f"{args.parcels} parcels in {total:.1f} s ({args.parcels / total:.1f} parcels/s end to end), "
        f"{len(errors)} errors, {len(mail.outbox)} e-mails, {picked} picked up; "
        f"load average {load_before[0]:.1f}/{load_after[0]:.1f}"
    )
    for error in errors[:10]:
        print("  error:", error)
    print(
        json.dumps(
            {
                "benchmark": "parcels_peak_day",
                "parcels": args.parcels,
                "desks": args.desks,
                "seconds": round(total, 1),
                "phases_s": {name: round(value, 1) for name, value in phases.items()},
                "errors": len(errors),
                "emails": len(mail.outbox),
                "picked_up": picked,
                "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
                "database": "postgresql",
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
