"""Factories and helpers for parcel tests. Parcels come in through the real intake service."""

from __future__ import annotations

import uuid
from datetime import datetime

import factory

from accounts.roles import Role
from areas.tests.factories import ShoppingAreaFactory, StaffMembershipFactory
from parcels import services
from parcels.barcodes import make_webshop_code
from parcels.models import Carrier, CarrierAgreement, Parcel, ParcelPoint, StorageLocation

UPS_CODES = ("1Z5R89390357567127", "1Z879E930346834440", "1Z410E7W0392751591", "1Z8V92A70367203024")
#: A "3S" code: PostNL or DHL until staff say which (customer code DEVC).
THREE_S_CODE = "3SDEVC172649258"


class ParcelPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParcelPoint

    area = factory.SubFactory(ShoppingAreaFactory)
    name = factory.Sequence(lambda n: f"Buurt Service Pakketpunt {n}")
    street = "Langestraat 12"
    postcode = "3811 AB"
    city = "Amersfoort"


def agree(point: ParcelPoint, carrier_code: str, **fields) -> CarrierAgreement:
    """The point's agreement with the carrier (made or changed), e.g. ``agree(point, "ups", intake_fee_cents=25)``."""
    # get_or_create: a test with `transaction=True` empties the table the migration seeded.
    carrier, _created = Carrier.objects.get_or_create(code=carrier_code, defaults={"name": carrier_code})
    agreement, _created = CarrierAgreement.objects.update_or_create(point=point, carrier=carrier, defaults=fields)
    return agreement


def slot(point: ParcelPoint, zone: str = "A", shelf: str = "1", number: str = "1", **fields) -> StorageLocation:
    return StorageLocation.objects.create(point=point, zone=zone, shelf=shelf, slot=number, **fields)


def desk_staff(area):
    return StaffMembershipFactory(role=Role.PARCEL_STAFF, area=area, merchant=None).user


def manager_for(area):
    return StaffMembershipFactory(role=Role.AREA_MANAGER, area=area, merchant=None).user


def key() -> uuid.UUID:
    return uuid.uuid4()


_numbers = iter(range(1, 10**9))


def webshop_code() -> str:
    """A fresh tracking code of the area's webshop (recognised with certainty)."""
    return make_webshop_code(next(_numbers))


def receive(
    point: ParcelPoint,
    by,
    *,
    code: str | None = None,
    name: str = "Sanne de Vries",
    email: str = "sanne@example.org",
    at: datetime | None = None,
    **extra,
) -> Parcel:
    """Scan a parcel in for a recipient (a webshop parcel unless `code` is given); returns the parcel."""
    result = services.receive_parcel(
        point=point,
        raw_code=code or webshop_code(),
        by=by,
        request_key=extra.pop("request_key", None) or key(),
        recipient_name=name,
        recipient_email=email,
        now=at,
        **extra,
    )
    assert result.parcel is not None, result
    return result.parcel


def recipient_lock() -> int:
    """The statement an intake adds on PostgreSQL for the recipient lock (`intake._lock_recipient`): 1 there, else 0."""
    from django.db import connection

    return int(connection.vendor == "postgresql")
