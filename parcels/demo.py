"""Demo data for the parcel point: per area one point with shelves, agreements with all eight carriers, and
months of parcels (about 800 a day at the `large` size, fewer at smaller sizes) with their whole history.

Volumes follow the week (busy Mondays after the weekend, closed on Sundays and holidays), Black Friday and
December; the carrier mix is PostNL first, bpost much larger in Mechelen. Parcels are received, put on a
shelf and mostly picked up within a few days; some stay past their last day, expire on the morning run and
leave with the carrier's driver; customers drop returns off (more in January). Each state change is an event
with the billable kind and the fee of the agreement, as `services.transitions.transition` writes them.

Like the loyalty seed, the history is simulated in memory and written with bulk inserts (calling the services
per parcel would take many minutes at `large`); `check_demo()` finds it consistent. The seed stands just
before today's expiry run, so the parcels whose last day was yesterday are overdue on the dashboard.
"""

from __future__ import annotations

import base64
import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.roles import Role
from areas.demo import DemoContext, WipeScope, delete_append_only, delete_many, demo_step, demo_wipe
from areas.demo.dates import public_holidays
from areas.demo.names import EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES
from areas.demo.towns import TOWNS
from areas.models import StaffMembership

from . import barcodes
from .models import (
    Announcement,
    AnnouncementSource,
    Billable,
    Carrier,
    CarrierAgreement,
    Direction,
    EventKind,
    Handover,
    HandoverItem,
    InventoryCount,
    InventoryScan,
    LearnedCarrierPrefix,
    Parcel,
    ParcelEvent,
    ParcelNotice,
    ParcelPoint,
    ParcelWatch,
    RefusalReason,
    StorageLocation,
    default_label_code,
)
from .services.intake import CODE_ALPHABET, CODE_LENGTH, storage_until
from .states import IN_HOUSE_STATES, ParcelState

#: Parcels a day across the demo areas, by size (the `large` demo is a busy town-centre point).
PARCELS_PER_DAY = {"tiny": 4, "small": 10, "medium": 80, "large": 800}
HISTORY_DAYS = 400  # back past last year's Black Friday and December
RETURN_SHARE = 0.08  # returns dropped off, per inbound parcel
REFUSED_SHARE = 0.004
NEVER_COLLECTED = 0.05
MEMBER_SHARE = 0.7  # the rest are walk-ins, unannounced or announced by the carrier
WEEKDAY_WEIGHT = (1.35, 1.15, 1.05, 1.0, 0.95, 0.7, 0.0)  # Monday … Sunday (closed)
SIZES = (("S", 0.3), ("M", 0.45), ("L", 0.2), ("XL", 0.05))
#: The carrier mix (shares of inbound parcels) per country.
MIX = {
    "NL": {"postnl": 38, "dhl": 20, "dpd": 11, "gls": 6, "ups": 5, "bpost": 2, "amazon": 10, "webshop": 8},
    "BE": {"postnl": 12, "dhl": 15, "dpd": 12, "gls": 7, "ups": 5, "bpost": 33, "amazon": 8, "webshop": 8},
}
RETURN_MIX = {"postnl": 35, "dhl": 25, "dpd": 12, "ups": 10, "bpost": 10, "amazon": 8}
#: Illustrative agreements: real fees are not published (the research finds €0.15–0.40 a parcel); cents per
#: intake, pickup, return drop-off and handover, storage days (Amazon keeps parcels 3 days), ID check.
AGREEMENTS = {
    "postnl": (24, 6, 25, 0, 7, False),
    "dhl": (22, 8, 22, 0, 7, False),
    "dpd": (18, 12, 20, 4, 7, False),  # DPD pays only for scanned acceptance and handover
    "gls": (20, 8, 20, 0, 7, False),
    "ups": (25, 10, 30, 5, 7, True),
    "bpost": (26, 8, 24, 0, 7, False),
    "amazon": (30, 10, 20, 0, 3, True),
    "webshop": (0, 0, 0, 0, 7, False),  # the area's own webshop: no fee
}
#: Slot capacity (parcels) per size class; how full each zone's slots are meant to be now.
SLOT_CAPACITY = {"S": 10, "M": 6, "L": 4, "XL": 2}
#: Where parcels go: (zone, slot size) per parcel size; returns wait in zone C.
PLACES = {"S": (("A", "S"),), "M": (("A", "M"), ("A", "M"), ("B", "M")), "L": (("B", "L"),), "XL": (("C", "XL"),)}
RETURN_PLACE = ("C", "L")
TARGET_FILL = {"A": 0.85, "B": 0.55, "C": 0.5}  # zone A a little over the 80 % alert: the dashboard shows it
SLOTS_PER_SHELF = 6
RETENTION_DAYS = 30
EXPIRY_RUN = time(4, 0, tzinfo=UTC)  # `expire_overdue_parcels_task`
POINTS = {
    "amersfoort": ("Buurt Service Pakketpunt Amersfoort", "Langestraat 58", "3811 AE", "Amersfoort"),
    "mechelen": ("Buurt Service Pakketpunt Mechelen", "Bruul 42", "2800", "Mechelen"),
}
OPENING_NOTES = (
    "Maandag t/m vrijdag 9.00–18.00, zaterdag 9.00–17.00; zondag en feestdagen gesloten.\n"
    "Neem je ophaalcode of de QR-code uit de e-mail mee. Een pakket ophalen voor iemand anders mag met diens code."
)


def _black_friday(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 21)


def _day_weight(day: date) -> float:
    weight = WEEKDAY_WEIGHT[day.weekday()]
    friday = _black_friday(day.year)
    if friday <= day <= friday + timedelta(days=10):
        weight *= 2.2 if day <= friday + timedelta(days=4) else 1.7
    elif date(day.year, 12, 1) <= day <= date(day.year, 12, 22):
        weight *= 1.6
    elif date(day.year, 12, 23) <= day:
        weight *= 0.8
    return weight


def _return_weight(day: date) -> float:
    return WEEKDAY_WEIGHT[day.weekday()] * (2.0 if day.month == 1 else 1.0)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- Tracking codes: valid per carrier (check digits where the format has one) ------------------------------


def tracking_code(carrier: str, n: int, rng: random.Random) -> str:
    """A tracking code of `carrier` that `barcodes.recognise` reads back unchanged (`n` makes it unique)."""
    serial = f"{n % 10**8:08d}"
    if carrier == "postnl":
        if n % 5:  # domestic 3S code of a demo web shop (customer code KEIS: learned as PostNL at the point)
            return f"3SKEIS{n % 10**9:09d}"
        return f"CV{serial}{barcodes.s10_check_digit(serial)}NL"
    if carrier == "dhl":
        return f"JVGL0{n % 10**15:015d}" if n % 2 else f"JJD00{n % 10**16:016d}"
    if carrier == "dpd":
        return f"0998{n % 10**10:010d}"
    if carrier == "gls":
        digits = f"6{n % 10**10:010d}"
        return digits + barcodes.gls_check_digit(digits)
    if carrier == "ups":
        shipper = "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(6))
        body = f"{shipper}03{n % 10**7:07d}"
        return f"1Z{body}{barcodes.ups_check_digit(body)}"
    if carrier == "bpost":
        return f"CD{serial}{barcodes.s10_check_digit(serial)}BE"
    if carrier == "amazon":
        return f"TBA{n % 10**12:012d}"
    return barcodes.make_webshop_code(n % 10**10)


# --- The plan, in memory ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Step:
    to_state: str
    at: datetime
    kind: str
    by_staff: bool = True


@dataclass(slots=True)
class _Plan:
    carrier: str
    code: str
    direction: str
    size: str
    received_at: datetime
    steps: list[_Step]
    recipient: tuple[int | None, str, str] | None  # (member id, name, e-mail)
    announced: str = ""  # an AnnouncementSource, or "" when not announced
    storage_until: datetime | None = None
    place: tuple[str, str] | None = None
    location: StorageLocation | None = None
    handover_key: tuple[str, date] | None = None
    pickup: tuple[str, str] = ("", "")
    id_checked: bool = False

    @property
    def state(self) -> str:
        return self.steps[-1].to_state

    @property
    def left_at(self) -> datetime | None:
        last = self.steps[-1]
        return last.at if last.to_state in (ParcelState.PICKED_UP, ParcelState.HANDED_TO_CARRIER, "refused") else None


@dataclass
class _Area:
    slug: str
    country: str
    zone: ZoneInfo
    now: datetime
    point: ParcelPoint
    staff_id: int
    manager_id: int
    agreements: dict[str, CarrierAgreement]
    closed: set[date]
    members: list[tuple[int, str, str]]
    plans: list[_Plan] = field(default_factory=list)


def _next_run(moment: datetime) -> datetime:
    """The first expiry run (04:00 UTC) at or after `moment`."""
    run = datetime.combine(moment.astimezone(UTC).date(), EXPIRY_RUN)
    return run if run >= moment else run + timedelta(days=1)


def _next_open(area: _Area, after: datetime, hour: int, rng: random.Random) -> datetime:
    """A time during opening hours on the first open day after `after` (the driver comes in the afternoon)."""
    day = after.astimezone(area.zone).date() + timedelta(days=1)
    while day.weekday() == 6 or day in area.closed:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=area.zone)


def _recipient(area: _Area, rng: random.Random, walk_ins: list) -> tuple[int | None, str, str]:
    if area.members and rng.random() < MEMBER_SHARE:
        return rng.choice(area.members)
    if not walk_ins or rng.random() < 0.4:
        first = rng.choice(FIRST_NAMES[area.country][rng.choice("fm")])
        last = rng.choice(LAST_NAMES[area.country])
        local = unicodedata.normalize("NFKD", f"{first}.{last}".lower()).encode("ascii", "ignore").decode()
        local = "".join(char for char in local if char.isalnum() or char == ".")
        walk_ins.append((None, f"{first} {last}", f"{local}{rng.randrange(100)}@{rng.choice(EMAIL_DOMAINS)}"))
    return rng.choice(walk_ins)


def _inbound(area: _Area, rng: random.Random, carrier: str, received_at: datetime, code: str, walk_ins) -> _Plan:
    size = rng.choices([s for s, _w in SIZES], weights=[w for _s, w in SIZES])[0]
    if rng.random() < REFUSED_SHARE:
        return _Plan(
            carrier, code, Direction.INBOUND, "XL", received_at, [_Step("refused", received_at, "refused")], None
        )
    agreement = area.agreements[carrier]
    until = storage_until(received_at, days=agreement.effective_storage_days, zone=area.zone)
    stored_at = received_at + timedelta(minutes=rng.randint(2, 20))
    steps = [
        _Step(ParcelState.RECEIVED, received_at, EventKind.RECEIVED),
        _Step(ParcelState.STORED, stored_at, "stored"),
    ]
    recipient = _recipient(area, rng, walk_ins)
    if carrier == "webshop":
        announced = AnnouncementSource.WEBSHOP
    elif recipient[0] and rng.random() < 0.25:
        announced = ""  # the member's own note is no announcement: the desk typed the label
    else:
        announced = rng.choice([AnnouncementSource.CSV, AnnouncementSource.API, "", "", ""])
    plan = _Plan(carrier, code, Direction.INBOUND, size, received_at, steps, recipient, announced, until)
    plan.place = rng.choice(PLACES[size])
    if rng.random() < NEVER_COLLECTED:
        pickup_at = None
    else:
        days = min(int(rng.expovariate(1 / 1.4)), 30)
        day = received_at.astimezone(area.zone).date() + timedelta(days=days)
        pickup_at = datetime.combine(day, time(rng.randint(9, 17), rng.randrange(60)), tzinfo=area.zone)
        pickup_at = max(pickup_at, stored_at + timedelta(minutes=rng.randint(5, 90)))
    if pickup_at is not None and pickup_at < until and pickup_at <= area.now:
        steps.append(_Step(ParcelState.PICKED_UP, pickup_at, EventKind.PICKED_UP))
        plan.id_checked = agreement.requires_id_check
    elif pickup_at is None or pickup_at >= until:
        expired_at = _next_run(until)
        # Today's run has not happened yet: parcels whose last day was yesterday are overdue now.
        if expired_at.astimezone(area.zone).date() < area.now.astimezone(area.zone).date():
            steps.append(_Step(ParcelState.EXPIRED, expired_at, EventKind.EXPIRED, by_staff=False))
            _hand_over(area, plan, expired_at, rng)
    return plan


def _hand_over(area: _Area, plan: _Plan, after: datetime, rng: random.Random) -> None:
    driver_at = _next_open(area, after, 16, rng)
    if driver_at <= area.now:
        plan.steps.append(_Step(ParcelState.HANDED_TO_CARRIER, driver_at, EventKind.HANDED_TO_CARRIER))
        plan.handover_key = (plan.carrier, driver_at.date())


def _simulate(ctx: DemoContext, area: _Area, rng: random.Random, per_day: float, numbers) -> None:
    today = ctx.today
    walk_ins: list = []
    mix = MIX.get(area.country, MIX["NL"])
    overdue_target = max(2, round(per_day * 0.02))
    for offset in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=offset)
        if day.weekday() == 6 or day in area.closed:
            continue
        share = 0.35 if offset == 0 else 1.0  # today: the morning's deliveries so far
        count = max(0, round(per_day * _day_weight(day) * share * rng.uniform(0.85, 1.15)))
        for _n in range(count):
            received_at = datetime.combine(day, time(rng.randint(8, 16), rng.randrange(60)), tzinfo=area.zone)
            if received_at > area.now:
                received_at = area.now - timedelta(minutes=rng.randint(5, 90))
            carrier = _pick(rng, mix)
            area.plans.append(
                _inbound(area, rng, carrier, received_at, tracking_code(carrier, next(numbers), rng), walk_ins)
            )
        returns = round(per_day * RETURN_SHARE * _return_weight(day) * share * rng.uniform(0.7, 1.3))
        for _n in range(returns):
            at = datetime.combine(day, time(rng.randint(9, 17), rng.randrange(60)), tzinfo=area.zone)
            at = min(at, area.now - timedelta(minutes=rng.randint(1, 60)))
            carrier = _pick(rng, RETURN_MIX)
            plan = _Plan(
                carrier,
                tracking_code(carrier, next(numbers), rng),
                Direction.RETURN,
                rng.choice("SML"),
                at,
                [_Step(ParcelState.RETURN_RECEIVED, at, EventKind.RETURN_RECEIVED)],
                None,
            )
            plan.place = RETURN_PLACE
            _hand_over(area, plan, at, rng)
            area.plans.append(plan)
    # A few parcels whose last day was yesterday, still on the shelf (see the module docstring): received
    # `storage days + 1` days ago and never collected. Today's expiry run will take them.
    overdue = sum(1 for p in area.plans if p.state == ParcelState.STORED and p.storage_until <= area.now)
    options = []
    for carrier, agreement in area.agreements.items():
        day = today - timedelta(days=agreement.effective_storage_days + 1)
        if day.weekday() != 6 and day not in area.closed:
            options.append((carrier, day))
    for _n in range(max(0, overdue_target - overdue) if options else 0):
        carrier, day = rng.choice(options)
        received_at = datetime.combine(day, time(rng.randint(10, 16), rng.randrange(60)), tzinfo=area.zone)
        plan = _inbound(area, rng, carrier, received_at, tracking_code(carrier, next(numbers), rng), walk_ins)
        if plan.state == "refused":
            continue
        del plan.steps[2:]  # received and stored; never picked up
        plan.id_checked = False
        area.plans.append(plan)


# --- Writing -------------------------------------------------------------------------------------------------


def _token(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(192).to_bytes(24, "big")).decode()


def _code(rng: random.Random) -> str:
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _make_point(area_obj, slug: str) -> ParcelPoint:
    name, street, postcode, city = POINTS.get(slug, (f"Pakketpunt {area_obj.name}", "", "", ""))
    return ParcelPoint.objects.create(
        area=area_obj, name=name, street=street, postcode=postcode, city=city, opening_notes=OPENING_NOTES
    )


def _make_agreements(point: ParcelPoint) -> dict[str, CarrierAgreement]:
    carriers = {c.code: c for c in Carrier.objects.filter(code__in=AGREEMENTS)}
    rows = []
    for code, (intake, pickup, returns, handover, days, id_check) in AGREEMENTS.items():
        rows.append(
            CarrierAgreement(
                point=point,
                carrier=carriers[code],
                storage_days=days,
                requires_id_check=id_check,
                accept_oversize=code == "postnl",
                intake_fee_cents=intake,
                pickup_fee_cents=pickup,
                return_fee_cents=returns,
                handover_fee_cents=handover,
            )
        )
    CarrierAgreement.objects.bulk_create(rows)
    for row in rows:
        row.point = point
    return {row.carrier.code: row for row in rows}


def _make_slots(area: _Area, rng: random.Random) -> dict[tuple[str, str], list[StorageLocation]]:
    """Shelves sized to what is in the house now (zone A a little over the alert), at least a few per kind."""
    now_in_house: dict[tuple[str, str], list[_Plan]] = {}
    for plan in area.plans:
        if plan.place and plan.state in IN_HOUSE_STATES:
            now_in_house.setdefault(plan.place, []).append(plan)
    groups = sorted({place for places in PLACES.values() for place in places} | {RETURN_PLACE})
    slots: dict[tuple[str, str], list[StorageLocation]] = {}
    shelf_of = {"A": 0, "B": 0, "C": 0}
    rows = []
    for zone, size in groups:
        capacity = SLOT_CAPACITY[size] * (2 if (zone, size) == RETURN_PLACE else 1)
        waiting = len(now_in_house.get((zone, size), []))
        fill = TARGET_FILL[zone]
        if zone == "A":
            # Just over the alert, also for a handful of parcels: slots a little smaller where needed.
            count = max(1, math.ceil(waiting / (capacity * fill)))
            capacity = max(1, math.ceil(waiting / count), math.floor(waiting / (count * fill)))
        else:
            count = max(4, math.ceil(waiting / (capacity * fill)))
        made = []
        for index in range(count):
            if index % SLOTS_PER_SHELF == 0:
                shelf_of[zone] += 1
            shelf, number = str(shelf_of[zone]), str(index % SLOTS_PER_SHELF + 1)
            made.append(
                StorageLocation(
                    point=area.point,
                    zone=zone,
                    shelf=shelf,
                    slot=number,
                    size_class=size,
                    capacity=capacity,
                    label_code=default_label_code(area.point.pk, zone, shelf, number),
                )
            )
        slots[(zone, size)] = made
        rows += made
    StorageLocation.objects.bulk_create(rows)
    # Parcels in the house now: round robin over the slots (never more than a slot holds); the rest anywhere.
    for place, plans in now_in_house.items():
        for index, plan in enumerate(plans):
            plan.location = slots[place][index % len(slots[place])]
    for plan in area.plans:
        if plan.place and plan.location is None and plan.state != "refused":
            plan.location = rng.choice(slots[plan.place])
    return slots


def _credentials(area: _Area, rng: random.Random) -> None:
    """One code and QR token per recipient for the parcels waiting now (unique among them); others their own."""
    taken: set[str] = set()
    by_recipient: dict[str, tuple[str, str]] = {}
    for plan in area.plans:
        if plan.recipient is None:
            continue
        if plan.state in (ParcelState.RECEIVED, ParcelState.STORED):
            email = plan.recipient[2]
            if email not in by_recipient:
                code = _code(rng)
                while code in taken:
                    code = _code(rng)
                taken.add(code)
                by_recipient[email] = (code, _token(rng))
            plan.pickup = by_recipient[email]
        else:
            plan.pickup = (_code(rng), _token(rng))


def _handovers(area: _Area, rng: random.Random) -> dict[tuple[str, date], Handover]:
    drivers = FIRST_NAMES[area.country]["m"] + FIRST_NAMES[area.country]["f"]
    keys = sorted({plan.handover_key for plan in area.plans if plan.handover_key})
    rows = {}
    for carrier, day in keys:
        started = datetime.combine(day, time(16, 0), tzinfo=area.zone)
        rows[(carrier, day)] = Handover(
            point=area.point,
            carrier=area.agreements[carrier].carrier,
            driver_name=rng.choice(drivers),
            started_at=started,
            closed_at=started + timedelta(minutes=59),
            by_id=area.staff_id,
        )
    Handover.objects.bulk_create(rows.values())
    return rows


BILLABLE = {
    ParcelState.RECEIVED: Billable.INTAKE,
    ParcelState.PICKED_UP: Billable.PICKUP,
    ParcelState.RETURN_RECEIVED: Billable.RETURN_DROP_OFF,
    ParcelState.HANDED_TO_CARRIER: Billable.HANDOVER,
}


def _write(ctx: DemoContext, area: _Area, handovers, batch: int = 5_000) -> None:
    retention = timedelta(days=RETENTION_DAYS)
    erased_after = area.now - retention
    for start in range(0, len(area.plans), batch):
        plans = area.plans[start : start + batch]
        announcements, parcels = [], []
        for plan in plans:
            left_at = plan.left_at
            erased_at = _next_run(left_at + retention) if left_at and left_at <= erased_after else None
            member_id, name, email = plan.recipient or (None, "", "")
            if erased_at:
                member_id, name, email = None, "", ""
            announcement = None
            if plan.announced:
                announcement = Announcement(
                    point=area.point,
                    carrier=area.agreements[plan.carrier].carrier,
                    tracking_code=plan.code,
                    recipient_name=name,
                    recipient_email=email,
                    member_id=member_id if plan.announced == AnnouncementSource.MEMBER else None,
                    source=plan.announced,
                    external_reference=f"W{plan.code[-7:]}" if plan.announced == AnnouncementSource.WEBSHOP else "",
                    expected_on=plan.received_at.date() if plan.announced != AnnouncementSource.MEMBER else None,
                    created_at=plan.received_at - timedelta(days=1, hours=3),
                    recipient_erased_at=erased_at,
                )
                announcements.append(announcement)
            refused = plan.state == "refused"
            parcels.append(
                Parcel(
                    point=area.point,
                    carrier=area.agreements[plan.carrier].carrier,
                    tracking_code=plan.code,
                    direction=plan.direction,
                    state=plan.state,
                    state_changed_at=plan.steps[-1].at,
                    location=plan.location,
                    size_class=plan.size,
                    is_oversize=refused,
                    refused_reason=RefusalReason.OVERSIZE if refused else "",
                    recipient_name=name,
                    recipient_email=email,
                    recipient_id=member_id,
                    announcement=announcement,
                    pickup_code=plan.pickup[0] if plan.recipient else "",
                    pickup_token="" if erased_at or not plan.recipient else plan.pickup[1],
                    received_at=plan.received_at,
                    storage_until=plan.storage_until,
                    handed_out_at=left_at if plan.state == ParcelState.PICKED_UP else None,
                    id_checked=plan.id_checked,
                    left_at=left_at,
                    notified_at=plan.steps[1].at + timedelta(seconds=40)
                    if len(plan.steps) > 1 and plan.recipient
                    else None,
                    recipient_erased_at=erased_at,
                )
            )
        Announcement.objects.bulk_create(announcements)
        Parcel.objects.bulk_create(parcels)
        events = []
        for plan, parcel in zip(plans, parcels, strict=True):
            previous = ""
            for step in plan.steps:
                billable = BILLABLE.get(step.to_state, Billable.NONE)
                agreement = area.agreements[plan.carrier]
                events.append(
                    ParcelEvent(
                        parcel=parcel,
                        kind=step.kind,
                        from_state=previous,
                        to_state=step.to_state,
                        at=step.at,
                        by_id=area.staff_id if step.by_staff else None,
                        device="balie-1" if step.by_staff else "",
                        # As `transition` records it: the slot the parcel is in (none yet at intake).
                        location=None if step.to_state == ParcelState.RECEIVED else plan.location,
                        billable=billable,
                        fee_cents=agreement.fee_for(billable) if billable else 0,
                        handover=handovers.get(plan.handover_key)
                        if step.to_state == ParcelState.HANDED_TO_CARRIER
                        else None,
                    )
                )
                previous = step.to_state
        ParcelEvent.objects.bulk_create(events)
        ctx.count("parcels", len(parcels))
        ctx.count("parcel events", len(events))
        ctx.count("pre-announcements", len(announcements))


def _expected(ctx: DemoContext, area: _Area, rng: random.Random, per_day: float, numbers) -> None:
    """Parcels announced for today (and tomorrow, and undated) that have not come in yet, and members' notes."""
    rows, notes = [], []
    walk_ins: list = []
    today = area.now.astimezone(area.zone).date()
    for expected_on, count in ((today, max(3, round(per_day * 0.25))), (today + timedelta(days=1), 2), (None, 2)):
        for _n in range(count):
            carrier = _pick(rng, MIX.get(area.country, MIX["NL"]))
            member_id, name, email = _recipient(area, rng, walk_ins)
            source = (
                AnnouncementSource.WEBSHOP
                if carrier == "webshop"
                else rng.choice(
                    [AnnouncementSource.CSV, AnnouncementSource.API, AnnouncementSource.MEMBER if member_id else "api"]
                )
            )
            code = tracking_code(carrier, next(numbers), rng)
            created_at = area.now - timedelta(hours=rng.randint(2, 40))
            if source == AnnouncementSource.MEMBER:
                notes.append(
                    ParcelWatch(
                        point=area.point,
                        member_id=member_id,
                        carrier=area.agreements[carrier].carrier,
                        tracking_code=code,
                        created_at=created_at,
                    )
                )
                continue
            rows.append(
                Announcement(
                    point=area.point,
                    carrier=area.agreements[carrier].carrier,
                    tracking_code=code,
                    recipient_name=name,
                    recipient_email=email,
                    source=source,
                    expected_on=expected_on,
                    created_at=created_at,
                )
            )
    Announcement.objects.bulk_create(rows)
    ParcelWatch.objects.bulk_create(notes)
    ctx.count("pre-announcements", len(rows))
    ctx.count("parcels members expect", len(notes))


def _numbers(seed: int, stream: str):
    """Serial numbers for tracking codes: unique within the run, spread like real ones."""
    rng = random.Random(f"agora-demo/{seed}/{stream}")
    start = rng.randrange(10**6, 10**7)
    step = rng.choice((7, 11, 13))
    n = start
    while True:
        n += step
        yield n


@demo_step(order=200, name="parcels.points")
def create_parcel_points(ctx: DemoContext) -> None:
    """Per area a parcel point with shelves and agreements, and months of parcels with their events."""
    User = get_user_model()
    total_per_day = PARCELS_PER_DAY[ctx.size.name]
    shares = {town.slug: (0.6 if town.country == "NL" else 0.4) for town in TOWNS}
    numbers = _numbers(ctx.seed, "parcels.codes")
    for slug, area_obj in ctx.areas.items():
        rng = ctx.rng(f"parcels.{slug}")
        staff = dict(
            StaffMembership.objects.filter(area=area_obj, role__in=[Role.PARCEL_STAFF, Role.AREA_MANAGER])
            .order_by("pk")
            .values_list("role", "user_id")
        )
        if not staff:
            continue
        point = _make_point(area_obj, slug)
        member_ids = [m.user_id for m in ctx.members if m.area_slug == slug]
        members = [
            (pk, f"{first} {last}".strip(), email)
            for pk, first, last, email in User.objects.filter(pk__in=member_ids)
            .order_by("pk")
            .values_list("pk", "first_name", "last_name", "email")
        ]
        zone = ZoneInfo(area_obj.time_zone)
        area = _Area(
            slug=slug,
            country=area_obj.country,
            zone=zone,
            now=ctx.at(area_obj, ctx.today, 11),
            point=point,
            staff_id=staff.get(Role.PARCEL_STAFF) or staff[Role.AREA_MANAGER],
            manager_id=staff.get(Role.AREA_MANAGER) or staff[Role.PARCEL_STAFF],
            agreements=_make_agreements(point),
            closed={
                h.date
                for h in public_holidays(area_obj.country, ctx.today - timedelta(days=HISTORY_DAYS + 1), ctx.today)
                if h.custom in ("closed", "sunday")
            },
            members=members,
        )
        LearnedCarrierPrefix.objects.create(
            point=point,
            prefix="3SKEIS",
            carrier=area.agreements["postnl"].carrier,
            learned_at=area.now - timedelta(days=HISTORY_DAYS),
            learned_by_id=area.staff_id,
        )
        per_day = total_per_day * shares.get(slug, 1 / len(ctx.areas))
        _simulate(ctx, area, rng, per_day, numbers)
        _make_slots(area, rng)
        _credentials(area, rng)
        handovers = _handovers(area, rng)
        _write(ctx, area, handovers)
        _expected(ctx, area, rng, per_day, numbers)
        ctx.count("parcel points", 1)


@demo_wipe(order=200, name="parcels.points")
def wipe_parcel_points(scope: WipeScope) -> None:
    """Every point of a demo area with all that hangs off it, and any parcel history a demo person made."""
    points = ParcelPoint.objects.filter(area_id__in=scope.area_ids)
    point_ids = points.values("pk")
    parcels = Parcel.objects.filter(point__in=point_ids)
    delete_append_only(ParcelEvent, Q(parcel__point__in=point_ids) | Q(by__in=scope.users))
    delete_many(InventoryScan.objects.filter(Q(count__point__in=point_ids) | Q(count__by__in=scope.users)))
    delete_many(InventoryCount.objects.filter(Q(point__in=point_ids) | Q(by__in=scope.users)))
    delete_many(HandoverItem.objects.filter(Q(handover__point__in=point_ids) | Q(by__in=scope.users)))
    delete_many(Handover.objects.filter(Q(point__in=point_ids) | Q(by__in=scope.users)))
    delete_many(ParcelNotice.objects.filter(parcel__point__in=point_ids))
    delete_many(parcels)
    delete_many(Announcement.objects.filter(point__in=point_ids))
    delete_many(ParcelWatch.objects.filter(Q(point__in=point_ids) | Q(member__in=scope.users)))
    delete_many(StorageLocation.objects.filter(point__in=point_ids))
    delete_many(CarrierAgreement.objects.filter(point__in=point_ids))
    delete_many(points)


# --- Consistency ---------------------------------------------------------------------------------------------


def check_demo() -> list[str]:
    """What is inconsistent in the parcel data (empty: all is well). For the demo's tests."""
    from django.db.models import Count, F, OuterRef, Subquery

    problems = []
    last_state = ParcelEvent.objects.filter(parcel=OuterRef("pk")).order_by("-at", "-pk").values("to_state")[:1]
    wrong = Parcel.objects.annotate(last=Subquery(last_state)).exclude(state=F("last"))
    if n := wrong.count():
        problems.append(f"{n} parcels whose state is not their last event's")
    over = StorageLocation.objects.annotate(n=Count("parcels", filter=Q(parcels__state__in=IN_HOUSE_STATES))).filter(
        n__gt=F("capacity")
    )
    if n := over.count():
        problems.append(f"{n} slots holding more parcels than they take")
    fees = {(a.point_id, a.carrier_id): a for a in CarrierAgreement.objects.all()}
    wrong_fees = 0
    for point_id, carrier_id, billable, cents in (
        ParcelEvent.objects.exclude(billable="")
        .values_list("parcel__point_id", "parcel__carrier_id", "billable", "fee_cents")
        .iterator()
    ):
        agreement = fees.get((point_id, carrier_id))
        wrong_fees += agreement is None or agreement.fee_for(billable) != cents
    if wrong_fees:
        problems.append(f"{wrong_fees} billable events whose fee is not the agreement's")
    expected_billable = {state: kind for state, kind in BILLABLE.items()}
    if n := ParcelEvent.objects.exclude(Q(to_state__in=list(expected_billable)) | Q(billable="")).count():
        problems.append(f"{n} events billable though their state is not")
    for state, kind in expected_billable.items():
        if n := ParcelEvent.objects.filter(to_state=state).exclude(kind=EventKind.MOVED).exclude(billable=kind).count():
            problems.append(f"{n} events to {state} not billable as {kind}")
    return problems
