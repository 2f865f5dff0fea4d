"""Pickup at the desk: the recipient's code or QR releases their waiting parcels; staff scan each one out.

- Two desks handing out the same parcel at once: the parcels are locked in pk order and their state read
  under the lock, so exactly one desk hands it out; the other gets ParcelNotWaiting.
- Wrong codes are counted per point and staff member in the cache (not per desk device: its name is a cookie that
  renaming the desk or a new browser replaces); past `MAX_WRONG_CODES` within `WRONG_CODE_WINDOW` seconds their
  pickups are paused (TooManyWrongCodes). A right code does not reset the count: it must not help someone guessing
  between two real pickups. A right code whose parcels were handed out already (AlreadyPickedUp) or given with a
  name that does not match (NameDoesNotMatch) is no guess: it says so and is not counted.
- A parcel marked missing at an inventory that turns up is still released by its code (until its last day): handing
  it out records it found again, then handed out.
- A retry with the same request key returns the first answer (one derived key per parcel, unique).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from ..exceptions import (
    AlreadyPickedUp,
    IdCheckRequired,
    NameDoesNotMatch,
    NothingToHandOut,
    ParcelNotWaiting,
    RequestKeyReused,
    TooManyWrongCodes,
    WrongPickupCode,
)
from ..models import CarrierAgreement, Parcel, ParcelEvent, ParcelPoint
from ..selectors import QR_PREFIX, find_waiting_parcels, is_released_by_its_code, normalise_pickup_code
from ..states import ParcelState
from .access import require_desk
from .transitions import derived_key, lock_parcels, transition

MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = 15 * 60


@dataclass(frozen=True)
class HandoutResult:
    parcels: tuple[Parcel, ...]
    handed_out_at: datetime
    replayed: bool = False


def _wrong_code_key(point: ParcelPoint, by) -> str:
    # Who typed the codes at this point, not the desk device: its name is a cookie, renamed or lost in a moment.
    return f"parcels:wrong-codes:{point.pk}:{getattr(by, 'pk', None) or '-'}"


def _refuse_if_paused(point: ParcelPoint, by) -> None:
    if (cache.get(_wrong_code_key(point, by)) or 0) >= MAX_WRONG_CODES:
        raise TooManyWrongCodes()


def _count_wrong_code(point: ParcelPoint, by) -> WrongPickupCode:
    key = _wrong_code_key(point, by)
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


def look_up_for_pickup(
    *, point: ParcelPoint, pickup_code_or_token: str, by, device: str = "", name: str = "", now: datetime | None = None
):
    """The parcels a code or QR releases at the point (the desk shows their slots). A code that releases nothing
    counts as wrong, unless it is right for parcels picked up already or for another name (see the module
    docstring). Raises TooManyWrongCodes, WrongPickupCode, AlreadyPickedUp, NameDoesNotMatch, NotAllowed."""
    now = now or timezone.now()
    require_desk(by, point)
    _refuse_if_paused(point, by)
    code, token = _split_credential(pickup_code_or_token)
    parcels = list(find_waiting_parcels(point=point, pickup_code=code, token=token, name=name or None, now=now))
    if parcels:
        return parcels
    if (code or token) and name and find_waiting_parcels(point=point, pickup_code=code, token=token, now=now).exists():
        raise NameDoesNotMatch()
    if code or token:
        _refuse_if_picked_up(point, code, token, now=now)
    raise _count_wrong_code(point, by)


def _refuse_if_picked_up(point: ParcelPoint, code: str | None, token: str | None, *, now: datetime) -> None:
    """AlreadyPickedUp when the code's parcels were handed out (as long as the point keeps who they were for)."""
    handed_out = Parcel.objects.filter(
        point=point,
        state=ParcelState.PICKED_UP,
        handed_out_at__gte=now - timedelta(days=point.recipient_retention_days),
    )
    handed_out = handed_out.filter(pickup_token=token) if token else handed_out.filter(pickup_code=code)
    last = handed_out.order_by("-handed_out_at").values_list("handed_out_at", flat=True).first()
    if last is not None:
        when = formats.date_format(timezone.localtime(last, point.area.tz), "DATETIME_FORMAT")
        raise AlreadyPickedUp(
            _("The parcels of this pickup code were picked up on %(date)s.") % {"date": when}, picked_up_at=last
        )


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
    recorded, never a copy of the ID). Raises NothingToHandOut (no parcel ticked), TooManyWrongCodes,
    WrongPickupCode, ParcelNotWaiting, IdCheckRequired, RequestKeyReused, NotAllowed.
    """
    now = now or timezone.now()
    ids = sorted(set(parcel_ids))
    if not ids:
        raise NothingToHandOut()
    keys = {parcel_id: derived_key(request_key, f"pickup:{parcel_id}") for parcel_id in ids}
    with transaction.atomic():
        require_desk(by, point)
        earlier = list(ParcelEvent.objects.filter(request_key__in=keys.values()).values_list("parcel_id", flat=True))
        if earlier:
            if sorted(earlier) != ids:
                raise RequestKeyReused()
            parcels = tuple(Parcel.objects.filter(pk__in=ids).select_related("carrier", "location").order_by("pk"))
            return HandoutResult(parcels=parcels, handed_out_at=parcels[0].handed_out_at or now, replayed=True)
        _refuse_if_paused(point, by)
        parcels = lock_parcels(ids, point=point)
        code, token = _split_credential(pickup_code_or_token)
        # The code first: someone with a wrong code learns nothing about the parcels' state.
        if len(parcels) != len(ids) or not all(_matches(parcel, code, token) for parcel in parcels):
            raise _count_wrong_code(point, by)
        if not_waiting := [p.pk for p in parcels if not is_released_by_its_code(p, now=now)]:
            raise ParcelNotWaiting(parcel_ids=not_waiting)
        if (
            not id_checked
            and CarrierAgreement.objects.filter(
                point=point, carrier_id__in={p.carrier_id for p in parcels}, requires_id_check=True
            ).exists()
        ):
            raise IdCheckRequired()
        agreements = {a.carrier_id: a for a in CarrierAgreement.objects.filter(point=point)}
        for parcel in parcels:
            if parcel.state == ParcelState.MISSING:
                # It turned up: the history says so before it says handed out.
                transition(parcel, ParcelState.STORED, by=by, device=device, at=now, note=_turned_up_note(point))
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


def _turned_up_note(point: ParcelPoint) -> str:
    """The found-again event's note, in the area's language (it stays in the parcel's history)."""
    with translation.override((point.area.languages or [settings.LANGUAGE_CODE])[0]):
        return _("Marked missing, turned up at pickup")
