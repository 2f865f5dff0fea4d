"""The merchant's catalogue pages: the product list a page at a time with its count, the product form (its price in
the page's language, a double submit making one product), the CSV import's preview (counts with plurals, the columns
it changes) and its confirmation (once, never a 500)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from shop.models import Product, Variant
from shop.services import imports

from .merchant_fixtures import product, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, merchant):
    user = staff_of(merchant)
    client.force_login(user)
    return user


def url(name, *args, language="en"):
    with translation.override(language):
        return reverse(f"shop_merchant:{name}", args=args)


def _upload(client, merchant, text: str):
    return client.post(url("product_import", merchant.pk), {"file": SimpleUploadedFile("p.csv", text.encode())})


def test_the_product_list_goes_a_page_at_a_time_and_says_how_many(client, merchant, signed_in):
    Product.objects.bulk_create(
        Product(merchant=merchant, title_nl=f"Product {n:03d}", slug=f"p-{n}", price_cents=100) for n in range(101)
    )
    first = client.get(url("products", merchant.pk)).content.decode()
    assert "101 products" in first and "showing 1–100" in first
    assert "Product 099" in first and "Product 100" not in first
    assert 'href="?page=2"' in first
    second = client.get(url("products", merchant.pk), {"page": 2}).content.decode()
    assert "Product 100" in second and "Page 2 of 2" in second


def test_the_english_product_form_writes_the_price_the_english_way(client, merchant, signed_in):
    item = product(merchant, price_cents=1495)
    page = client.get(url("product_edit", merchant.pk, item.pk)).content.decode()
    assert 'value="14.95"' in page and "For example 12.50." in page
    assert 'value="14,95"' in client.get(url("product_edit", merchant.pk, item.pk, language="nl")).content.decode()


def test_a_double_submit_of_the_new_product_form_makes_one_product(client, merchant, signed_in):
    form = client.get(url("product_new", merchant.pk)).context["form"]
    data = {
        "title_nl": "Dubbelklik",
        "price": "8.95",
        "vat_rate_bps": "900",
        "is_active": "on",
        "request_key": str(form.initial["request_key"]),
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-0-stock_on_hand": "3",
        "variants-0-is_active": "on",
    }
    first = client.post(url("product_new", merchant.pk), data)
    second = client.post(url("product_new", merchant.pk), data)
    made = Product.objects.get(merchant=merchant)
    assert first["Location"] == second["Location"] == url("product_edit", merchant.pk, made.pk)
    assert made.price_cents == 895


def test_the_preview_counts_in_words_and_names_the_columns_the_file_changes(client, merchant, signed_in):
    product(merchant, title="Sokken", sku="1-004", title_en="Socks")
    response = _upload(client, merchant, "sku;title_nl;price;vat_rate\n1-004;Sokken;15,95;9\nN-1;Nieuw;2,00;21\n")
    page = response.content.decode()
    assert response.status_code == 200
    assert "The file has 2 rows." in page and "1 new product<" in page and "1 product updated<" in page
    assert "updated: <code>price</code>" in page
    assert "keep their own: <code>title_en</code>" in page


def test_the_confirmation_imports_once_however_often_it_is_sent(client, merchant, signed_in):
    preview = _upload(client, merchant, "".join(imports.template_csv()))
    token = preview.context["confirm_form"].initial["token"]
    done = client.post(url("product_import_confirm", merchant.pk), {"token": token}, follow=True)
    assert "Imported: 2 new products, 0 products updated." in done.content.decode()
    again = client.post(url("product_import_confirm", merchant.pk), {"token": token}, follow=True)
    assert "imported already" in again.content.decode()
    assert Product.objects.filter(merchant=merchant).count() == 2 and Variant.objects.count() == 3


def test_a_catalogue_changed_since_the_preview_shows_errors_not_a_500(client, merchant, signed_in):
    preview = _upload(client, merchant, "sku;slug;title_nl;price;vat_rate\nA-1;kaas;Kaas;5,00;9\n")
    token = preview.context["confirm_form"].initial["token"]
    product(merchant, title="Andere kaas", sku="B-1", slug="kaas")  # meanwhile, in the product form
    response = client.post(url("product_import_confirm", merchant.pk), {"token": token})
    assert response.status_code == 400
    assert "another article number" in response.content.decode()
    assert not Product.objects.filter(sku="A-1").exists()


def test_the_preview_of_a_utf16_file_says_how_to_save_it(client, merchant, signed_in):
    text = "sku\ttitle_nl\tprice\tvat_rate\r\nA\tKaas\t5,00\t9\r\n"
    response = client.post(
        url("product_import", merchant.pk), {"file": SimpleUploadedFile("p.csv", text.encode("utf-16"))}
    )
    assert response.status_code == 400 and "CSV UTF-8" in response.content.decode()


def test_a_file_the_database_refuses_while_writing_shows_an_error_not_a_500(client, merchant, signed_in):
    # two products swap their web addresses: fine as the file leaves the shop, refused row by row by the database
    first = product(merchant, title="Pet", sku="P-1", slug="pet")
    product(merchant, title="Muts", sku="M-1", slug="muts")
    preview = _upload(client, merchant, "sku;slug\nP-1;muts\nM-1;pet\n")
    token = preview.context["confirm_form"].initial["token"]
    response = client.post(url("product_import_confirm", merchant.pk), {"token": token})
    assert response.status_code == 400 and "two steps" in response.content.decode()
    first.refresh_from_db()
    assert first.slug == "pet"
