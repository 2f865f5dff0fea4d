"""The shop admin: every page renders; an area manager edits their own area's shop settings and categories, sees
their own area's orders read-only, and never another area's."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, StaffMembershipFactory, give_totp
from shop import admin as shop_admin  # noqa: F401  (registers the models)
from shop.models import Category, MerchantOrder, Order

from .merchant_fixtures import paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        user.is_staff = True
        user.save()
        give_totp(user)
        client.force_login(user)
        return user

    return sign_in


def test_every_shop_page_of_the_admin_renders(client, signed_in, area, merchant):
    from django.contrib import admin

    signed_in(StaffMembershipFactory(role=Role.PLATFORM_ADMIN).user)
    order = paid_order(area, {merchant: [("Kaas", 1, 895, 900)]})
    for model in admin.site._registry:
        if model._meta.app_label == "shop":
            url = reverse(f"admin:shop_{model._meta.model_name}_changelist")
            assert client.get(url).status_code == 200, url
    assert client.get(reverse("admin:shop_order_change", args=[order.pk])).status_code == 200


def test_a_manager_sees_their_areas_orders_read_only_and_edits_their_categories(
    client, signed_in, area, merchant, flemish_area
):
    mine = paid_order(area, {merchant: [("Kaas", 1, 895, 900)]})
    elsewhere = MerchantFactory(area=flemish_area, registration_number="0403170701", postcode="2800")
    paid_order(flemish_area, {elsewhere: [("Frieten", 1, 450, 600)]})
    signed_in(StaffMembershipFactory(role=Role.AREA_MANAGER, area=area).user)
    changelist = client.get(reverse("admin:shop_order_changelist"))
    assert list(changelist.context["cl"].queryset) == [mine]
    response = client.post(reverse("admin:shop_order_change", args=[mine.pk]), {"name": "Anders"})
    assert response.status_code in (302, 403) or "Anders" not in response.content.decode()
    mine.refresh_from_db()
    assert mine.name == "Sanne de Vries"
    assert client.get(reverse("admin:shop_order_add")).status_code == 403
    assert not MerchantOrder.objects.filter(order__area=flemish_area, merchant=merchant).exists()
    response = client.post(
        reverse("admin:shop_category_add"),
        {"area": area.pk, "slug": "kaas", "name_nl": "Kaas", "name_en": "Cheese", "position": 1},
    )
    assert response.status_code == 302 and Category.objects.filter(area=area, slug="kaas").exists()
    response = client.post(
        reverse("admin:shop_category_add"),
        {"area": flemish_area.pk, "slug": "bier", "name_nl": "Bier", "name_en": "Beer", "position": 1},
    )
    assert not Category.objects.filter(area=flemish_area).exists()
    assert Order.objects.count() == 2
