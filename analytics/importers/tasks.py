"""The import task: the upload page queues it after commit; it is idempotent (a finished run is skipped)."""

from celery import shared_task


@shared_task(name="analytics.run_import")
def run_import_task(run_id: int) -> None:
    from .service import execute_import

    execute_import(run_id)
