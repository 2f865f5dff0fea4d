"""Parcels that arrive from the area's own webshop: the merchant brings the announced parcel to the point.

The webshop announces a parcel-point order part (`announce_parcel`, source "webshop"); when the merchant hands it
over at the point, `receive_announced_parcel` runs the normal intake for it (recipient from the announcement,
pickup code, storage days, the billable intake event) so the recipient gets the usual "ready for pickup" e-mail
after commit. The caller decides who may hand over (the shop's merchant staff are not desk staff); parcels knows
nothing of the shop.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..exceptions import PointClosed, RecipientRequired, UnknownCarrier
from ..models import Announcement, CarrierAgreement, Parcel, ParcelPoint
from .announcements import clean_tracking_code
from .intake import _take_in

_NAMESPACE = uuid.UUID("6b7f3a52-3f7e-4c55-9a59-0c1f4f0e7a11")


def receive_announced_parcel(
    *, point: ParcelPoint, carrier_code: str, tracking_code: str, by, device: str = "", now: datetime | None = None
) -> Parcel:
    """Take an announced parcel in at `point` (as a desk intake would), or return it if it is already in.
    Idempotent per (point, carrier, code). Raises PointClosed, UnknownCarrier (no active agreement with the
    carrier), RecipientRequired (nothing announced under this code)."""
    now = now or timezone.now()
    if not point.is_active:
        raise PointClosed()
    code = clean_tracking_code(tracking_code)
    with transaction.atomic():
        agreement = (
            CarrierAgreement.objects.select_related("carrier")
            .filter(point=point, carrier__code=carrier_code, is_active=True)
            .first()
        )
        if agreement is None:
            raise UnknownCarrier()
        agreement.point = point
        if existing := Parcel.objects.filter(point=point, carrier=agreement.carrier, tracking_code=code).first():
            return existing
        # Not taken by a parcel: that parcel would have this code and have been returned above.
        announcement = Announcement.objects.filter(point=point, carrier=agreement.carrier, tracking_code=code).first()
        if announcement is None:
            raise RecipientRequired()
        try:
            with transaction.atomic():  # a savepoint: a desk scanning the same parcel now wins the unique constraint
                parcel = _take_in(
                    point=point,
                    agreement=agreement,
                    code=code,
                    by=by,
                    device=device,
                    request_key=uuid.uuid5(_NAMESPACE, f"{point.pk}:{carrier_code}:{code}"),
                    size_class="",
                    weight_grams=None,
                    recipient_name=None,
                    recipient_email=None,
                    announcement=announcement,
                    now=now,
                )
        except IntegrityError:
            existing = Parcel.objects.filter(point=point, carrier=agreement.carrier, tracking_code=code).first()
            if existing is None:
                raise
            return existing
        from ..tasks import notify_parcel_ready_task

        transaction.on_commit(partial(notify_parcel_ready_task.delay, parcel_id=parcel.pk))
        return parcel
