"""Two desks at once, on PostgreSQL: the parcel's row lock lets exactly one hand it out; one scan makes one parcel.

Each call runs in its own thread with its own database connection, started together at a barrier
(`tests.concurrency.run_together`).
"""

import pytest

from parcels import services
from parcels.exceptions import ParcelNotWaiting
from parcels.models import Parcel, ParcelEvent
from parcels.states import ParcelState
from tests.concurrency import run_together

from .factories import key, receive, webshop_code

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("postgres_concurrency"),
]


def test_two_desks_handing_out_the_same_parcel_at_once_exactly_one_succeeds(point, staff, now):
    parcels = [receive(point, staff, at=now), receive(point, staff, at=now)]
    code = parcels[0].pickup_code

    def desk(device):
        return lambda: services.hand_out_parcels(
            point=point,
            parcel_ids=[p.pk for p in parcels],
            pickup_code_or_token=code,
            by=staff,
            device=device,
            request_key=key(),
            now=now,
        )

    results = run_together([desk(f"desk-{n}") for n in range(8)])
    succeeded = [r for r in results if not isinstance(r, Exception)]
    assert len(succeeded) == 1, results
    assert all(isinstance(r, ParcelNotWaiting) for r in results if isinstance(r, Exception)), results
    assert ParcelEvent.objects.filter(kind="picked_up").count() == 2
    assert set(Parcel.objects.values_list("state", flat=True)) == {ParcelState.PICKED_UP}


def test_one_parcel_scanned_at_two_desks_at_once_is_one_parcel(point, staff, now):
    code = webshop_code()

    def desk():
        return services.receive_parcel(
            point=point,
            raw_code=code,
            by=staff,
            request_key=key(),
            recipient_name="Ada",
            recipient_email="ada@example.org",
            now=now,
        )

    results = run_together([desk for _ in range(8)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.parcel.pk for r in results}) == 1
    assert sum(not r.is_duplicate for r in results) == 1
    assert Parcel.objects.count() == 1 and ParcelEvent.objects.count() == 1


def test_parcels_for_one_new_recipient_taken_in_at_several_desks_at_once_share_one_pickup_code(point, staff, now):
    # Without the recipient lock each desk would find no waiting parcel and make a code of its own: the recipient
    # would get several codes, and a code at the desk would hand out only part of what waits for them.
    codes = [webshop_code() for _ in range(6)]

    def desk(code):
        return lambda: services.receive_parcel(
            point=point,
            raw_code=code,
            by=staff,
            request_key=key(),
            recipient_name="Ada Lovelace",
            recipient_email="Ada@Example.org" if code == codes[0] else "ada@example.org",
            now=now,
        )

    results = run_together([desk(code) for code in codes])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Parcel.objects.count() == 6
    assert len(set(Parcel.objects.values_list("pickup_code", "pickup_token"))) == 1
