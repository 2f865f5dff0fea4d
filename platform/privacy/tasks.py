"""Background jobs of the privacy app (scheduled by Celery beat, see settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def anonymise_inactive_accounts_task() -> int:
    """Daily retention run. Safe to run twice: erased accounts are skipped, each account is its own transaction."""
    return services.anonymise_inactive_accounts()
