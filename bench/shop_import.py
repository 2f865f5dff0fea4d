#!/usr/bin/env python
"""The merchant's catalogue CSV import at its largest: preview and import of `--rows` rows of new products, of a
file updating all of them, and of their export, on PostgreSQL.

    .venv/bin/python bench/shop_import.py [--rows 10000] [--variants 2]

Sets up a fresh database (AGORA_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
agora_bench_import; a `sqlite:///…` URL works too): one area with a category, one merchant and a member of its
staff. The file has `--rows` rows: products of `--variants` options each (one row per variant), as a merchant's
export writes them. Calls what the import pages call (`imports.parse_products_csv` for the preview,
`imports.import_products_csv` for the confirmation), in one process, and prints each phase's wall time: the file
creating the catalogue (`_new`), a file changing every product's price and every variant's stock (`_update`), and
the export imported back, which changes nothing (`_export`). The last line is one JSON object. A web request
must finish within gunicorn's timeout (30 s by default; `gunicorn.conf.py` sets none): the figures say whether
`imports.MAX_ROWS` does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as stdlib_platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from till_award import recreate_database

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/agora_bench_import"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="imports.MAX_ROWS")
    parser.add_argument("--variants", type=int, default=2, help="rows (options) per product")
    args = parser.parse_args()

    load_before = round(os.getloadavg()[0], 2)
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
    if url.startswith("postgres"):
        recreate_database(url)
    elif url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path[1:1] = [str(ROOT / "platform"), str(ROOT)]

    import django

    django.setup()
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.roles import Role
    from areas.models import Merchant, ShoppingArea, StaffMembership
    from shop.models import Category, Product, Variant
    from shop.selectors_merchant import products_for_export
    from shop.services import imports

    max_rows = imports.MAX_ROWS
    imports.MAX_ROWS = max(max_rows, args.rows)  # --rows above the limit: what the limit is set against

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
    Category.objects.create(area=area, slug="mode", name_nl="Mode", name_en="Fashion")
    merchant = Merchant.objects.create(
        area=area,
        trade_name="Bench mode",
        legal_name="Bench mode B.V.",
        slug="bench-mode",
        registration_number="12345678",
        sector="fashion",
        street="Langestraat 1",
        postcode="3811 AB",
        city="Amersfoort",
    )
    staff = get_user_model().objects.create_user("staff@bench.example", "bench-password")
    StaffMembership.objects.create(user=staff, role=Role.MERCHANT_STAFF, merchant=merchant, area=area)
    TOTP.activate(staff, generate_totp_secret())

    labels = ["S", "M", "L", "XL", "XXL", "3XL"][: args.variants] if args.variants > 1 else [""]
    products_in_file = args.rows // len(labels)

    def catalogue_file(price: int, stock: int) -> bytes:
        lines = [";".join(imports.COLUMNS)]
        for n in range(products_in_file):
            for label in labels:
                variant_sku = f"B-{n:06d}-{label}" if label else ""
                lines.append(
                    f"B-{n:06d};bench-{n:06d};Bench product {n};Bench product {n};Een product om te meten.;"
                    f"A product to measure.;mode;{n % 90 + price},95;21;ja;{label};{variant_sku};;{(n + stock) % 40}"
                )
        return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()

    content = catalogue_file(price=10, stock=0)
    changed = catalogue_file(price=11, stock=1)  # every product's price and every variant's stock
    connection.close()

    figures: dict[str, float] = {}

    def timed(name: str, call):
        start = time.perf_counter()
        result = call()
        figures[name] = round(time.perf_counter() - start, 2)
        print(f"{name:>22}: {figures[name]:7.2f} s", flush=True)
        return result

    plan = timed("preview_new", lambda: imports.parse_products_csv(merchant=merchant, content=content))
    assert not plan.errors, plan.errors[:5]
    result = timed("import_new", lambda: imports.import_products_csv(merchant=merchant, by=staff, content=content))
    assert result.created == products_in_file, result
    plan = timed("preview_update", lambda: imports.parse_products_csv(merchant=merchant, content=changed))
    assert not plan.errors, plan.errors[:5]
    result = timed("import_update", lambda: imports.import_products_csv(merchant=merchant, by=staff, content=changed))
    assert (result.created, result.updated + getattr(result, "unchanged", 0)) == (0, products_in_file), result
    exported = timed(
        "export", lambda: "".join(imports.export_products_csv(products_for_export(merchant=merchant).iterator(500)))
    ).encode()
    plan = timed("preview_export", lambda: imports.parse_products_csv(merchant=merchant, content=exported))
    assert not plan.errors, plan.errors[:5]
    timed("import_export", lambda: imports.import_products_csv(merchant=merchant, by=staff, content=exported))
    assert Variant.objects.filter(product__merchant=merchant).count() == args.rows
    summary = {
        "benchmark": "shop_import",
        "database": connection.vendor,
        "rows": args.rows,
        "products": Product.objects.filter(merchant=merchant).count(),
        "bytes": len(content),
        "max_rows": max_rows,
        "seconds": figures,
        "load_average_before": load_before,
        "python": stdlib_platform.python_version(),
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
