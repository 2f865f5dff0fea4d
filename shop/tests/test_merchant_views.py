"""The merchant's pages: a merchant's people see and act on their own products and order parts only (404 for
another merchant's), products saved from the form, the CSV import's preview and confirmation, the printable pick
list (without the customer's pickup code), statements as page, CSV and PDF."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from areas.tests.factories import MerchantFactory
from shop.models import MerchantOrderStatus, Product
from shop.services import imports

from .merchant_fixtures import paid_order, product, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(area):
    return MerchantFactory(area=area, trade_name="Buurman")


@pytest.fixture
def signed_in(client, merchant):
    user = staff_of(merchant)
    client.force_login(user)
    return user


def url(name, *args):
    return reverse(f"shop_merchant:{name}", args=args)


def test_the_start_page_leads_staff_to_their_queue(client, merchant, signed_in):
    response = client.get(url("start"))
    assert response.status_code == 302 and response["Location"] == url("queue", merchant.pk)


def test_the_queue_shows_the_merchants_own_parts_only(client, area, merchant, other, signed_in):
    mine = paid_order(area, {merchant: [("Kaas", 1, 895, 900)], other: [("Geheim boek", 1, 2299, 900)]})
    page = client.get(url("queue", merchant.pk)).content.decode()
    assert mine.public_id in page and "Sanne de Vries" in page
    detail = client.get(url("part", merchant.pk, mine.parts.get(merchant=merchant).pk)).content.decode()
    assert "Kaas" in detail and "Geheim boek" not in detail


@pytest.mark.parametrize(
    ("name", "method"),
    [("part", "get"), ("part_accept", "post"), ("part_ready", "post"), ("part_hand_over", "post")],
)
def test_another_merchants_part_is_a_404(client, area, merchant, other, signed_in, name, method):
    theirs = paid_order(area, {other: [("Boek", 1, 2299, 900)]}).parts.get()
    # through our own merchant's URL and through theirs
    assert getattr(client, method)(url(name, merchant.pk, theirs.pk)).status_code == 404
    assert getattr(client, method)(url(name, other.pk, theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == MerchantOrderStatus.NEW


def test_another_merchants_product_and_pages_are_404(client, merchant, other, signed_in):
    theirs = product(other)
    assert client.get(url("product_edit", merchant.pk, theirs.pk)).status_code == 404
    assert client.post(url("product_active", merchant.pk, theirs.pk), {"active": "0"}).status_code == 404
    for name in ("products", "queue", "product_export", "pick_list"):
        assert client.get(url(name, other.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active


def test_staff_do_not_see_statements_or_payouts_but_the_owner_does(client, merchant):
    client.force_login(staff_of(merchant))
    assert client.get(url("statement", merchant.pk)).status_code == 404
    assert client.get(url("payouts", merchant.pk)).status_code == 404
    client.force_login(staff_of(merchant, Role.MERCHANT_OWNER))
    assert client.get(url("statement", merchant.pk)).status_code == 200
    assert client.get(url("payouts", merchant.pk)).status_code == 200


def test_a_product_is_created_from_the_form_with_its_price_in_euros(client, merchant, signed_in):
    response = client.post(
        url("product_new", merchant.pk),
        {
            "title_nl": "Oude kaas",
            "price": "8,95",
            "vat_rate_bps": "900",
            "is_active": "on",
            "variants-TOTAL_FORMS": "1",
            "variants-INITIAL_FORMS": "0",
            "variants-0-label": "",
            "variants-0-stock_on_hand": "12",
            "variants-0-is_active": "on",
        },
    )
    made = Product.objects.get(merchant=merchant)
    assert response.status_code == 302
    assert (made.price_cents, made.vat_rate_bps, made.variants.get().stock_on_hand) == (895, 900, 12)


def test_a_wrong_vat_rate_shows_the_form_again(client, merchant, signed_in):
    response = client.post(
        url("product_new", merchant.pk),
        {
            "title_nl": "Kaas",
            "price": "acht",
            "vat_rate_bps": "600",
            "variants-TOTAL_FORMS": "0",
            "variants-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400 and not Product.objects.exists()


def test_the_import_previews_then_writes_on_confirmation(client, merchant, signed_in):
    content = "".join(imports.template_csv()).encode()
    preview = client.post(url("product_import", merchant.pk), {"file": SimpleUploadedFile("p.csv", content)})
    assert preview.status_code == 200 and not Product.objects.exists()
    token = preview.context["confirm_form"].initial["token"]
    done = client.post(url("product_import_confirm", merchant.pk), {"token": token})
    assert done.status_code == 302 and Product.objects.filter(merchant=merchant).count() == 2


def test_an_import_with_errors_lists_them_by_line(client, merchant, signed_in):
    content = (";".join(imports.COLUMNS) + "\nA;;Kaas;;;;;acht;9;ja;;;;1\n").encode()
    response = client.post(url("product_import", merchant.pk), {"file": SimpleUploadedFile("p.csv", content)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "line 2" in page or "regel 2" in page
    assert "confirm_form" not in response.context


def test_export_and_template_download(client, merchant, signed_in):
    product(merchant, title="Kaas", sku="K1")
    export = b"".join(client.get(url("product_export", merchant.pk)).streaming_content).decode()
    assert "K1;" in export and export.startswith("\ufeffsku;")
    assert client.get(url("product_template", merchant.pk)).status_code == 200


def test_the_pick_list_prints_one_page_per_part_without_the_customers_pickup_code(client, area, merchant, signed_in):
    first = paid_order(area, {merchant: [("Kaas", 2, 895, 900)]}, status=MerchantOrderStatus.ACCEPTED)
    second = paid_order(area, {merchant: [("Brood", 1, 425, 900)]}, status=MerchantOrderStatus.ACCEPTED)
    page = client.get(url("pick_list", merchant.pk)).content.decode()
    assert page.count('class="pick-page"') == 2
    assert first.public_id in page and second.public_id in page
    # the sheet goes with the bag: the code that proves the customer at the handover is not on it, nor its barcode
    assert "K7M3QX" not in page and "<svg" not in page


def test_accept_and_ready_through_the_pages(client, area, merchant, signed_in):
    part = paid_order(area, {merchant: [("Kaas", 1, 895, 900)]}).parts.get()
    client.post(url("part_accept", merchant.pk, part.pk))
    client.post(url("part_ready", merchant.pk, part.pk))
    part.refresh_from_db()
    assert part.status == MerchantOrderStatus.READY


def test_statement_page_csv_and_pdf(client, area, merchant):
    client.force_login(staff_of(merchant, Role.MERCHANT_OWNER))
    paid_order(area, {merchant: [("Kaas", 1, 895, 900)]})
    assert client.get(url("statement", merchant.pk)).status_code == 200
    csv_text = b"".join(client.get(url("statement_csv", merchant.pk)).streaming_content).decode()
    assert "8,95" in csv_text
    assert client.get(url("statement_pdf", merchant.pk)).content.startswith(b"%PDF")


def test_the_navigation_shows_webshop_management_to_merchant_staff(client, merchant, signed_in):
    from django.test import RequestFactory

    from accounts.navigation import navigation_for

    request = RequestFactory().get("/")
    request.user = signed_in
    assert url("start") in [item["url"] for item in navigation_for(request)]


def test_the_area_manager_starts_at_the_statements_of_the_areas_shops(client, area, merchant, other):
    from areas.tests.factories import StaffMembershipFactory, give_totp

    manager = StaffMembershipFactory(role=Role.AREA_MANAGER, area=area).user
    give_totp(manager)
    client.force_login(manager)
    page = client.get(url("start")).content.decode()
    assert url("statement", merchant.pk) in page and url("statement", other.pk) in page
    assert client.get(url("queue", merchant.pk)).status_code == 404


def test_the_owner_sets_up_payouts_through_stripes_onboarding(client, merchant, settings):
    from shop.models import MerchantShop
    from shop.payments import use_gateway
    from shop.payments.fake import FakeGateway

    client.force_login(staff_of(merchant, Role.MERCHANT_OWNER))
    with use_gateway(FakeGateway(webhook_secret=settings.STRIPE_WEBHOOK_SECRET)) as fake:
        response = client.post(url("payouts_start", merchant.pk))
        shop = MerchantShop.objects.get(merchant=merchant)
        assert response.status_code == 302 and shop.stripe_account_id in response["Location"]
        # Stripe is done with the owner: back on our page the status is read again
        fake.enable_account(shop.stripe_account_id)
        page = client.get(url("payouts", merchant.pk), {"returned": "1"}).content.decode()
    shop.refresh_from_db()
    assert shop.charges_enabled and shop.payouts_enabled
    assert shop.stripe_account_id in page
