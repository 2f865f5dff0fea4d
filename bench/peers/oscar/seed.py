"""Fill the Oscar peer with the bench's catalogue: N partners (merchants) and M products with stock.

    OSCAR_BENCH_DATABASE_URL=… python seed.py --merchants 200 --products 10000

The same shape as Agora's bench catalogue (bench/shop_pages.py): products spread evenly over the merchants,
twelve categories, a price and stock per product. Bulk inserts, as a data import would do.
"""

import argparse
import os
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django

django.setup()

from catalogue import CATEGORIES  # noqa: E402
from django.contrib.sites.models import Site  # noqa: E402
from django.db import transaction  # noqa: E402
from oscar.apps.address.models import Country  # noqa: E402
from oscar.apps.catalogue.categories import create_from_breadcrumbs  # noqa: E402
from oscar.apps.catalogue.models import Product, ProductCategory, ProductClass  # noqa: E402
from oscar.apps.partner.models import Partner, StockRecord  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--products", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(1)
    with transaction.atomic():
        Site.objects.update_or_create(pk=1, defaults={"domain": "localhost", "name": "bench"})
        Country.objects.update_or_create(
            iso_3166_1_a2="NL",
            defaults={
                "iso_3166_1_a3": "NLD",
                "iso_3166_1_numeric": "528",
                "printable_name": "Nederland",
                "name": "Netherlands",
                "is_shipping_country": True,
            },
        )
        product_class, _ = ProductClass.objects.get_or_create(
            name="Artikel", defaults={"requires_shipping": True, "track_stock": True}
        )
        categories = [create_from_breadcrumbs(name) for name in CATEGORIES]
        partners = Partner.objects.bulk_create(
            Partner(name=f"Winkel {n:03d}", code=f"winkel-{n:03d}") for n in range(args.merchants)
        )
        products = Product.objects.bulk_create(
            Product(
                structure=Product.STANDALONE,
                product_class=product_class,
                title=f"Artikel {n:05d} van winkel {n % args.merchants:03d}",
                slug=f"artikel-{n:05d}",
                description="Een lokaal product uit de binnenstad.",
                is_public=True,
            )
            for n in range(args.products)
        )
        ProductCategory.objects.bulk_create(
            ProductCategory(product=product, category=categories[n % len(categories)])
            for n, product in enumerate(products)
        )
        StockRecord.objects.bulk_create(
            StockRecord(
                partner=partners[n % args.merchants],
                product=product,
                partner_sku=f"SKU-{n:05d}",
                price_currency="EUR",
                price=Decimal(rng.randrange(195, 9_995)) / 100,
                num_in_stock=1_000_000,
            )
            for n, product in enumerate(products)
        )
    print(f"oscar peer: {len(partners)} partners, {len(products)} products")


if __name__ == "__main__":
    main()
