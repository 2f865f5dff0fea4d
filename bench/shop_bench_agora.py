"""Agora's half of bench/shop_pages.py: the bench catalogue in a fresh database, and a shopper that browses,
adds to the cart and checks out through the shop's own pages.

The database is made the way a developer gets one (`migrate`, `seed_demo --size small`: both towns with their
sites and parcel points), then Amersfoort gets `merchants` selling merchants (Stripe Connect enabled) and
`products` products with one variant each and ample stock, spread over the same twelve categories as the peer's.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import uuid
from pathlib import Path

from shop_pages import CATEGORIES, Browser, recreate_database

ROOT = Path(__file__).resolve().parents[1]
HOST = "amersfoort.localhost"
# the demo's sites answer on port 8000 (areas.demo.shops.SITE_PORT); the Host header names it whatever port serves
HOST_HEADER = f"{HOST}:8000"


def prepare_agora(url: str, merchants: int, products: int) -> tuple[dict, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "AGORA_ENV"))}
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "agora.settings",
            "DJANGO_CONN_MAX_AGE": "60",
            # this checkout's code, also when the virtualenv's editable install points at another checkout
            "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
            # the checkout is measured without the Stripe round trip, and e-mails stay in memory
            "SHOP_PAYMENT_GATEWAY": "fake",
            "EMAIL_URL": "memorymail://",
        }
    )
    print(f"Preparing {url}: {merchants} merchants, {products} products …", flush=True)
    recreate_database(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--size", "small", "--seed", "1"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)
    return env, seed_catalogue(merchants, products)


def seed_catalogue(merchants: int, products: int) -> dict:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils.text import slugify

    from areas.models import Merchant, ShoppingArea
    from parcels.models import ParcelPoint
    from shop.models import Category, MerchantShop, Product, ShopSettings, Variant

    rng = random.Random(1)
    area = ShoppingArea.objects.get(site__hostname=HOST)
    with transaction.atomic():
        settings = ShopSettings.for_area(area)
        settings.is_open = True
        settings.parcel_point = ParcelPoint.objects.filter(area=area).order_by("pk").first()
        settings.save()
        categories = Category.objects.bulk_create(
            Category(area=area, slug=f"bench-{slugify(name)}", name_nl=name, name_en=name, position=100 + n)
            for n, name in enumerate(CATEGORIES)
        )
        sellers = Merchant.objects.bulk_create(
            Merchant(
                area=area,
                trade_name=f"Winkel {n:03d}",
                legal_name=f"Winkel {n:03d} B.V.",
                slug=f"bench-winkel-{n:03d}",
                registration_number=f"{20_000_000 + n}",
                sector="fashion",
                street=f"Langestraat {n + 1}",
                postcode="3811 AB",
                city="Amersfoort",
            )
            for n in range(merchants)
        )
        MerchantShop.objects.bulk_create(
            MerchantShop(
                merchant=merchant,
                is_selling=True,
                stripe_account_id=f"acct_bench_{merchant.pk}",
                charges_enabled=True,
                payouts_enabled=True,
            )
            for merchant in sellers
        )
        made = Product.objects.bulk_create(
            Product(
                merchant=sellers[n % merchants],
                category=categories[n % len(categories)],
                slug=f"artikel-{n:05d}",
                sku=f"SKU-{n:05d}",
                title_nl=f"Artikel {n:05d} van winkel {n % merchants:03d}",
                title_en=f"Item {n:05d} from shop {n % merchants:03d}",
                description_nl="Een lokaal product uit de binnenstad.",
                description_en="A local product from the town centre.",
                price_cents=rng.randrange(195, 9_995),
                vat_rate_bps=2100,
            )
            for n in range(products)
        )
        Variant.objects.bulk_create(Variant(product=product, stock_on_hand=1_000_000) for product in made)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    fixture = {
        "categories": [category.slug for category in categories],
        "products": [(product.merchant.slug, product.slug) for product in made],
        "variants": dict(Variant.objects.filter(product__in=made).values_list("product__slug", "pk")),
    }
    connection.close()
    return fixture


class AgoraShopper:
    """Browse, add to the cart and check out as an anonymous shopper of Amersfoort's webshop."""

    def __init__(self, port: int, n: int, fixture: dict):
        self.browser = Browser(port, host=HOST_HEADER)
        self.n, self.fixture = n, fixture
        self.merchant_slug = self.product_slug = ""

    def catalogue(self, rng):
        slug = rng.choice(self.fixture["categories"])
        return lambda: self.browser.request("GET", f"/nl/winkelen/categorie/{slug}/")

    def product(self, rng):
        self.merchant_slug, self.product_slug = rng.choice(self.fixture["products"])
        path = f"/nl/winkelen/product/{self.merchant_slug}/{self.product_slug}/"
        return lambda: self.browser.request("GET", path)

    def add_to_cart(self, rng):
        merchant, slug = self.merchant_slug, self.product_slug
        variant = self.fixture["variants"][slug]
        path = f"/nl/winkelen/product/{merchant}/{slug}/"
        return lambda: self.browser.request("POST", path, {"variant": variant, "quantity": 1})

    def checkout(self, rng):
        _status, _location, text = self.browser.request("GET", "/nl/winkelen/afrekenen/")
        data = {
            "csrfmiddlewaretoken": self.browser.csrf(text),
            "request_key": str(uuid.uuid4()),
            "name": f"Klant {self.n}",
            "email": f"klant{self.n}@bench.example",
            "same_for_all": "on",
        }
        for field in set(re.findall(r'name="(fulfilment_\d+)"', text)):
            data[field] = "parcel_point"
        return lambda: self.browser.request("POST", "/nl/winkelen/afrekenen/", data)

    def ok(self, step: str, status: int, location: str) -> bool:
        if step == "checkout":
            return status in (302, 303) and "/winkelen/bestelling/" in location
        if step == "add_to_cart":
            return status in (302, 303)
        return status == 200
