"""The point's dashboard: expected today, shelves, capacity by zone, overdue, volumes and fees per carrier."""

from datetime import date, datetime, timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, give_totp
from parcels import services
from parcels.barcodes import make_webshop_code
from parcels.models import Announcement, AnnouncementSource, Carrier, Direction, Parcel
from parcels.selectors_dashboard import dashboard
from parcels.services.transitions import lock_parcels, transition
from parcels.states import ParcelState

from .conftest import AMSTERDAM
from .factories import UPS_CODES, ParcelPointFactory, agree, desk_staff, key, manager_for, receive, slot

pytestmark = pytest.mark.django_db

#: The conftest's `now` is Wednesday 10 June 2026, 14:00 in Amsterdam: the week began on Monday 8 June.
DASHBOARD_QUERIES = 9
PAGE_QUERIES = 17
#: Webshop codes announced but not received (numbers far from the factories' own).
EXPECTED = [make_webshop_code(900_000 + n) for n in range(4)]


def at(day: int, hour: int = 10, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=AMSTERDAM)


def hand_out(point, staff, parcel, *, now):
    return services.hand_out_parcels(
        point=point,
        parcel_ids=[parcel.pk],
        pickup_code_or_token=parcel.pickup_code,
        by=staff,
        request_key=key(),
        now=now,
    )


def hand_to_carrier(parcel, *, by, now):
    with transaction.atomic():
        (locked,) = lock_parcels([parcel.pk])
        locked.left_at = now
        transition(locked, ParcelState.HANDED_TO_CARRIER, by=by, at=now)


def drop_off_return(point, *, by, code, now):
    parcel = Parcel(point=point, carrier=Carrier.objects.get(code="ups"), tracking_code=code)
    parcel.direction, parcel.received_at = Direction.RETURN, now
    with transaction.atomic():
        transition(parcel, ParcelState.RETURN_RECEIVED, by=by, at=now)
    return parcel


def announce(point, code, *, carrier="webshop", expected_on=None):
    return services.announce_parcel(
        point=point,
        carrier_code=carrier,
        tracking_code=code,
        recipient_name="Bo Peters",
        recipient_email="bo@example.org",
        source=AnnouncementSource.API,
        expected_on=expected_on,
    )


@pytest.fixture
def busy_point(point, staff, now):
    """A point with a bit of everything (see the comments); returns the parcels by name."""
    small = slot(point, "A", "1", "1", size_class="M", capacity=2)
    large = slot(point, "B", "1", "1", size_class="L", capacity=10)
    parcels = {}
    # On the shelf since Tuesday (this week), and since 2 June: past its last day (10 June, 00:00), so overdue.
    parcels["fresh"] = receive(point, staff, at=at(9), location=small, email="a@example.org")
    parcels["overdue"] = receive(point, staff, at=at(2), location=small, email="b@example.org")
    # A UPS parcel received in May, handed out on 3 June (this month, last week).
    parcels["ups"] = receive(point, staff, code=UPS_CODES[0], at=at(28, month=5), location=large)
    hand_out(point, staff, parcels["ups"], now=at(3))
    # Received in April, expired in May, handed to the carrier on Monday (this week).
    parcels["expired"] = receive(point, staff, at=at(20, month=4), location=large, email="c@example.org")
    services.expire_overdue_parcels(now=at(5, month=5))
    hand_to_carrier(parcels["expired"], by=staff, now=at(8, 16))
    # A return dropped off today, waiting for the driver; one scanned in now, not on a slot yet.
    parcels["return"] = drop_off_return(point, by=staff, code=UPS_CODES[1], now=at(10, 9))
    parcels["unplaced"] = receive(point, staff, at=at(10, 11), email="d@example.org")
    # Expected: two due today, one without a date; not one due tomorrow, nor an old undated one.
    announce(point, EXPECTED[0], expected_on=date(2026, 6, 10))
    announce(point, UPS_CODES[2], carrier="ups", expected_on=date(2026, 6, 10))
    announce(point, EXPECTED[1])
    announce(point, EXPECTED[2], expected_on=date(2026, 6, 11))
    old = announce(point, EXPECTED[3])
    Announcement.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=30))
    return parcels


def test_the_dashboard_counts_what_is_expected_on_the_shelves_and_overdue(point, busy_point, now):
    figures = dashboard(point, now=now)

    assert figures.today == date(2026, 6, 10) and figures.week_start == date(2026, 6, 8)
    assert figures.expected_count == 3
    assert figures.expected_by_carrier == {"webshop": 2, "ups": 1}
    assert {a.tracking_code for a in figures.expected} == {EXPECTED[0], UPS_CODES[2], EXPECTED[1]}
    assert figures.shelves_by_state == {
        ParcelState.RECEIVED: 1,
        ParcelState.STORED: 2,
        ParcelState.EXPIRED: 0,
        ParcelState.RETURN_RECEIVED: 1,
    }
    # On the shelves are those on a slot: not the new one, nor the return (both in the house on no slot)
    assert figures.in_house == 4 and figures.unplaced == 2 and figures.on_shelves == 2
    assert figures.expected_carriers == [("UPS", 1), ("Webshop", 2)]
    assert [p.pk for p in figures.overdue] == [busy_point["overdue"].pk] and figures.overdue_count == 1


def test_capacity_by_zone_alerts_at_the_points_threshold(point, busy_point, staff, now):
    zones = {zone.zone: zone for zone in dashboard(point, now=now).zones}

    assert (zones["A"].occupied, zones["A"].capacity, zones["A"].percent, zones["A"].is_alert) == (2, 2, 100, True)
    assert (zones["B"].occupied, zones["B"].capacity, zones["B"].percent, zones["B"].is_alert) == (0, 10, 0, False)

    point.capacity_alert_percent = 100
    point.save()
    extra = slot(point, "B", "1", "2", size_class="L", capacity=10)
    waiting = [busy_point["unplaced"]] + [receive(point, staff, at=now, email=f"x{n}@example.org") for n in range(16)]
    first = point.locations.get(zone="B", slot="1")
    for n, parcel in enumerate(waiting):
        label = extra.label_code if n < 10 else first.label_code
        services.store_parcel(parcel=parcel, location_label_code=label, by=staff, now=now)
    zones = {zone.zone: zone for zone in dashboard(point, now=now).zones}
    assert zones["B"].occupied == 17 and zones["B"].capacity == 20 and not zones["B"].is_alert  # 85 % < 100 %
    point.capacity_alert_percent = 85
    assert {zone.zone: zone for zone in dashboard(point, now=now).zones}["B"].is_alert


def test_volumes_this_week_and_month_and_this_months_fees_per_carrier(point, busy_point, now):
    carriers = {c.code: c for c in dashboard(point, now=now).carriers}

    # Every carrier of an agreement is listed, in the barcode module's order.
    assert list(carriers) == ["postnl", "dhl", "dpd", "gls", "ups", "bpost", "amazon", "webshop"]
    webshop, ups = carriers["webshop"], carriers["ups"]
    assert webshop.week == {"received": 2, "picked_up": 0, "returned": 0, "handed_over": 1}
    assert webshop.month == {"received": 3, "picked_up": 0, "returned": 0, "handed_over": 1}
    assert ups.week == {"received": 0, "picked_up": 0, "returned": 1, "handed_over": 0}
    assert ups.month == {"received": 0, "picked_up": 1, "returned": 1, "handed_over": 0}
    assert carriers["dhl"].month == dict.fromkeys(("received", "picked_up", "returned", "handed_over"), 0)
    # 25 cents an intake, 15 a pickup, 30 a return, 5 a handover (the conftest's agreement)
    assert webshop.fees_month_cents == 3 * 25 + 5
    assert ups.fees_month_cents == 15 + 30
    assert dashboard(point, now=now).fees_month_cents == 3 * 25 + 5 + 15 + 30


def test_the_week_and_month_are_the_areas(point, staff):
    # Sunday 31 May 23:30 in Amsterdam is 21:30 UTC: last week and last month, whatever the server's zone.
    receive(point, staff, at=datetime(2026, 5, 31, 23, 30, tzinfo=AMSTERDAM))
    receive(point, staff, at=datetime(2026, 6, 1, 0, 30, tzinfo=AMSTERDAM), email="late@example.org")
    webshop = {c.code: c for c in dashboard(point, now=at(1, 12)).carriers}["webshop"]
    assert webshop.month["received"] == 1 and webshop.week["received"] == 1


def test_the_dashboard_takes_the_same_queries_whatever_the_volume(
    point, busy_point, staff, now, django_assert_num_queries
):
    with django_assert_num_queries(DASHBOARD_QUERIES):
        dashboard(point, now=now)
    for n in range(20):
        parcel = receive(point, staff, at=now - timedelta(days=n % 5), email=f"r{n}@example.org")
        if n % 2:
            hand_out(point, staff, parcel, now=now)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        dashboard(point, now=now)


# --- The page -----------------------------------------------------------------------------------------------


def login(client, user) -> None:
    """Staff sign in with a second factor (the middleware sends those without one to set it up)."""
    if not user.authenticator_set.exists():
        give_totp(user)
    client.force_login(user)


def url(point) -> str:
    return reverse("parcels:dashboard", kwargs={"point": point.pk})


def test_parcel_staff_see_their_points_dashboard_without_statement_links(client, point, busy_point, staff):
    login(client, staff)
    response = client.get(url(point))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    content = response.content.decode()
    assert busy_point["overdue"].tracking_code in content
    assert "afrekening" not in content


def test_the_area_manager_gets_links_to_this_and_last_months_statements(client, point, busy_point, manager):
    login(client, manager)
    content = client.get(url(point)).content.decode()
    assert f"/pakketpunt/{point.pk}/afrekening/postnl/" in content


def test_staff_of_another_area_and_shop_staff_get_404(client, point, merchant):
    other = ParcelPointFactory()
    for person in (desk_staff(other.area), manager_for(other.area)):
        login(client, person)
        assert client.get(url(point)).status_code == 404
    shop_staff = StaffMembershipFactory(role=Role.MERCHANT_STAFF, area=merchant.area, merchant=merchant).user
    login(client, shop_staff)
    assert client.get(url(point)).status_code == 404
    client.logout()
    assert client.get(url(point)).status_code == 302


def test_the_start_page_goes_straight_to_the_only_point(client, point, staff):
    login(client, staff)
    response = client.get(reverse("parcels:dashboard_start"))
    assert response.status_code == 302 and response["Location"] == url(point)


def test_the_start_page_lists_several_points_and_refuses_people_without_one(client, point, staff, person):
    second = ParcelPointFactory(area=point.area, name="Tweede punt")
    agree(second, "postnl")
    login(client, staff)
    content = client.get(reverse("parcels:dashboard_start")).content.decode()
    assert point.name in content and "Tweede punt" in content
    login(client, person)
    assert client.get(reverse("parcels:dashboard_start")).status_code == 403


def test_the_page_takes_the_same_queries_whatever_the_volume(
    client, point, busy_point, staff, now, django_assert_num_queries
):
    login(client, staff)
    client.get(url(point))  # warm caches (content types, sites)
    # The dashboard's 9, and the request's own: session, user, memberships with the second factor, area, the point, …
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(url(point)).status_code == 200
    for n in range(15):
        receive(point, staff, at=now, email=f"p{n}@example.org")
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(url(point)).status_code == 200


def test_the_page_names_carriers_says_full_and_the_last_day(client, point, busy_point, staff):
    # Zone A holds 2 of 2: full, not "nearly full"; the overdue parcel came on 2 June with 7 days: its last day
    # is Tuesday 9 June (it waits until the midnight after it).
    login(client, staff)
    with translation.override("nl"):
        content = client.get(url(point)).content.decode()
        full, nearly_full = _("Full"), _("Nearly full")
    zone_a = content[content.index('<th scope="row">A</th>') : content.index('<th scope="row">B</th>')]
    assert f">{full}</span>" in zone_a and nearly_full not in zone_a
    assert "<li>Webshop: " in content and "<li>webshop:" not in content  # the page runs on today's clock
    overdue = content[content.index('id="overdue-title"') : content.index('id="expected-list-title"')]
    assert "dinsdag 9 juni 2026" in overdue and "00:00" not in overdue
    assert '<strong class="dashboard-number">2</strong>' in content  # on the shelves: 2, not 4
