"""The one function that changes a parcel's state, and the locks and keys the other services share.

Rules every service keeps:

- `transition` is the only writer of `Parcel.state`. It refuses moves not in `states.TRANSITIONS`, and writes
  the append-only `ParcelEvent` (who, desk device, when, where, from → to) with the fee of a billable scan
  copied from the point's agreement with the carrier at that moment.
- A service changing an existing parcel holds its row lock (`lock_parcels`, in pk order, so two desks locking
  the same parcels never deadlock) for the rest of its transaction.
- Retried desk requests carry a request key under a unique constraint; keys the services derive themselves
  (one per parcel of a multi-parcel request) come from `derived_key`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from ..exceptions import InvalidTransition
from ..models import Billable, CarrierAgreement, EventKind, Parcel, ParcelEvent
from ..states import ParcelState, can_move

#: Namespace of the request keys the services derive from a desk's key (one per parcel of a pickup).
KEY_NAMESPACE = uuid.UUID("5f0c8a1e-2b7d-5e43-9a06-7c1d3e8b4f21")

#: The scans a carrier pays for, by the state they move a parcel to.
BILLABLE_BY_STATE = {
    ParcelState.RECEIVED: Billable.INTAKE,
    ParcelState.PICKED_UP: Billable.PICKUP,
    ParcelState.RETURN_RECEIVED: Billable.RETURN_DROP_OFF,
    ParcelState.HANDED_TO_CARRIER: Billable.HANDOVER,
}


def derived_key(request_key: uuid.UUID, what: str) -> uuid.UUID:
    """A stable key for one part of a request, e.g. ``derived_key(key, f"pickup:{parcel.pk}")``."""
    return uuid.uuid5(KEY_NAMESPACE, f"{request_key}:{what}")


def lock_parcels(
    ids: Iterable[int], *, related: tuple[str, ...] = ("carrier", "point__area", "location"), **lookup
) -> list[Parcel]:
    """The parcels, locked for the rest of the transaction, in pk order (with the `related` rows: carrier, point
    and slot unless told otherwise; those are not locked)."""
    parcels = Parcel.objects.select_for_update(of=("self",)).filter(pk__in=list(ids), **lookup)
    if related:  # select_related() without names would follow every relation
        parcels = parcels.select_related(*related)
    return list(parcels.order_by("pk"))


def agreement_for(parcel: Parcel) -> CarrierAgreement | None:
    return CarrierAgreement.objects.filter(point_id=parcel.point_id, carrier_id=parcel.carrier_id).first()


def transition(
    parcel: Parcel,
    to_state: str,
    *,
    by,
    device: str = "",
    note: str = "",
    at: datetime | None = None,
    kind: str | None = None,
    request_key: uuid.UUID | None = None,
    handover=None,
    agreement: CarrierAgreement | None = None,
) -> ParcelEvent:
    """Move `parcel` to `to_state` and record the event; raises InvalidTransition for a move not in the table.

    A parcel not saved yet is created in `to_state` (which must be an initial state). Other fields the caller
    set on the parcel are saved with the state. The caller holds the parcel's row lock (or just created it).
    """
    from_state = "" if parcel.pk is None else parcel.state
    if not can_move(from_state, to_state):
        raise InvalidTransition(from_state=from_state, to_state=to_state)
    at = at or timezone.now()
    parcel.state = to_state
    parcel.state_changed_at = at
    parcel.save()
    billable = BILLABLE_BY_STATE.get(to_state, Billable.NONE)
    if billable and agreement is None:
        agreement = agreement_for(parcel)
    return ParcelEvent.objects.create(
        parcel=parcel,
        kind=kind or _kind_for(from_state, to_state),
        from_state=from_state,
        to_state=to_state,
        at=at,
        by=by,
        device=(device or "")[:64],
        location=parcel.location,
        note=(note or "")[:300],
        billable=billable,
        fee_cents=agreement.fee_for(billable) if (billable and agreement) else 0,
        handover=handover,
        request_key=request_key,
    )


def record_move(parcel: Parcel, *, by, device: str = "", at: datetime | None = None) -> ParcelEvent:
    """A parcel moved to another slot without changing state (its `location` already set by the caller)."""
    parcel.save(update_fields=["location"])
    return ParcelEvent.objects.create(
        parcel=parcel,
        kind=EventKind.MOVED,
        from_state=parcel.state,
        to_state=parcel.state,
        at=at or timezone.now(),
        by=by,
        device=(device or "")[:64],
        location=parcel.location,
    )


def _kind_for(from_state: str, to_state: str) -> str:
    if from_state == ParcelState.MISSING and to_state != ParcelState.LOST:
        return EventKind.FOUND
    return EventKind(to_state)
