"""Background jobs of the parcel point (the morning jobs are scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def notify_parcel_ready_task(*, parcel_id: int) -> bool:
    """After intake: tell the recipient. Safe to run twice (the parcel is marked before the e-mail leaves)."""
    return services.send_ready_notice(parcel_id=parcel_id)


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
