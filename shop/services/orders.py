"""An order's life after checkout: paid (once, whoever tells first), or expired unpaid.

`mark_order_paid` is called by shop-pay's webhook task, by the success page (`payments.confirm_from_redirect`),
by the reconciliation job, and by checkout itself when the voucher and gift card paid everything. It locks the
order's row and reads the status after the lock, so whichever comes first does the work and the others find
the order paid and return: the stock is consumed once, the points credited once (ledger key), the parcel
announced once (parcels' key: point, carrier, code), the e-mails claimed once (`Notice.key`).

`expire_unpaid` (every minute, Celery beat) expires pending orders whose reservations lapsed more than
`EXPIRY_GRACE` ago: the stock is released, the voucher and gift-card value given back, the parts cancelled and,
after the commit, the PaymentIntent cancelled (key `cancel:<order>`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import override as translation_override

from ..models import (
    Fulfilment,
    MerchantOrder,
    MerchantOrderStatus,
    Order,
    OrderLine,
    OrderStatus,
    ReservationState,
    ShopSettings,
)
from . import loyalty_bridge, stock

logger = logging.getLogger(__name__)

#: A pending order expires this long after its reservations lapsed (an iDEAL payment may still be under way;
#: its stock is already free for others, and `reserve_again` takes it back if the payment comes).
EXPIRY_GRACE = timedelta(minutes=15)

#: The parcels app's carrier code of the area's own webshop.
WEBSHOP_CARRIER = "webshop"


def lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("area").get(pk=order_id)


def mark_order_paid(*, order: Order, at: datetime | None = None) -> Order:
    """The order's payment succeeded: make it paid (idempotent; see the module doc). Returns the order.

    Stock: the order's reservations are consumed. If some lapsed and were released before the payment came,
    `stock.reserve_again` holds them again when the stock is still there. If it is not (someone else bought
    the last one meanwhile), the order is still paid — the money is in — and the lines that cannot be
    supplied are refunded at once through shop-pay's `refunds.refund_lines` (after the commit, key
    `re:short:<order>`), the merchant never sees them as to-do.

    An order that expired (or was cancelled) before the payment succeeded — its PaymentIntent cancel lost the
    race — is revived only if nothing was given back that cannot be taken again: no voucher or gift card, and
    `reserve_again` holds all its stock. Otherwise it stays expired and this returns it unpaid: the caller
    (shop-pay's webhook task) refunds the payment in full.
    """
    at = at or timezone.now()
    with transaction.atomic():
        order = lock_order(order.pk)
        if order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
            revivable = (
                order.status == OrderStatus.EXPIRED
                and not order.gift_card_cents
                and not order.voucher_cents
                and stock.reserve_again(order=order, now=at)
            )
            if not revivable:
                logger.warning("Payment for order %s came after it %s", order.public_id, order.status)
                return order
        elif order.status != OrderStatus.PENDING:
            return order  # paid already: the webhook and the success page both get here
        short = stock.consume_reservations(order=order)
        if short and stock.reserve_again(order=order, now=at):
            short = stock.consume_reservations(order=order)
        order.status, order.paid_at, order.cancelled_at = OrderStatus.PAID, at, None
        order.save(update_fields=["status", "paid_at", "cancelled_at"])
        order.parts.update(status=MerchantOrderStatus.NEW)
        loyalty_bridge.award_points(order=order, now=at)
        _announce_parcels(order)
        order_id = order.pk
        transaction.on_commit(lambda: _queue_paid_notices(order_id))
        if short:
            transaction.on_commit(lambda: _refund_short(order_id, short))
    return order


def _announce_parcels(order: Order) -> None:
    """Each parcel-point part becomes a parcel announced to the area's point, so the point matches it at intake
    and notifies the customer like any parcel. The tracking code is made from the part's id."""
    from parcels import services as parcels
    from parcels.barcodes import make_webshop_code
    from parcels.models import AnnouncementSource

    parts = list(order.parts.filter(fulfilment=Fulfilment.PARCEL_POINT).select_related("merchant"))
    if not parts:
        return
    point = ShopSettings.for_area(order.area).parcel_point
    if point is None:
        logger.error("Order %s has parcel-point parts but the area has no parcel point", order.public_id)
        return
    for part in parts:
        code = part.parcel_code or make_webshop_code(part.pk)
        parcels.announce_parcel(
            point=point,
            carrier_code=WEBSHOP_CARRIER,
            tracking_code=code,
            recipient_name=order.name,
            recipient_email=order.email,
            source=AnnouncementSource.WEBSHOP,
            member=order.user,
            external_reference=f"{order.public_id} {part.merchant.trade_name}"[:100],
            expected_on=None,
        )
        if part.parcel_code != code:
            MerchantOrder.objects.filter(pk=part.pk).update(parcel_code=code)


def _queue_paid_notices(order_id: int) -> None:
    from ..tasks import send_paid_notices_task

    send_paid_notices_task.delay(order_id)


def _refund_short(order_id: int, short: dict[int, int]) -> None:
    from ..tasks import refund_short_lines_task

    refund_short_lines_task.delay(order_id, {str(variant_id): quantity for variant_id, quantity in short.items()})


def short_lines(order: Order, short: dict[int, int]) -> dict[int, int]:
    """Order line id → quantity for the variants that could not be supplied."""
    lines = OrderLine.objects.filter(part__order=order, variant_id__in=short).values_list(
        "pk", "variant_id", "quantity"
    )
    return {pk: min(quantity, short[variant_id]) for pk, variant_id, quantity in lines}


# --- Expiry -------------------------------------------------------------------------------------------------


def expire_order(*, order: Order, now: datetime | None = None, status: str = OrderStatus.EXPIRED) -> bool:
    """Expire (or cancel) one pending order: stock released, voucher and gift card given back, parts cancelled,
    the PaymentIntent cancelled after the commit. Returns False if the order was no longer pending."""
    now = now or timezone.now()
    with transaction.atomic():
        order = lock_order(order.pk)
        if order.status != OrderStatus.PENDING:
            return False
        stock.release_reservations(order=order)
        loyalty_bridge.give_back(order=order, now=now)
        order.status, order.cancelled_at = status, now
        order.save(update_fields=["status", "cancelled_at"])
        order.parts.update(status=MerchantOrderStatus.CANCELLED)
        order_id = order.pk
        transaction.on_commit(lambda: _cancel_intent(order_id))
    return True


def _cancel_intent(order_id: int) -> None:
    from ..tasks import cancel_intent_task

    cancel_intent_task.delay(order_id)


def expire_unpaid(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire the pending orders whose reservations all lapsed more than EXPIRY_GRACE ago; returns how many.
    One transaction per order (row lock, status read again), so it is safe beside a payment coming in."""
    now = now or timezone.now()
    due = (
        Order.objects.filter(status=OrderStatus.PENDING)
        .annotate(held_until=Max("reservations__expires_at"))
        .filter(held_until__lte=now - EXPIRY_GRACE)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for order_id in list(due):
        expired += expire_order(order=Order(pk=order_id), now=now)
    return expired


def reservation_state(order: Order) -> str:
    """ "active" while the order's stock is held, else "released" or "consumed" (for the payment page)."""
    states = set(order.reservations.values_list("state", flat=True))
    if ReservationState.ACTIVE in states:
        return ReservationState.ACTIVE
    if ReservationState.CONSUMED in states:
        return ReservationState.CONSUMED
    return ReservationState.RELEASED


# --- What shop-pay does for us, after the commit ----------------------------------------------------------


def cancel_intent(*, order_id: int) -> bool:
    """Cancel the PaymentIntent of an order that expired or was cancelled unpaid (key `cancel:<order>`).
    A gateway error is logged and left to the reconciliation job (which finds the payment still open)."""
    order = Order.objects.select_related("payment").filter(pk=order_id).first()
    payment = getattr(order, "payment", None) if order is not None else None
    if payment is None or order.status not in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        return False
    from ..payments import GatewayError, get_gateway, keys

    try:
        get_gateway().cancel_payment(intent_id=payment.intent_id, idempotency_key=keys.cancel_key(payment.intent_id))
    except GatewayError:
        logger.warning("Could not cancel the PaymentIntent of order %s", order.public_id, exc_info=True)
        return False
    return True


def refund_short_lines(*, order_id: int, short: dict[int, int]) -> int:
    """Refund the lines a paid order cannot get (the stock went while the payment was under way): one refund per
    part (shop-pay refunds a part at a time), key `re:short:<order>:<part>`, nothing restocked (it never left the
    shelf for this order). Returns how many refunds."""
    from django.utils.translation import gettext

    from .refunds import refund_lines

    order = Order.objects.get(pk=order_id)
    wanted = short_lines(order, short)
    by_part: dict[int, dict[int, int]] = {}
    for line_id, part_id in OrderLine.objects.filter(pk__in=wanted).values_list("pk", "part_id"):
        by_part.setdefault(part_id, {})[line_id] = wanted[line_id]
    with translation_override(order.language):
        for part_id, lines in sorted(by_part.items()):
            refund_lines(
                order=order,
                lines=lines,
                reason=gettext("Sold out while you were paying"),
                by=None,
                idempotency_key=f"re:short:{order.public_id}:{part_id}",
                restock=False,
            )
    return len(by_part)


# --- Retention ----------------------------------------------------------------------------------------------


def erase_contact_data(*, now: datetime | None = None) -> int:
    """Blank the contact details and delivery addresses of orders finished longer than the retention period
    (`settings.SHOP_CONTACT_RETENTION_DAYS`, default 400 days: a year of returns and questions, then gone).
    The order's money and lines stay (bookkeeping), no longer linked to a person. Returns how many orders."""
    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - timedelta(days=getattr(settings, "SHOP_CONTACT_RETENTION_DAYS", 400))
    done = Order.objects.filter(created_at__lt=cutoff).exclude(status=OrderStatus.PENDING).exclude(email="")
    ids = list(done.values_list("pk", flat=True)[:5000])
    with transaction.atomic():
        MerchantOrder.objects.filter(order_id__in=ids).update(
            delivery_street="", delivery_postcode="", delivery_city=""
        )
        count = Order.objects.filter(pk__in=ids).update(name="", email="", phone="", user=None)
    return count
