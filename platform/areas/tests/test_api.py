import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from areas import services
from areas.models import MerchantStatus
from areas.sectors import Sector
from areas.tests.factories import MerchantFactory, StaffMembershipFactory, UserFactory, give_totp

pytestmark = pytest.mark.django_db

T = dt.time
ALWAYS_OPEN = {day: [(T(0), T(23, 59, 59))] for day in range(7)}
DIRECTORY_FIELDS = {
    "id",
    "slug",
    "trade_name",
    "sector",
    "sector_group",
    "description",
    "street",
    "postcode",
    "city",
    "latitude",
    "longitude",
    "phone",
    "website",
    "is_open",
    "hours_today",
    "today_note",
}


@pytest.fixture
def api_as(client):
    def sign_in(role=None, **scope):
        user = StaffMembershipFactory(role=role, **scope).user if role else UserFactory()
        give_totp(user)
        client.force_login(user)
        return user

    return sign_in


def merchant_url(merchant):
    return reverse("api:merchant-detail", kwargs={"pk": merchant.pk})


# --- Public -------------------------------------------------------------------------------------------


def test_area_list_is_public_and_brief(client, area, flemish_area):
    response = client.get(reverse("api:areas-list"))
    assert response.status_code == 200
    assert {row["slug"] for row in response.json()} == {area.slug, flemish_area.slug}
    assert set(response.json()[0]) == {"name", "slug", "country", "languages", "pass_name"}


def test_directory_shows_public_fields_of_active_merchants(client, area):
    shown = MerchantFactory(area=area, registration_number="69269817")
    paused = MerchantFactory(area=area)
    services.set_merchant_status(merchant=paused, status=MerchantStatus.PAUSED)
    response = client.get(reverse("api:area-merchants", kwargs={"slug": area.slug}))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert set(body["results"][0]) == DIRECTORY_FIELDS
    assert body["results"][0]["id"] == shown.pk
    assert "69269817" not in response.content.decode()


def test_directory_filters_by_sector_and_open_now(client, area):
    open_fashion = MerchantFactory(area=area, sector=Sector.FASHION)
    closed_fashion = MerchantFactory(area=area, sector=Sector.FASHION)
    open_cafe = MerchantFactory(area=area, sector=Sector.HOSPITALITY)
    for merchant in (open_fashion, open_cafe):
        services.set_opening_hours(merchant=merchant, week=ALWAYS_OPEN)
    url = reverse("api:area-merchants", kwargs={"slug": area.slug})

    def ids(**params):
        return {row["id"] for row in client.get(url, params).json()["results"]}

    assert ids(sector="fashion") == {open_fashion.pk, closed_fashion.pk}
    assert ids(open_now="true") == {open_fashion.pk, open_cafe.pk}
    assert ids(sector="fashion", open_now="true") == {open_fashion.pk}
    row = client.get(url, {"sector": "hospitality"}).json()["results"][0]
    assert row["is_open"] is True and row["hours_today"] == [{"opens_at": "00:00", "closes_at": "23:59"}]


def test_directory_rejects_an_unknown_sector_with_a_field_error(client, area):
    response = client.get(reverse("api:area-merchants", kwargs={"slug": area.slug}), {"sector": "bakery"})
    assert response.status_code == 400
    assert list(response.json()) == ["sector"]


def test_directory_of_an_unknown_area_is_404(client, db):
    assert client.get(reverse("api:area-merchants", kwargs={"slug": "atlantis"})).status_code == 404


@pytest.mark.parametrize("count", [3, 15])
def test_directory_takes_four_queries_whatever_the_size(client, area, django_assert_num_queries, count):
    for merchant in MerchantFactory.create_batch(count, area=area):
        services.set_opening_hours(merchant=merchant, week={0: [(T(9), T(12)), (T(13), T(17))]})
        services.add_opening_exception(merchant=merchant, date=dt.date(2025, 12, 26), kind="closed")
    url = reverse("api:area-merchants", kwargs={"slug": area.slug})
    # the area, the merchants, their hours, the day's exceptions
    with django_assert_num_queries(4):
        response = client.get(url)
    assert response.json()["count"] == count


# --- A merchant's record ------------------------------------------------------------------------------


def test_owner_reads_and_patches_the_profile(client, api_as, merchant):
    api_as(Role.MERCHANT_OWNER, merchant=merchant)
    assert client.get(merchant_url(merchant)).json()["registration_number"] == merchant.registration_number
    response = client.patch(
        merchant_url(merchant), {"postcode": "3811cd", "phone": "033 123 45 67"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["postcode"], response.json()["phone"]) == ("3811 CD", "033 123 45 67")


def test_patch_reports_service_errors_per_field(client, api_as, merchant):
    api_as(Role.MERCHANT_OWNER, merchant=merchant)
    response = client.patch(
        merchant_url(merchant), {"postcode": "0811 AB", "email": "not-an-address"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"email"}  # shape first: the serializer stops at the e-mail address
    response = client.patch(merchant_url(merchant), {"postcode": "0811 AB"}, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"postcode"}


def test_owner_may_not_patch_registration_details(client, api_as, merchant):
    api_as(Role.MERCHANT_OWNER, merchant=merchant)
    response = client.patch(
        merchant_url(merchant), {"registration_number": "69269817"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "registration_number" in response.json()["detail"]


def test_area_manager_patches_registration_details_with_checks(client, api_as, merchant):
    api_as(Role.AREA_MANAGER, area=merchant.area)
    bad = client.patch(merchant_url(merchant), {"registration_number": "1234"}, content_type="application/json")
    assert bad.status_code == 400 and list(bad.json()) == ["registration_number"]
    good = client.patch(
        merchant_url(merchant),
        {"registration_number": "6926 9817", "vat_number": "nl004495445b01"},
        content_type="application/json",
    )
    assert good.status_code == 200
    assert (good.json()["registration_number"], good.json()["vat_number"]) == ("69269817", "NL004495445B01")


def test_staff_may_read_but_not_patch(client, api_as, merchant):
    api_as(Role.MERCHANT_STAFF, merchant=merchant)
    assert client.get(merchant_url(merchant)).status_code == 200
    assert client.patch(merchant_url(merchant), {"phone": "1"}, content_type="application/json").status_code == 403


def test_outside_the_scope_is_404_like_a_missing_merchant(client, api_as, merchant):
    elsewhere = MerchantFactory()
    api_as(Role.AREA_MANAGER, area=merchant.area)
    assert client.get(merchant_url(elsewhere)).status_code == 404
    assert client.get(reverse("api:merchant-detail", kwargs={"pk": 10**9})).status_code == 404
    assert client.patch(merchant_url(elsewhere), {"phone": "1"}, content_type="application/json").status_code == 404


def test_members_and_anonymous_cannot_read_merchants(client, api_as, merchant):
    assert client.get(merchant_url(merchant)).status_code in (401, 403)
    api_as()
    assert client.get(merchant_url(merchant)).status_code == 404


# --- Me -----------------------------------------------------------------------------------------------


def test_me_shows_the_account_and_its_roles(client, api_as, merchant):
    user = api_as(Role.MERCHANT_STAFF, merchant=merchant)
    body = client.get(reverse("api:me")).json()
    assert body["email"] == user.email
    assert body["roles"] == [
        {
            "role": "merchant_staff",
            "area": merchant.area.slug,
            "merchant": merchant.pk,
            "merchant_name": merchant.trade_name,
        }
    ]


def test_me_needs_a_signed_in_person(client, db):
    assert client.get(reverse("api:me")).status_code in (401, 403)


# --- Schema -------------------------------------------------------------------------------------------


def test_openapi_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    for path in ("/api/v1/areas/", "/api/v1/areas/{slug}/merchants/", "/api/v1/merchants/{id}/", "/api/v1/me/"):
        assert f"  {path}:" in schema
    assert "  /api/v1/auth/token/:" in schema
