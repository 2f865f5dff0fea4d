"""The catalogue as a CSV file: import (validated, all or nothing, a preview first) and an export that imports back.

The format (`COLUMNS`, also the downloadable template and `docs/shop-products-csv.md`): one row per variant, `;` or
`,` between fields, UTF-8 (a byte-order mark is fine, as Excel writes it). Rows of one product share its
`sku` (or, without one, its `slug`) and repeat its product columns; `variant` is the option ("M / blue"), empty for
a product without options. Amounts in euros with a comma or a point ("12,50"), the VAT rate in percent ("21"),
`active` as ja/nee (yes/no, 1/0). A product is matched by article number, else by web address (`slug`): found,
it is updated; not found, it is created; products not in the file are left alone. Stock is set as counted.

`parse_products_csv` reads and checks the whole file without writing (the preview): every error with its line
number and column. `import_products_csv` checks again and writes everything in one transaction, or nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ..exceptions_merchant import ImportInvalid
from ..models import Category, Product
from .products import (
    MAX_VARIANTS,
    ProductInput,
    VariantInput,
    cents_to_euros,
    euros_to_cents,
    percent,
    require_manage,
    save_product,
    validate_product,
    vat_rates_for,
)

COLUMNS = (
    "sku",
    "slug",
    "title_nl",
    "title_en",
    "description_nl",
    "description_en",
    "category",
    "price",
    "vat_rate",
    "active",
    "variant",
    "variant_sku",
    "variant_price",
    "stock",
)
REQUIRED = ("title_nl", "price", "vat_rate")
PRODUCT_COLUMNS = COLUMNS[:10]
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ERRORS = 200
YES = {"ja", "j", "yes", "y", "1", "true", "waar", "x"}
NO = {"nee", "n", "no", "0", "false", "onwaar", ""}
BOM = "\ufeff"


@dataclass(frozen=True)
class RowError:
    line: int  # the line in the file (the header is line 1)
    column: str  # a column name, or "" for the whole row
    message: str

    def __str__(self) -> str:
        where = _("line %(line)s") % {"line": self.line}
        if self.column:
            where += ", " + _("column “%(column)s”") % {"column": self.column}
        return f"{where}: {self.message}"


@dataclass
class PlannedProduct:
    key: str  # sku or slug, as matched
    line: int
    data: ProductInput
    existing: Product | None = None


@dataclass
class ImportPlan:
    products: list[PlannedProduct] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def created(self) -> int:
        return sum(1 for p in self.products if p.existing is None)

    @property
    def updated(self) -> int:
        return sum(1 for p in self.products if p.existing is not None)

    @property
    def variants(self) -> int:
        return sum(len(p.data.variants) for p in self.products)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    variants: int


def _decode(content: bytes | str) -> str:
    if isinstance(content, str):
        return content.removeprefix(BOM)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows without "UTF-8": Windows-1252 holds € and the accented letters of Dutch and French.
        return content.decode("cp1252", errors="replace")


def _rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = None
    for row in reader:
        line = reader.line_num
        if header is None:
            header = [name.strip().lower() for name in row]
            yield line, {"__header__": header}
            continue
        if not any(cell.strip() for cell in row):
            continue
        yield (
            line,
            {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
            | {"__width__": str(len(row))},
        )


def _yes_no(value: str) -> bool | None:
    value = value.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    return None


def _vat(value: str, rates: tuple[int, ...]) -> int | None:
    cleaned = value.replace("%", "").replace(" ", "").replace(",", ".")
    try:
        bps = round(float(cleaned) * 100)
    except ValueError:
        return None
    return bps if bps in rates else None


def parse_products_csv(*, merchant, content: bytes | str) -> ImportPlan:
    """Read and check a catalogue file without writing anything: what would be created and updated, and every
    error by line and column."""
    plan = ImportPlan()
    if isinstance(content, bytes) and len(content) > MAX_BYTES:
        plan.errors.append(RowError(1, "", _("The file is larger than 5 MB: split it into smaller files.")))
        return plan
    text = _decode(content)
    rates = vat_rates_for(merchant)
    categories = dict(Category.objects.filter(area_id=merchant.area_id).values_list("slug", "pk"))
    by_sku = {p.sku: p for p in Product.objects.filter(merchant=merchant).exclude(sku="")}
    by_slug = {p.slug: p for p in Product.objects.filter(merchant=merchant)}
    planned: dict[str, PlannedProduct] = {}
    first_values: dict[str, dict[str, str]] = {}
    seen_variants: dict[str, set[str]] = {}
    header: list[str] = []

    def error(line: int, column: str, message: str) -> None:
        if len(plan.errors) < MAX_ERRORS:
            plan.errors.append(RowError(line, column, message))

    for line, row in _rows(text):
        if "__header__" in row:
            header = row["__header__"]
            missing = [name for name in REQUIRED if name not in header]
            unknown = [name for name in header if name and name not in COLUMNS]
            for name in missing:
                error(line, name, _("This column is missing from the header row."))
            for name in unknown:
                error(line, name, _("Unknown column: the columns are listed in the template."))
            if "sku" not in header and "slug" not in header:
                error(line, "sku", _("The header needs a “sku” or a “slug” column to tell products apart."))
            if plan.errors:
                return plan
            continue
        plan.rows += 1
        if plan.rows > MAX_ROWS:
            error(line, "", _("More than %(count)s rows: split the file.") % {"count": MAX_ROWS})
            break
        if int(row.pop("__width__")) > len(header):
            error(line, "", _("This row has more fields than the header: is there a “;” or “,” inside a text?"))
        sku, slug = row.get("sku", ""), row.get("slug", "")
        if slug and slugify(slug) != slug:
            error(line, "slug", _("Only lower-case letters, digits and hyphens."))
            continue
        if not sku and not slug:
            if not row.get("title_nl"):
                error(line, "sku", _("Give an article number (sku) or a web address (slug)."))
                continue
            slug = slugify(row["title_nl"])[:80]
        key = f"sku:{sku}" if sku else f"slug:{slug}"
        product_values = {name: row.get(name, "") for name in PRODUCT_COLUMNS if name not in ("sku", "slug")}
        if key in planned:
            first = first_values[key]
            for name, value in product_values.items():
                if name in header and value != first[name]:
                    error(
                        line,
                        name,
                        _("Differs from line %(line)s of the same product: product columns must repeat the same value.")
                        % {"line": planned[key].line},
                    )
        else:
            errors_before = len(plan.errors)
            price = vat = None
            try:
                price = euros_to_cents(row.get("price", ""))
            except ValueError:
                error(line, "price", _("Not an amount in euros (for example 12,50)."))
            vat = _vat(row.get("vat_rate", ""), rates)
            if vat is None:
                error(
                    line,
                    "vat_rate",
                    _("The VAT rate must be one of %(rates)s (percent).")
                    % {"rates": ", ".join(percent(rate) for rate in rates)},
                )
            category_id = None
            if category := row.get("category", ""):
                category_id = categories.get(category)
                if category_id is None:
                    error(
                        line,
                        "category",
                        _("Unknown category “%(slug)s”: use one of %(slugs)s.")
                        % {"slug": category, "slugs": ", ".join(sorted(categories)) or "—"},
                    )
            active = _yes_no(row.get("active", "ja") if "active" in header else "ja")
            if active is None:
                error(line, "active", _("Write ja or nee."))
            existing = by_sku.get(sku) if sku else by_slug.get(slug)
            if existing is None and sku and slug and slug in by_slug:
                existing = by_slug[slug]
                if existing.sku and existing.sku != sku:
                    error(line, "slug", _("This web address belongs to a product with another article number."))
            data = ProductInput(
                title_nl=row.get("title_nl", ""),
                title_en=row.get("title_en", ""),
                description_nl=row.get("description_nl", ""),
                description_en=row.get("description_en", ""),
                sku=sku,
                slug=slug or (existing.slug if existing else ""),
                price_cents=price or 1,
                vat_rate_bps=vat if vat is not None else rates[0],
                category_id=category_id,
                is_active=bool(active),
                variants=[],
            )
            reported = {e.column for e in plan.errors[errors_before:]}
            for name, message in validate_product(
                merchant, replace(data, variants=[VariantInput()]), product=existing
            ).items():
                column = {"price_cents": "price", "vat_rate_bps": "vat_rate"}.get(name, name)
                if column not in reported and column != "variants":
                    error(line, column, message)
            planned[key] = PlannedProduct(key=key, line=line, data=data, existing=existing)
            first_values[key] = product_values
            seen_variants[key] = set()
        product = planned[key]
        label = row.get("variant", "")
        if label.lower() in seen_variants[key]:
            error(line, "variant", _("This option appears twice for the same product."))
            continue
        seen_variants[key].add(label.lower())
        variant_price = None
        if row.get("variant_price"):
            try:
                variant_price = euros_to_cents(row["variant_price"])
            except ValueError:
                error(line, "variant_price", _("Not an amount in euros (for example 12,50), or leave it empty."))
        stock_text = row.get("stock", "") or "0"
        if not stock_text.isdigit() or int(stock_text) > 1_000_000:
            error(line, "stock", _("Stock is a whole number, 0 or more."))
            stock_text = "0"
        if len(product.data.variants) >= MAX_VARIANTS:
            error(line, "variant", _("A product can have at most %(count)s variants.") % {"count": MAX_VARIANTS})
            continue
        if product.data.variants and (not label or not product.data.variants[0].label):
            error(line, "variant", _("With more than one row per product, each row needs an option name."))
        product.data.variants.append(
            VariantInput(
                label=label, sku=row.get("variant_sku", ""), price_cents=variant_price, stock_on_hand=int(stock_text)
            )
        )
    if header == [] and not plan.errors:
        plan.errors.append(RowError(1, "", _("The file is empty.")))
    elif not planned and not plan.errors:
        plan.errors.append(RowError(2, "", _("The file has a header but no products.")))
    plan.products = list(planned.values())
    return plan


def import_products_csv(*, merchant, by, content: bytes | str) -> ImportResult:
    """Check the file again and write all of it in one transaction; on any error nothing is written and
    ImportInvalid carries the errors (`errors`)."""
    require_manage(by, merchant)
    with transaction.atomic():
        plan = parse_products_csv(merchant=merchant, content=content)
        if plan.errors:
            raise ImportInvalid(errors=plan.errors)
        for planned in plan.products:
            existing = planned.existing
            if existing is not None:
                # a product's variants not in the file stay as they are: the file lists what it changes
                listed = {variant.label.strip().lower() for variant in planned.data.variants}
                for variant in existing.variants.order_by("position", "pk"):
                    if variant.label.strip().lower() not in listed:
                        planned.data.variants.append(
                            VariantInput(
                                label=variant.label,
                                sku=variant.sku,
                                price_cents=variant.price_cents,
                                stock_on_hand=variant.stock_on_hand,
                                is_active=variant.is_active,
                                id=variant.pk,
                            )
                        )
            save_product(merchant=merchant, by=by, data=planned.data, product=existing)
        return ImportResult(created=plan.created, updated=plan.updated, variants=plan.variants)


# --- Export and template --------------------------------------------------------------------------------------


def _csv_lines(rows) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    yield BOM
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def export_products_csv(products) -> Iterator[str]:
    """The catalogue in the import's format (one row per active variant), streamed line by line; importing it
    back changes nothing."""

    def rows():
        yield COLUMNS
        for product in products:
            product_cells = [
                product.sku,
                product.slug,
                product.title_nl,
                product.title_en,
                product.description_nl,
                product.description_en,
                product.category.slug if product.category else "",
                cents_to_euros(product.price_cents),
                percent(product.vat_rate_bps),
                "ja" if product.is_active else "nee",
            ]
            variants = [variant for variant in product.variants.all() if variant.is_active]
            for variant in variants:
                yield [
                    *product_cells,
                    variant.label,
                    variant.sku,
                    cents_to_euros(variant.price_cents) if variant.price_cents is not None else "",
                    variant.stock_on_hand,
                ]

    return _csv_lines(rows())


def template_csv() -> Iterator[str]:
    """The header and three example rows: a product without options and one in two sizes."""
    return _csv_lines(
        [
            COLUMNS,
            ["KAAS-001", "oude-kaas-500g", "Oude kaas 500 g", "Mature cheese 500 g", "Een jaar gerijpt.",
             "Aged for a year.", "", "8,95", "9", "ja", "", "", "", "12"],
            ["TSHIRT-01", "t-shirt-stadswapen", "T-shirt stadswapen", "T-shirt city arms", "", "", "", "24,95",
             "21", "ja", "M", "TSHIRT-01-M", "", "5"],
            ["TSHIRT-01", "t-shirt-stadswapen", "T-shirt stadswapen", "T-shirt city arms", "", "", "", "24,95",
             "21", "ja", "XL", "TSHIRT-01-XL", "26,95", "2"],
        ]
    )  # fmt: skip
