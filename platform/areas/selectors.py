"""Reads about shopping areas, merchants, opening hours and who may see what."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from wagtail.models import Site

from accounts.permissions import can, visible

from .models import ExceptionKind, Merchant, MerchantStatus, OpeningException, ShoppingArea, StaffMembership
from .services import MERCHANT_PROFILE_FIELDS, MERCHANT_REGISTRATION_FIELDS

Period = tuple[dt.time, dt.time]


def area_for_request(request) -> ShoppingArea | None:
    """The area whose Wagtail Site serves this host; the default site's area otherwise."""
    site = Site.find_for_request(request)
    areas = ShoppingArea.objects.filter(is_active=True)
    if site is not None:
        found = areas.filter(site=site).first()
        if found:
            return found
    return areas.filter(site__is_default_site=True).first() or areas.order_by("pk").first()


def site_url(area: ShoppingArea | None, path: str = "") -> str:
    """`path` as a full URL on the area's own website (its Wagtail Site's scheme, host and port), for links that
    leave the platform (e-mails, receipts): a Mechelen customer's link opens Mechelen's site, where their order or
    pass is, not the platform's first site (which answers 404 for another area's order). An area without a site
    gets the platform's base URL (WAGTAILADMIN_BASE_URL). Reads `area.site` (select it with the area)."""
    site = area.site if area is not None and area.site_id else None
    base = site.root_url if site is not None else getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    return base.rstrip("/") + path


def list_areas() -> QuerySet[ShoppingArea]:
    """The active areas, for the public list."""
    return ShoppingArea.objects.filter(is_active=True)


# --- Opening hours ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayHours:
    """A merchant's opening periods on one local date, and the exception that set them (if any)."""

    date: dt.date
    periods: tuple[Period, ...]
    exception: OpeningException | None = None

    @property
    def is_closed(self) -> bool:
        return not self.periods

    def is_open_at(self, time: dt.time) -> bool:
        return any(opens <= time < closes for opens, closes in self.periods)


def opening_hours_on(merchant: Merchant, date: dt.date) -> DayHours:
    """The merchant's hours on a date: its own exception wins over the area's, which wins over the weekday hours.

    A closed exception closes the day; special hours replace the day's periods; late-night shopping adds its
    evening period to the regular ones (so "koopavond 18:00–21:00" does not close the shop in the daytime).
    """
    found = {
        exception.merchant_id: exception
        for exception in OpeningException.objects.filter(
            Q(merchant=merchant) | Q(merchant__isnull=True), area_id=merchant.area_id, date=date
        )
    }
    return _day_hours(merchant, date, merchant_exception=found.get(merchant.pk), area_exception=found.get(None))


def is_open(merchant: Merchant, at: dt.datetime) -> bool:
    """Is the merchant open at this instant, read on the wall clock of its area's time zone (DST included)?

    Paused or departed merchants are closed. `at` must be time-zone aware.
    """
    if timezone.is_naive(at):
        raise ValueError("is_open needs an aware datetime")
    if merchant.status != MerchantStatus.ACTIVE:
        return False
    local = at.astimezone(merchant.area.tz)
    return opening_hours_on(merchant, local.date()).is_open_at(local.time())


def list_merchants(
    area: ShoppingArea,
    *,
    sector: str | None = None,
    open_at: dt.datetime | None = None,
    status: str | None = MerchantStatus.ACTIVE,
) -> list[Merchant]:
    """The area's directory, in three queries whatever its size. Each merchant carries `day_hours` (its hours on
    the local date of `open_at`, or today) and `is_open` (at `open_at`, or now); `open_at` keeps the open ones."""
    at = open_at or timezone.now()
    if timezone.is_naive(at):
        raise ValueError("open_at must be an aware datetime")
    local = at.astimezone(area.tz)
    merchants = Merchant.objects.filter(area=area).prefetch_related("opening_hours")
    if status:
        merchants = merchants.filter(status=status)
    if sector:
        merchants = merchants.filter(sector=sector)
    # One query for every exception on that date in the area, the area's own and each merchant's.
    exceptions = {e.merchant_id: e for e in OpeningException.objects.filter(area=area, date=local.date())}
    result = []
    for merchant in merchants:
        merchant.area = area  # the same object for every row: no query per merchant
        merchant.day_hours = _day_hours(
            merchant,
            local.date(),
            merchant_exception=exceptions.get(merchant.pk),
            area_exception=exceptions.get(None),
        )
        merchant.is_open = merchant.status == MerchantStatus.ACTIVE and merchant.day_hours.is_open_at(local.time())
        if open_at is None or merchant.is_open:
            result.append(merchant)
    return result


def list_merchant_sectors(area: ShoppingArea) -> list[str]:
    """The sectors of the area's active merchants (for the directory's filter). One query."""
    return list(
        Merchant.objects.active().filter(area=area).order_by("sector").values_list("sector", flat=True).distinct()
    )


def get_listed_merchant(area: ShoppingArea, *, slug: str) -> Merchant | None:
    """An active merchant of the area by its slug, with its hours loaded (for the public directory); else None."""
    merchant = Merchant.objects.active().filter(area=area, slug=slug).prefetch_related("opening_hours").first()
    if merchant is not None:
        merchant.area = area
    return merchant


def search_merchants(area: ShoppingArea, *, query: str) -> QuerySet[Merchant]:
    """The area's active merchants whose name, description or street contains every word of `query`."""
    merchants = Merchant.objects.active().filter(area=area)
    for word in query.split()[:5]:
        merchants = merchants.filter(
            Q(trade_name__icontains=word) | Q(description__icontains=word) | Q(street__icontains=word)
        )
    return merchants.order_by("trade_name")


def weekly_hours(merchant: Merchant) -> dict[int, list[Period]]:
    """The regular week as {weekday: [(opens, closes), …]}, every weekday present (empty when closed)."""
    week: dict[int, list[Period]] = {weekday: [] for weekday in range(7)}
    for hours in merchant.opening_hours.all():
        week[hours.weekday].append((hours.opens_at, hours.closes_at))
    return week


def upcoming_exceptions(merchant: Merchant, *, days: int = 60) -> QuerySet[OpeningException]:
    """The exceptions (the merchant's and its area's) from today, in the area's time zone, for `days` days."""
    today = timezone.now().astimezone(merchant.area.tz).date()
    return OpeningException.objects.filter(
        Q(merchant=merchant) | Q(merchant__isnull=True),
        area_id=merchant.area_id,
        date__range=(today, today + dt.timedelta(days=days)),
    ).order_by("date", "merchant_id")


def _day_hours(
    merchant: Merchant,
    date: dt.date,
    *,
    merchant_exception: OpeningException | None,
    area_exception: OpeningException | None,
) -> DayHours:
    # Uses the prefetched hours when the caller loaded them (list_merchants), else reads them.
    regular = tuple(
        sorted(
            (hours.opens_at, hours.closes_at)
            for hours in merchant.opening_hours.all()
            if hours.weekday == date.weekday()
        )
    )
    exception = merchant_exception or area_exception
    if exception is None:
        return DayHours(date, regular)
    if exception.kind == ExceptionKind.CLOSED:
        return DayHours(date, (), exception)
    special = (exception.opens_at, exception.closes_at)
    if exception.kind == ExceptionKind.LATE_NIGHT:
        return DayHours(date, _merged((*regular, special)), exception)
    return DayHours(date, (special,), exception)


def _merged(periods) -> tuple[Period, ...]:
    merged: list[list[dt.time]] = []
    for opens, closes in sorted(periods):
        if merged and opens <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], closes)
        else:
            merged.append([opens, closes])
    return tuple((opens, closes) for opens, closes in merged)


# --- Who sees what ------------------------------------------------------------------------------------


def areas_for(user, action: str = "area.view") -> QuerySet[ShoppingArea]:
    """The areas in which the person may do `action` (all of them for a platform admin)."""
    return visible(user, action, ShoppingArea.objects.all())


def merchants_for(user, action: str = "merchant.view") -> QuerySet[Merchant]:
    """The merchants on which the person may do `action`: their own shop, or every shop of the areas they manage."""
    return visible(user, action, Merchant.objects.select_related("area"))


def editable_merchant_fields(user, merchant: Merchant) -> frozenset[str]:
    """What this person may change on the merchant: the profile for its owner; the registration details too for
    the area's manager. Empty for someone without merchant.change."""
    if not can(user, "merchant.change", merchant):
        return frozenset()
    if can(user, "area.change", merchant.area):
        return MERCHANT_PROFILE_FIELDS | MERCHANT_REGISTRATION_FIELDS
    return MERCHANT_PROFILE_FIELDS


def team_of(merchant: Merchant) -> QuerySet[StaffMembership]:
    """The merchant's active staff memberships, owners first."""
    return StaffMembership.objects.active().filter(merchant=merchant).select_related("user").order_by("role", "pk")


def roles_of(user) -> QuerySet[StaffMembership]:
    """The person's active roles with their scope."""
    return StaffMembership.objects.active().filter(user=user).select_related("area", "merchant")


def hours_between(area: ShoppingArea, start: dt.date, end: dt.date) -> dict[int, dict[dt.date, DayHours]]:
    """Every active merchant's hours on each date in [start, end), exceptions applied: {merchant id: {date:
    DayHours}} (for analytics' opening-hours advice). Three queries whatever the period."""
    merchants = list(Merchant.objects.active().filter(area=area).prefetch_related("opening_hours").order_by("pk"))
    exceptions: dict[tuple[int | None, dt.date], OpeningException] = {
        (exception.merchant_id, exception.date): exception
        for exception in OpeningException.objects.filter(area=area, date__gte=start, date__lt=end)
    }
    days = [start + dt.timedelta(days=offset) for offset in range((end - start).days)]
    return {
        merchant.pk: {
            day: _day_hours(
                merchant,
                day,
                merchant_exception=exceptions.get((merchant.pk, day)),
                area_exception=exceptions.get((None, day)),
            )
            for day in days
        }
        for merchant in merchants
    }


#: A postcode's digits as an example, when an area has no merchants yet.
POSTCODE_EXAMPLES = {"NL": "3811", "BE": "2800"}


def local_postcode_digits(area: ShoppingArea) -> str:
    """The four digits of a postcode in the area (its first merchant's; else an example of its country): for
    examples on forms that ask for postcode digits. One query."""
    postcode = Merchant.objects.filter(area=area).exclude(postcode="").order_by("pk").values_list("postcode", flat=True)
    first = postcode.first()
    digits = "".join(character for character in (first or "") if character.isdigit())[:4]
    return digits if len(digits) == 4 else POSTCODE_EXAMPLES.get(area.country, "3811")
