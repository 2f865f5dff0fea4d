"""Background jobs of the parcel point (the periodic ones are scheduled in settings.CELERY_BEAT_SCHEDULE).

Every task is thin and safe to run twice: the notices are claimed (unique per parcel and kind) before an e-mail
leaves, the voucher's key is derived from the handout, the morning jobs re-read each parcel under its lock.
"""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def notify_parcel_ready_task(*, parcel_id: int) -> bool:
    """After intake: tell the recipient (rich e-mail with the code and QR). Once per parcel."""
    return services.send_ready_notice(parcel_id=parcel_id)


@shared_task(acks_late=True)
def send_parcel_reminders_task() -> int:
    """Hourly: the reminders and last-day notices due now. Once per parcel and notice."""
    return services.send_due_reminders()


@shared_task(acks_late=True)
def parcels_picked_up_task(*, parcel_ids: list[int]) -> bool:
    """After a handout: the pickup receipt, with the pickup voucher where the point gives one. Once per handout."""
    return services.send_pickup_notice(parcel_ids=parcel_ids)


@shared_task(acks_late=True)
def expire_overdue_parcels_task() -> int:
    """Each morning: parcels past their storage limit go onto their carrier's return list. Safe to run twice."""
    return services.expire_overdue_parcels()


@shared_task(acks_late=True)
def erase_recipient_data_task() -> int:
    """Nightly: erase recipient data past each point's retention period. Safe to run twice."""
    return services.erase_recipient_data()


@shared_task(acks_late=True)
def send_return_receipt_task(*, parcel_id: int) -> bool:
    """After a return drop-off: e-mail the customer the receipt. Safe to run twice (marked before it leaves)."""
    return services.send_return_receipt(parcel_id=parcel_id)
