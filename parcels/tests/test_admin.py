"""The parcels admin: settings editable in one's own area, parcels and their history read-only, nothing deleted."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, give_totp
from parcels.models import Announcement, CarrierAgreement, Parcel, ParcelPoint, StorageLocation

from .factories import ParcelPointFactory, agree, receive, slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user, *, is_staff=True):
        user.is_staff = is_staff
        user.save()
        give_totp(user)
        client.force_login(user)
        return user

    return sign_in


def test_every_parcels_page_of_the_admin_renders(client, signed_in, point, staff, now):
    signed_in(StaffMembershipFactory(role=Role.PLATFORM_ADMIN).user)
    parcel = receive(point, staff, at=now, location=slot(point))
    for model in (ParcelPoint, StorageLocation, CarrierAgreement, Announcement, Parcel):
        url = reverse(f"admin:parcels_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("admin:parcels_parcel_change", args=[parcel.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Scanned in" in content or "Ingescand" in content  # the history inline
    assert parcel.pickup_token not in content
    assert client.get(reverse("admin:parcels_parcelpoint_change", args=[point.pk])).status_code == 200


def test_a_manager_sees_only_their_areas_parcels_and_cannot_change_or_delete_them(
    client, signed_in, point, staff, manager, flemish_area, now
):
    other_point = ParcelPointFactory(area=flemish_area)
    agree(other_point, "webshop")
    mine = receive(point, staff, at=now)
    receive(other_point, StaffMembershipFactory(role=Role.PARCEL_STAFF, area=flemish_area).user, at=now)
    signed_in(manager)
    changelist = client.get(reverse("admin:parcels_parcel_changelist"))
    assert list(changelist.context["cl"].queryset) == [mine]
    points = client.get(reverse("admin:parcels_parcelpoint_changelist"))
    assert list(points.context["cl"].queryset) == [point]
    response = client.post(reverse("admin:parcels_parcel_delete", args=[mine.pk]), {"post": "yes"})
    assert response.status_code in (302, 403)
    assert Parcel.objects.filter(pk=mine.pk).exists()
    page = client.get(reverse("admin:parcels_parcel_change", args=[mine.pk]))
    assert page.status_code == 200 and "_save" not in page.content.decode()
