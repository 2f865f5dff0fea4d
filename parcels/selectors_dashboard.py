"""Reads of the point's dashboard and of the monthly carrier statements. Everything is counted and summed in the
database, so a page costs the same few queries whatever the volume; days, weeks and months are those of the
area's time zone (an event at 23:30 local on the last day of a month belongs to that month).

- `dashboard(point, now=)` → `Dashboard`: expected today, on the shelves by state, capacity by zone (with the
  point's alert threshold), overdue parcels, per-carrier volumes this week and month, fees this month.
- `carrier_statement(point, carrier, year=, month=)` → `Statement`: totals per billable kind and per day;
  `statement_events(...)` the billable events themselves (iterate: there can be tens of thousands).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .barcodes import CARRIERS
from .models import (
    Announcement,
    Billable,
    Carrier,
    CarrierAgreement,
    EventKind,
    Parcel,
    ParcelEvent,
    ParcelPoint,
    StorageLocation,
)
from .states import IN_HOUSE_STATES, WAITING_STATES, ParcelState

#: How long an announcement without an expected date counts as "expected" (older ones are most likely lost
#: in transit or were never sent to this point; they stay in the back office's list).
UNDATED_EXPECTED_DAYS = 14
#: Rows of the dashboard's lists (the counts above them are complete).
LIST_LIMIT = 25

#: The events the volume columns count, by column.
VOLUME_KINDS = {
    "received": EventKind.RECEIVED,
    "picked_up": EventKind.PICKED_UP,
    "returned": EventKind.RETURN_RECEIVED,
    "handed_over": EventKind.HANDED_TO_CARRIER,
}
#: Billable kinds in the order statements list them.
BILLABLE_ORDER = (Billable.INTAKE, Billable.PICKUP, Billable.RETURN_DROP_OFF, Billable.HANDOVER)


def _carrier_order(code: str) -> int:
    return CARRIERS.index(code) if code in CARRIERS else len(CARRIERS)


# --- Time in the area's zone ----------------------------------------------------------------------------------


def local_midnight(day: date, zone) -> datetime:
    """00:00 of `day` in `zone` (midnight is never in a DST gap in Europe)."""
    return datetime.combine(day, time.min, tzinfo=zone)


def month_bounds(year: int, month: int, zone) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of a calendar month in the area's zone."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return local_midnight(first, zone), local_midnight(following, zone)


# --- The dashboard ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneCapacity:
    zone: str
    slots: int
    capacity: int
    occupied: int
    alert_percent: int

    @property
    def is_full(self) -> bool:
        return self.capacity > 0 and self.occupied >= self.capacity

    @property
    def percent(self) -> int:
        return round(100 * self.occupied / self.capacity) if self.capacity else 0

    @property
    def is_alert(self) -> bool:
        return self.capacity > 0 and self.occupied * 100 >= self.alert_percent * self.capacity


@dataclass
class CarrierFigures:
    code: str
    name: str
    week: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VOLUME_KINDS, 0))
    month: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VOLUME_KINDS, 0))
    fees_month_cents: int = 0


@dataclass(frozen=True)
class Dashboard:
    point: ParcelPoint
    now: datetime
    today: date
    week_start: date
    month_start: date
    expected_count: int
    expected: list[Announcement]  # the first LIST_LIMIT, dated ones first
    expected_by_carrier: dict[str, int]  # by carrier code
    expected_carriers: list[tuple[str, int]]  # (carrier's name, count), in the carriers' order
    shelves_by_state: dict[str, int]  # every in-house state, zeros included (on a slot or not)
    unplaced: int  # in the house without a slot (scanned in, not put on a shelf yet)
    zones: list[ZoneCapacity]
    overdue_count: int
    overdue: list[Parcel]  # the first LIST_LIMIT, longest overdue first
    carriers: list[CarrierFigures]
    fees_month_cents: int

    @property
    def in_house(self) -> int:
        return sum(self.shelves_by_state.values())

    @property
    def on_shelves(self) -> int:
        """On a slot: what is in the house, less the parcels on no slot (`unplaced`)."""
        return self.in_house - self.unplaced

    @property
    def has_capacity_alert(self) -> bool:
        return any(zone.is_alert for zone in self.zones)


def dashboard(point: ParcelPoint, *, now: datetime | None = None) -> Dashboard:
    """The point's figures at `now` (default: now). Nine queries, whatever the number of parcels and events."""
    now = now or timezone.now()
    zone = point.area.tz
    today = timezone.localdate(now, zone)
    week_start = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    week_from, month_from = local_midnight(week_start, zone), local_midnight(month_start, zone)

    # 1–2. Expected: announced, not scanned in yet, due today (or undated and recent).
    expected_q = Announcement.objects.filter(point=point, parcel__isnull=True).filter(
        Q(expected_on=today) | Q(expected_on__isnull=True, created_at__gte=now - timedelta(days=UNDATED_EXPECTED_DAYS))
    )
    expected_rows = list(expected_q.order_by().values("carrier__code", "carrier__name").annotate(n=Count("pk")))
    expected_by_carrier = {row["carrier__code"]: row["n"] for row in expected_rows}
    expected_carriers = [
        (row["carrier__name"], row["n"])
        for row in sorted(expected_rows, key=lambda row: (_carrier_order(row["carrier__code"]), row["carrier__name"]))
    ]
    expected = list(
        expected_q.select_related("carrier").order_by("expected_on", "carrier__name", "tracking_code")[:LIST_LIMIT]
    )

    # 3. In the house, by state and whether the parcel has a slot.
    shelves_by_state = dict.fromkeys((s for s in ParcelState.values if s in IN_HOUSE_STATES), 0)
    unplaced = 0
    for row in (
        Parcel.objects.filter(point=point, state__in=IN_HOUSE_STATES)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"), unplaced=Count("pk", filter=Q(location__isnull=True)))
    ):
        shelves_by_state[row["state"]] = row["n"]
        unplaced += row["unplaced"]

    # 4–5. Capacity and occupancy by zone (two grouped queries: a join would count each slot's capacity once
    # per parcel in it).
    capacity = {
        row["zone"]: row
        for row in StorageLocation.objects.filter(point=point, is_active=True)
        .order_by()
        .values("zone")
        .annotate(slots=Count("pk"), capacity=Sum("capacity"))
    }
    occupied = dict(
        Parcel.objects.filter(point=point, state__in=IN_HOUSE_STATES, location__is_active=True)
        .order_by()
        .values("location__zone")
        .annotate(n=Count("pk"))
        .values_list("location__zone", "n")
    )
    zones = [
        ZoneCapacity(
            zone=name,
            slots=capacity.get(name, {}).get("slots", 0),
            capacity=capacity.get(name, {}).get("capacity") or 0,
            occupied=occupied.get(name, 0),
            alert_percent=point.capacity_alert_percent,
        )
        for name in sorted(set(capacity) | set(occupied))
    ]

    # 6–7. Overdue: past their last day and still waiting for the recipient (the morning run moves them to the
    # carrier's return list).
    overdue_q = Parcel.objects.filter(point=point, state__in=WAITING_STATES, storage_until__lte=now)
    overdue_count = overdue_q.count()
    overdue = list(overdue_q.select_related("carrier", "location").order_by("storage_until", "pk")[:LIST_LIMIT])

    # 8. Volumes this week and month and this month's fees, per carrier, in one grouped query.
    since = min(week_from, month_from)
    aggregates = {}
    for column, kind in VOLUME_KINDS.items():
        aggregates[f"week_{column}"] = Count("pk", filter=Q(kind=kind, at__gte=week_from))
        aggregates[f"month_{column}"] = Count("pk", filter=Q(kind=kind, at__gte=month_from))
    aggregates["fees"] = Sum("fee_cents", filter=Q(at__gte=month_from) & ~Q(billable=Billable.NONE))
    rows = (
        ParcelEvent.objects.filter(parcel__point=point, at__gte=since, at__lte=now)
        .order_by()
        .values("parcel__carrier__code", "parcel__carrier__name")
        .annotate(**aggregates)
    )
    # 9. The carriers the point works with, shown even in a quiet month.
    figures = {
        code: CarrierFigures(code, name)
        for code, name in CarrierAgreement.objects.filter(point=point, is_active=True).values_list(
            "carrier__code", "carrier__name"
        )
    }
    for row in rows:
        code = row["parcel__carrier__code"]
        entry = figures.setdefault(code, CarrierFigures(code, row["parcel__carrier__name"]))
        for column in VOLUME_KINDS:
            entry.week[column] = row[f"week_{column}"]
            entry.month[column] = row[f"month_{column}"]
        entry.fees_month_cents = row["fees"] or 0
    carriers = sorted(figures.values(), key=lambda c: (_carrier_order(c.code), c.name))
    return Dashboard(
        point=point,
        now=now,
        today=today,
        week_start=week_start,
        month_start=month_start,
        expected_count=sum(expected_by_carrier.values()),
        expected=expected,
        expected_by_carrier=expected_by_carrier,
        expected_carriers=expected_carriers,
        shelves_by_state=shelves_by_state,
        unplaced=unplaced,
        zones=zones,
        overdue_count=overdue_count,
        overdue=overdue,
        carriers=carriers,
        fees_month_cents=sum(c.fees_month_cents for c in carriers),
    )


# --- The monthly statement per carrier ------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementTotal:
    billable: str
    count: int
    cents: int

    @property
    def label(self) -> str:
        return str(Billable(self.billable).label)


@dataclass(frozen=True)
class StatementDay:
    day: date
    counts: dict[str, int]  # by billable kind
    cents: int


@dataclass(frozen=True)
class Statement:
    point: ParcelPoint
    carrier: Carrier
    year: int
    month: int
    starts_at: datetime
    ends_at: datetime  # exclusive
    totals: list[StatementTotal]  # every billable kind, zeros included
    days: list[StatementDay]  # days with billable events
    computed_at: datetime

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return (self.ends_at.astimezone(self.point.area.tz) - timedelta(days=1)).date()

    @property
    def is_provisional(self) -> bool:
        """The month was not over when this was computed: its figures will still change."""
        return self.computed_at < self.ends_at

    @property
    def count(self) -> int:
        return sum(total.count for total in self.totals)

    @property
    def total_cents(self) -> int:
        return sum(total.cents for total in self.totals)


def _statement_events(point: ParcelPoint, carrier: Carrier, starts_at: datetime, ends_at: datetime):
    return ParcelEvent.objects.filter(
        parcel__point=point, parcel__carrier=carrier, at__gte=starts_at, at__lt=ends_at
    ).exclude(billable=Billable.NONE)


def carrier_statement(
    point: ParcelPoint, carrier: Carrier, *, year: int, month: int, now: datetime | None = None
) -> Statement:
    """What the carrier owes the point for a calendar month (in the area's zone): the billable events counted
    and their fees (as copied onto each event when it happened) summed per kind and per day. Two queries."""
    zone = point.area.tz
    starts_at, ends_at = month_bounds(year, month, zone)
    events = _statement_events(point, carrier, starts_at, ends_at).order_by()
    by_kind = {
        row["billable"]: row for row in events.values("billable").annotate(n=Count("pk"), cents=Sum("fee_cents"))
    }
    totals = [
        StatementTotal(kind, by_kind.get(kind, {}).get("n", 0), by_kind.get(kind, {}).get("cents") or 0)
        for kind in BILLABLE_ORDER
    ]
    days: dict[date, dict] = {}
    for row in (
        events.annotate(day=TruncDate("at", tzinfo=zone))
        .values("day", "billable")
        .annotate(n=Count("pk"), cents=Sum("fee_cents"))
        .order_by("day")
    ):
        entry = days.setdefault(row["day"], {"counts": dict.fromkeys(BILLABLE_ORDER, 0), "cents": 0})
        entry["counts"][row["billable"]] = row["n"]
        entry["cents"] += row["cents"] or 0
    return Statement(
        point=point,
        carrier=carrier,
        year=year,
        month=month,
        starts_at=starts_at,
        ends_at=ends_at,
        totals=totals,
        days=[StatementDay(day, entry["counts"], entry["cents"]) for day, entry in sorted(days.items())],
        computed_at=now or timezone.now(),
    )


def statement_events(statement: Statement, *, chunk_size: int = 2000) -> Iterator[ParcelEvent]:
    """Every billable event of the statement, oldest first, with its parcel (streamed in chunks)."""
    return (
        _statement_events(statement.point, statement.carrier, statement.starts_at, statement.ends_at)
        .select_related("parcel")
        .only("pk", "at", "kind", "billable", "fee_cents", "parcel__tracking_code")
        .order_by("at", "pk")
        .iterator(chunk_size=chunk_size)
    )
