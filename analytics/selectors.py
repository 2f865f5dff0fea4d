"""Reads of the stored figures: every dashboard, export and API response comes from here, never from a
computation. Each function is one or two queries whatever the period or area size."""

from __future__ import annotations

from datetime import date

from django.db.models import Max, QuerySet

from .extract import ANALYTICS
from .models import KpiRun, KpiValue, RunStatus, Scope

FIELDS = (
    "purpose",
    "scope",
    "scope_id",
    "kpi",
    "breakdown",
    "period_kind",
    "period_start",
    "value",
    "previous_value",
    "last_year_value",
    "raw_value",
    "n",
    "is_suppressed",
    "suppressed_reason",
    "provenance",
)


def latest_run(area) -> KpiRun | None:
    """The area's last finished run (its figures are the stored ones)."""
    return KpiRun.objects.filter(area=area, status=RunStatus.DONE).order_by("-finished_at", "-pk").first()


def pending_run(area) -> KpiRun | None:
    return KpiRun.objects.filter(area=area, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()


def values(area, **filters) -> QuerySet:
    """The area's stored figures, narrowed by KpiValue field lookups, as dicts of FIELDS."""
    return KpiValue.objects.filter(area=area, **filters).values(*FIELDS)


def latest_period(area, period_kind: str, *, purpose: str = ANALYTICS, scope: str = Scope.AREA) -> date | None:
    """The start of the last period of this kind that has stored figures."""
    return KpiValue.objects.filter(
        area=area, purpose=purpose, period_kind=period_kind, scope=scope, kpi="visits"
    ).aggregate(last=Max("period_start"))["last"]


def figures(
    area,
    *,
    period_kind: str,
    period_start: date,
    scope: str = Scope.AREA,
    scope_id: str = "area",
    purpose: str = ANALYTICS,
) -> dict[str, dict]:
    """{kpi: row} of one scope in one period (breakdowns left out). One query."""
    rows = values(
        area,
        purpose=purpose,
        scope=scope,
        scope_id=scope_id,
        period_kind=period_kind,
        period_start=period_start,
        breakdown="",
    )
    return {row["kpi"]: row for row in rows}


def series(
    area,
    *,
    kpi: str,
    period_kind: str,
    scope: str = Scope.AREA,
    scope_id: str = "area",
    purpose: str = ANALYTICS,
    since: date | None = None,
    breakdown: str = "",
) -> list[dict]:
    """One KPI of one scope over time, oldest first. One query."""
    rows = values(
        area, purpose=purpose, scope=scope, scope_id=scope_id, kpi=kpi, period_kind=period_kind, breakdown=breakdown
    )
    if since:
        rows = rows.filter(period_start__gte=since)
    return list(rows.order_by("period_start"))


def by_scope(area, *, scope: str, period_kind: str, period_start: date, kpis, purpose: str = ANALYTICS) -> list[dict]:
    """Every scope id of one scope kind in one period, for the given KPIs. One query."""
    return list(
        values(
            area,
            purpose=purpose,
            scope=scope,
            period_kind=period_kind,
            period_start=period_start,
            kpi__in=list(kpis),
            breakdown="",
        ).order_by("scope_id", "kpi")
    )


def breakdown(
    area, *, kpi: str, period_kind: str, period_start: date, scope: str = Scope.AREA, scope_id: str = "area"
) -> list[dict]:
    """The breakdown cells (weekday × hour, age group) of a KPI in one period. One query."""
    return list(
        values(
            area,
            purpose=ANALYTICS,
            scope=scope,
            scope_id=scope_id,
            kpi=kpi,
            period_kind=period_kind,
            period_start=period_start,
        )
        .exclude(breakdown="")
        .order_by("breakdown")
    )


def periods(area, period_kind: str, *, purpose: str = ANALYTICS, scope: str = Scope.AREA) -> list[date]:
    """The period starts with stored figures, newest first (for the period choice). One query."""
    return list(
        KpiValue.objects.filter(area=area, purpose=purpose, period_kind=period_kind, scope=scope, kpi="visits")
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .distinct()
    )


def area_comparison(areas, *, period_kind: str, period_start: date, kpis) -> list[dict]:
    """The published area-level figures of several areas in one period (aggregates only: suppressed cells
    stay empty for everyone, platform admin included). One query."""
    return list(
        KpiValue.objects.filter(
            area__in=areas,
            purpose=ANALYTICS,
            scope=Scope.AREA,
            period_kind=period_kind,
            period_start=period_start,
            kpi__in=list(kpis),
            breakdown="",
        ).values("area_id", "kpi", "value", "is_suppressed", "suppressed_reason")
    )
