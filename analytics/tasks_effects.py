"""Background jobs of segments, effect reports and opening-hours advice: on demand (with progress on the row the
page polls) and nightly for running campaigns. Thin: each calls one service; all are safe to run twice."""

import logging

from celery import shared_task

from . import services_effects

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def compute_effect_report_task(*, report_id: int) -> str:
    """Compute one campaign or event report (the row is overwritten, so a second delivery does no harm)."""
    return services_effects.compute_effect_report(report_id=report_id).status


@shared_task(acks_late=True)
def compute_segments_task(*, area_id: int, run_id: int) -> int:
    return services_effects.compute_segments(area_id=area_id, run_id=run_id).members


@shared_task(acks_late=True)
def compute_opening_hours_advice_task(*, area_id: int, run_id: int) -> str:
    return services_effects.compute_opening_hours_advice(area_id=area_id, run_id=run_id).status


@shared_task(acks_late=True)
def nightly_effects_task() -> int:
    """Nightly: the reports of running (and just ended) campaigns, each area's segments and advice."""
    done = services_effects.compute_running_campaign_reports()
    done += services_effects.compute_all_segments_and_advice()
    logger.info("analytics effects: %d computations", done)
    return done
