"""Conversion: a member who picks up a parcel gets a voucher for the area's shops (when the point gives one).

The voucher is loyalty's: this module calls `loyalty.services.issue_voucher` (and reads
`loyalty.selectors.pass_for_member`) and never writes a loyalty table. It is the parcel point's one call
into loyalty, one way only (loyalty knows nothing of parcels), like the webshop calling both.

- `set_pickup_voucher`: an area manager switches it on (value, days valid, merchants). Vouchers cost the
  collective money, so issuing them is loyalty's `issue_vouchers` right: the manager who switched it on is
  recorded and is the issuer of every pickup voucher; if they lose the right, no more vouchers are issued.
- `issue_pickup_voucher`: after the handout's commit (from the pickup notice), at most once per handout: the
  voucher's request key is derived from the handout's own request key, so a retry gets the same voucher.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.permissions import can
from agora.exceptions import ApplicationError

from ..exceptions import InvalidPickupVoucher, NotAllowed
from ..models import EventKind, Parcel, ParcelEvent, ParcelPoint
from .transitions import derived_key

logger = logging.getLogger(__name__)


@transaction.atomic
def set_pickup_voucher(
    *, point: ParcelPoint, value_cents: int, valid_days: int = 30, merchants: Iterable = (), by
) -> ParcelPoint:
    """Give (value_cents > 0) or stop giving (0) a voucher per pickup by a member, valid `valid_days` at
    `merchants` (empty: every merchant of the area). Needs `parcels.manage_points` and loyalty's
    `issue_vouchers` on the area. Raises NotAllowed, InvalidPickupVoucher."""
    if not (can(by, "parcels.manage_points", point.area) and can(by, "loyalty.issue_vouchers", point.area)):
        raise NotAllowed()
    merchants = list(merchants)
    if value_cents < 0 or not 1 <= valid_days <= 365 or any(m.area_id != point.area_id for m in merchants):
        raise InvalidPickupVoucher()
    point.pickup_voucher_value_cents = value_cents
    point.pickup_voucher_valid_days = valid_days
    point.pickup_voucher_authorised_by = by if value_cents else None
    point.save(
        update_fields=["pickup_voucher_value_cents", "pickup_voucher_valid_days", "pickup_voucher_authorised_by"]
    )
    point.pickup_voucher_merchants.set(merchants)
    return point


def issue_pickup_voucher(*, parcels: list[Parcel], now: datetime | None = None):
    """The voucher for the handout of `parcels` (one recipient, one desk request), or None: the point gives
    none, the recipient has no account, or the issuer lost the right (logged). Idempotent per handout."""
    from loyalty import selectors as loyalty_selectors
    from loyalty import services as loyalty_services
    from loyalty.models import PassStatus, VoucherKind

    from ..selectors import member_of_parcel

    first = parcels[0]
    point = ParcelPoint.objects.select_related("area", "pickup_voucher_authorised_by").get(pk=first.point_id)
    if not point.pickup_voucher_value_cents or point.pickup_voucher_authorised_by is None:
        return None
    member = member_of_parcel(first)
    if member is None:
        return None
    handout = ParcelEvent.objects.filter(parcel=first, kind=EventKind.PICKED_UP).exclude(request_key=None).first()
    if handout is None:
        return None
    now = now or timezone.now()
    member_pass = loyalty_selectors.pass_for_member(member, point.area)
    if member_pass is not None and member_pass.status != PassStatus.ACTIVE:
        member_pass = None
    try:
        return loyalty_services.issue_voucher(
            area=point.area,
            kind=VoucherKind.FIXED,
            value_cents=point.pickup_voucher_value_cents,
            expires_at=now + timedelta(days=point.pickup_voucher_valid_days),
            by=point.pickup_voucher_authorised_by,
            request_key=derived_key(handout.request_key, "pickup-voucher"),
            merchants=point.pickup_voucher_merchants.all(),
            member_pass=member_pass,
            valid_from=now,
        )
    except ApplicationError:
        logger.warning("No pickup voucher for the handout of parcel %s at point %s", first.pk, point.pk, exc_info=True)
        return None
