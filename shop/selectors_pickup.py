"""Where and when the customer picks up a part of their order, for the order page and the e-mails: the parcel
point's name, address and opening hours (read through `parcels.selectors`), or for click and collect the shop's
address and opening hours (read through `areas.selectors`: the regular week and the different days ahead)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Fulfilment, MerchantOrder, ShopSettings

#: How far ahead the shop's different hours (a holiday, a late-night opening) are listed.
EXCEPTION_DAYS = 14


@dataclass(frozen=True)
class WeekRow:
    """Consecutive weekdays with the same hours: `first` (and `last` when more than one day), `periods` (opens,
    closes) pairs, empty when closed."""

    first: str
    last: str
    periods: tuple


@dataclass(frozen=True)
class PickupPlace:
    """`notes` is the parcel point's own text of its hours; `week` and `exceptions` are a shop's."""

    name: str
    address: str
    phone: str = ""
    notes: str = ""
    week: list[WeekRow] = field(default_factory=list)
    exceptions: list = field(default_factory=list)


def pickup_place(part: MerchantOrder) -> PickupPlace | None:
    """Where the customer collects `part`: the area's parcel point, or the merchant's shop (click and collect);
    None for the courier, or a parcel point that is not (or no longer) set up. A few queries."""
    area = part.order.area
    if part.fulfilment == Fulfilment.PARCEL_POINT:
        return _parcel_point(area)
    if part.fulfilment == Fulfilment.CLICK_AND_COLLECT:
        merchant = part.merchant
        if merchant.area_id == area.pk:
            merchant.area = area  # the same row: no query for the merchant's area (its time zone)
        return _shop(merchant)
    return None


def _parcel_point(area) -> PickupPlace | None:
    from parcels.selectors import point_for_recipients

    point = point_for_recipients(ShopSettings.objects.filter(area=area).values_list("parcel_point", flat=True).first())
    if point is None:
        return None
    return PickupPlace(name=point.name, address=point.address, phone=point.phone, notes=point.opening_notes)


def _shop(merchant) -> PickupPlace:
    from areas.models import Weekday
    from areas.selectors import upcoming_exceptions, weekly_hours

    hours = weekly_hours(merchant)
    week: list[WeekRow] = []
    for day in Weekday:
        periods = tuple(sorted(hours[day]))
        if week and week[-1].periods == periods:
            week[-1] = WeekRow(week[-1].first, day.label, periods)
        else:
            week.append(WeekRow(day.label, "", periods))
    address = ", ".join(part for part in (merchant.street, f"{merchant.postcode} {merchant.city}".strip()) if part)
    return PickupPlace(
        name=merchant.trade_name,
        address=address,
        phone=merchant.phone,
        week=week if any(row.periods for row in week) else [],
        exceptions=list(upcoming_exceptions(merchant, days=EXCEPTION_DAYS)),
    )
