"""Background jobs of the webshop's order lifecycle (the periodic ones are in settings.CELERY_BEAT_SCHEDULE).

Every task is thin and safe to run twice: e-mails are claimed (`Notice.key`) before they leave, the jobs re-read
each order under its row lock, the gateway calls carry keys derived from the order.
"""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def release_lapsed_reservations_task() -> int:
    """Every minute: reservations past their time free their stock."""
    from .services import stock

    return stock.release_lapsed()


@shared_task(acks_late=True)
def expire_unpaid_orders_task() -> int:
    """Every minute: pending orders long past their reservation expire (voucher and gift card given back)."""
    from .services import orders

    return orders.expire_unpaid()


@shared_task(acks_late=True)
def send_paid_notices_task(order_id: int) -> int:
    """After payment: the customer's confirmation and each merchant's "new order". Each once."""
    from .services import notices

    return notices.send_paid_notices(order_id=order_id)


@shared_task(acks_late=True)
def cancel_intent_task(order_id: int) -> bool:
    """After an order expired unpaid: cancel its PaymentIntent (key derived from the order)."""
    from .services import orders

    return orders.cancel_intent(order_id=order_id)


@shared_task(acks_late=True)
def refund_short_lines_task(order_id: int, short: dict) -> bool:
    """A payment came after the reservation lapsed and the stock was gone: refund what cannot be supplied."""
    from .services import orders

    return orders.refund_short_lines(order_id=order_id, short={int(k): v for k, v in short.items()})


@shared_task(acks_late=True)
def erase_contact_data_task() -> int:
    """Nightly: blank the contact details of orders past the retention period."""
    from .services import orders

    return orders.erase_contact_data()
