"""Pickup at the desk: the recipient's code or QR releases their waiting parcels; staff scan each one out.

- Two desks handing out the same parcel at once: the parcels are locked in pk order and their state read
  under the lock, so exactly one desk hands it out; the other gets ParcelNotWaiting.
- Wrong codes are counted per point and desk device in the cache; past `MAX_WRONG_CODES` within
  `WRONG_CODE_WINDOW` seconds the desk is paused (TooManyWrongCodes). A right code does not reset the count:
  it must not help someone guessing between two real pickups.
- A retry with the same request key returns the first answer (one derived key per parcel, unique).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ..exceptions import IdCheckRequired, ParcelNotWaiting, RequestKeyReused, TooManyWrongCodes, WrongPickupCode
from ..models import CarrierAgreement, Parcel, ParcelEvent, ParcelPoint
from ..selectors import QR_PREFIX, find_waiting_parcels, normalise_pickup_code
from ..states import WAITING_STATES, ParcelState
from .access import require_desk
from .transitions import derived_key, lock_parcels, transition

MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = 15 * 60


@dataclass(frozen=True)
class HandoutResult:
    parcels: tuple[Parcel, ...]
    handed_out_at: datetime
    replayed: bool = False


def _wrong_code_key(point: ParcelPoint, device: str) -> str:
    return f"parcels:wrong-codes:{point.pk}:{device or '-'}"


def _refuse_if_paused(point: ParcelPoint, device: str) -> None:
    if (cache.get(_wrong_code_key(point, device)) or 0) >= MAX_WRONG_CODES:
        raise TooManyWrongCodes()


def _count_wrong_code(point: ParcelPoint, device: str) -> WrongPickupCode:
    key = _wrong_code_key(point, device)
    # add() starts the window only once; incr() counts within it (atomic on Redis and in local memory).
    cache.add(key, 0, timeout=WRONG_CODE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=WRONG_CODE_WINDOW)
        count = 1
    return WrongPickupCode(attempts_left=max(MAX_WRONG_CODES - count, 0))


def _split_credential(value: str) -> tuple[str | None, str | None]:
    """(code, token): a QR's token (with its prefix, or any long value) or a typed code."""
    value = (value or "").strip()
    if value.upper().startswith(QR_PREFIX):
        return None, value[len(QR_PREFIX) :]
    if len(value) > 12:
        return None, value
    return normalise_pickup_code(value), None


def _matches(parcel: Parcel, code: str | None, token: str | None) -> bool:
    if token is not None:
        return bool(parcel.pickup_token) and hmac.compare_digest(parcel.pickup_token, token)
    return bool(parcel.pickup_code) and hmac.compare_digest(parcel.pickup_code, code or "")


def look_up_for_pickup(*, point: ParcelPoint, pickup_code_or_token: str, by, device: str = "", name: str = ""):
    """The parcels a code or QR releases at the point (the desk shows their slots). A code that releases
    nothing counts as wrong. Raises TooManyWrongCodes, WrongPickupCode, NotAllowed."""
    require_desk(by, point)
    _refuse_if_paused(point, device)
    code, token = _split_credential(pickup_code_or_token)
    parcels = list(find_waiting_parcels(point=point, pickup_code=code, token=token, name=name or None))
    if not parcels:
        raise _count_wrong_code(point, device)
    return parcels


def hand_out_parcels(
    *,
    point: ParcelPoint,
    parcel_ids: Iterable[int],
    pickup_code_or_token: str,
    by,
    request_key: uuid.UUID,
    device: str = "",
    id_checked: bool = False,
    on_behalf: bool = False,
    now: datetime | None = None,
) -> HandoutResult:
    """Hand out the scanned parcels to the holder of their code or QR (on the recipient's behalf: `on_behalf`).

    All or nothing, under the parcels' row locks. Carriers requiring an ID check need `id_checked` (a tick is
    recorded, never a copy of the ID). Raises TooManyWrongCodes, WrongPickupCode, ParcelNotWaiting,
    IdCheckRequired, RequestKeyReused, NotAllowed.
    """
    now = now or timezone.now()
    ids = sorted(set(parcel_ids))
    if not ids:
        raise ParcelNotWaiting()
    keys = {parcel_id: derived_key(request_key, f"pickup:{parcel_id}") for parcel_id in ids}
    with transaction.atomic():
        require_desk(by, point)
        earlier = list(ParcelEvent.objects.filter(request_key__in=keys.values()).values_list("parcel_id", flat=True))
        if earlier:
            if sorted(earlier) != ids:
                raise RequestKeyReused()
            parcels = tuple(Parcel.objects.filter(pk__in=ids).select_related("carrier", "location").order_by("pk"))
            return HandoutResult(parcels=parcels, handed_out_at=parcels[0].handed_out_at or now, replayed=True)
        _refuse_if_paused(point, device)
        parcels = lock_parcels(ids, point=point)
        code, token = _split_credential(pickup_code_or_token)
        # The code first: someone with a wrong code learns nothing about the parcels' state.
        if len(parcels) != len(ids) or not all(_matches(parcel, code, token) for parcel in parcels):
            raise _count_wrong_code(point, device)
        if any(parcel.state not in WAITING_STATES for parcel in parcels):
            raise ParcelNotWaiting(parcel_ids=[p.pk for p in parcels if p.state not in WAITING_STATES])
        if (
            not id_checked
            and CarrierAgreement.objects.filter(
                point=point, carrier_id__in={p.carrier_id for p in parcels}, requires_id_check=True
            ).exists()
        ):
            raise IdCheckRequired()
        agreements = {a.carrier_id: a for a in CarrierAgreement.objects.filter(point=point)}
        for parcel in parcels:
            parcel.handed_out_at = parcel.left_at = now
            parcel.picked_up_by_proxy = on_behalf
            parcel.id_checked = id_checked
            transition(
                parcel,
                ParcelState.PICKED_UP,
                by=by,
                device=device,
                at=now,
                request_key=keys[parcel.pk],
                agreement=agreements.get(parcel.carrier_id),
            )
        from ..tasks import parcels_picked_up_task

        # The receipt (and the pickup voucher, where the point gives one) leaves after the commit.
        transaction.on_commit(partial(parcels_picked_up_task.delay, parcel_ids=ids))
        return HandoutResult(parcels=tuple(parcels), handed_out_at=now)
