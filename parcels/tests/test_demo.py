"""The demo seed's parcels step: a point per area with shelves, and months of parcels whose history adds up."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum

from areas.demo import seed_demo
from parcels import barcodes
from parcels.demo import check_demo
from parcels.models import (
    Announcement,
    CarrierAgreement,
    Parcel,
    ParcelEvent,
    ParcelPoint,
    StorageLocation,
)
from parcels.selectors_dashboard import carrier_statement, dashboard
from parcels.states import ParcelState
from privacy.default_purposes import ensure_default_purposes

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


@pytest.fixture
def purposes(db):
    ensure_default_purposes()


def seed(size="tiny", **options):
    return seed_demo(seed=1, size=size, today=TODAY, only=["parcels"], log=lambda _line: None, **options)


def test_the_tiny_demo_is_consistent(purposes):
    seed()

    assert check_demo() == []
    assert ParcelPoint.objects.count() == 2
    assert CarrierAgreement.objects.count() == 16
    assert StorageLocation.objects.values("zone").distinct().count() == 3
    # every parcel's state is its last event's
    for parcel in Parcel.objects.prefetch_related("events"):
        events = sorted(parcel.events.all(), key=lambda e: (e.at, e.pk))
        assert events[-1].to_state == parcel.state
        assert [e.from_state for e in events] == ["", *[e.to_state for e in events[:-1]]]
    # each tracking code is one its carrier's barcode rules recognise
    for carrier, code in Parcel.objects.values_list("carrier__code", "tracking_code"):
        assert barcodes.is_valid(carrier, code), (carrier, code)
        assert barcodes.normalise(code) == code
    # fees add up: the statements of every carrier and month are the events' fees
    statements = 0
    for point in ParcelPoint.objects.select_related("area"):
        for agreement in point.agreements.select_related("carrier"):
            for month in (date(2025, 12, 1), date(2026, 1, 1)):
                statement = carrier_statement(point, agreement.carrier, year=month.year, month=month.month)
                statements += statement.total_cents
    december_january = ParcelEvent.objects.filter(
        at__gte="2025-11-30T23:00:00Z", at__lt="2026-01-31T23:00:00Z"
    ).aggregate(total=Sum("fee_cents"))["total"]
    assert statements == december_january > 0


def test_the_demo_has_a_realistic_mix_and_something_on_the_dashboard(purposes):
    seed(size="small")

    amersfoort = ParcelPoint.objects.get(area__slug="amersfoort")
    mechelen = ParcelPoint.objects.get(area__slug="mechelen")
    in_amersfoort = Counter(
        Parcel.objects.filter(point=amersfoort, direction="inbound").values_list("carrier__code", flat=True)
    )
    in_mechelen = Counter(
        Parcel.objects.filter(point=mechelen, direction="inbound").values_list("carrier__code", flat=True)
    )
    assert in_amersfoort.most_common(1)[0][0] == "postnl"
    assert in_mechelen.most_common(1)[0][0] == "bpost"
    states = Counter(Parcel.objects.values_list("state", flat=True))
    assert states[ParcelState.PICKED_UP] > states[ParcelState.HANDED_TO_CARRIER] > 0
    assert states[ParcelState.STORED] > 0 and states[ParcelState.REFUSED] >= 0
    # Black Friday week is busier than the same week a month before; nothing comes in on Sundays
    received = ParcelEvent.objects.filter(kind="received")
    black_friday = received.filter(at__date__gte=date(2025, 11, 28), at__date__lte=date(2025, 12, 5)).count()
    october = received.filter(at__date__gte=date(2025, 10, 31), at__date__lte=date(2025, 11, 7)).count()
    assert black_friday > 1.4 * october
    assert not any(
        p.received_at.astimezone(amersfoort.area.tz).weekday() == 6 for p in Parcel.objects.filter(point=amersfoort)
    )
    # the dashboard shows parcels waiting, overdue ones, expected ones and a zone near its limit
    now = ParcelEvent.objects.order_by("-at").first().at + timedelta(minutes=1)
    figures = dashboard(amersfoort, now=now)
    assert figures.on_shelves > 0 and figures.overdue_count >= 2 and figures.expected_count >= 3
    assert figures.has_capacity_alert
    # recipients: members and walk-ins; data of parcels long gone is erased
    assert Parcel.objects.exclude(recipient=None).exists()
    assert Parcel.objects.filter(recipient=None).exclude(recipient_email="").exists()
    old = Parcel.objects.filter(left_at__lt=now - timedelta(days=40))
    assert old.exists() and not old.exclude(recipient_email="").exists()
    assert Announcement.objects.filter(parcel__isnull=True, expected_on=TODAY).exists()


def test_seed_demo_reset_works_twice(purposes):
    options = {"size": "tiny", "seed": 1, "today": TODAY, "only": ["parcels"]}
    call_command("seed_demo", **options, stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = ParcelEvent.objects.count()
    call_command("seed_demo", **options, reset=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", **options, reset=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ParcelEvent.objects.count() == first > 0
    assert ParcelPoint.objects.count() == 2
    assert check_demo() == []
