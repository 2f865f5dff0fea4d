"""Who may do what, written out: every area/merchant action × every kind of person × five objects.

The world: area 1 with merchants A and B, area 2 with merchant C. The people: a platform admin, area 1's
manager and parcel-point staff, A's owner and A's staff, a plain member, an anonymous visitor, and A's former
owner (membership ended). `can()` must give the table below; `visible()` must agree with `can()` row by row;
and A's people must never reach B through the staff pages, the API or the admin.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import can, registered_actions, visible
from accounts.roles import Role
from areas.models import Merchant, ShoppingArea
from areas.tests.factories import (
    FlemishAreaFactory,
    MerchantFactory,
    ShoppingAreaFactory,
    StaffMembershipFactory,
    UserFactory,
    give_totp,
)

OBJECTS = ("area1", "area2", "A", "B", "C")
PEOPLE = (
    "platform_admin",
    "area_manager",
    "parcel_staff",
    "owner_A",
    "staff_A",
    "member",
    "anonymous",
    "former_owner_A",
)

# Y = allowed, . = denied.   Columns: area 1, area 2, merchant A (area 1), merchant B (area 1), merchant C (area 2).
# Area roles reach everything in their area; merchant roles reach their own merchant only.
EXPECTED = {
    "area.view": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   "Y . Y Y .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "area.change": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "area.manage_staff": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "merchant.create": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "merchant.view": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . Y . .",
        "staff_A":        ". . Y . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "merchant.change": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . Y . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "merchant.manage_staff": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . Y . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "merchant.operate_till": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   ". . . . .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . Y . .",
        "staff_A":        ". . Y . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "parcels.operate_desk": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   "Y . Y Y .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    # The parcel point's own actions (parcels/apps.py): area roles, on objects of their area.
    "parcels.view_parcels": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   "Y . Y Y .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "parcels.declare_lost": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "parcels.manage_points": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "parcels.view_statements": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    # The area's website (cms/apps.py): editing it in Wagtail, and the feedback survey's results.
    "cms.edit_site": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "cms.view_survey_results": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    # The webshop (shop/apps.py): the merchant's products and order queue (owner and staff), statements (owner,
    # area manager), payouts (owner); the area's shop settings and its orders in the admin (area manager).
    "shop.manage_products": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   ". . . . .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . Y . .",
        "staff_A":        ". . Y . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "shop.fulfil_orders": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   ". . . . .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . Y . .",
        "staff_A":        ". . Y . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "shop.view_shop_statements": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . Y . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "shop.manage_payouts": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   ". . . . .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . Y . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "shop.manage_shop": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "shop.view_orders": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    # Analytics: the area's dashboards (managers), a merchant's own page (its owner), sensors (managers).
    "analytics.view_area_dashboard": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "analytics.view_merchant_dashboard": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   ". . . . .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . Y . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "analytics.view_sensors": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "analytics.import_sensor_data": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    # Campaign and event effects, segments (managers); opening-hours advice (managers, and an owner for its shop).
    "analytics.compute_effects": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . . . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
    "analytics.view_opening_advice": {
        "platform_admin": "Y Y Y Y Y",
        "area_manager":   "Y . Y Y .",
        "parcel_staff":   ". . . . .",
        "owner_A":        ". . Y . .",
        "staff_A":        ". . . . .",
        "member":         ". . . . .",
        "anonymous":      ". . . . .",
        "former_owner_A": ". . . . .",
    },
}  # fmt: skip

CELLS = [(action, person) for action in EXPECTED for person in PEOPLE]


@pytest.fixture
def world(db):
    area1, area2 = ShoppingAreaFactory(), FlemishAreaFactory()
    objects = {
        "area1": area1,
        "area2": area2,
        "A": MerchantFactory(area=area1, trade_name="Merchant A"),
        "B": MerchantFactory(area=area1, trade_name="Merchant B"),
        "C": MerchantFactory(area=area2, trade_name="Merchant C", registration_number="0403170701", postcode="2800"),
    }
    former = StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=objects["A"])
    former.ended_at = timezone.now()
    former.save()
    people = {
        "platform_admin": StaffMembershipFactory(role=Role.PLATFORM_ADMIN).user,
        "area_manager": StaffMembershipFactory(role=Role.AREA_MANAGER, area=area1).user,
        "parcel_staff": StaffMembershipFactory(role=Role.PARCEL_STAFF, area=area1).user,
        "owner_A": StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=objects["A"]).user,
        "staff_A": StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=objects["A"]).user,
        "member": UserFactory(),
        "anonymous": AnonymousUser(),
        "former_owner_A": former.user,
    }
    return objects, people


def _row(answers) -> str:
    return " ".join("Y" if allowed else "." for allowed in answers)


def test_the_table_covers_every_registered_area_merchant_parcel_and_website_action():
    prefixes = ("area.", "merchant.", "parcels.", "cms.", "shop.", "analytics.")
    applies = {name for name in registered_actions() if name.startswith(prefixes)}
    assert applies == set(EXPECTED)
    assert all(set(rows) == set(PEOPLE) for rows in EXPECTED.values())


@pytest.mark.parametrize(("action", "person"), CELLS, ids=[f"{a}-{p}" for a, p in CELLS])
def test_can(world, action, person):
    objects, people = world
    actual = _row(can(people[person], action, objects[name]) for name in OBJECTS)
    assert actual == EXPECTED[action][person], f"{person} {action}: columns {' '.join(OBJECTS)}"


@pytest.mark.parametrize(("action", "person"), CELLS, ids=[f"{a}-{p}" for a, p in CELLS])
def test_visible_agrees_with_can(world, action, person):
    objects, people = world
    user = people[person]
    for model in (ShoppingArea, Merchant):
        candidates = [obj for obj in objects.values() if isinstance(obj, model)]
        queryset = model.objects.filter(pk__in=[obj.pk for obj in candidates])
        shown = set(visible(user, action, queryset))
        allowed = {obj for obj in candidates if can(user, action, obj)}
        assert shown == allowed, f"{person} {action} on {model.__name__}"


# --- A's people never reach B -------------------------------------------------------------------------


@pytest.fixture
def signed_in(client, world):
    """Sign a person of the world in (with TOTP, so the second-factor rule does not get in the way)."""

    def sign_in(person: str):
        user = world[1][person]
        give_totp(user)
        client.force_login(user)
        return user

    return sign_in


@pytest.mark.parametrize("person", ["owner_A", "staff_A"])
@pytest.mark.parametrize(
    ("url_name", "method"),
    [
        ("areas:merchant_detail", "get"),
        ("areas:merchant_edit", "get"),
        ("areas:merchant_edit", "post"),
        ("areas:opening_hours", "get"),
        ("areas:opening_hours", "post"),
        ("areas:team", "get"),
        ("areas:team", "post"),
    ],
)
def test_merchant_a_people_get_404_for_merchant_b_pages(client, world, signed_in, person, url_name, method):
    objects, _people = world
    signed_in(person)
    url = reverse(url_name, kwargs={"pk": objects["B"].pk})
    response = getattr(client, method)(url, {"trade_name": "Taken over", "email": "x@example.org", "role": "x"})
    assert response.status_code == 404
    objects["B"].refresh_from_db()
    assert objects["B"].trade_name == "Merchant B"


def test_merchant_a_staff_see_only_a_on_the_dashboard(client, world, signed_in):
    signed_in("staff_A")
    page = client.get(reverse("areas:dashboard")).content.decode()
    assert "Merchant A" in page
    assert "Merchant B" not in page and "Merchant C" not in page


def test_merchant_a_staff_may_view_but_not_change_a(client, world, signed_in):
    objects, _people = world
    signed_in("staff_A")
    assert client.get(reverse("areas:merchant_detail", kwargs={"pk": objects["A"].pk})).status_code == 200
    assert client.get(reverse("areas:merchant_edit", kwargs={"pk": objects["A"].pk})).status_code == 403
    assert client.get(reverse("areas:team", kwargs={"pk": objects["A"].pk})).status_code == 403


@pytest.mark.parametrize("person", ["owner_A", "staff_A"])
def test_merchant_a_people_get_404_for_merchant_b_over_the_api(client, world, signed_in, person):
    objects, _people = world
    signed_in(person)
    url = reverse("api:merchant-detail", kwargs={"pk": objects["B"].pk})
    assert client.get(url).status_code == 404
    response = client.patch(url, {"trade_name": "Taken over"}, content_type="application/json")
    assert response.status_code == 404
    objects["B"].refresh_from_db()
    assert objects["B"].trade_name == "Merchant B"


@pytest.mark.parametrize("person", ["owner_A", "staff_A"])
def test_merchant_a_people_cannot_use_the_admin(client, world, signed_in, person):
    objects, _people = world
    signed_in(person)
    for url in (
        reverse("admin:areas_merchant_changelist"),
        reverse("admin:areas_merchant_change", args=[objects["B"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_even_with_admin_access_merchant_a_staff_see_only_a(client, world, signed_in):
    # A misconfiguration (is_staff on a merchant's account) must not widen what they see: the admin asks the
    # same permission helper as the pages.
    objects, _people = world
    user = signed_in("owner_A")
    user.is_staff = True
    user.save()
    changelist = client.get(reverse("admin:areas_merchant_changelist"))
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].queryset) == [objects["A"]]
    response = client.post(reverse("admin:areas_merchant_change", args=[objects["B"].pk]), {"trade_name": "Taken over"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    objects["B"].refresh_from_db()
    assert objects["B"].trade_name == "Merchant B"
    assert client.get(reverse("admin:areas_shoppingarea_changelist")).status_code == 403


def test_a_former_owner_has_no_access_anywhere(client, world, signed_in):
    objects, _people = world
    signed_in("former_owner_A")
    assert client.get(reverse("areas:dashboard")).status_code == 403
    assert client.get(reverse("areas:merchant_detail", kwargs={"pk": objects["A"].pk})).status_code == 404
    assert client.get(reverse("api:merchant-detail", kwargs={"pk": objects["A"].pk})).status_code == 404


# --- Parcel staff of area 1 never reach area 2's parcel point ----------------------------------------


@pytest.fixture
def parcel_points(world):
    from parcels import services
    from parcels.barcodes import make_webshop_code
    from parcels.models import Carrier, CarrierAgreement, ParcelPoint

    objects, people = world
    points = {}
    for name in ("area1", "area2"):
        point = ParcelPoint.objects.create(area=objects[name], name=f"Pakketpunt {name}")
        carrier, _created = Carrier.objects.get_or_create(code="webshop", defaults={"name": "Webshop"})
        CarrierAgreement.objects.create(point=point, carrier=carrier)
        points[name] = point
    desk = {
        "area1": people["parcel_staff"],
        "area2": StaffMembershipFactory(role=Role.PARCEL_STAFF, area=objects["area2"]).user,
    }
    parcels = {
        name: services.receive_parcel(
            point=point,
            raw_code=make_webshop_code(index * 1001),
            by=desk[name],
            request_key=uuid.uuid4(),
            recipient_name="Ada",
            recipient_email="ada@example.org",
            carrier_code="webshop",
        ).parcel
        for index, (name, point) in enumerate(points.items(), start=1)
    }
    return points, parcels


def test_parcel_staff_see_only_their_own_areas_parcels(world, parcel_points):
    from parcels.models import Parcel, ParcelEvent

    _points, parcels = parcel_points
    staff = world[1]["parcel_staff"]
    assert list(visible(staff, "parcels.view_parcels", Parcel.objects.all())) == [parcels["area1"]]
    assert set(visible(staff, "parcels.view_parcels", ParcelEvent.objects.all())) == set(parcels["area1"].events.all())
    assert not can(staff, "parcels.view_parcels", parcels["area2"])
    assert not visible(world[1]["owner_A"], "parcels.view_parcels", Parcel.objects.all()).exists()


def test_parcel_staff_cannot_work_at_another_areas_desk(world, parcel_points):
    from parcels import services
    from parcels.barcodes import make_webshop_code
    from parcels.exceptions import NotAllowed

    points, parcels = parcel_points
    staff = world[1]["parcel_staff"]
    other = parcels["area2"]
    with pytest.raises(NotAllowed):
        services.hand_out_parcels(
            point=points["area2"],
            parcel_ids=[other.pk],
            pickup_code_or_token=other.pickup_code,
            by=staff,
            request_key=uuid.uuid4(),
        )
    with pytest.raises(NotAllowed):
        services.receive_parcel(
            point=points["area2"],
            raw_code=make_webshop_code(990),
            by=staff,
            request_key=uuid.uuid4(),
            carrier_code="webshop",
        )
    with pytest.raises(NotAllowed):
        services.declare_lost(parcel=other, reason="gone", by=world[1]["area_manager"])
