"""The daily shelf inventory: scan a slot label, then the parcels in that slot, slot after slot; then finish.

- `start_inventory` returns the point's unfinished inventory, or starts one (one at a time per point).
- `scan_inventory`: a slot label sets the current slot (the last slot scanned in the count); a parcel scan records
  it there. A parcel marked `missing` is found again by the scan: back to the shelf (this slot), to the return list
  (past its storage date) or to the returns awaiting collection. A code that is no parcel here is kept too (it is
  "unexpected").
- `finish_inventory` corrects the slot of every parcel found elsewhere than recorded (a `moved` event; a received
  parcel found on a shelf is `stored` there) and returns the result (`inventory_result`). Every parcel in the house
  is expected, on a slot or not: not scanned, it is missing (its slot was counted), uncounted (its slot was never
  scanned: a partial count), or not on a shelf (scanned in but never put on a slot, a return dropped off). Also
  unexpected, moved, found again. Parcels received after the start are not expected (they may be on a shelf
  already counted).
- `mark_missing_parcels`: after the finish, the missing parcels go to `missing` (with a note), only those of slots
  that were counted, and not those that changed since (picked up, moved at the desk). Writing one off stays the
  manager's `declare_lost`. A parcel marked missing that turns up is found again by a later scan, or released by
  its pickup code (`services.pickup`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ..exceptions import InvalidTrackingCode, InventoryFinished, InventoryNotFinished, SlotFirst
from ..models import (
    Direction,
    EventKind,
    InventoryCount,
    InventoryScan,
    Parcel,
    ParcelEvent,
    ParcelPoint,
    StorageLocation,
)
from ..selectors import as_of
from ..states import IN_HOUSE_STATES, ParcelState
from .access import require_desk
from .transitions import lock_parcels, record_move, transition

SLOT, PARCEL, UNKNOWN = "slot", "parcel", "unknown"


@dataclass(frozen=True)
class InventoryScanResult:
    """What the screen says after a scan: `kind` (slot, parcel or unknown), the current slot, the parcel and
    whether it was found again; `expected_location` is where the parcel was recorded."""

    kind: str
    location: StorageLocation | None
    parcel: Parcel | None = None
    is_found_again: bool = False
    expected_location: StorageLocation | None = None

    @property
    def is_elsewhere(self) -> bool:
        return self.parcel is not None and self.expected_location != self.location

    @property
    def has_left(self) -> bool:
        return self.parcel is not None and self.parcel.state not in IN_HOUSE_STATES


@transaction.atomic
def start_inventory(*, point: ParcelPoint, by, device: str = "", now: datetime | None = None) -> InventoryCount:
    """The point's unfinished inventory, or a new one. Raises NotAllowed, PointClosed."""
    require_desk(by, point)
    # Two desks starting at once make one inventory: the point's row lock serialises them.
    ParcelPoint.objects.select_for_update().filter(pk=point.pk).first()
    count = InventoryCount.objects.filter(point=point, finished_at__isnull=True).order_by("-started_at").first()
    if count is None:
        count = InventoryCount.objects.create(point=point, by=by, started_at=now or timezone.now())
    return count


def current_slot(count: InventoryCount) -> StorageLocation | None:
    """The slot whose label was scanned last in the count (the parcels scanned next are in it)."""
    for scan in (
        count.scans.filter(parcel__isnull=True, location__isnull=False)
        .select_related("location")
        .order_by("-scanned_at", "-pk")
    ):
        if scan.raw_code == scan.location.label_code:
            return scan.location
    return None


@transaction.atomic
def scan_inventory(
    *, count: InventoryCount, raw_code: str, by, device: str = "", now: datetime | None = None
) -> InventoryScanResult:
    """Record one scan (see the module docstring). Raises SlotFirst (a parcel before any slot label),
    InventoryFinished, InvalidTrackingCode, NotAllowed, PointClosed."""
    from .. import barcodes

    now = now or timezone.now()
    # The count's row lock: a scan and the finish never interleave.
    count = InventoryCount.objects.select_for_update(of=("self",)).select_related("point__area").get(pk=count.pk)
    require_desk(by, count.point)
    if count.finished_at is not None:
        raise InventoryFinished()
    raw = (raw_code or "").strip()
    if not raw:
        raise InvalidTrackingCode()
    location = StorageLocation.objects.filter(point=count.point, label_code=raw.upper()).first()
    if location is not None:
        InventoryScan.objects.create(count=count, raw_code=location.label_code, location=location, scanned_at=now)
        return InventoryScanResult(kind=SLOT, location=location)
    slot = current_slot(count)
    if slot is None:
        raise SlotFirst()
    code = barcodes.normalise(raw) or raw.upper()
    parcels = list(Parcel.objects.filter(point=count.point, tracking_code=code).select_related("carrier", "location"))
    # The same code at two carriers: the one that should be in the house.
    parcels.sort(key=lambda p: (p.state not in IN_HOUSE_STATES and p.state != ParcelState.MISSING, p.pk))
    parcel = parcels[0] if parcels else None
    expected = parcel.location if parcel else None
    found_again = False
    if parcel is not None and parcel.state == ParcelState.MISSING:
        (parcel,) = lock_parcels([parcel.pk])
        if parcel.state == ParcelState.MISSING:
            parcel.location = slot
            transition(
                parcel,
                _back_from_missing(parcel, now),
                by=by,
                device=device,
                at=now,
                note=_inventory_note(count, gettext_noop("Found again at the inventory of %(date)s")),
            )
            found_again = True
    InventoryScan.objects.create(
        count=count, raw_code=(code if parcel else raw)[:100], parcel=parcel, location=slot, scanned_at=now
    )
    return InventoryScanResult(
        kind=PARCEL if parcel else UNKNOWN,
        location=slot,
        parcel=parcel,
        is_found_again=found_again,
        expected_location=expected,
    )


def _back_from_missing(parcel: Parcel, now: datetime) -> str:
    """Where a parcel found again belongs: a return to the returns, an inbound one past its date to the return
    list, else back on the shelf."""
    if parcel.direction == Direction.RETURN:
        return ParcelState.RETURN_RECEIVED
    if parcel.storage_until is not None and parcel.storage_until <= now:
        return ParcelState.EXPIRED
    return ParcelState.STORED


def _inventory_note(count: InventoryCount, text: str) -> str:
    """`text` with the inventory's date, in the area's language (the note stays in the parcel's history)."""
    area = count.point.area
    with translation.override((area.languages or [settings.LANGUAGE_CODE])[0]):
        day = formats.date_format(timezone.localtime(count.started_at, area.tz), "SHORT_DATE_FORMAT")
        return _(text) % {"date": day}


def finish_inventory(*, count: InventoryCount, by, device: str = "", now: datetime | None = None) -> InventoryResult:
    """Finish the count: correct the slots of parcels found elsewhere, and return the result. Finishing it again
    returns the same result. Raises NotAllowed, PointClosed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = InventoryCount.objects.select_for_update(of=("self",)).select_related("point__area").get(pk=count.pk)
        require_desk(by, locked.point)
        if locked.finished_at is None:
            last_slot: dict[int, int] = {}
            for parcel_id, location_id in (
                locked.scans.filter(parcel__isnull=False)
                .order_by("scanned_at", "pk")
                .values_list("parcel_id", "location_id")
            ):
                last_slot[parcel_id] = location_id
            slots = {loc.pk: loc for loc in StorageLocation.objects.filter(pk__in=set(last_slot.values()))}
            for parcel in lock_parcels(last_slot, state__in=IN_HOUSE_STATES):
                found_in = slots.get(last_slot[parcel.pk])
                if found_in is None or parcel.location_id == found_in.pk:
                    continue
                parcel.location = found_in
                if parcel.state == ParcelState.RECEIVED:
                    transition(parcel, ParcelState.STORED, by=by, device=device, at=now)
                else:
                    record_move(parcel, by=by, device=device, at=now)
            locked.finished_at = now
            locked.save(update_fields=["finished_at"])
    return inventory_result(locked)


@transaction.atomic
def mark_missing_parcels(*, count: InventoryCount, by, device: str = "", now: datetime | None = None) -> list[Parcel]:
    """Mark the finished inventory's missing parcels `missing`, with a note: only those recorded in a slot that was
    counted (the parcels of slots never scanned, and those on no slot, are not marked); a parcel with an event since
    the finish (picked up, stored at the desk) is left alone, and one already missing too. Returns those marked.
    Raises InventoryNotFinished, NotAllowed, PointClosed."""
    now = now or timezone.now()
    locked = InventoryCount.objects.select_for_update(of=("self",)).select_related("point__area").get(pk=count.pk)
    require_desk(by, locked.point)
    if locked.finished_at is None:
        raise InventoryNotFinished()
    ids = [line.parcel.pk for line in inventory_result(locked).missing]
    changed_since = set(
        ParcelEvent.objects.filter(parcel_id__in=ids, at__gt=locked.finished_at).values_list("parcel_id", flat=True)
    )
    note = _inventory_note(locked, gettext_noop("Not found on its shelf at the inventory of %(date)s"))
    marked = []
    for parcel in lock_parcels(set(ids) - changed_since, state__in=IN_HOUSE_STATES):
        transition(parcel, ParcelState.MISSING, by=by, device=device, at=now, note=note)
        marked.append(parcel)
    return marked


# --- The result (a read) --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryLine:
    parcel: Parcel | None
    location: StorageLocation | None  # where it should be (missing) or where it was found (others)
    from_location: StorageLocation | None = None  # moved: where it was recorded before
    raw_code: str = ""  # unexpected, unknown: the code as scanned
    reason: str = ""  # unexpected: "unknown", or the state (code) of a parcel that had left the point


@dataclass(frozen=True)
class InventoryResult:
    """A finished inventory. Of the parcels in the house at the finish and not scanned: `missing` (recorded in a
    slot that was scanned), `uncounted` (recorded in a slot never scanned: perhaps skipped; `unscanned_slots`
    are those slots) and `not_on_shelf` (on no slot: scanned in and never put away, or a return dropped off).
    Also `unexpected` (an unknown code, or a parcel that had left the point), `moved` (found in another slot, or
    on a shelf without one: its slot was corrected at the finish), `found` (missing before, scanned again)."""

    count: object
    scans: int
    missing: list[InventoryLine] = field(default_factory=list)
    unexpected: list[InventoryLine] = field(default_factory=list)
    moved: list[InventoryLine] = field(default_factory=list)
    found: list[InventoryLine] = field(default_factory=list)
    unscanned_slots: list[StorageLocation] = field(default_factory=list)
    uncounted: list[InventoryLine] = field(default_factory=list)
    not_on_shelf: list[InventoryLine] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not (self.missing or self.unexpected or self.uncounted or self.not_on_shelf)


def is_slot_scan(scan) -> bool:
    """A scan of a slot label (it sets the slot the next parcels are in), not of a parcel or an unknown code."""
    return scan.parcel_id is None and scan.location_id is not None and scan.raw_code == scan.location.label_code


def inventory_result(count) -> InventoryResult:
    """The result of a finished inventory, read from its scans and the events up to its finish (so it reads the
    same later). Raises InventoryNotFinished."""
    if count.finished_at is None:
        count = InventoryCount.objects.select_related("point__area").get(pk=count.pk)
        if count.finished_at is None:
            raise InventoryNotFinished()
    at = count.finished_at
    scans = list(count.scans.select_related("parcel__carrier", "location").order_by("scanned_at", "pk"))
    slots = {loc.pk: loc for loc in StorageLocation.objects.filter(point_id=count.point_id)}
    last_scan: dict[int, object] = {}
    unexpected: list[InventoryLine] = []
    scanned_slot_ids = set()
    for scan in scans:
        if is_slot_scan(scan):
            scanned_slot_ids.add(scan.location_id)
        elif scan.parcel_id is None:
            unexpected.append(InventoryLine(None, scan.location, raw_code=scan.raw_code, reason="unknown"))
        else:
            last_scan[scan.parcel_id] = scan
    scanned_ids = set(last_scan)

    # Every parcel in the house, on a slot or not: one scanned in but never put away is the likeliest to get lost.
    expected = as_of(
        Parcel.objects.filter(Q(left_at__isnull=True) | Q(left_at__gt=at), point_id=count.point_id).filter(
            received_at__lt=count.started_at
        ),
        at,
    ).filter(state_then__in=IN_HOUSE_STATES)
    missing, uncounted, not_on_shelf = [], [], []
    for parcel in expected.exclude(pk__in=scanned_ids).select_related("carrier").order_by("pk"):
        location = slots.get(parcel.location_then_id)
        if location is None:
            not_on_shelf.append(InventoryLine(parcel, None))
        elif location.pk in scanned_slot_ids:
            missing.append(InventoryLine(parcel, location))
        else:
            uncounted.append(InventoryLine(parcel, location))
    for lines in (missing, uncounted):
        lines.sort(
            key=lambda line: ((line.location.zone, line.location.shelf, line.location.slot), line.parcel.tracking_code)
        )
    not_on_shelf.sort(key=lambda line: (line.parcel.received_at, line.parcel.pk))

    states_then = {
        parcel.pk: parcel for parcel in as_of(Parcel.objects.filter(pk__in=scanned_ids), at).select_related("carrier")
    }
    moved_events = {
        event.parcel_id: event
        for event in ParcelEvent.objects.filter(
            parcel_id__in=scanned_ids, at=at, kind__in=(EventKind.MOVED, EventKind.STORED)
        )
    }
    before = {
        p.pk: p.location_then_id for p in as_of(Parcel.objects.filter(pk__in=moved_events), at, strictly_before=True)
    }
    moved, found = [], []
    for parcel_id, scan in last_scan.items():
        parcel = states_then[parcel_id]
        if parcel.state_then not in IN_HOUSE_STATES:
            unexpected.append(
                InventoryLine(parcel, scan.location, raw_code=scan.raw_code, reason=parcel.state_then or "")
            )
        elif parcel_id in moved_events:
            moved.append(InventoryLine(parcel, scan.location, from_location=slots.get(before.get(parcel_id))))
    found_ids = ParcelEvent.objects.filter(
        parcel_id__in=scanned_ids, kind=EventKind.FOUND, at__gte=count.started_at, at__lte=at
    ).values_list("parcel_id", flat=True)
    found = [InventoryLine(states_then[pk], last_scan[pk].location) for pk in sorted(set(found_ids))]
    unscanned = sorted(
        {line.location.pk: line.location for line in uncounted}.values(),
        key=lambda loc: (loc.zone, loc.shelf, loc.slot),
    )
    return InventoryResult(
        count=count,
        scans=len(scans),
        missing=missing,
        unexpected=unexpected,
        moved=moved,
        found=found,
        unscanned_slots=unscanned,
        uncounted=uncounted,
        not_on_shelf=not_on_shelf,
    )
