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


def test_a_new_product_needs_the_columns_a_product_cannot_do_without(merchant):
    plan = imports.parse_products_csv(merchant=merchant, content=b"sku;title_nl;price\nA;Kaas;8,95\n")
    assert [(e.line, e.column) for e in plan.errors] == [(2, "vat_rate")]


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
    assert (result.created, result.updated, result.unchanged, result.variants) == (0, 0, 2, 3)
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


# --- The import refuses what the form refuses, and the preview finds everything the import would refuse ---------


def _errors(plan) -> set[tuple[int, str]]:
    return {(error.line, error.column) for error in plan.errors}


@pytest.mark.parametrize("price", ["0", "0,00"])
def test_a_price_of_zero_is_refused_with_the_product_forms_message(merchant, price):
    from shop.services.products import ProductInput, validate_product

    plan = imports.parse_products_csv(merchant=merchant, content=_csv(f"N-1;;Nul euro;;;;;{price};21;ja;;;;1"))
    form_message = validate_product(merchant, ProductInput(title_nl="Nul", price_cents=0, vat_rate_bps=2100))
    assert [(e.line, e.column, e.message) for e in plan.errors] == [(2, "price", form_message["price_cents"])]
    with pytest.raises(ImportInvalid):
        imports.import_products_csv(
            merchant=merchant, by=staff_of(merchant), content=_csv(f"N-1;;Nul;;;;;{price};21;ja;;;;1")
        )
    assert not Product.objects.exists()


def test_columns_the_file_does_not_have_keep_the_products_values(merchant):
    # given: a product with English text, descriptions, a category, taken out of the shop
    mode = Category.objects.create(area=merchant.area, slug="mode", name_nl="Mode", name_en="Fashion")
    socks = product(
        merchant, title="Sokken", sku="1-004", title_en="Socks", description_nl="Warm.", description_en="Warm.",
        category=mode, is_active=False, price_cents=1495, stock=3,
    )  # fmt: skip
    content = b"sku;title_nl;price;vat_rate;stock\r\n1-004;Sokken met stadswapen (3 paar);15,95;21;5\r\n"
    # when: the preview, then the import
    plan = imports.parse_products_csv(merchant=merchant, content=content)
    assert plan.errors == []
    assert plan.kept_columns == ["title_en", "description_nl", "description_en", "category", "active", "variant",
                                 "variant_sku", "variant_price"]  # fmt: skip
    assert plan.products[0].changes == ["title_nl", "price", "vat_rate", "stock"]
    imports.import_products_csv(merchant=merchant, by=staff_of(merchant), content=content)
    # then: what the file has is changed, the rest is as it was (the product stays out of the shop)
    socks.refresh_from_db()
    assert (socks.title_nl, socks.price_cents, socks.vat_rate_bps) == ("Sokken met stadswapen (3 paar)", 1595, 2100)
    assert (socks.title_en, socks.description_nl, socks.description_en) == ("Socks", "Warm.", "Warm.")
    assert (socks.category, socks.is_active) == (mode, False)
    assert socks.variants.get().stock_on_hand == 5


def test_a_product_with_variants_is_updated_by_a_file_without_a_variant_column(merchant):
    coat = product(merchant, title="Regenjas", sku="1-005", price_cents=8995, vat_rate_bps=2100, stock=0)
    coat.variants.all().delete()
    for position, label in enumerate(("S", "M", "L", "XL")):
        Variant.objects.create(product=coat, label=label, stock_on_hand=2, position=position)
    content = b"sku;title_nl;price;vat_rate\r\n1-005;Regenjas;99,95;21\r\n"
    assert imports.parse_products_csv(merchant=merchant, content=content).errors == []
    result = imports.import_products_csv(merchant=merchant, by=staff_of(merchant), content=content)
    assert (result.created, result.updated) == (0, 1)
    coat.refresh_from_db()
    assert coat.price_cents == 9995
    assert list(coat.variants.order_by("position").values_list("label", "stock_on_hand", "is_active")) == [
        ("S", 2, True), ("M", 2, True), ("L", 2, True), ("XL", 2, True)
    ]  # fmt: skip
    # a stock without saying which variant's: the preview asks for the variant column
    plan = imports.parse_products_csv(merchant=merchant, content=b"sku;stock\r\n1-005;4\r\n")
    assert _errors(plan) == {(2, "variant")} and "S, M, L, XL" in plan.errors[0].message


def test_the_preview_checks_each_product_with_the_variants_the_file_leaves_it(merchant):
    shirt = product(merchant, title="T-shirt", sku="TS-1", vat_rate_bps=2100, stock=0)
    shirt.variants.update(label="M")
    Variant.objects.create(product=shirt, label="L", stock_on_hand=1, position=1)
    # an unnamed option beside M and L: the product form would refuse it, so the preview does
    plan = imports.parse_products_csv(merchant=merchant, content=_csv("TS-1;;T-shirt;;;;;24,95;21;ja;;;;5"))
    assert _errors(plan) == {(2, "variant")}
    # naming the option adds a variant and keeps M and L as they are
    content = _csv("TS-1;;T-shirt;;;;;24,95;21;ja;XL;;;5")
    assert imports.parse_products_csv(merchant=merchant, content=content).errors == []
    imports.import_products_csv(merchant=merchant, by=staff_of(merchant), content=content)
    assert list(shirt.variants.order_by("position").values_list("label", "stock_on_hand")) == [
        ("M", 0), ("L", 1), ("XL", 5)
    ]  # fmt: skip


@pytest.mark.usefixtures("english")
def test_a_web_address_or_article_number_repeated_in_the_file_is_found_by_the_preview(merchant):
    content = _csv("A-1;zelfde;Eerste;;;;;5,00;21;ja;;;;1", "A-2;zelfde;Tweede;;;;;5,00;21;ja;;;;1")
    plan = imports.parse_products_csv(merchant=merchant, content=content)
    assert _errors(plan) == {(3, "slug")} and "line 2" in plan.errors[0].message
    with pytest.raises(ImportInvalid):  # not a half-written catalogue, not a 500
        imports.import_products_csv(merchant=merchant, by=staff_of(merchant), content=content)
    assert not Product.objects.exists()


@pytest.mark.usefixtures("english")
def test_lengths_come_from_the_database_columns(merchant):
    long_title = "x" * 121
    plan = imports.parse_products_csv(
        merchant=merchant, content=_csv(f"{'S' * 41};;{long_title};;;;;5,00;21;ja;{'M' * 81};;;1")
    )
    assert _errors(plan) == {(2, "sku"), (2, "title_nl"), (2, "variant")}
    title = next(error.message for error in plan.errors if error.column == "title_nl")
    assert "121 characters" in title and "120" in title


@pytest.mark.usefixtures("english")
def test_a_column_twice_in_the_header_is_refused(merchant):
    plan = imports.parse_products_csv(merchant=merchant, content=b"sku;title_nl;price;vat_rate;price\nA;K;1;21;2\n")
    assert _errors(plan) == {(1, "price")} and "twice" in plan.errors[0].message


def test_variant_article_numbers_are_unique_in_the_file_and_the_shop(merchant):
    product(merchant, title="Sjaal", sku="1-002")
    content = _csv(
        "1-010;;Pet;;;;;12,00;21;ja;S;1-010-X;;1",
        "1-010;;Pet;;;;;12,00;21;ja;M;1-010-X;;1",
        "1-011;;Muts;;;;;12,00;21;ja;S;1-002;;1",
    )
    plan = imports.parse_products_csv(merchant=merchant, content=content)
    assert _errors(plan) == {(3, "variant_sku"), (4, "variant_sku")}


@pytest.mark.usefixtures("english")
def test_a_utf16_file_is_told_to_be_saved_as_utf8(merchant):
    content = "sku\tslug\ttitle_nl\r\nA\ta\tKaas\r\n"  # Excel's "Unicode text": UTF-16 with a BOM
    plan = imports.parse_products_csv(merchant=merchant, content=content.encode("utf-16"))
    assert len(plan.errors) == 1 and "not UTF-8" in plan.errors[0].message and "CSV UTF-8" in plan.errors[0].message


def test_the_import_writes_with_a_few_bulk_statements_whatever_the_number_of_products(
    merchant, django_assert_max_num_queries
):
    staff = staff_of(merchant)
    rows = [f"P-{n};;Product {n};;;;;{n + 1},00;21;ja;{size};;;3" for n in range(60) for size in ("S", "M")]
    with django_assert_max_num_queries(25):
        result = imports.import_products_csv(merchant=merchant, by=staff, content=_csv(*rows))
    assert (result.created, result.variants) == (60, 120)
    assert Variant.objects.filter(product__merchant=merchant).count() == 120
    # the same file again changes nothing, and writes nothing
    with django_assert_max_num_queries(15):
        again = imports.import_products_csv(merchant=merchant, by=staff, content=_csv(*rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 60)


def test_a_checked_file_is_imported_once_however_often_it_is_confirmed(merchant):
    from shop.exceptions_merchant import ImportAlreadyRun, ImportExpired

    staff = staff_of(merchant)
    plan = imports.check_import(merchant=merchant, by=staff, content="".join(imports.template_csv()).encode())
    assert plan.token is not None
    imports.run_import(merchant=merchant, by=staff, token=plan.token)
    with pytest.raises(ImportAlreadyRun):
        imports.run_import(merchant=merchant, by=staff, token=plan.token)
    assert Product.objects.filter(merchant=merchant).count() == 2
    with pytest.raises(ImportExpired):  # another person cannot run it, nor an unknown token
        imports.run_import(merchant=merchant, by=staff_of(merchant), token=plan.token)
