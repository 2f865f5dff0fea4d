"""Monthly carrier statements: every billable event of the month in the area's zone, reconciled to the cent."""

import csv
import io
import re
from datetime import date, datetime

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation

from parcels import services
from parcels.models import Billable, Carrier, ParcelEvent
from parcels.selectors_dashboard import carrier_statement, statement_events
from parcels.statements import statement_csv, statement_pdf

from .conftest import AMSTERDAM
from .factories import UPS_CODES, ParcelPointFactory, agree, desk_staff, key, manager_for, receive
from .test_dashboard import login

pytestmark = pytest.mark.django_db


def local(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


def webshop(point):
    return carrier_statement(point, Carrier.objects.get(code="webshop"), year=2026, month=3)


def codes(statement) -> list[str]:
    return [event.parcel.tracking_code for event in statement_events(statement)]


@pytest.mark.parametrize(
    ("month", "inside", "outside"),
    [
        # March: summer time starts on the 29th. 23:30 on the 31st is 21:30 UTC; 00:30 on 1 April is 22:30 UTC.
        (3, local(2026, 3, 31, 23, 30), local(2026, 4, 1, 0, 30)),
        # October: winter time from the 25th. 23:30 on the 31st is 22:30 UTC; 00:15 on 1 November is 23:15 UTC.
        (10, local(2026, 10, 31, 23, 30), local(2026, 11, 1, 0, 15)),
    ],
)
def test_the_month_is_the_areas_across_the_dst_change(point, staff, month, inside, outside):
    # and the first minutes of the month belong to it, though they are the previous day in UTC
    first = receive(point, staff, at=local(2026, month, 1, 0, 10), email="first@example.org")
    late = receive(point, staff, at=inside, email="late@example.org")
    next_month = receive(point, staff, at=outside, email="next@example.org")

    statement = carrier_statement(point, Carrier.objects.get(code="webshop"), year=2026, month=month)

    assert codes(statement) == [first.tracking_code, late.tracking_code]
    assert statement.count == 2 and statement.total_cents == 50
    assert [day.day.day for day in statement.days] == [1, 31]
    following = carrier_statement(point, Carrier.objects.get(code="webshop"), year=2026, month=month + 1)
    assert codes(following) == [next_month.tracking_code]


def test_totals_reconcile_to_the_cent_with_the_events(point, staff, now):
    # given a month of intakes, pickups and a fee change halfway (events keep the fee of their moment)
    parcels = [receive(point, staff, at=local(2026, 3, day, 10), email=f"r{day}@example.org") for day in range(2, 20)]
    agree(point, "webshop", intake_fee_cents=27, pickup_fee_cents=13)
    parcels += [receive(point, staff, at=local(2026, 3, day, 11), email=f"s{day}@example.org") for day in (20, 21)]
    for parcel in parcels[::3]:
        services.hand_out_parcels(
            point=point,
            parcel_ids=[parcel.pk],
            pickup_code_or_token=parcel.pickup_code,
            by=staff,
            request_key=key(),
            now=local(2026, 3, 25, 15),
        )
    receive(point, staff, code=UPS_CODES[0], at=local(2026, 3, 5, 10))  # another carrier: not in this statement

    statement = webshop(point)

    totals = {total.billable: (total.count, total.cents) for total in statement.totals}
    assert totals == {
        Billable.INTAKE: (20, 18 * 25 + 2 * 27),
        Billable.PICKUP: (7, 7 * 13),
        Billable.RETURN_DROP_OFF: (0, 0),
        Billable.HANDOVER: (0, 0),
    }
    in_month = ParcelEvent.objects.filter(
        parcel__point=point,
        parcel__carrier__code="webshop",
        at__gte=local(2026, 3, 1, 0),
        at__lt=local(2026, 4, 1, 0),
    )
    assert statement.total_cents == in_month.aggregate(total=Sum("fee_cents"))["total"]
    assert statement.total_cents == sum(event.fee_cents for event in statement_events(statement))
    assert statement.total_cents == sum(day.cents for day in statement.days)
    assert statement.count == in_month.exclude(billable="").count() == len(codes(statement))


def test_the_csv_lists_every_event_and_adds_up_to_the_total(point, staff):
    for day in range(2, 9):
        receive(point, staff, at=local(2026, 3, day, 9), email=f"c{day}@example.org")

    text = "".join(statement_csv(webshop(point), statement_events(webshop(point))))

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    events = [row for row in rows if row and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[0])]
    assert len(events) == 7 and events[0][0] == "2026-03-02 09:00:00"
    fees = sum(int(row[4].replace(",", "")) for row in events)
    assert rows[-1][0] in ("Totaal", "Total") and rows[-1][4] == "1,75" and fees == 175


def test_the_pdf_is_one_document(point, staff):
    receive(point, staff, at=local(2026, 3, 2, 9))
    assert statement_pdf(webshop(point)).startswith(b"%PDF")


# --- The pages ----------------------------------------------------------------------------------------------


def statement_url(point, name="statement", carrier="webshop", period=("2026", "03")) -> str:
    return reverse(
        f"parcels:{name}", kwargs={"point": point.pk, "carrier": carrier, "year": period[0], "month": period[1]}
    )


def test_the_manager_sees_the_statement_and_downloads_it(client, point, staff, manager):
    receive(point, staff, at=local(2026, 3, 31, 23, 30))
    login(client, manager)

    page = client.get(statement_url(point))
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-cache"
    assert "31-3-2026 23:30" in page.content.decode()  # the area's time (not UTC), day first
    assert statement_url(point).endswith("/afrekening/webshop/2026-03/")

    csv_response = client.get(statement_url(point, "statement_csv"))
    assert csv_response["Content-Type"].startswith("text/csv")
    assert f"afrekening-webshop-{point.pk}-2026-03.csv" in csv_response["Content-Disposition"]
    assert "2026-03-31 23:30:00" in b"".join(csv_response.streaming_content).decode()
    pdf = client.get(statement_url(point, "statement_pdf"))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_parcel_staff_get_403_and_other_areas_404(client, point):
    login(client, desk_staff(point.area))
    assert client.get(statement_url(point)).status_code == 403
    other = ParcelPointFactory()
    login(client, manager_for(other.area))
    for name in ("statement", "statement_csv", "statement_pdf"):
        assert client.get(statement_url(point, name)).status_code == 404


def test_an_unknown_carrier_or_month_is_404(client, point, manager):
    login(client, manager)
    assert client.get(statement_url(point, carrier="fedex")).status_code == 404
    assert client.get(f"/nl/pakketpunt/{point.pk}/afrekening/webshop/2026-13/").status_code == 404


def test_the_current_month_is_provisional_and_a_future_month_has_no_statement(client, point, staff, manager):
    login(client, manager)
    today = timezone.localdate(timezone=point.area.tz)
    this_month = (f"{today.year:04d}", f"{today.month:02d}")
    following = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    page = client.get(statement_url(point, period=this_month)).content.decode()
    assert "data-provisional" in page
    with translation.override("en"):
        statement = carrier_statement(point, Carrier.objects.get(code="webshop"), year=today.year, month=today.month)
        assert statement.is_provisional
        assert "Provisional" in "".join(statement_csv(statement, []))
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    past = client.get(statement_url(point, period=(f"{last_month.year:04d}", f"{last_month.month:02d}")))
    assert past.status_code == 200 and "data-provisional" not in past.content.decode()
    for name in ("statement", "statement_csv", "statement_pdf"):
        future = (f"{following.year:04d}", f"{following.month:02d}")
        assert client.get(statement_url(point, name, period=future)).status_code == 404
