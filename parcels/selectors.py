"""Reads of the parcel point: waiting parcels by code, QR token or name; slot occupancy and suggestions; where a
point is and when it is open (`point_for_recipients`, for other apps' pages and e-mails)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from .models import (
    SIZE_ORDER,
    Direction,
    EventKind,
    Parcel,
    ParcelEvent,
    ParcelPoint,
    StorageLocation,
    location_name,
    size_rank,
)
from .states import IN_HOUSE_STATES, LEAVING_STATES, WAITING_STATES, ParcelState

#: What the QR in the recipient's e-mail encodes: this prefix and the parcel's `pickup_token`.
QR_PREFIX = "AGORA-PARCEL:"


@dataclass(frozen=True)
class PointForRecipients:
    """What a recipient needs to find a parcel point: its name, address, phone and opening hours (with notes)."""

    name: str
    address: str
    phone: str
    opening_notes: str


def point_for_recipients(point_id: int | None) -> PointForRecipients | None:
    """The point's name, address ("street, postcode town"), phone and opening hours as its staff wrote them, for
    a recipient (the webshop's order page and e-mails); None for no point or one that is no longer active."""
    point = ParcelPoint.objects.filter(pk=point_id, is_active=True).first() if point_id else None
    if point is None:
        return None
    address = ", ".join(part for part in (point.street, f"{point.postcode} {point.city}".strip()) if part)
    return PointForRecipients(point.name, address, point.phone, point.opening_notes.strip())


def pickup_qr_payload(parcel: Parcel) -> str:
    """The text of the pickup QR code for the parcel's recipient (the same for all their waiting parcels)."""
    return f"{QR_PREFIX}{parcel.pickup_token}"


def normalise_pickup_code(value: str) -> str:
    """What staff typed or the scanner read, as stored: upper case, no spaces or dashes; a QR's prefix kept."""
    value = (value or "").strip()
    if value.upper().startswith(QR_PREFIX):
        return QR_PREFIX + value[len(QR_PREFIX) :]
    return value.upper().replace(" ", "").replace("-", "")


def is_released_by_its_code(parcel: Parcel, *, now) -> bool:
    """Waiting for its recipient, or marked missing at an inventory and turned up before its last day: the code
    releases it all the same (a parcel on the shelf must not be refused because a count missed it)."""
    if parcel.state in WAITING_STATES:
        return True
    return (
        parcel.state == ParcelState.MISSING
        and parcel.direction == Direction.INBOUND
        and parcel.storage_until is not None
        and parcel.storage_until > now
    )


def find_waiting_parcels(
    *,
    point: ParcelPoint,
    pickup_code: str | None = None,
    token: str | None = None,
    name: str | None = None,
    now=None,
) -> QuerySet[Parcel]:
    """The parcels waiting at the point for the code (or QR token, with or without its prefix), narrowed by the
    recipient's name when given; by name alone (at least 3 letters) for the desk's fallback search. Parcels marked
    missing that are still within their storage time count too (`is_released_by_its_code`).

    Nothing given (or a name too short) gives nothing. Counting wrong codes is the pickup service's job.
    """
    released = Q(state__in=WAITING_STATES) | Q(
        state=ParcelState.MISSING, direction=Direction.INBOUND, storage_until__gt=now or timezone.now()
    )
    parcels = Parcel.objects.filter(released, point=point).select_related("carrier", "location")
    if token:
        token = token.strip()
        token = token[len(QR_PREFIX) :] if token.upper().startswith(QR_PREFIX) else token
        parcels = parcels.filter(pickup_token=token)
    elif pickup_code:
        parcels = parcels.filter(pickup_code=normalise_pickup_code(pickup_code))
    elif not (name and len(name.strip()) >= 3):
        return parcels.none()
    if name and name.strip():
        parcels = parcels.filter(recipient_name__icontains=name.strip())
    return parcels.order_by("location__zone", "location__shelf", "location__slot", "pk")


def location_occupancy(location: StorageLocation, *, excluding: Parcel | None = None) -> int:
    """How many parcels take up room in the slot now."""
    parcels = Parcel.objects.filter(location=location, state__in=IN_HOUSE_STATES)
    if excluding is not None and excluding.pk:
        parcels = parcels.exclude(pk=excluding.pk)
    return parcels.count()


# Written out rather than composed by the ORM: it runs on every intake scan, where building the annotated query
# took longer than running it. Only parcels in the house are counted (through the state index: a slot's parcels
# that left long ago are not read again), grouped per slot of the point, then joined to the point's slots.
_SUGGEST_SQL = """
SELECT * FROM (
    SELECT loc.*,
           CASE loc.size_class {ranks} ELSE %s END AS size_rank,
           COALESCE(inside.occupied, 0) AS occupied,
           COALESCE(inside.together, 0) AS together
    FROM {locations} loc
    LEFT JOIN (
        SELECT parcel.location_id,
               COUNT(*) AS occupied,
               MAX(CASE WHEN parcel.recipient_email = %s THEN 1 ELSE 0 END) AS together
        FROM {parcels} parcel
        INNER JOIN {locations} here ON here.id = parcel.location_id AND here.point_id = %s
        WHERE parcel.state IN ({states})
        GROUP BY parcel.location_id
    ) inside ON inside.location_id = loc.id
    WHERE loc.point_id = %s AND loc.is_active = %s
) free
WHERE free.size_rank >= %s AND free.occupied < free.capacity
ORDER BY free.together DESC, free.size_rank, free.occupied, free.zone, free.shelf, free.slot
LIMIT 1
"""


def suggest_location(
    *, point: ParcelPoint, size_class: str = "", recipient_email: str = "", is_oversize: bool = False
) -> StorageLocation | None:
    """A slot with room for the parcel: next to the recipient's other waiting parcels if that slot fits (one trip
    to the shelf at pickup), else the smallest size class that takes it, the emptiest first. None: all full."""
    rank = max(size_rank(size_class), len(SIZE_ORDER) - 1 if is_oversize else 0)
    # Addresses are stored lower-cased; no address matches no parcel (NULL equals nothing).
    email = (recipient_email or "").strip().lower() or None
    states = sorted(IN_HOUSE_STATES)
    sql = _SUGGEST_SQL.format(
        ranks=" ".join("WHEN %s THEN %s" for _size in SIZE_ORDER),
        states=", ".join(["%s"] * len(states)),
        locations=connection.ops.quote_name(StorageLocation._meta.db_table),
        parcels=connection.ops.quote_name(Parcel._meta.db_table),
    )
    params = [
        *(value for rank_of, size in enumerate(SIZE_ORDER) for value in (str(size), rank_of)),
        size_rank(""),  # a slot of unknown size counts as M, as parcels do
        email,
        point.pk,
        *states,
        point.pk,
        True,
        rank,
    ]
    return next(iter(StorageLocation.objects.raw(sql, params)), None)


def parcel_history(parcel: Parcel) -> QuerySet[ParcelEvent]:
    """Every event of the parcel, oldest first, with who and where (for the "history" view)."""
    return parcel.events.select_related("by", "location").order_by("at", "pk")


# --- Back office: handover lists, manifests and inventory results -------------------------------------------


def as_of(parcels: QuerySet[Parcel], at, *, strictly_before: bool = False) -> QuerySet[Parcel]:
    """The parcels with `state_then` and `location_then_id`: their state and slot after their last event at `at`
    (or before it), read from the append-only events, so a manifest or an inventory result stays as it was."""
    from django.db.models import OuterRef, Subquery

    lookup = {"at__lt": at} if strictly_before else {"at__lte": at}
    last = ParcelEvent.objects.filter(parcel=OuterRef("pk"), **lookup).order_by("-at", "-pk")
    return parcels.annotate(
        state_then=Subquery(last.values("to_state")[:1]),
        location_then_id=Subquery(last.values("location")[:1]),
    )


def leaving_parcels(point: ParcelPoint, carrier=None) -> QuerySet[Parcel]:
    """The parcels on a carrier's handover list now (returns dropped off, expired parcels), oldest first."""
    parcels = Parcel.objects.filter(point=point, state__in=LEAVING_STATES).select_related("carrier", "location")
    if carrier is not None:
        parcels = parcels.filter(carrier=carrier)
    return parcels.order_by("received_at", "pk")


def leaving_counts(point: ParcelPoint) -> list[dict]:
    """Per carrier of the point: how many returns and expired parcels are waiting for its driver (carriers
    with an agreement, those with parcels first)."""
    from .models import Carrier

    counts = {
        (row["carrier_id"], row["state"]): row["n"]
        for row in Parcel.objects.filter(point=point, state__in=LEAVING_STATES)
        .values("carrier_id", "state")
        .annotate(n=Count("pk"))
    }
    carriers = Carrier.objects.filter(pk__in=point.agreements.values("carrier_id")).order_by("name")
    rows = [
        {
            "carrier": carrier,
            "returns": counts.get((carrier.pk, "return_received"), 0),
            "expired": counts.get((carrier.pk, "expired"), 0),
        }
        for carrier in carriers
    ]
    for row in rows:
        row["total"] = row["returns"] + row["expired"]
    return sorted(rows, key=lambda row: (row["total"] == 0, row["carrier"].name))


def handed_over_parcels(handover) -> QuerySet[Parcel]:
    """The parcels a closed handover gave the driver."""
    return (
        Parcel.objects.filter(events__handover=handover, events__to_state="handed_to_carrier")
        .select_related("carrier", "location")
        .distinct()
        .order_by("received_at", "pk")
    )


def kept_back_parcels(handover) -> list[Parcel]:
    """The parcels on the list when the handover closed that were not scanned (they stayed at the point)."""
    if handover.closed_at is None:
        return []
    at = handover.closed_at
    candidates = Parcel.objects.filter(
        Q(left_at__isnull=True) | Q(left_at__gt=at), point_id=handover.point_id, carrier_id=handover.carrier_id
    ).filter(received_at__lte=at)
    return list(
        as_of(candidates, at)
        .filter(state_then__in=LEAVING_STATES)
        .exclude(pk__in=handed_over_parcels(handover).values("pk"))
        .select_related("carrier", "location")
        .order_by("received_at", "pk")
    )


# --- The member's parcels, and pickups for analytics ---------------------------------------------------------


def verified_emails(user) -> list[str]:
    """The account's confirmed e-mail addresses: a parcel sent to one of them is the member's."""
    from allauth.account.models import EmailAddress

    return [
        email.lower() for email in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    ]


def _of_member(user, *, user_field: str) -> Q:
    emails = verified_emails(user)
    mine = Q(**{user_field: user.pk})
    if emails:
        mine |= Q(recipient_email__in=emails)
    return mine


def member_parcels(user) -> QuerySet[Parcel]:
    """The member's parcels at every point: linked to the account or sent to one of its confirmed e-mail
    addresses (an unconfirmed address shows nothing: it could be someone else's). Newest first."""
    if not (user and user.is_authenticated):
        return Parcel.objects.none()
    return (
        Parcel.objects.filter(_of_member(user, user_field="recipient"), direction="inbound")
        .select_related("point__area", "carrier", "location")
        .order_by("-received_at", "-pk")
    )


def member_expected_parcels(user, *, limit: int = 50) -> list:
    """What the member expects, newest first (at most `limit`): what a carrier or shop announced for them (linked
    to the account or to a confirmed address) that has not arrived, and their own notes (`ParcelWatch`) while no
    parcel of theirs has the code. A note stays when the parcel came for someone else: it never tells them so.
    Rows of announcements and notes: `point`, `carrier`, `tracking_code`, `expected_on` (None for a note)."""
    from .models import Announcement, ParcelWatch

    if not (user and user.is_authenticated):
        return []
    announced = list(
        Announcement.objects.filter(_of_member(user, user_field="member"), parcel__isnull=True)
        .select_related("point__area", "carrier")
        .order_by("-created_at", "-pk")[:limit]
    )
    notes = list(
        ParcelWatch.objects.filter(member=user)
        .select_related("point__area", "carrier")
        .order_by("-created_at", "-pk")[:limit]
    )
    if notes:
        arrived = set(
            member_parcels(user)
            .filter(tracking_code__in={note.tracking_code for note in notes})
            .values_list("point_id", "carrier_id", "tracking_code")
        )
        known = arrived | {(a.point_id, a.carrier_id, a.tracking_code) for a in announced}
        for note in notes:
            if (note.point_id, note.carrier_id, note.tracking_code) not in known:
                note.expected_on = None
                announced.append(note)
    return sorted(announced, key=lambda row: row.created_at, reverse=True)[:limit]


def member_of_parcel(parcel: Parcel):
    """The account a parcel belongs to: its recipient, or the account with the parcel's e-mail confirmed."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    if parcel.recipient_id:
        return parcel.recipient
    if not parcel.recipient_email:
        return None
    user_id = (
        EmailAddress.objects.filter(email__iexact=parcel.recipient_email, verified=True)
        .values_list("user_id", flat=True)
        .first()
    )
    return get_user_model().objects.filter(pk=user_id, is_active=True).first() if user_id else None


def pickups(*, area, start, end) -> list[tuple]:
    """The area's pickups with `start <= picked_up_at < end`, for analytics (shop visits after a pickup):
    rows of (recipient's pseudonym or None, point id, carrier code, picked_up_at). No names or e-mails; a
    parcel whose recipient data was erased (after the retention period) has no pseudonym."""
    from allauth.account.models import EmailAddress
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from .models import EventKind

    by_email = EmailAddress.objects.filter(email__iexact=OuterRef("parcel__recipient_email"), verified=True).exclude(
        email=""
    )
    rows = (
        ParcelEvent.objects.filter(kind=EventKind.PICKED_UP, parcel__point__area=area, at__gte=start, at__lt=end)
        .annotate(
            pseudonym=Coalesce(F("parcel__recipient__pseudonym"), Subquery(by_email.values("user__pseudonym")[:1]))
        )
        .order_by("at", "pk")
        .values_list("pseudonym", "parcel__point_id", "parcel__carrier__code", "at")
    )
    return list(rows)


def search_parcels(*, area_id: int, query: str, limit: int = 50) -> QuerySet[Parcel]:
    """The desk's parcel search in an area's points: by tracking code (as scanned, or its start), pickup code,
    or recipient's name (at least 3 letters); newest first. An empty or too short query gives nothing."""
    from .barcodes import normalise

    query = (query or "").strip()
    parcels = Parcel.objects.filter(point__area_id=area_id).select_related("carrier", "location", "point")
    if len(query) < 3:
        return parcels.none()
    code = normalise(query)
    matches = Q(tracking_code=code) | Q(tracking_code__startswith=query.upper().replace(" ", ""))
    matches |= Q(pickup_code=normalise_pickup_code(query)) | Q(recipient_name__icontains=query)
    return parcels.filter(matches).order_by("-received_at", "-pk")[:limit]


#: The events that put a parcel on a desk's list of recent scans: scanned in (or refused there), put on a slot.
RECENT_SCAN_KINDS = (EventKind.RECEIVED, EventKind.REFUSED, EventKind.STORED, EventKind.MOVED)
#: What the desk's list of recent scans shows of a parcel, by the name each row gives it.
_RECENT_SCAN_COLUMNS = {
    "pk": "parcel_id",
    "tracking_code": "parcel__tracking_code",
    "state": "parcel__state",
    "recipient_name": "parcel__recipient_name",
    "carrier": "parcel__carrier__name",
    "zone": "parcel__location__zone",
    "shelf": "parcel__location__shelf",
    "slot": "parcel__location__slot",
}


def recent_scans(*, point: ParcelPoint, device: str, limit: int = 10) -> list[dict]:
    """The last `limit` parcels the desk device scanned in or put on a slot at the point, newest first: what this
    desk just did, whoever stood at it (staff take turns at one desk). Rows of `_RECENT_SCAN_COLUMNS` and the
    slot's `location_name` ("" when on no slot).

    Read from the events (the desk's work is recorded there anyway), in one query: the device's last `3 × limit`
    such events, newest first through the (device, at) index; each parcel listed once. Plain rows, not models:
    this runs on every scan."""
    if not device:
        return []
    events = ParcelEvent.objects.filter(device=device, kind__in=RECENT_SCAN_KINDS, parcel__point=point)
    rows = events.order_by("-at").values_list(*_RECENT_SCAN_COLUMNS.values())
    parcels: dict[int, dict] = {}
    for values in rows[: 3 * limit]:  # a parcel has two such events (scanned in, put on its slot), rarely more
        if values[0] not in parcels:
            row = dict(zip(_RECENT_SCAN_COLUMNS, values, strict=True))
            row["location_name"] = "" if row["zone"] is None else location_name(row["zone"], row["shelf"], row["slot"])
            parcels[row["pk"]] = row
    return list(parcels.values())[:limit]
