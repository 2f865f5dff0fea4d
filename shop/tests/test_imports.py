"""The catalogue CSV: errors by line and column, all or nothing, upsert by article number or web address, and an
export that imports back without changing anything."""

import pytest

from shop.exceptions_merchant import ImportInvalid
from shop.models import Category, Product, Variant
from shop.selectors_merchant import products_for_export
from shop.services import imports

from .merchant_fixtures import product, staff_of

pytestmark = pytest.mark.django_db

HEADER = ";".join(imports.COLUMNS)


def _csv(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join((HEADER, *rows)) + "\r\n").encode()


def test_a_valid_file_is_previewed_without_writing(merchant):
    content = _csv(
        "KAAS-1;;Oude kaas;Mature cheese;;;;8,95;9;ja;;;;12",
        "TS-1;t-shirt;T-shirt;T-shirt;;;;24,95;21;ja;M;TS-1-M;;5",
        "TS-1;t-shirt;T-shirt;T-shirt;;;;24,95;21;ja;XL;TS-1-XL;26,95;2",
    )
    plan = imports.parse_products_csv(merchant=merchant, content=content)
    assert plan.errors == []
    assert (plan.created, plan.updated, plan.variants, plan.rows) == (2, 0, 3, 3)
    assert not Product.objects.exists()


def test_every_error_is_reported_with_its_line_and_column_and_nothing_is_written(merchant):
    Category.objects.create(area=merchant.area, slug="kaas", name_nl="Kaas", name_en="Cheese")
    content = _csv(
        "A-1;;Goed product;;;;kaas;8,95;9;ja;;;;3",
        "A-2;;Fout bedrag;;;;;acht;9;ja;;;;3",
        "A-3;;Belgisch tarief;;;;;5,00;6;ja;;;;3",
        "A-4;;Onbekende categorie;;;;snoep;5,00;21;ja;;;;drie",
        "A-5;;;;;;;5,00;21;misschien;;;;1",
    )
    plan = imports.parse_products_csv(merchant=merchant, content=content)
    found = {(error.line, error.column) for error in plan.errors}
    assert found == {(3, "price"), (4, "vat_rate"), (5, "category"), (5, "stock"), (6, "active"), (6, "title_nl")}
    assert "regel 3" in str(plan.errors[0]) or "line 3" in str(plan.errors[0])
    with pytest.raises(ImportInvalid):
        imports.import_products_csv(merchant=merchant, by=staff_of(merchant), content=content)
    assert not Product.objects.exists()  # the good first row was not written either


def test_a_missing_required_column_is_reported_on_the_header_line(merchant):
    plan = imports.parse_products_csv(merchant=merchant, content=b"sku;title_nl;price\nA;Kaas;8,95\n")
    assert [(e.line, e.column) for e in plan.errors] == [(1, "vat_rate")]


def test_product_columns_must_repeat_on_every_row_of_a_product(merchant):
    content = _csv("TS-1;;T-shirt;;;;;24,95;21;ja;M;;;5", "TS-1;;T-shirt;;;;;19,95;21;ja;L;;;5")
    plan = imports.parse_products_csv(merchant=merchant, content=content)
    assert [(e.line, e.column) for e in plan.errors] == [(3, "price")]


def test_import_updates_by_article_number_and_creates_the_rest(merchant):
    staff = staff_of(merchant)
    existing = product(merchant, title="Oud", sku="KAAS-1", stock=1)
    content = _csv("KAAS-1;;Oude kaas;;;;;9,50;9;ja;;;;40", "BROOD-1;;Desem;;;;;4,25;9;ja;;;;8")
    result = imports.import_products_csv(merchant=merchant, by=staff, content=content)
    assert (result.created, result.updated) == (1, 1)
    existing.refresh_from_db()
    assert (existing.title_nl, existing.price_cents) == ("Oude kaas", 950)
    assert existing.variants.get().stock_on_hand == 40  # set as counted
    assert Product.objects.get(sku="BROOD-1").variants.get().stock_on_hand == 8


def test_import_updates_by_web_address_without_article_number(merchant):
    existing = product(merchant, title="Oud", slug="oude-kaas")
    imports.import_products_csv(
        merchant=merchant, by=staff_of(merchant), content=_csv(";oude-kaas;Oude kaas;;;;;9,50;9;nee;;;;4")
    )
    existing.refresh_from_db()
    assert existing.title_nl == "Oude kaas" and existing.is_active is False
    assert Product.objects.count() == 1


def test_comma_separated_files_from_other_spreadsheets_are_read(merchant):
    content = HEADER.replace(";", ",") + '\nA-1,,Kaas,Cheese,,,,"8,95",9,ja,,,,3\n'
    plan = imports.parse_products_csv(merchant=merchant, content=content.encode())
    assert plan.errors == [] and plan.products[0].data.price_cents == 895


def test_the_export_imports_back_without_changing_anything(merchant):
    staff = staff_of(merchant)
    Category.objects.create(area=merchant.area, slug="mode", name_nl="Mode", name_en="Fashion")
    imports.import_products_csv(
        merchant=merchant,
        by=staff,
        content=_csv(
            'TS-1;t-shirt;T-shirt "stad";City T-shirt;Zacht; met puntkomma;Soft;mode;24,95;21;ja;M / blauw;TS-1-M;;5',
            'TS-1;t-shirt;T-shirt "stad";City T-shirt;Zacht; met puntkomma;Soft;mode;24,95;21;ja;XL;;26,95;2',
            ";kaart;Ansichtkaart;Postcard;;;;1,50;21;nee;;;;100",
        ).replace(b"Zacht; met puntkomma", b'"Zacht; met puntkomma"'),
    )
    before = (
        list(Variant.objects.order_by("pk").values()),
        list(
            Product.objects.order_by("pk").values(
                "title_nl", "description_nl", "price_cents", "vat_rate_bps", "category_id", "is_active", "sku", "slug"
            )
        ),
    )
    exported = "".join(imports.export_products_csv(products_for_export(merchant=merchant)))
    assert exported.startswith("\ufeffsku;slug;")
    result = imports.import_products_csv(merchant=merchant, by=staff, content=exported.encode())
    assert (result.created, result.updated, result.variants) == (0, 2, 3)
    after = (
        list(Variant.objects.order_by("pk").values()),
        list(
            Product.objects.order_by("pk").values(
                "title_nl", "description_nl", "price_cents", "vat_rate_bps", "category_id", "is_active", "sku", "slug"
            )
        ),
    )
    assert after == before


def test_the_template_passes_its_own_check(merchant):
    plan = imports.parse_products_csv(merchant=merchant, content="".join(imports.template_csv()).encode())
    assert plan.errors == [] and (plan.created, plan.variants) == (2, 3)
