"""Analytics' demo step: compute every area's stored figures once the other steps made visits, pickups and counts,
so the dashboards open with figures (later nights' runs come from Celery beat)."""

from __future__ import annotations

from areas.demo import DemoContext, WipeScope, demo_step, demo_wipe

from . import services
from .models import KpiRun, KpiValue


@demo_step(order=590, name="analytics.figures")
def compute_figures(ctx: DemoContext) -> None:
    for area in ctx.areas.values():
        run = services.recompute(area=area, today=ctx.today)
        ctx.count("analytics figures", run.rows_written)
        ctx.log(f"analytics: {run.rows_written:,} figures for {area.name}")


@demo_wipe(order=590, name="analytics.figures")
def wipe_figures(scope: WipeScope) -> None:
    KpiValue.objects.filter(area_id__in=scope.area_ids).delete()
    KpiRun.objects.filter(area_id__in=scope.area_ids).delete()
