"""A webshop parcel handed over at the point by its merchant: the normal intake of the announced parcel (pickup
code, storage days, the billable intake event) and the recipient's "ready" e-mail — once."""

import pytest
from django.core import mail

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, StaffMembershipFactory
from parcels import services
from parcels.exceptions import RecipientRequired, UnknownCarrier
from parcels.models import Parcel
from parcels.states import ParcelState

from .factories import webshop_code

pytestmark = pytest.mark.django_db


def _announce(point, code):
    return services.announce_parcel(
        point=point,
        carrier_code="webshop",
        tracking_code=code,
        recipient_name="Sanne de Vries",
        recipient_email="sanne@example.org",
        source="webshop",
    )


def test_an_announced_webshop_parcel_is_taken_in_and_the_recipient_told(
    point, area, now, django_capture_on_commit_callbacks
):
    code = webshop_code()
    _announce(point, code)
    merchant_staff = StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=MerchantFactory(area=area)).user
    with django_capture_on_commit_callbacks(execute=True):
        parcel = services.receive_announced_parcel(
            point=point, carrier_code="webshop", tracking_code=code, by=merchant_staff, now=now
        )
    assert parcel.state == ParcelState.RECEIVED
    assert parcel.recipient_email == "sanne@example.org" and parcel.announcement is not None
    assert parcel.pickup_code and parcel.storage_until > now
    assert parcel.events.get().by == merchant_staff
    assert [m.to for m in mail.outbox] == [["sanne@example.org"]]
    assert parcel.pickup_code in mail.outbox[0].body
    # handing it over again returns the same parcel and sends nothing more
    with django_capture_on_commit_callbacks(execute=True):
        again = services.receive_announced_parcel(
            point=point, carrier_code="webshop", tracking_code=code, by=merchant_staff
        )
    assert again.pk == parcel.pk and Parcel.objects.count() == 1 and len(mail.outbox) == 1


def test_a_parcel_nobody_announced_is_refused(point, staff):
    with pytest.raises(RecipientRequired):
        services.receive_announced_parcel(point=point, carrier_code="webshop", tracking_code=webshop_code(), by=staff)
    assert not Parcel.objects.exists()


def test_a_carrier_without_agreement_is_refused(point, staff):
    point.agreements.filter(carrier__code="webshop").update(is_active=False)
    with pytest.raises(UnknownCarrier):
        services.receive_announced_parcel(point=point, carrier_code="webshop", tracking_code=webshop_code(), by=staff)
