"""The merchant's order queue goes a page at a time with its count (the handed-over history is never cut off
silently), and the variant's on/off checkbox in the product form says "For sale", not "Sold"."""

import pytest
from django.urls import reverse
from django.utils import translation

from shop.forms_merchant import VariantForm
from shop.models import MerchantOrderStatus
from shop.selectors_merchant import QUEUE_PAGE

from .merchant_fixtures import paid_order, product, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def signed_in(client, merchant):
    user = staff_of(merchant)
    client.force_login(user)
    return user


def test_the_handed_over_history_goes_a_page_at_a_time_and_says_how_many(client, area, merchant, signed_in):
    orders = [
        paid_order(area, {merchant: [("Kaas", 1, 895, 900)]}, status=MerchantOrderStatus.HANDED_OVER)
        for _ in range(QUEUE_PAGE + 1)
    ]
    queue = reverse("shop_merchant:queue", args=[merchant.pk])
    first = client.get(queue, {"status": "handed_over"}).content.decode()
    assert f"{QUEUE_PAGE + 1} orders" in first and f"showing 1–{QUEUE_PAGE}" in first
    assert 'rel="next" href="?status=handed_over&amp;page=2"' in first
    second = client.get(queue, {"status": "handed_over", "page": 2}).content.decode()
    # newest first: the oldest order is the one on the second page
    assert orders[0].public_id in second and orders[0].public_id not in first and "Page 2 of 2" in second
    assert 'rel="prev" href="?status=handed_over&amp;page=1"' in second
    # a short step shows no paging
    assert "pagination" not in client.get(queue).content.decode()


def test_the_variant_checkbox_is_labelled_for_sale(client, merchant, signed_in):
    assert str(VariantForm().fields["is_active"].label) == "For sale"
    item = product(merchant)
    page = client.get(reverse("shop_merchant:product_edit", args=[merchant.pk, item.pk])).content.decode()
    assert '<th scope="col">For sale</th>' in page and ">Sold<" not in page
