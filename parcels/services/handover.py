"""Handing a carrier's outgoing parcels to its driver: the list (returns dropped off and expired parcels of that
carrier at the point), a scan of each item, then the driver's name and the close.

- One open handover per carrier per point: opening again returns it (the point's row lock serialises two desks).
- A scan not on the list is refused with the reason (`NotOnHandoverList`: another carrier's, not leaving, or
  unknown); a second scan of an item (or a retried request) changes nothing.
- Closing moves every scanned item still on the list to `handed_to_carrier` (billable as a handover, the event
  naming the handover); unscanned items stay on the list and the manifest lists them as not handed over.
  Nothing leaves unscanned. Two desks closing the same handover: the handover's row lock lets one close it,
  the other gets HandoverClosed.
- Each scan is a `HandoverItem` row, unique per handover and parcel: two desks scanning the same item at once
  record it once, and the list survives a restart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import (
    DriverNameRequired,
    HandoverClosed,
    InvalidTrackingCode,
    NothingScanned,
    NotOnHandoverList,
    UnknownCarrier,
)
from ..models import Carrier, CarrierAgreement, Handover, HandoverItem, Parcel, ParcelPoint
from ..states import LEAVING_STATES, ParcelState
from .access import require_desk
from .transitions import lock_parcels, transition


@dataclass(frozen=True)
class HandoverScan:
    parcel: Parcel
    is_repeat: bool = False


def scanned_parcel_ids(handover: Handover, parcel_ids: Iterable[int]) -> set[int]:
    """Which of these parcels were scanned for the handover."""
    return set(
        HandoverItem.objects.filter(handover=handover, parcel_id__in=list(parcel_ids)).values_list(
            "parcel_id", flat=True
        )
    )


@transaction.atomic
def open_handover(
    *, point: ParcelPoint, carrier_code: str, by, device: str = "", now: datetime | None = None
) -> Handover:
    """The open handover of the carrier at the point, or a new one. Raises NotAllowed, PointClosed,
    UnknownCarrier (no agreement with that carrier here)."""
    require_desk(by, point)
    carrier = Carrier.objects.filter(code=carrier_code).first()
    if carrier is None or not CarrierAgreement.objects.filter(point=point, carrier=carrier).exists():
        raise UnknownCarrier()
    # Two desks opening the carrier's handover at once make one: the point's row lock serialises them.
    ParcelPoint.objects.select_for_update().filter(pk=point.pk).first()
    handover = Handover.objects.filter(point=point, carrier=carrier, closed_at__isnull=True).first()
    if handover is None:
        handover = Handover.objects.create(point=point, carrier=carrier, by=by, started_at=now or timezone.now())
    return handover


def scan_for_handover(*, handover: Handover, raw_code: str, by, device: str = "") -> HandoverScan:
    """Tick an item of the list as scanned. A retry or a second scan is a no-op (`is_repeat`): the scan is unique
    per handover and parcel, so it needs no request key. Raises
    NotOnHandoverList (with the reason), HandoverClosed, InvalidTrackingCode, NotAllowed, PointClosed."""
    from .. import barcodes

    handover = Handover.objects.select_related("point__area", "carrier").get(pk=handover.pk)
    require_desk(by, handover.point)
    if handover.closed_at is not None:
        raise HandoverClosed()
    code = barcodes.normalise(raw_code or "")
    if not code:
        raise InvalidTrackingCode()
    candidates = list(
        # The latest arrival of a code first: an earlier one (picked up, then here again) is not what leaves now.
        Parcel.objects.select_related("carrier")
        .filter(point=handover.point, tracking_code=code)
        .order_by("-arrival", "pk")
    )
    parcel = next((p for p in candidates if p.carrier_id == handover.carrier_id), None)
    if parcel is None:
        if candidates:
            raise NotOnHandoverList(
                _("Not for this carrier: this parcel is %(other)s's, not %(carrier)s's.")
                % {"other": candidates[0].carrier.name, "carrier": handover.carrier.name}
            )
        raise NotOnHandoverList(
            _("Not on the list: no parcel with this code leaves with %(carrier)s.") % {"carrier": handover.carrier.name}
        )
    if parcel.state not in LEAVING_STATES:
        raise NotOnHandoverList(_("Not leaving: this parcel is “%(state)s”.") % {"state": parcel.get_state_display()})
    # The unique (handover, parcel) makes a second scan, a retry or another desk's simultaneous scan a no-op.
    try:
        with transaction.atomic():
            HandoverItem.objects.create(handover=handover, parcel=parcel, by=by, device=(device or "")[:64])
    except IntegrityError:
        return HandoverScan(parcel=parcel, is_repeat=True)
    return HandoverScan(parcel=parcel, is_repeat=False)


def close_handover(
    *, handover: Handover, driver_name: str, by, device: str = "", now: datetime | None = None
) -> Handover:
    """The driver takes the scanned items: each goes to `handed_to_carrier` (billable), the handover records the
    driver and the time. Raises DriverNameRequired, NothingScanned, HandoverClosed (closed before, e.g. at
    another desk), NotAllowed, PointClosed."""
    driver = " ".join((driver_name or "").split())[:100]
    if not driver:
        raise DriverNameRequired()
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Handover.objects.select_for_update(of=("self",))
            .select_related("point__area", "carrier")
            .get(pk=handover.pk)
        )
        require_desk(by, locked.point)
        # Under the handover's row lock: a second desk closing it waits here and then finds it closed.
        if locked.closed_at is not None:
            raise HandoverClosed()
        listed = Parcel.objects.filter(point=locked.point, carrier=locked.carrier, state__in=LEAVING_STATES)
        scanned = scanned_parcel_ids(locked, listed.values_list("pk", flat=True))
        parcels = lock_parcels(scanned, point=locked.point, carrier=locked.carrier, state__in=LEAVING_STATES)
        if not parcels:
            raise NothingScanned()
        agreement = CarrierAgreement.objects.filter(point=locked.point, carrier=locked.carrier).first()
        for parcel in parcels:
            parcel.left_at = now
            transition(
                parcel,
                ParcelState.HANDED_TO_CARRIER,
                by=by,
                device=device,
                at=now,
                handover=locked,
                agreement=agreement,
            )
        locked.driver_name, locked.closed_at = driver, now
        locked.save(update_fields=["driver_name", "closed_at"])
    return locked
