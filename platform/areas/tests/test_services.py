import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from accounts.permissions import can
from accounts.roles import Role
from areas import services
from areas.exceptions import (
    AreaInvalid,
    MerchantInvalid,
    OpeningHoursInvalid,
    RoleNotGrantable,
    RoleScopeMismatch,
)
from areas.models import ExceptionKind, MerchantStatus, OpeningException, OpeningHours, StaffMembership
from areas.sectors import Sector
from areas.tests.factories import MerchantFactory, UserFactory

pytestmark = pytest.mark.django_db

T = dt.time


def _area_fields(**overrides):
    return {
        "name": "Binnenstad Amersfoort",
        "slug": "amersfoort",
        "country": "NL",
        "pass_name": "Stadspas Amersfoort",
        "collective_name": "Ondernemersvereniging Binnenstad Amersfoort",
        "collective_address": "Markt 1, 3811 AA Amersfoort",
        "privacy_email": "privacy@example.org",
        "centre_latitude": "52.156100",
        "centre_longitude": "5.387800",
        **overrides,
    }


def _merchant_fields(**overrides):
    return {
        "trade_name": "Bakkerij De Korenbloem",
        "legal_name": "De Korenbloem B.V.",
        "registration_number": "3012 3456",
        "sector": Sector.FOOD_SPECIALTY,
        "street": "Langestraat 12",
        "postcode": "3811ab",
        "city": "Amersfoort",
        **overrides,
    }


# --- Areas --------------------------------------------------------------------------------------------


def test_create_area_defaults_the_time_zone_to_the_country():
    nl = services.create_area(**_area_fields())
    be = services.create_area(**_area_fields(slug="mechelen", country="BE", centre_latitude="51.0277"))
    assert nl.time_zone == "Europe/Amsterdam"
    assert be.time_zone == "Europe/Brussels"


def test_create_area_reports_errors_per_field(area):
    with pytest.raises(AreaInvalid) as caught:
        services.create_area(**_area_fields(slug=area.slug, privacy_email="not-an-address", suppression_k=5))
    assert set(caught.value.errors) >= {"slug", "privacy_email", "suppression_k"}


def test_update_area_refuses_unknown_languages(area):
    with pytest.raises(AreaInvalid) as caught:
        services.update_area(area=area, languages=["fr"])
    assert "languages" in caught.value.errors


def test_update_area_cannot_change_the_country(area):
    with pytest.raises(TypeError):
        services.update_area(area=area, country="BE")


# --- Merchants ----------------------------------------------------------------------------------------


def test_create_merchant_normalises_numbers_and_postcode(area):
    merchant = services.create_merchant(area=area, vat_number="nl 0044.95.445 b01", **_merchant_fields())
    assert merchant.registration_number == "30123456"
    assert merchant.vat_number == "NL004495445B01"
    assert merchant.postcode == "3811 AB"
    assert merchant.slug == "bakkerij-de-korenbloem"


def test_create_merchant_in_flanders_normalises_kbo_and_vat(flemish_area):
    merchant = services.create_merchant(
        area=flemish_area,
        **_merchant_fields(registration_number="403.170.701", postcode="2800", city="Mechelen"),
        vat_number="0403.170.701",
    )
    assert merchant.registration_number == "0403170701"
    assert merchant.vat_number == "BE0403170701"


def test_create_merchant_reports_every_bad_field(area):
    with pytest.raises(MerchantInvalid) as caught:
        services.create_merchant(
            area=area,
            vat_number="NL123456789B01",
            **_merchant_fields(registration_number="1234", postcode="0811 AB", sector="bakery"),
        )
    assert set(caught.value.errors) == {"registration_number", "vat_number", "postcode", "sector"}


def test_belgian_numbers_are_refused_in_a_dutch_area(area):
    with pytest.raises(MerchantInvalid) as caught:
        services.create_merchant(area=area, **_merchant_fields(registration_number="0403.170.701", postcode="2800"))
    assert set(caught.value.errors) == {"registration_number"}  # 2800 is a valid Dutch PC4


def test_merchant_slugs_are_made_unique_in_the_area(area):
    first = services.create_merchant(area=area, **_merchant_fields())
    second = services.create_merchant(area=area, **_merchant_fields(street="Utrechtseweg 3"))
    assert (first.slug, second.slug) == ("bakkerij-de-korenbloem", "bakkerij-de-korenbloem-2")


def test_a_chosen_slug_that_is_taken_is_a_slug_error(area):
    services.create_merchant(area=area, **_merchant_fields())
    with pytest.raises(MerchantInvalid) as caught:
        services.create_merchant(area=area, slug="bakkerij-de-korenbloem", **_merchant_fields(street="Hof 1"))
    assert set(caught.value.errors) == {"slug"}


def test_the_same_branch_cannot_join_twice(area):
    services.create_merchant(area=area, **_merchant_fields())
    with pytest.raises(MerchantInvalid) as caught:
        services.create_merchant(area=area, **_merchant_fields(trade_name="Korenbloem II"))
    assert set(caught.value.errors) == {"registration_number"}


def test_update_merchant_normalises_and_keeps_other_fields(merchant):
    updated = services.update_merchant(merchant=merchant, postcode="3811cd", phone=" 033 123 45 67 ")
    assert (updated.postcode, updated.phone) == ("3811 CD", "033 123 45 67")
    assert updated.trade_name == merchant.trade_name


def test_update_merchant_leaves_the_row_alone_when_invalid(merchant):
    with pytest.raises(MerchantInvalid):
        services.update_merchant(merchant=merchant, postcode="nope", trade_name="New name")
    merchant.refresh_from_db()
    assert merchant.trade_name != "New name"


def test_update_merchant_refuses_status_and_area(merchant, flemish_area):
    with pytest.raises(TypeError):
        services.update_merchant(merchant=merchant, status=MerchantStatus.LEFT)
    with pytest.raises(TypeError):
        services.update_merchant(merchant=merchant, area=flemish_area)


# --- Status -------------------------------------------------------------------------------------------


def test_leaving_needs_a_date(merchant):
    with pytest.raises(MerchantInvalid) as caught:
        services.set_merchant_status(merchant=merchant, status=MerchantStatus.LEFT)
    assert set(caught.value.errors) == {"left_on"}


def test_leaving_cannot_precede_joining(merchant):
    services.update_merchant(merchant=merchant, joined_on=dt.date(2024, 5, 1))
    with pytest.raises(MerchantInvalid):
        services.set_merchant_status(merchant=merchant, status=MerchantStatus.LEFT, left_on=dt.date(2024, 4, 1))


def test_pausing_has_no_leaving_date(merchant):
    with pytest.raises(MerchantInvalid):
        services.set_merchant_status(merchant=merchant, status=MerchantStatus.PAUSED, left_on=dt.date(2025, 1, 1))
    paused = services.set_merchant_status(merchant=merchant, status=MerchantStatus.PAUSED)
    assert paused.status == MerchantStatus.PAUSED and paused.left_on is None


def test_leaving_ends_the_merchants_staff_roles(merchant):
    # given
    owner, manager = UserFactory(), UserFactory()
    services.grant_role(user=owner, role=Role.MERCHANT_OWNER, merchant=merchant, granted_by=manager)
    # when
    left = services.set_merchant_status(
        merchant=merchant, status=MerchantStatus.LEFT, left_on=dt.date(2025, 6, 30), by=manager
    )
    # then
    assert left.left_on == dt.date(2025, 6, 30)
    membership = StaffMembership.objects.get(user=owner)
    assert membership.ended_at is not None and membership.ended_by == manager
    assert not can(get_user_model().objects.get(pk=owner.pk), "merchant.view", merchant)


def test_rejoining_clears_the_leaving_date(merchant):
    services.set_merchant_status(merchant=merchant, status=MerchantStatus.LEFT, left_on=dt.date(2025, 6, 30))
    back = services.set_merchant_status(merchant=merchant, status=MerchantStatus.ACTIVE)
    assert back.status == MerchantStatus.ACTIVE and back.left_on is None


# --- Opening hours ------------------------------------------------------------------------------------


def test_set_opening_hours_replaces_the_week(merchant):
    services.set_opening_hours(merchant=merchant, week={0: [(T(9), T(17))], 1: [(T(9), T(17))]})
    services.set_opening_hours(merchant=merchant, week={5: [(T(13), T(17)), (T(9), T(12))]})
    rows = list(OpeningHours.objects.filter(merchant=merchant).values_list("weekday", "opens_at", "closes_at"))
    assert rows == [(5, T(9), T(12)), (5, T(13), T(17))]


def test_overlapping_periods_are_refused_and_the_old_week_kept(merchant):
    services.set_opening_hours(merchant=merchant, week={0: [(T(9), T(17))]})
    with pytest.raises(OpeningHoursInvalid) as caught:
        services.set_opening_hours(
            merchant=merchant, week={0: [(T(9), T(13))], 2: [(T(9), T(13)), (T(12), T(18))], 3: [(T(18), T(9))]}
        )
    assert set(caught.value.errors) == {2, 3}
    assert OpeningHours.objects.filter(merchant=merchant).count() == 1


def test_periods_may_touch(merchant):
    services.set_opening_hours(merchant=merchant, week={4: [(T(9), T(12)), (T(12), T(21))]})
    assert OpeningHours.objects.filter(merchant=merchant).count() == 2


def test_unknown_weekday_is_refused(merchant):
    with pytest.raises(OpeningHoursInvalid) as caught:
        services.set_opening_hours(merchant=merchant, week={7: [(T(9), T(17))]})
    assert set(caught.value.errors) == {7}


def test_add_opening_exception_replaces_that_days_exception(merchant):
    day = dt.date(2025, 4, 26)
    services.add_opening_exception(merchant=merchant, date=day, kind=ExceptionKind.CLOSED, label="Koningsdag")
    services.add_opening_exception(
        merchant=merchant, date=day, kind=ExceptionKind.SPECIAL_HOURS, opens_at=T(10), closes_at=T(14)
    )
    only = OpeningException.objects.get(merchant=merchant, date=day)
    assert (only.kind, only.opens_at, only.area_id) == (ExceptionKind.SPECIAL_HOURS, T(10), merchant.area_id)


def test_area_and_merchant_exceptions_on_the_same_day_coexist(merchant):
    day = dt.date(2025, 12, 26)
    services.add_opening_exception(area=merchant.area, date=day, kind=ExceptionKind.CLOSED)
    services.add_opening_exception(
        merchant=merchant, date=day, kind=ExceptionKind.SPECIAL_HOURS, opens_at=T(11), closes_at=T(16)
    )
    assert OpeningException.objects.filter(date=day).count() == 2


@pytest.mark.parametrize(
    ("kind", "opens", "closes", "field"),
    [
        (ExceptionKind.CLOSED, T(9), T(12), "__all__"),
        (ExceptionKind.SPECIAL_HOURS, None, None, "__all__"),
        (ExceptionKind.LATE_NIGHT, T(21), T(18), "closes_at"),
        ("holiday", None, None, "kind"),
    ],
)
def test_exception_shape_is_checked(merchant, kind, opens, closes, field):
    with pytest.raises(OpeningHoursInvalid) as caught:
        services.add_opening_exception(
            merchant=merchant, date=dt.date(2025, 1, 1), kind=kind, opens_at=opens, closes_at=closes
        )
    assert set(caught.value.errors) == {field}


def test_exception_for_a_merchant_of_another_area_is_refused(merchant, flemish_area):
    with pytest.raises(OpeningHoursInvalid):
        services.add_opening_exception(
            area=flemish_area, merchant=merchant, date=dt.date(2025, 1, 1), kind=ExceptionKind.CLOSED
        )


# --- Roles --------------------------------------------------------------------------------------------


def test_merchant_roles_take_the_merchants_area(merchant, person):
    granter = UserFactory()
    membership = services.grant_role(user=person, role=Role.MERCHANT_STAFF, merchant=merchant, granted_by=granter)
    assert (membership.area, membership.merchant, membership.granted_by) == (merchant.area, merchant, granter)


def test_granting_is_idempotent_for_an_active_membership(merchant, person):
    first = services.grant_role(user=person, role=Role.MERCHANT_STAFF, merchant=merchant, granted_by=None)
    again = services.grant_role(user=person, role=Role.MERCHANT_STAFF, merchant=merchant, granted_by=None)
    assert first.pk == again.pk
    assert StaffMembership.objects.filter(user=person).count() == 1


def test_granting_again_after_the_end_starts_a_new_membership(merchant, person):
    first = services.grant_role(user=person, role=Role.MERCHANT_STAFF, merchant=merchant, granted_by=None)
    services.end_role(membership=first)
    second = services.grant_role(user=person, role=Role.MERCHANT_STAFF, merchant=merchant, granted_by=None)
    assert second.pk != first.pk
    assert StaffMembership.objects.filter(user=person).count() == 2


def test_the_database_refuses_a_second_active_membership(merchant, person):
    # The constraint, not the service's lookup, is what makes concurrent grants safe.
    StaffMembership.objects.create(user=person, role=Role.MERCHANT_STAFF, area=merchant.area, merchant=merchant)
    with pytest.raises(IntegrityError):
        StaffMembership.objects.create(user=person, role=Role.MERCHANT_STAFF, area=merchant.area, merchant=merchant)


@pytest.mark.parametrize(
    ("role", "scope", "field"),
    [
        (Role.MERCHANT_OWNER, "area", "merchant"),  # a merchant role without its merchant
        (Role.MERCHANT_STAFF, "other_area+merchant", "area"),  # merchant of another area
        (Role.AREA_MANAGER, "none", "area"),
        (Role.AREA_MANAGER, "merchant", "merchant"),
        (Role.PARCEL_STAFF, "merchant", "merchant"),
        (Role.PLATFORM_ADMIN, "area", "area"),
        ("mayor", "area", "role"),
    ],
)
def test_grant_role_refuses_scope_mismatches(merchant, flemish_area, person, role, scope, field):
    kwargs = {
        "area": {"area": merchant.area},
        "other_area+merchant": {"area": flemish_area, "merchant": merchant},
        "none": {},
        "merchant": {"merchant": merchant},
    }[scope]
    with pytest.raises(RoleScopeMismatch) as caught:
        services.grant_role(user=person, role=role, granted_by=None, **kwargs)
    assert set(caught.value.errors) == {field}
    assert not StaffMembership.objects.exists()


def test_no_roles_for_inactive_accounts_or_departed_merchants(merchant, person):
    departed = MerchantFactory(area=merchant.area)
    services.set_merchant_status(merchant=departed, status=MerchantStatus.LEFT, left_on=dt.date(2025, 1, 31))
    with pytest.raises(RoleNotGrantable):
        services.grant_role(user=person, role=Role.MERCHANT_STAFF, merchant=departed, granted_by=None)
    person.is_active = False
    person.save()
    with pytest.raises(RoleNotGrantable):
        services.grant_role(user=person, role=Role.MERCHANT_STAFF, merchant=merchant, granted_by=None)


def test_grant_and_end_take_effect_for_the_same_user_object(merchant, person):
    assert not can(person, "merchant.view", merchant)  # caches "no memberships" on this object
    membership = services.grant_role(user=person, role=Role.MERCHANT_STAFF, merchant=merchant, granted_by=None)
    assert can(person, "merchant.view", merchant)
    services.end_role(membership=membership)
    assert not can(get_user_model().objects.get(pk=person.pk), "merchant.view", merchant)


def test_end_role_is_idempotent_and_keeps_the_first_end(merchant, person):
    ender = UserFactory()
    membership = services.grant_role(user=person, role=Role.MERCHANT_STAFF, merchant=merchant, granted_by=None)
    first = services.end_role(membership=membership, by=ender)
    again = services.end_role(membership=membership, by=UserFactory())
    assert again.ended_at == first.ended_at and again.ended_by == ender
