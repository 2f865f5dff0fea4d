"""Background jobs of the analytics app: recomputing the stored figures (nightly via beat, and on demand)."""

import logging

from celery import shared_task

from areas.models import ShoppingArea

from . import services
from .models import KpiRun, RunStatus

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def recompute_area_task(*, run_id: int) -> int:
    """Run a queued recomputation. Safe to deliver twice: a run that is no longer queued is left alone, and a
    second run publishes nothing a first one did (published figures are final: `analytics.publication`)."""
    claimed = KpiRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING)
    if not claimed:
        return 0
    run = KpiRun.objects.select_related("area").get(pk=run_id)
    return services.recompute(area=run.area, run=run).rows_written


@shared_task(acks_late=True)
def recompute_all_areas_task() -> int:
    """Nightly: queue a recomputation of every area (one task each, so one slow area delays no other)."""
    areas = list(ShoppingArea.objects.all())
    for area in areas:
        services.request_recompute(area=area, trigger="nightly")
    logger.info("analytics: queued recomputation of %d areas", len(areas))
    return len(areas)
