import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.roles import Role
from areas import selectors, services
from areas.models import ExceptionKind, MerchantStatus
from areas.sectors import Sector
from areas.tests.factories import FlemishAreaFactory, MerchantFactory, StaffMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

T = dt.time
UTC = dt.UTC
EVERY_DAY_9_TO_17 = {day: [(T(9), T(17))] for day in range(7)}


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def shop(merchant):
    services.set_opening_hours(
        merchant=merchant, week={0: [(T(9), T(12)), (T(13), T(17))], 3: [(T(9), T(18))], 5: [(T(10), T(17))]}
    )
    return merchant


# --- opening_hours_on ---------------------------------------------------------------------------------


def test_regular_hours_follow_the_weekday(shop):
    monday, tuesday = dt.date(2025, 6, 2), dt.date(2025, 6, 3)
    assert selectors.opening_hours_on(shop, monday).periods == ((T(9), T(12)), (T(13), T(17)))
    assert selectors.opening_hours_on(shop, tuesday).is_closed


def test_an_area_exception_overrides_the_weekday(shop):
    kings_day = dt.date(2025, 4, 26)  # a Saturday
    services.add_opening_exception(area=shop.area, date=kings_day, kind=ExceptionKind.CLOSED, label="Koningsdag")
    hours = selectors.opening_hours_on(shop, kings_day)
    assert hours.is_closed and hours.exception.label == "Koningsdag"


def test_the_merchants_exception_wins_over_the_areas(shop):
    boxing_day = dt.date(2025, 12, 26)  # a Friday
    services.add_opening_exception(area=shop.area, date=boxing_day, kind=ExceptionKind.CLOSED)
    services.add_opening_exception(
        merchant=shop, date=boxing_day, kind=ExceptionKind.SPECIAL_HOURS, opens_at=T(11), closes_at=T(16)
    )
    assert selectors.opening_hours_on(shop, boxing_day).periods == ((T(11), T(16)),)


def test_another_merchants_exception_does_not_apply(shop):
    other = MerchantFactory(area=shop.area)
    day = dt.date(2025, 6, 2)
    services.add_opening_exception(merchant=other, date=day, kind=ExceptionKind.CLOSED)
    assert not selectors.opening_hours_on(shop, day).is_closed


def test_late_night_shopping_adds_the_evening_to_the_day(shop):
    thursday = dt.date(2025, 6, 5)
    services.add_opening_exception(
        area=shop.area, date=thursday, kind=ExceptionKind.LATE_NIGHT, opens_at=T(18), closes_at=T(21)
    )
    assert selectors.opening_hours_on(shop, thursday).periods == ((T(9), T(21)),)


# --- is_open ------------------------------------------------------------------------------------------


def test_is_open_reads_the_wall_clock_of_the_area_across_dst(merchant):
    services.set_opening_hours(merchant=merchant, week=EVERY_DAY_9_TO_17)
    # Summer time began on Sunday 30 March 2025: 07:30 UTC is 08:30 before and 09:30 after.
    assert not selectors.is_open(merchant, utc(2025, 3, 29, 7, 30))
    assert selectors.is_open(merchant, utc(2025, 3, 31, 7, 30))
    # ...and ended on Sunday 26 October 2025.
    assert selectors.is_open(merchant, utc(2025, 10, 25, 7, 30))
    assert not selectors.is_open(merchant, utc(2025, 10, 27, 7, 30))
    # Closing time: 16:59 local in winter is 15:59 UTC.
    assert selectors.is_open(merchant, utc(2025, 12, 1, 15, 59))
    assert not selectors.is_open(merchant, utc(2025, 12, 1, 16, 0))


def test_amsterdam_and_brussels_merchants_at_the_same_instant(area):
    mechelen = FlemishAreaFactory()
    amersfoort_shop = MerchantFactory(area=area)
    mechelen_shop = MerchantFactory(area=mechelen, registration_number="0403170701", postcode="2800")
    for shop in (amersfoort_shop, mechelen_shop):
        services.set_opening_hours(merchant=shop, week=EVERY_DAY_9_TO_17)
    services.add_opening_exception(area=mechelen, date=dt.date(2025, 7, 21), kind=ExceptionKind.CLOSED)

    belgian_national_day = utc(2025, 7, 21, 8, 0)  # 10:00 in both zones
    assert selectors.is_open(amersfoort_shop, belgian_national_day)
    assert not selectors.is_open(mechelen_shop, belgian_national_day)
    an_ordinary_morning = utc(2025, 7, 22, 7, 15)  # 09:15 in both zones (CEST)
    assert selectors.is_open(amersfoort_shop, an_ordinary_morning)
    assert selectors.is_open(mechelen_shop, an_ordinary_morning)


def test_is_open_uses_the_local_date_not_the_utc_date(merchant):
    services.set_opening_hours(merchant=merchant, week={0: [(T(0), T(1))]})  # a night shop, Monday 00:00–01:00
    sunday_in_utc = utc(2025, 6, 1, 22, 30)  # Monday 00:30 in Amsterdam
    assert selectors.is_open(merchant, sunday_in_utc)


def test_is_open_ignores_the_active_time_zone(merchant, settings):
    settings.TIME_ZONE = "UTC"
    services.set_opening_hours(merchant=merchant, week=EVERY_DAY_9_TO_17)
    with timezone.override(ZoneInfo("America/New_York")):
        assert selectors.is_open(merchant, utc(2025, 6, 2, 7, 30))  # 09:30 in Amsterdam


def test_is_open_needs_an_aware_datetime(merchant):
    with pytest.raises(ValueError, match="aware"):
        selectors.is_open(merchant, dt.datetime(2025, 6, 2, 10, 0))


def test_paused_merchants_are_closed(merchant):
    services.set_opening_hours(merchant=merchant, week=EVERY_DAY_9_TO_17)
    services.set_merchant_status(merchant=merchant, status=MerchantStatus.PAUSED)
    merchant.refresh_from_db()
    assert not selectors.is_open(merchant, utc(2025, 6, 2, 10, 0))


# --- list_merchants -----------------------------------------------------------------------------------


def _directory(area, count: int):
    merchants = [
        MerchantFactory(area=area, sector=Sector.FASHION if i % 2 else Sector.HOSPITALITY) for i in range(count)
    ]
    for i, merchant in enumerate(merchants):
        services.set_opening_hours(merchant=merchant, week={0: [(T(9), T(12)), (T(13 + i % 3), T(18))]})
        services.add_opening_exception(merchant=merchant, date=dt.date(2025, 6, 9), kind=ExceptionKind.CLOSED)
    services.add_opening_exception(
        area=area, date=dt.date(2025, 6, 2), kind=ExceptionKind.LATE_NIGHT, opens_at=T(19), closes_at=T(21)
    )
    return merchants


@pytest.mark.parametrize("count", [3, 12])
def test_list_merchants_takes_three_queries_whatever_the_size(area, django_assert_num_queries, count):
    _directory(area, count)
    with django_assert_num_queries(3):
        merchants = selectors.list_merchants(area, open_at=utc(2025, 6, 2, 18, 0))  # Monday 20:00 local
        hours = [m.day_hours.periods for m in merchants]
        assert all(m.area.name for m in merchants)
    assert len(merchants) == count
    assert all(periods[-1] == (T(19), T(21)) for periods in hours)


def test_list_merchants_filters_by_sector_status_and_open_at(area):
    merchants = _directory(area, 4)
    services.set_merchant_status(merchant=merchants[0], status=MerchantStatus.PAUSED)
    FlemishAreaFactory()  # another area's merchants never show
    MerchantFactory(area=FlemishAreaFactory(), registration_number="0403170701", postcode="2800")

    assert {m.pk for m in selectors.list_merchants(area)} == {m.pk for m in merchants[1:]}
    fashion = selectors.list_merchants(area, sector=Sector.FASHION)
    assert {m.pk for m in fashion} == {merchants[1].pk, merchants[3].pk}
    hospitality = selectors.list_merchants(area, status=None, sector=Sector.HOSPITALITY)
    assert {m.pk for m in hospitality} == {merchants[0].pk, merchants[2].pk}
    # Monday 12:30 local: lunch break for everyone; 13:30: only the ones reopening at 13:00.
    assert selectors.list_merchants(area, open_at=utc(2025, 6, 2, 10, 30)) == []
    open_at_1330 = selectors.list_merchants(area, open_at=utc(2025, 6, 2, 11, 30))
    assert {m.pk for m in open_at_1330} == {merchants[3].pk}  # merchants[0] reopens at 13:00 but is paused
    # Monday 9 June: every merchant has closed for the day.
    assert selectors.list_merchants(area, open_at=utc(2025, 6, 9, 8, 0)) == []


def test_list_merchants_marks_who_is_open_without_filtering(area):
    merchants = _directory(area, 2)
    listed = selectors.list_merchants(area)
    assert len(listed) == len(merchants)
    assert all(isinstance(m.is_open, bool) for m in listed)


# --- who sees what ------------------------------------------------------------------------------------


def test_merchants_for_follows_the_roles(area, merchant):
    other = MerchantFactory(area=area)
    staff = StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant).user
    manager = StaffMembershipFactory(role=Role.AREA_MANAGER, area=area).user
    assert list(selectors.merchants_for(staff)) == [merchant]
    assert set(selectors.merchants_for(manager)) == {merchant, other}
    assert not selectors.merchants_for(UserFactory()).exists()


def test_editable_fields_depend_on_the_role(merchant):
    owner = StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=merchant).user
    staff = StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant).user
    manager = StaffMembershipFactory(role=Role.AREA_MANAGER, area=merchant.area).user
    assert selectors.editable_merchant_fields(owner, merchant) == services.MERCHANT_PROFILE_FIELDS
    assert selectors.editable_merchant_fields(manager, merchant) == services.MERCHANT_EDITABLE_FIELDS
    assert selectors.editable_merchant_fields(staff, merchant) == frozenset()
