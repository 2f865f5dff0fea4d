"""Background jobs of the area websites (the periodic ones are in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def publish_scheduled_pages_task() -> None:
    """Every minute: scheduled pages go live, expired pages go offline."""
    from .services import publish_scheduled_pages

    publish_scheduled_pages()
