"""A merchant's work on their part of an order: new → accepted → ready → handed over; lines unavailable.

- `MOVES` is the whole state machine of the merchant's steps; any other move raises InvalidPartMove. Each step
  locks the part's row (the order's first where the order changes too, in that order everywhere: order, part) so
  two people at the counter cannot both hand over.
- Handed over: to the customer at the shop (click and collect: the pickup code must match), to the parcel point,
  or to the bike courier. After commit the payout is queued (`tasks_payments.pay_out_part_task`) and the customer
  is told (`notices.part_handed_over`).
- To the parcel point the merchant's click only sends the parcel on its way: it stays announced at the point
  (`parcels.services.announce_parcel`, under the label code on the pick list) and is taken in when the point's
  staff scan it at intake, which tells the customer it is ready for pickup. A click before the walk over, or
  without it, never makes a "ready" parcel that is not at the desk.
- A line (or some of its quantity) unavailable: refunded through `refunds.refund_lines` (line gross, the
  idempotency key derived from the request key); a part whose every line is unavailable is cancelled.
  `unavailable_refund` says what it would pay back, for the merchant's confirmation before it goes.
"""

from __future__ import annotations

import uuid
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can

from ..exceptions_merchant import (
    InvalidPartMove,
    InvalidUnavailable,
    NotAllowed,
    ParcelPointMissing,
    PickupCodeMissing,
    WrongHandover,
    WrongPickupCode,
)
from ..models import (
    Fulfilment,
    MerchantOrder,
    MerchantOrderStatus,
    Order,
    OrderLine,
    OrderStatus,
    ShopSettings,
)

FULFIL = "shop.fulfil_orders"
S = MerchantOrderStatus
#: from → the steps a merchant may take from there
MOVES = {
    S.NEW: {S.ACCEPTED},
    S.ACCEPTED: {S.READY},
    S.READY: {S.HANDED_OVER},
}
#: Where a part of each fulfilment is handed over.
HANDOVER_TO = {
    Fulfilment.CLICK_AND_COLLECT: "customer",
    Fulfilment.PARCEL_POINT: "parcel_point",
    Fulfilment.BIKE_COURIER: "courier",
}
#: The parcel carrier code under which webshop parts are announced at the parcel point.
WEBSHOP_CARRIER = "webshop"
#: Lines can be marked unavailable until the part leaves the shop.
OPEN_STATUSES = (S.NEW, S.ACCEPTED, S.READY)


def _require(by, part: MerchantOrder) -> None:
    if not can(by, FULFIL, part):
        raise NotAllowed()


def _lock(part: MerchantOrder) -> MerchantOrder:
    return MerchantOrder.objects.select_for_update().select_related("order", "merchant").get(pk=part.pk)


def _move(part: MerchantOrder, to_status: str) -> None:
    if to_status not in MOVES.get(part.status, set()):
        raise InvalidPartMove(
            _("This order is “%(status)s” and cannot become “%(to)s”.")
            % {"status": S(part.status).label, "to": S(to_status).label},
            from_status=part.status,
            to_status=to_status,
        )


@transaction.atomic
def accept_part(*, part: MerchantOrder, by) -> MerchantOrder:
    """The merchant has seen the order and will prepare it. Raises InvalidPartMove, NotAllowed."""
    _require(by, part)
    part = _lock(part)
    _move(part, S.ACCEPTED)
    part.status, part.accepted_at = S.ACCEPTED, timezone.now()
    part.save(update_fields=["status", "accepted_at"])
    return part


@transaction.atomic
def mark_ready(*, part: MerchantOrder, by) -> MerchantOrder:
    """Packed and ready: for click and collect the customer is told to come (after commit)."""
    _require(by, part)
    part = _lock(part)
    _move(part, S.READY)
    part.status, part.ready_at = S.READY, timezone.now()
    part.save(update_fields=["status", "ready_at"])
    from . import notices

    transaction.on_commit(partial(notices.part_ready, part))
    return part


def parcel_code_for(part: MerchantOrder) -> str:
    """The tracking code the part was announced under at the parcel point (as `orders.mark_order_paid` makes it)."""
    from parcels.barcodes import make_webshop_code

    return part.parcel_code or make_webshop_code(part.pk)


def hand_over_part(*, part: MerchantOrder, by, to: str, pickup_code: str = "") -> MerchantOrder:
    """Hand a ready part over `to` "customer" (with their pickup code), "parcel_point" (on its way there: the
    point's intake scan takes it in) or "courier", as its fulfilment says. Then the payout is queued and the
    customer told. Raises InvalidPartMove, WrongHandover, PickupCodeMissing, WrongPickupCode, ParcelPointMissing,
    the parcel point's errors, NotAllowed."""
    with transaction.atomic():
        _require(by, part)
        order = Order.objects.select_for_update().get(pk=part.order_id)  # order first, then part: as checkout
        part = _lock(part)
        _move(part, S.HANDED_OVER)
        if HANDOVER_TO.get(part.fulfilment) != to:
            raise WrongHandover()
        typed = pickup_code.strip().upper().replace(" ", "")
        if to == "customer" and part.pickup_code and typed != part.pickup_code.upper():
            raise WrongPickupCode() if typed else PickupCodeMissing()
        if to == "parcel_point":
            _deliver_to_parcel_point(part)
        part.status, part.handed_over_at = S.HANDED_OVER, timezone.now()
        part.save(update_fields=["status", "handed_over_at", "parcel_code"])
        _update_order_status(order)
        from ..tasks_payments import pay_out_part_task
        from . import notices

        transaction.on_commit(partial(pay_out_part_task.delay, part.pk))
        transaction.on_commit(partial(notices.part_handed_over, part))
    return part


def _deliver_to_parcel_point(part: MerchantOrder) -> None:
    from parcels import services as parcels

    point = ShopSettings.for_area(part.order.area).parcel_point
    if point is None:
        raise ParcelPointMissing()
    part.parcel_code = parcel_code_for(part)
    # Announced when the order was paid; announcing again is a no-op that also covers an order paid before the
    # point was set up. Not taken in here: only the point's own intake scan puts it on the shelf and tells the
    # customer it is ready (the merchant's click is not proof that it is at the desk).
    parcels.announce_parcel(
        point=point,
        carrier_code=WEBSHOP_CARRIER,
        tracking_code=part.parcel_code,
        recipient_name=part.order.name,
        recipient_email=part.order.email,
        source="webshop",
        member=part.order.user,
        external_reference=part.order.public_id,
    )


def _update_order_status(order: Order) -> None:
    """Paid → partly handed over → completed, from its parts (the caller holds the order's lock)."""
    statuses = set(order.parts.values_list("status", flat=True))
    if not statuses or order.status not in (OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED):
        return
    if statuses <= {S.HANDED_OVER, S.CANCELLED}:
        new = OrderStatus.COMPLETED if S.HANDED_OVER in statuses else OrderStatus.CANCELLED
    elif S.HANDED_OVER in statuses:
        new = OrderStatus.PARTIALLY_FULFILLED
    else:
        return
    if new != order.status:
        order.status = new
        fields = ["status"]
        if new == OrderStatus.CANCELLED:
            order.cancelled_at = timezone.now()
            fields.append("cancelled_at")
        order.save(update_fields=fields)


def unavailable_key(request_key: uuid.UUID | str) -> str:
    return f"unavailable:{request_key}"


def _check_unavailable(part: MerchantOrder, line: OrderLine, quantity: int) -> None:
    if part.status not in OPEN_STATUSES:
        raise InvalidUnavailable(_("This order has left the shop: its lines can no longer be marked unavailable."))
    left = line.quantity - line.unavailable_quantity
    if not 1 <= quantity <= left:
        raise InvalidUnavailable(
            _("Between 1 and %(left)s of this line can be marked unavailable.") % {"left": left}
            if left
            else _("This whole line is already marked unavailable.")
        )


def unavailable_refund(*, line: OrderLine, quantity: int, by) -> int:
    """What marking `quantity` of `line` unavailable would refund now, in cents (its unit price × quantity, and
    the delivery fee when it is the last of the part); nothing is written. Raises InvalidUnavailable, NotAllowed."""
    from . import refunds

    part = line.part
    _require(by, part)
    _check_unavailable(part, line, quantity)
    return refunds.refund_amount_for(part=part, lines={line.pk: quantity})


def mark_line_unavailable(*, line: OrderLine, quantity: int, by, request_key: uuid.UUID, reason: str = ""):
    """`quantity` of the line cannot be delivered: refunded (the line's unit price × quantity) by shop-pay's
    `refund_lines`, sent to Stripe after commit (not restocked: it is not there; when Stripe cannot be reached the
    refund stays written and the reconciliation job sends it — no error reaches the caller, who would otherwise
    mark and refund again). A retry with the same request key returns the first refund. A part whose every line is
    unavailable is cancelled (its delivery refunded too). Raises InvalidUnavailable, NotAllowed, the refund's errors."""
    from ..models import Refund
    from . import refunds

    key = unavailable_key(request_key)
    with transaction.atomic():
        part = line.part
        _require(by, part)
        if previous := Refund.objects.filter(idempotency_key=key).first():
            return previous
        order = Order.objects.select_for_update().get(pk=part.order_id)
        part = _lock(part)
        line = OrderLine.objects.select_for_update().get(pk=line.pk, part=part)
        _check_unavailable(part, line, quantity)
        OrderLine.objects.filter(pk=line.pk).update(unavailable_quantity=F("unavailable_quantity") + quantity)
        refund = refunds.refund_lines(
            order=order,
            lines={line.pk: quantity},
            reason=reason or _("Not available"),
            by=by,
            idempotency_key=key,
            restock=False,  # the merchant does not have it: nothing goes back on the shelf
        )
        if not part.lines.filter(unavailable_quantity__lt=F("quantity")).exists():
            part.status = S.CANCELLED
            part.save(update_fields=["status"])
            _update_order_status(order)
        return refund
