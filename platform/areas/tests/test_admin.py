"""The Django admin for platform admins: scoped by the permission helper, writing through the services."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from areas import services
from areas.models import Merchant, OpeningException, OpeningHours, ShoppingArea, StaffMembership
from areas.tests.factories import MerchantFactory, StaffMembershipFactory, UserFactory, give_totp

pytestmark = pytest.mark.django_db

T = dt.time


@pytest.fixture
def platform_admin(client):
    admin = StaffMembershipFactory(role=Role.PLATFORM_ADMIN).user
    admin.is_staff = True
    admin.save()
    give_totp(admin)
    client.force_login(admin)
    return admin


def _inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _merchant_post(merchant, **changes) -> dict:
    data = {
        "trade_name": merchant.trade_name,
        "legal_name": merchant.legal_name,
        "slug": merchant.slug,
        "registration_number": merchant.registration_number,
        "vat_number": merchant.vat_number,
        "sector": merchant.sector,
        "street": merchant.street,
        "postcode": merchant.postcode,
        "city": merchant.city,
        "status": merchant.status,
        **_inline_management("opening_hours"),
        **_inline_management("opening_exceptions"),
    }
    data.update(changes)
    return data


def test_platform_admin_sees_every_area_and_merchant(client, platform_admin, merchant):
    elsewhere = MerchantFactory()
    response = client.get(reverse("admin:areas_merchant_changelist"))
    assert response.status_code == 200
    assert set(response.context["cl"].queryset) == {merchant, elsewhere}
    assert client.get(reverse("admin:areas_shoppingarea_changelist")).status_code == 200
    assert client.get(reverse("admin:areas_staffmembership_changelist")).status_code == 200


def test_every_admin_page_renders(client, platform_admin, merchant):
    membership = StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant)
    for url in (
        reverse("admin:areas_shoppingarea_add"),
        reverse("admin:areas_shoppingarea_change", args=[merchant.area.pk]),
        reverse("admin:areas_merchant_add"),
        reverse("admin:areas_merchant_change", args=[merchant.pk]),
        reverse("admin:areas_staffmembership_add"),
        reverse("admin:areas_staffmembership_change", args=[membership.pk]),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_add"),
        reverse("admin:accounts_user_change", args=[membership.user.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_admin_edits_go_through_the_service(client, platform_admin, merchant):
    response = client.post(
        reverse("admin:areas_merchant_change", args=[merchant.pk]),
        _merchant_post(
            merchant,
            postcode="3811cd",
            **_inline_management("opening_hours", total=2),
            **{
                "opening_hours-0-weekday": "0",
                "opening_hours-0-opens_at": "09:00",
                "opening_hours-0-closes_at": "12:00",
                "opening_hours-1-weekday": "0",
                "opening_hours-1-opens_at": "13:00",
                "opening_hours-1-closes_at": "17:00",
            },
        ),
    )
    assert response.status_code == 302, response.context["errors"] if response.context else response
    merchant.refresh_from_db()
    assert merchant.postcode == "3811 CD"  # normalised by services.update_merchant
    assert OpeningHours.objects.filter(merchant=merchant).count() == 2


def test_overlapping_hours_in_the_admin_are_a_form_error(client, platform_admin, merchant):
    response = client.post(
        reverse("admin:areas_merchant_change", args=[merchant.pk]),
        _merchant_post(
            merchant,
            **_inline_management("opening_hours", total=2),
            **{
                "opening_hours-0-weekday": "0",
                "opening_hours-0-opens_at": "09:00",
                "opening_hours-0-closes_at": "14:00",
                "opening_hours-1-weekday": "0",
                "opening_hours-1-opens_at": "13:00",
                "opening_hours-1-closes_at": "17:00",
            },
        ),
    )
    assert response.status_code == 200
    assert "overlap" in str(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    assert not OpeningHours.objects.exists()


def test_leaving_through_the_admin_ends_the_staff_roles(client, platform_admin, merchant):
    staff = StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant)
    response = client.post(
        reverse("admin:areas_merchant_change", args=[merchant.pk]),
        _merchant_post(merchant, status="left", left_on="2025-06-30"),
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.ended_at is not None and staff.ended_by == platform_admin


def test_a_rule_only_the_service_knows_becomes_a_message(client, platform_admin, merchant):
    services.update_merchant(merchant=merchant, joined_on=dt.date(2024, 5, 1))
    merchant.refresh_from_db()
    response = client.post(
        reverse("admin:areas_merchant_change", args=[merchant.pk]),
        _merchant_post(merchant, joined_on="2024-05-01", status="left", left_on="2024-04-01", trade_name="Renamed"),
        follow=True,
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    assert any("cannot leave before joining" in str(m) for m in response.context["messages"])
    merchant.refresh_from_db()
    assert (merchant.status, merchant.trade_name) == ("active", merchant.trade_name)
    assert merchant.trade_name != "Renamed"  # the whole save was rolled back


def test_admin_creates_a_merchant_through_the_service(client, platform_admin, area):
    response = client.post(
        reverse("admin:areas_merchant_add"),
        {
            "area": area.pk,
            "trade_name": "Kaashandel Gouda",
            "legal_name": "Kaashandel Gouda V.O.F.",
            "slug": "",
            "registration_number": "6926 9817",
            "sector": "food_specialty",
            "street": "Krommestraat 5",
            "postcode": "3811ca",
            "city": "Amersfoort",
            "status": "active",
            **_inline_management("opening_hours"),
            **_inline_management("opening_exceptions"),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    created = Merchant.objects.get(trade_name="Kaashandel Gouda")
    assert (created.registration_number, created.postcode, created.slug) == ("69269817", "3811 CA", "kaashandel-gouda")


def test_admin_grants_and_ends_roles_through_the_services(client, platform_admin, merchant, flemish_area):
    person = UserFactory()
    mismatch = client.post(
        reverse("admin:areas_staffmembership_add"),
        {"user": person.pk, "role": Role.MERCHANT_STAFF, "area": flemish_area.pk, "merchant": merchant.pk},
    )
    assert mismatch.status_code == 200 and "area" in mismatch.context["adminform"].form.errors
    response = client.post(
        reverse("admin:areas_staffmembership_add"),
        {"user": person.pk, "role": Role.MERCHANT_STAFF, "area": "", "merchant": merchant.pk},
    )
    assert response.status_code == 302
    membership = StaffMembership.objects.get(user=person)
    assert (membership.area, membership.granted_by) == (merchant.area, platform_admin)

    client.post(
        reverse("admin:areas_staffmembership_changelist"),
        {"action": "end_memberships", "_selected_action": [membership.pk]},
    )
    membership.refresh_from_db()
    assert membership.ended_by == platform_admin


def test_memberships_and_merchants_cannot_be_deleted(client, platform_admin, merchant):
    membership = StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant)
    assert client.get(reverse("admin:areas_staffmembership_delete", args=[membership.pk])).status_code == 403
    assert client.get(reverse("admin:areas_merchant_delete", args=[merchant.pk])).status_code == 403


def test_an_area_manager_with_admin_access_sees_only_their_area(client, merchant):
    # Only platform admins get is_staff; if someone else had it, the admin would still be scoped.
    manager = StaffMembershipFactory(role=Role.AREA_MANAGER, area=merchant.area).user
    manager.is_staff = True
    manager.save()
    give_totp(manager)
    client.force_login(manager)
    MerchantFactory()  # another area
    assert set(client.get(reverse("admin:areas_merchant_changelist")).context["cl"].queryset) == {merchant}
    assert client.get(reverse("admin:areas_merchant_add")).status_code == 403
    assert client.get(reverse("admin:accounts_user_changelist")).context["cl"].queryset.get() == manager


def test_admin_creates_an_area_and_its_area_wide_exceptions(client, platform_admin):
    response = client.post(
        reverse("admin:areas_shoppingarea_add"),
        {
            "name": "Binnenstad Mechelen",
            "slug": "mechelen",
            "country": "BE",
            "time_zone": "Europe/Brussels",
            "languages": '["nl", "en"]',
            "pass_name": "Mechelenpas",
            "collective_name": "Centrummanagement Mechelen vzw",
            "collective_address": "Grote Markt 1, 2800 Mechelen",
            "privacy_email": "privacy@example.org",
            "centre_latitude": "51.027700",
            "centre_longitude": "4.477500",
            "catchment_km": "15",
            "suppression_k": "30",
            "primary_colour": "#1f5f8b",
            "accent_colour": "#e07a1f",
            "is_active": "on",
            **_inline_management("opening_exceptions", total=1),
            "opening_exceptions-0-date": "2025-07-21",
            "opening_exceptions-0-kind": "closed",
            "opening_exceptions-0-label": "Nationale feestdag",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    area = ShoppingArea.objects.get(slug="mechelen")
    exception = OpeningException.objects.get(area=area)
    assert (exception.merchant, exception.label) == (None, "Nationale feestdag")
