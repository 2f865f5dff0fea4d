"""The catalogue as a CSV file: import (validated, all or nothing, a preview first) and an export that imports back.

The format (`COLUMNS`, also the downloadable template and `docs/shop-products-csv.md`): one row per variant, `;` or
`,` between fields, UTF-8 (a byte-order mark is fine, as Excel writes it; Windows-1252 is read too, UTF-16 is
refused with a clear message). Rows of one product share its `sku` (or, without one, its `slug`) and repeat its
product columns; `variant` is the option ("M / blue"), empty for a product without options. Amounts in euros with a
comma or a point ("12,50"), the VAT rate in percent ("21"), `active` as ja/nee (yes/no, 1/0). A product is matched
by article number, else by web address (`slug`): found, it is updated; not found, it is created; products not in
the file are left alone. A column the file does not have keeps an existing product's value (a file of `sku;price`
changes prices only); a new product needs `title_nl`, `price` and `vat_rate`. Variants are matched by option
name; variants not in the file stay as they are. Stock is set as counted.

`parse_products_csv` reads and checks the whole file without writing (the preview): every error with its line
number and column, found by the same rules as the product form (`products.product_problems`), run on every
product as the file leaves it, against the catalogue as the file leaves it (repeated article numbers and web
addresses within the file too). `import_products_csv` locks the merchant's catalogue, checks again and writes
everything in one transaction with bulk statements, or nothing. `check_import` / `run_import` are the two
steps of the pages: the checked file waits as a `ProductImport` under a token, claimed once.
"""

from __future__ import annotations

import csv
import functools
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ..exceptions_merchant import ImportAlreadyRun, ImportExpired, ImportInvalid
from ..models import Category, Product, ProductImport, ProductImportStatus, Variant
from .products import (
    Catalogue,
    ProductInput,
    VariantInput,
    apply_product,
    apply_variant,
    cents_to_euros,
    euros_to_cents,
    percent,
    product_problems,
    require_manage,
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
PRODUCT_COLUMNS = COLUMNS[:10]
VARIANT_COLUMNS = COLUMNS[10:]
#: what a new product needs; an existing one keeps its value for a column the file does not have
NEW_PRODUCT_COLUMNS = ("title_nl", "price", "vat_rate")
#: a ProductInput field → the column that sets it, and the same for a variant's fields
PRODUCT_COLUMN = {
    "sku": "sku",
    "slug": "slug",
    "title_nl": "title_nl",
    "title_en": "title_en",
    "description_nl": "description_nl",
    "description_en": "description_en",
    "category_id": "category",
    "category": "category",
    "price_cents": "price",
    "vat_rate_bps": "vat_rate",
    "is_active": "active",
    "variants": "variant",
}
VARIANT_COLUMN = {"label": "variant", "sku": "variant_sku", "price_cents": "variant_price", "stock_on_hand": "stock"}
PRODUCT_FIELDS = (
    "title_nl", "title_en", "description_nl", "description_en", "sku", "slug", "price_cents", "vat_rate_bps",
    "category_id", "is_active",
)  # fmt: skip
VARIANT_FIELDS = ("label", "sku", "price_cents", "stock_on_hand", "position", "is_active")
MAX_BYTES = 5 * 1024 * 1024
#: 10,000 rows (5,000 products in two sizes, 1.4 MB) are checked in 1–2 s and imported in 2–4 s on PostgreSQL on a
#: shared 2-core machine; 20,000 rows took up to 21 s with the machine overloaded (bench/shop_import.py,
#: docs/benchmarks.md). Half that is far within a web request's 30 s, also on a busy day.
MAX_ROWS = 10_000
MAX_ERRORS = 200
PENDING_FOR = timedelta(hours=24)
YES = {"ja", "j", "yes", "y", "1", "true", "waar", "x"}
NO = {"nee", "n", "no", "0", "false", "onwaar"}
BOM = "\ufeff"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


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
    data: ProductInput  # the product as the file leaves it: with the variants the file does not list
    existing: Product | None = None
    #: the line of each of data.variants (a variant the file does not list: the product's first line)
    lines: list[int] = field(default_factory=list)
    #: the variants the file lists
    file_variants: int = 0
    #: for an existing product, the columns whose values the file changes (empty: none)
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    products: list[PlannedProduct] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    #: the columns of the file's header, in the template's order
    columns: list[str] = field(default_factory=list)
    #: set by `check_import` when the file is fine: the confirmation's token
    token: uuid.UUID | None = None
    #: the merchant's variants as read for the check (by pk), which the import writes from
    current_variants: dict[int, Variant] = field(default_factory=dict, repr=False)

    @property
    def created(self) -> int:
        return sum(1 for p in self.products if p.existing is None)

    @property
    def updated(self) -> int:
        return sum(1 for p in self.products if p.existing is not None and p.changes)

    @property
    def unchanged(self) -> int:
        return sum(1 for p in self.products if p.existing is not None and not p.changes)

    @property
    def variants(self) -> int:
        return sum(p.file_variants for p in self.products)

    @property
    def kept_columns(self) -> list[str]:
        """The columns the file does not have: an existing product keeps its values there."""
        return [name for name in COLUMNS if name not in self.columns and name not in ("sku", "slug")]


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    variants: int
    unchanged: int = 0


class _NotUtf8(Exception):
    pass


def _decode(content: bytes | str) -> str:
    if isinstance(content, str):
        return content.removeprefix(BOM)
    if content.startswith(UTF16_BOMS) or b"\x00" in content[:4096]:
        raise _NotUtf8  # Excel's "Unicode text" is UTF-16: every other byte a zero
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows without "UTF-8": Windows-1252 holds € and the accented letters of Dutch and French.
        return content.decode("cp1252", errors="replace")


def _rows(text: str) -> Iterator[tuple[int, list[str] | dict[str, str]]]:
    """The header (a list of names) first, then each non-empty row as {column: value} plus "__width__"."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = None
    for row in reader:
        line = reader.line_num
        if header is None:
            header = [name.strip().lower() for name in row]
            yield line, header
            continue
        if not any(cell.strip() for cell in row):
            continue
        values = {}
        for i, name in enumerate(header):
            if name not in values:  # a repeated column is an error of the header; its first value is kept
                values[name] = row[i].strip() if i < len(row) else ""
        yield line, values | {"__width__": str(len(row))}


@functools.lru_cache(maxsize=4096)
def _is_slug(value: str) -> bool:
    return slugify(value) == value  # the rows of one product repeat it: asked once


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


def _variant_input(variant: Variant) -> VariantInput:
    return VariantInput(
        label=variant.label,
        sku=variant.sku,
        price_cents=variant.price_cents,
        stock_on_hand=variant.stock_on_hand,
        is_active=variant.is_active,
        id=variant.pk,
    )


def _changes(planned: PlannedProduct, variants: dict[int, Variant]) -> list[str]:
    """The columns in which the file changes an existing product (its variants included)."""

    def clean(value):
        return value.strip() if isinstance(value, str) else value

    product, data = planned.existing, planned.data
    changed = {PRODUCT_COLUMN[name] for name in PRODUCT_FIELDS if getattr(product, name) != clean(getattr(data, name))}
    for wanted in data.variants:
        variant = variants.get(wanted.id) if wanted.id else None
        if variant is None or variant.label != wanted.label.strip() or variant.is_active != wanted.is_active:
            changed.add("variant")
            continue
        if variant.sku != wanted.sku.strip():
            changed.add("variant_sku")
        if variant.price_cents != wanted.price_cents:
            changed.add("variant_price")
        if variant.stock_on_hand != wanted.stock_on_hand:
            changed.add("stock")
    return [name for name in COLUMNS if name in changed]


def _free_slug(title: str, catalogue: Catalogue) -> str:
    base = slugify(title)[:70] or "product"
    slug, n = base, 2
    while slug in catalogue.slugs:
        slug, n = f"{base}-{n}", n + 1
    return slug


def parse_products_csv(*, merchant, content: bytes | str) -> ImportPlan:
    """Read and check a catalogue file without writing anything: what would be created and updated, and every
    error by line and column."""
    return _plan(merchant, content, lock=False)


def _plan(merchant, content: bytes | str, *, lock: bool) -> ImportPlan:
    plan = ImportPlan()
    reported: set[tuple[int, str]] = set()

    def error(line: int, column: str, message: str) -> None:
        if (line, column) in reported:
            return  # one message per cell: the first one found
        reported.add((line, column))
        if len(plan.errors) < MAX_ERRORS:
            plan.errors.append(RowError(line, column, message))

    if isinstance(content, bytes) and len(content) > MAX_BYTES:
        error(1, "", _("The file is larger than 5 MB: split it into smaller files."))
        return plan
    try:
        text = _decode(content)
    except _NotUtf8:
        error(
            1, "", _("This file is not UTF-8: in Excel, save it as “CSV UTF-8 (comma delimited)” and upload it again.")
        )
        return plan

    # --- 1. the rows, grouped by product --------------------------------------------------------------------
    header: list[str] = []
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in _rows(text):
        if isinstance(row, list):
            header = row
            for name in dict.fromkeys(name for name in header if name and header.count(name) > 1):
                error(line, name, _("This column appears twice in the header row."))
            for name in header:
                if name and name not in COLUMNS:
                    error(line, name, _("Unknown column: the columns are listed in the template."))
            if "sku" not in header and "slug" not in header:
                error(line, "sku", _("The header needs a “sku” or a “slug” column to tell products apart."))
            if plan.errors:
                return plan
            plan.columns = [name for name in COLUMNS if name in header]
            continue
        plan.rows += 1
        if plan.rows > MAX_ROWS:
            error(line, "", _("More than %(count)s rows: split the file.") % {"count": MAX_ROWS})
            return plan
        if int(row.pop("__width__")) > len(header):
            error(line, "", _("This row has more fields than the header: is there a “;” or “,” inside a text?"))
        sku, slug = row.get("sku", ""), row.get("slug", "")
        if slug and not _is_slug(slug):
            error(line, "slug", _("Only lower-case letters, digits and hyphens."))
            continue
        if not sku and not slug:
            if not row.get("title_nl"):
                error(line, "sku", _("Give an article number (sku) or a web address (slug)."))
                continue
            row["slug"] = slug = slugify(row["title_nl"])[:80]
        key = f"sku:{sku}" if sku else f"slug:{slug}"
        rows = groups.setdefault(key, [])
        if rows:
            first_line, first = rows[0]
            for name in PRODUCT_COLUMNS:
                if name in header and row.get(name, "") != first.get(name, ""):
                    error(
                        line,
                        name,
                        _("Differs from line %(line)s of the same product: product columns must repeat the same value.")
                        % {"line": first_line},
                    )
        rows.append((line, row))
    if not header:
        error(1, "", _("The file is empty."))
        return plan
    if not groups and not plan.errors:
        error(2, "", _("The file has a header but no products."))
        return plan

    # --- 2. what the shop holds now (three queries; under the import's row locks when it writes) ----------------
    rates = vat_rates_for(merchant)
    categories = dict(Category.objects.filter(area_id=merchant.area_id).values_list("slug", "pk"))
    products = Product.objects.filter(merchant=merchant).order_by("pk")
    variants = Variant.objects.filter(product__merchant=merchant).order_by("pk")
    if lock:
        # pk order, as save_product and checkout take them: a form saving a product meanwhile waits for the import
        products, variants = products.select_for_update(), variants.select_for_update()
    by_pk = {product.pk: product for product in products}
    by_sku = {product.sku: product for product in by_pk.values() if product.sku}
    by_slug = {product.slug: product for product in by_pk.values()}
    variants_of: dict[int, list[Variant]] = {}
    variant_by_pk: dict[int, Variant] = {}
    for variant in variants:
        variants_of.setdefault(variant.product_id, []).append(variant)
        variant_by_pk[variant.pk] = variant
    plan.current_variants = variant_by_pk
    for found in variants_of.values():
        found.sort(key=lambda variant: (variant.position, variant.pk))

    # --- 3. each product as the file leaves it --------------------------------------------------------------
    def cell(row: dict[str, str], name: str, current: str) -> str:
        """The row's value of a column, or `current` when the file has no such column."""
        return row.get(name, "") if name in header else current

    claimed: dict[int, int] = {}  # an existing product's pk → the line of the file that updates it
    for key, rows in groups.items():
        line, row = rows[0]
        sku, slug = row.get("sku", ""), row.get("slug", "")
        existing = by_sku.get(sku) if sku else by_slug.get(slug)
        if existing is None and sku and slug in by_slug:
            existing = by_slug[slug]
            if existing.sku and existing.sku != sku:
                error(line, "slug", _("This web address belongs to a product with another article number."))
        if existing is not None and existing.pk in claimed:
            error(
                line,
                "sku" if sku else "slug",
                _("The same product as on line %(line)s (by its article number or web address).")
                % {"line": claimed[existing.pk]},
            )
            continue
        if existing is not None:
            claimed[existing.pk] = line
        else:
            for name in NEW_PRODUCT_COLUMNS:
                if name not in header:
                    error(line, name, _("A new product needs this column, and the file does not have it."))

        price = existing.price_cents if existing else 1
        if "price" in header:
            try:
                price = euros_to_cents(row.get("price", ""))
            except ValueError:
                error(line, "price", _("Not an amount in euros (for example 12,50)."))
                price = 1
        vat = existing.vat_rate_bps if existing else rates[0]
        if "vat_rate" in header:
            vat = _vat(row.get("vat_rate", ""), rates)
            if vat is None:
                error(
                    line,
                    "vat_rate",
                    _("The VAT rate must be one of %(rates)s (percent).")
                    % {"rates": ", ".join(percent(rate) for rate in rates)},
                )
                vat = rates[0]
        category_id = existing.category_id if existing else None
        if "category" in header:
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
        active = existing.is_active if existing else True
        if row.get("active", ""):  # an empty cell: as it is (a new product: in the shop)
            active = _yes_no(row["active"])
            if active is None:
                error(line, "active", _("Write ja or nee."))
                active = False
        data = ProductInput(
            title_nl=cell(row, "title_nl", existing.title_nl if existing else ""),
            title_en=cell(row, "title_en", existing.title_en if existing else ""),
            description_nl=cell(row, "description_nl", existing.description_nl if existing else ""),
            description_en=cell(row, "description_en", existing.description_en if existing else ""),
            sku=sku or (existing.sku if existing else ""),
            slug=slug or (existing.slug if existing else ""),
            price_cents=price,
            vat_rate_bps=vat,
            category_id=category_id,
            is_active=active,
            variants=[],
        )
        planned = PlannedProduct(key=key, line=line, data=data, existing=existing)
        _plan_variants(planned, rows, header, variants_of.get(existing.pk, []) if existing else [], error)
        plan.products.append(planned)

    # --- 4. the catalogue as the file leaves it, and every product's rules against it ------------------------
    catalogue = Catalogue(category_ids=set(categories.values()))
    for product in by_pk.values():
        if product.pk not in claimed:
            catalogue.add(product.pk, sku=product.sku, slug=product.slug)
            catalogue.add(product.pk, variant_skus=[variant.sku for variant in variants_of.get(product.pk, [])])
    first_line_of: dict[tuple[str, str], int] = {}
    for planned in plan.products:
        me = planned.existing.pk if planned.existing else ("line", planned.line)
        for column, value in (("sku", planned.data.sku.strip()), ("slug", planned.data.slug)):
            if value and (column, value) in first_line_of:
                # said once, here; the first product keeps it, so the rules below do not blame both
                error(planned.line, column, _("The same as on line %(line)s.") % {"line": first_line_of[column, value]})
            elif value:
                first_line_of[column, value] = planned.line
                catalogue.add(me, **{column: value})
        catalogue.add(me, variant_skus=[variant.sku.strip() for variant in planned.data.variants])
    for planned in plan.products:
        if not planned.data.slug:  # a new product with an article number and no address: one made from its title
            planned.data.slug = _free_slug(planned.data.title_nl, catalogue)
            catalogue.add(("line", planned.line), slug=planned.data.slug)
    for planned in plan.products:
        me = None if planned.existing else ("line", planned.line)
        for found in product_problems(merchant, planned.data, product=planned.existing, catalogue=catalogue, me=me):
            if found.variant is None:
                error(planned.line, PRODUCT_COLUMN.get(found.field, found.field), found.message)
            else:
                error(planned.lines[found.variant], VARIANT_COLUMN.get(found.field, found.field), found.message)
        if planned.existing is not None:
            planned.changes = _changes(planned, variant_by_pk)
    return plan


def _plan_variants(planned: PlannedProduct, rows, header: list[str], current: list[Variant], error) -> None:
    """The product's variants as the file leaves them: the existing ones in their order (with the file's values
    where it lists them), then the new ones in the file's order."""
    by_label = {variant.label.strip().lower(): variant for variant in current}
    target = None  # without a "variant" column: the existing variant the product's one row is about
    if "variant" not in header:
        if len(rows) > 1:
            error(rows[1][0], "variant", _("With more than one row per product, each row needs an option name."))
            return
        if current and not any(name in header for name in VARIANT_COLUMNS):
            # a file of product columns only (price, titles…): the variants stay exactly as they are
            planned.data.variants = [_variant_input(variant) for variant in current]
            planned.lines = [planned.line] * len(current)
            return
        if current:
            sold = [variant for variant in current if variant.is_active]
            if len(sold) != 1:
                error(
                    planned.line,
                    "variant",
                    _("This product has %(count)s variants (%(options)s): add a “variant” column to say which one.")
                    % {"count": len(sold), "options": ", ".join(v.label or "—" for v in sold) or "—"},
                )
                return
            target = sold[0]
    listed: dict[str, tuple[int, VariantInput]] = {}  # the option in lower case → (line, the variant as wanted)
    for line, row in rows:
        label = target.label if target else row.get("variant", "")
        if label.strip().lower() in listed:
            error(line, "variant", _("This option appears twice for the same product."))
            continue
        matched = target or by_label.get(label.strip().lower())
        price = matched.price_cents if matched else None
        if "variant_price" in header:
            price = None
            if row.get("variant_price"):
                try:
                    price = euros_to_cents(row["variant_price"])
                except ValueError:
                    error(line, "variant_price", _("Not an amount in euros (for example 12,50), or leave it empty."))
        stock = matched.stock_on_hand if matched else 0
        if "stock" in header:
            stock_text = row.get("stock", "") or "0"
            if not stock_text.isdigit() or int(stock_text) > 1_000_000:
                error(line, "stock", _("Stock is a whole number, 0 or more."))
            else:
                stock = int(stock_text)
        wanted = VariantInput(
            label=label,
            sku=row.get("variant_sku", "") if "variant_sku" in header else (matched.sku if matched else ""),
            price_cents=price,
            stock_on_hand=stock,
            id=matched.pk if matched else None,
        )
        listed[label.strip().lower()] = (line, wanted)
    planned.file_variants = len(listed)
    for variant in current:
        line, wanted = listed.pop(variant.label.strip().lower(), (planned.line, None))
        planned.data.variants.append(wanted or _variant_input(variant))
        planned.lines.append(line)
    for line, wanted in listed.values():
        planned.data.variants.append(wanted)
        planned.lines.append(line)


def import_products_csv(*, merchant, by, content: bytes | str) -> ImportResult:
    """Check the file again and write all of it in one transaction; on any error nothing is written and
    ImportInvalid carries the errors (`errors`). Bulk statements: products and variants the file leaves as they
    are are not written at all."""
    require_manage(by, merchant)
    try:
        with transaction.atomic():
            plan = _plan(merchant, content, lock=True)
            if plan.errors:
                raise ImportInvalid(errors=plan.errors)
            _write(merchant, plan)
    except IntegrityError as error:
        # The check compares the catalogue as the file leaves it; the database checks each row as it is written,
        # so two products swapping their article numbers or addresses in one file get here.
        raise ImportInvalid(
            errors=[
                RowError(
                    1,
                    "",
                    _(
                        "Two products would have the same article number or web address while the file is written "
                        "(do two products swap them?). Import the change in two steps."
                    ),
                )
            ]
        ) from error
    return ImportResult(created=plan.created, updated=plan.updated, variants=plan.variants, unchanged=plan.unchanged)


def _write(merchant, plan: ImportPlan) -> None:
    """Insert the new products and variants in bulk, update the changed ones (`_update_rows`); rows the file leaves
    as they are are not written."""
    now = timezone.now()
    written = [p for p in plan.products if p.existing is None or p.changes]  # unchanged products: nothing to write
    product_of: dict[int, Product] = {}
    new_products, changed_products = [], []
    for n, planned in enumerate(written):
        product = planned.existing or Product(merchant=merchant)
        product_of[n] = product
        if planned.existing is None:
            apply_product(product, planned.data)
            new_products.append(product)
        elif set(planned.changes) & set(PRODUCT_COLUMNS):
            apply_product(product, planned.data)
            product.updated_at = now  # bulk_update does not set auto_now fields
            changed_products.append(product)
    Product.objects.bulk_create(new_products, batch_size=1000)  # sets the new ids (PostgreSQL, SQLite ≥ 3.35)
    _update_rows(Product, (*PRODUCT_FIELDS, "updated_at"), changed_products)
    new_variants, changed_variants = [], []
    for n, planned in enumerate(written):
        for position, wanted in enumerate(planned.data.variants):
            variant = plan.current_variants.get(wanted.id) if wanted.id else None
            if variant is None:
                variant = Variant(product=product_of[n])
                apply_variant(variant, wanted, position=position)
                new_variants.append(variant)
                continue
            before = [getattr(variant, name) for name in VARIANT_FIELDS]
            apply_variant(variant, wanted, position=position)
            if [getattr(variant, name) for name in VARIANT_FIELDS] != before:
                changed_variants.append(variant)
    Variant.objects.bulk_create(new_variants, batch_size=2000)
    _update_rows(Variant, VARIANT_FIELDS, changed_variants)


def _update_rows(model, fields: tuple[str, ...], rows: list) -> None:
    """One `UPDATE … WHERE id = %s` sent for every row with executemany (PostgreSQL's pipeline, SQLite's loop in
    C). Django's bulk_update builds a CASE per field and row in Python: 40 s of the 50 s an import of 4,000 changed
    rows took (bench/shop_import.py). The values are prepared by each field, as save() prepares them."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    params = [[column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns] + [row.pk]
              for row in rows]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- The two steps of the pages: check and keep, then run once -------------------------------------------------


def check_import(*, merchant, by, content: bytes) -> ImportPlan:
    """The preview: check the file; when it is fine keep it, waiting for the confirmation, as a `ProductImport`
    whose token is `plan.token`. A new check replaces the person's earlier waiting file for this merchant."""
    require_manage(by, merchant)
    plan = parse_products_csv(merchant=merchant, content=content)
    if plan.errors:
        return plan
    ProductImport.objects.filter(merchant=merchant, created_by=by, status=ProductImportStatus.PENDING).delete()
    # files nobody confirmed within a day are not kept
    ProductImport.objects.filter(
        status=ProductImportStatus.PENDING, created_at__lt=timezone.now() - PENDING_FOR
    ).delete()
    pending = ProductImport.objects.create(merchant=merchant, created_by=by, content=_decode(content))
    plan.token = pending.token
    return plan


def run_import(*, merchant, by, token: uuid.UUID) -> ImportResult:
    """The confirmation: claim the waiting file (one conditional UPDATE, committed before the import starts, so a
    second click finds it taken: ImportAlreadyRun) and import it. ImportExpired when there is no such file (too
    old, replaced, another person's); ImportInvalid when the catalogue changed since the check (nothing
    written)."""
    require_manage(by, merchant)
    waiting = ProductImport.objects.filter(token=token, merchant=merchant, created_by=by)
    claimed = waiting.filter(status=ProductImportStatus.PENDING, created_at__gte=timezone.now() - PENDING_FOR).update(
        status=ProductImportStatus.RUNNING
    )
    if not claimed:
        if waiting.filter(status__in=(ProductImportStatus.RUNNING, ProductImportStatus.DONE)).exists():
            raise ImportAlreadyRun()
        raise ImportExpired()
    content = waiting.values_list("content", flat=True).get()
    try:
        result = import_products_csv(merchant=merchant, by=by, content=content)
    except BaseException:
        waiting.update(status=ProductImportStatus.FAILED, content="", finished_at=timezone.now())
        raise
    waiting.update(
        status=ProductImportStatus.DONE,
        content="",
        finished_at=timezone.now(),
        products_created=result.created,
        products_updated=result.updated,
    )
    return result


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
