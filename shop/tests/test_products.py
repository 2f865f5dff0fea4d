"""Products: saving with variants, the country's VAT rates, the area's categories, stock changes that keep sales
made while the form was open, switching off instead of deleting, photos with alt text."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from areas.tests.factories import MerchantFactory
from shop.exceptions_merchant import InvalidProduct, NotAllowed
from shop.forms_merchant import ProductForm
from shop.models import Category, Product, Variant
from shop.services import products
from shop.services.products import ProductInput, VariantInput, euros_to_cents

from .merchant_fixtures import staff_of

pytestmark = pytest.mark.django_db


def _input(**fields) -> ProductInput:
    defaults = {"title_nl": "Stadswapen T-shirt", "price_cents": 2495, "vat_rate_bps": 2100}
    return ProductInput(**(defaults | fields))


@pytest.mark.parametrize(
    ("typed", "cents"), [("12,50", 1250), ("12.5", 1250), ("€ 8", 800), ("0,01", 1), (" 24,95 ", 2495)]
)
def test_euros_typed_become_cents(typed, cents):
    assert euros_to_cents(typed) == cents


@pytest.mark.parametrize("typed", ["", "1.250,00", "12,505", "-3", "twaalf"])
def test_anything_else_is_refused(typed):
    with pytest.raises(ValueError):
        euros_to_cents(typed)


@pytest.mark.parametrize(("language", "example"), [("nl", "12,50"), ("en", "12.50")])
def test_the_price_field_gives_its_example_as_the_page_writes_amounts(language, example):
    from django.utils import translation

    from shop.forms_merchant import EuroField

    field = EuroField(help_text=None)
    with translation.override(language):
        form_field = ProductForm(vat_rates=[], categories=[]).fields["price"]
        assert str(form_field.help_text).endswith(f" {example}.")
        with pytest.raises(ValidationError) as refused:
            field.clean("twaalf")
        assert example in refused.value.messages[0]


def test_save_creates_a_product_with_its_variants(merchant):
    staff = staff_of(merchant)
    data = _input(
        variants=[VariantInput(label="M", stock_on_hand=4), VariantInput(label="XL", price_cents=2695, stock_on_hand=1)]
    )
    product = products.save_product(merchant=merchant, by=staff, data=data)
    assert product.slug == "stadswapen-t-shirt"
    assert [(v.label, v.unit_price_cents, v.stock_on_hand) for v in product.variants.order_by("position")] == [
        ("M", 2495, 4),
        ("XL", 2695, 1),
    ]


def test_a_belgian_rate_is_refused_for_a_dutch_merchant(merchant):
    with pytest.raises(InvalidProduct) as caught:
        products.save_product(merchant=merchant, by=staff_of(merchant), data=_input(vat_rate_bps=600))
    assert "vat_rate_bps" in caught.value.errors
    assert not Product.objects.exists()


def test_a_belgian_merchant_may_use_six_percent(flemish_area):
    merchant = MerchantFactory(area=flemish_area, registration_number="0403170701", postcode="2800")
    product = products.save_product(merchant=merchant, by=staff_of(merchant), data=_input(vat_rate_bps=600))
    assert product.vat_rate_bps == 600


def test_a_category_of_another_area_is_refused(merchant, flemish_area):
    elsewhere = Category.objects.create(area=flemish_area, slug="kaas", name_nl="Kaas", name_en="Cheese")
    with pytest.raises(InvalidProduct) as caught:
        products.save_product(merchant=merchant, by=staff_of(merchant), data=_input(category_id=elsewhere.pk))
    assert "category" in caught.value.errors


def test_two_variants_with_the_same_option_are_refused(merchant):
    data = _input(variants=[VariantInput(label="M"), VariantInput(label="m")])
    with pytest.raises(InvalidProduct):
        products.save_product(merchant=merchant, by=staff_of(merchant), data=data)


def test_stock_typed_in_a_form_keeps_a_sale_made_meanwhile(merchant):
    staff = staff_of(merchant)
    product = products.save_product(merchant=merchant, by=staff, data=_input(variants=[VariantInput(stock_on_hand=10)]))
    variant = product.variants.get()
    # given: the form showed 10; meanwhile a customer bought 3
    Variant.objects.filter(pk=variant.pk).update(stock_on_hand=7)
    # when: the merchant counts 2 more in and saves 12
    wanted = VariantInput(id=variant.pk, stock_on_hand=12, stock_seen=10)
    products.save_product(merchant=merchant, by=staff, data=_input(variants=[wanted]), product=product)
    # then: the sale is kept
    variant.refresh_from_db()
    assert variant.stock_on_hand == 9


def test_a_variant_left_out_is_switched_off_not_deleted(merchant):
    staff = staff_of(merchant)
    data = _input(variants=[VariantInput(label="M"), VariantInput(label="L")])
    product = products.save_product(merchant=merchant, by=staff, data=data)
    products.save_product(merchant=merchant, by=staff, data=_input(variants=[VariantInput(label="M")]), product=product)
    assert dict(product.variants.values_list("label", "is_active")) == {"M": True, "L": False}


def test_a_product_is_switched_off_never_deleted(merchant):
    staff = staff_of(merchant)
    product = products.save_product(merchant=merchant, by=staff, data=_input())
    products.set_product_active(product=product, by=staff, is_active=False)
    assert Product.objects.get(pk=product.pk).is_active is False


def test_another_merchants_staff_may_not_save(merchant, area):
    other = MerchantFactory(area=area)
    with pytest.raises(NotAllowed):
        products.save_product(merchant=merchant, by=staff_of(other), data=_input())


def test_the_area_manager_does_not_manage_a_merchants_products(merchant, area):
    from areas.tests.factories import StaffMembershipFactory

    manager = StaffMembershipFactory(role=Role.AREA_MANAGER, area=area).user
    with pytest.raises(NotAllowed):
        products.save_product(merchant=merchant, by=manager, data=_input())


def _png() -> SimpleUploadedFile:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#c33").save(buffer, "PNG")
    return SimpleUploadedFile("kaas.png", buffer.getvalue(), content_type="image/png")


def test_a_photo_needs_its_dutch_description(merchant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    staff = staff_of(merchant)
    product = products.save_product(merchant=merchant, by=staff, data=_input())
    with pytest.raises(InvalidProduct):
        products.add_photo(product=product, by=staff, image=_png(), alt_nl=" ")
    photo = products.add_photo(product=product, by=staff, image=_png(), alt_nl="Een wiel oude kaas")
    assert photo.alt_nl == "Een wiel oude kaas" and photo.image.name.startswith(f"shop/products/{product.pk}/")


# --- One set of rules for the form and the import ---------------------------------------------------------------


def test_a_title_longer_than_its_column_is_refused(merchant):
    errors = products.validate_product(merchant, _input(title_nl="x" * 121))
    assert "121" in errors["title_nl"] and "120" in errors["title_nl"]


def test_a_variants_article_number_is_one_product_only(merchant):
    from django.utils import translation

    translation.activate("en")
    staff = staff_of(merchant)
    products.save_product(merchant=merchant, by=staff, data=_input(sku="1-002", title_nl="Sjaal"))
    # another product's article number, and the same number on two of one product's variants
    with pytest.raises(InvalidProduct) as caught:
        products.save_product(merchant=merchant, by=staff, data=_input(variants=[VariantInput(label="S", sku="1-002")]))
    assert "article number" in caught.value.errors["variants"] and "“S”" in caught.value.errors["variants"]
    with pytest.raises(InvalidProduct) as caught:
        products.save_product(
            merchant=merchant,
            by=staff,
            data=_input(variants=[VariantInput(label="S", sku="P-9"), VariantInput(label="M", sku="P-9")]),
        )
    assert "Two variants" in caught.value.errors["variants"]
    assert Product.objects.count() == 1


def test_the_form_path_checks_the_rules_in_three_queries_at_most(merchant, django_assert_max_num_queries):
    category = Category.objects.create(area=merchant.area, slug="kaas", name_nl="Kaas", name_en="Cheese")
    data = _input(sku="K-1", slug="kaas", category_id=category.pk, variants=[VariantInput(label="S", sku="K-1-S")])
    with django_assert_max_num_queries(3):
        assert products.validate_product(merchant, data) == {}


def test_a_second_submit_of_the_new_product_form_returns_the_first_product(merchant):
    import uuid

    staff = staff_of(merchant)
    key = uuid.uuid4()
    first = products.save_product(merchant=merchant, by=staff, data=_input(), request_key=key)
    second = products.save_product(merchant=merchant, by=staff, data=_input(), request_key=key)
    assert second.pk == first.pk and Product.objects.count() == 1
    # another form (another key) makes another product
    products.save_product(merchant=merchant, by=staff, data=_input(), request_key=uuid.uuid4())
    assert Product.objects.count() == 2
