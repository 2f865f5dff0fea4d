"""Reads of the parcel point: waiting parcels by code, QR token or name; slot occupancy and suggestions."""

from __future__ import annotations

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from .models import SIZE_ORDER, Parcel, ParcelEvent, ParcelPoint, StorageLocation, size_rank
from .states import IN_HOUSE_STATES

#: What the QR in the recipient's e-mail encodes: this prefix and the parcel's `pickup_token`.
QR_PREFIX = "AGORA-PARCEL:"


def pickup_qr_payload(parcel: Parcel) -> str:
    """The text of the pickup QR code for the parcel's recipient (the same for all their waiting parcels)."""
    return f"{QR_PREFIX}{parcel.pickup_token}"


def normalise_pickup_code(value: str) -> str:
    """What staff typed or the scanner read, as stored: upper case, no spaces or dashes; a QR's prefix kept."""
    value = (value or "").strip()
    if value.upper().startswith(QR_PREFIX):
        return QR_PREFIX + value[len(QR_PREFIX) :]
    return value.upper().replace(" ", "").replace("-", "")


def find_waiting_parcels(
    *, point: ParcelPoint, pickup_code: str | None = None, token: str | None = None, name: str | None = None
) -> QuerySet[Parcel]:
    """The parcels waiting at the point for the code (or QR token, with or without its prefix), narrowed by the
    recipient's name when given; by name alone (at least 3 letters) for the desk's fallback search.

    Nothing given (or a name too short) gives nothing. Counting wrong codes is the pickup service's job.
    """
    parcels = Parcel.objects.waiting().filter(point=point).select_related("carrier", "location")
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


def locations_with_occupancy(point: ParcelPoint) -> QuerySet[StorageLocation]:
    """The point's slots in use, each with `occupied` (parcels in it) and `size_rank` (0 for S … 3 for XL)."""
    return (
        StorageLocation.objects.filter(point=point, is_active=True)
        .annotate(
            occupied=Count("parcels", filter=Q(parcels__state__in=IN_HOUSE_STATES), distinct=True),
            size_rank=Case(
                *(When(size_class=size, then=Value(rank)) for rank, size in enumerate(SIZE_ORDER)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("zone", "shelf", "slot")
    )


def suggest_location(
    *, point: ParcelPoint, size_class: str = "", recipient_email: str = "", is_oversize: bool = False
) -> StorageLocation | None:
    """A slot with room for the parcel: next to the recipient's other waiting parcels if that slot fits (one trip
    to the shelf at pickup), else the smallest size class that takes it, the emptiest first. None: all full."""
    rank = max(size_rank(size_class), len(SIZE_ORDER) - 1 if is_oversize else 0)
    free = locations_with_occupancy(point).filter(size_rank__gte=rank, occupied__lt=F("capacity"))
    if recipient_email:
        together = free.filter(
            parcels__recipient_email__iexact=recipient_email, parcels__state__in=IN_HOUSE_STATES
        ).first()
        if together is not None:
            return together
    return free.order_by("size_rank", "occupied", "zone", "shelf", "slot").first()


def parcel_history(parcel: Parcel) -> QuerySet[ParcelEvent]:
    """Every event of the parcel, oldest first, with who and where (for the "history" view)."""
    return parcel.events.select_related("by", "location").order_by("at", "pk")


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


def parcels_by_ids(*, point: ParcelPoint, ids: list[int]) -> list[Parcel]:
    """The point's parcels with these ids, in the order given (the desk's list of recent scans)."""
    found = {p.pk: p for p in Parcel.objects.filter(point=point, pk__in=ids).select_related("carrier", "location")}
    return [found[pk] for pk in ids if pk in found]
