"""Stored aggregates: what the dashboards, exports and API read. Pages never compute; `services.recompute` does.

A `KpiRun` is one computation of an area's figures (nightly, or on demand when a month's publication is missing,
with progress). It adds the `KpiValue` rows of the periods that are due, in one transaction; rows already published
stay as they are (`analytics.publication`: a figure from members' data is published once, then final), except sensor
counts, which each run refreshes.
Every value carries its published form (`value`, NULL when suppressed, with the reason) and, for the platform
admin only, the unsuppressed `raw_value` and `n` (the subjects behind it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["KpiRun", "KpiValue", "PeriodKind", "RunStatus", "Scope"]


class Scope(models.TextChoices):
    AREA = "area", _("Area")
    SECTOR = "sector", _("Sector")
    MERCHANT = "merchant", _("Merchant")
    COUNTING_POINT = "counting_point", _("Counting point")


class PeriodKind(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class KpiRun(models.Model):
    """One recomputation of an area's figures: who asked, when, how far it got, with which code."""

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.CASCADE, related_name="kpi_runs"
    )
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(_("started by"), max_length=20, default="on_demand")  # nightly | on_demand
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("current step"), max_length=80, blank=True)
    code_version = models.CharField(_("code version"), max_length=80, blank=True)
    k = models.PositiveSmallIntegerField(_("small-group threshold (K)"), null=True, blank=True)
    rows_written = models.PositiveIntegerField(_("figures written"), default=0)
    error = models.TextField(_("error"), blank=True)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("analytics run")
        verbose_name_plural = _("analytics runs")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["area", "status", "-finished_at"], name="kpirun_area_status")]

    def __str__(self) -> str:
        return f"{self.area_id} · {self.requested_at:%Y-%m-%d %H:%M} · {self.status}"


class KpiValue(models.Model):
    """One published figure: a KPI of a scope (area, sector, merchant, counting point) in one period, optionally
    broken down (hour × weekday, distance band, municipality, age band), with comparisons and provenance."""

    run = models.ForeignKey(KpiRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="values")
    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.CASCADE, related_name="kpi_values"
    )
    # Whose consent the figure rests on: `analytics` (area figures) or `share_with_merchants` (a merchant's own page).
    purpose = models.CharField(_("purpose"), max_length=30, default="analytics")
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    scope_id = models.CharField(_("scope id"), max_length=40)  # the area's or merchant's pk, a sector code, …
    kpi = models.CharField(_("KPI"), max_length=40)
    breakdown = models.CharField(_("breakdown"), max_length=60, blank=True)
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    value = models.FloatField(_("value"), null=True, blank=True)  # NULL when suppressed
    previous_value = models.FloatField(_("previous period"), null=True, blank=True)
    last_year_value = models.FloatField(_("same period last year"), null=True, blank=True)
    raw_value = models.FloatField(_("unsuppressed value"), null=True, blank=True)  # platform admin only
    n = models.IntegerField(_("subjects behind it"), null=True, blank=True)
    is_suppressed = models.BooleanField(_("suppressed"), default=False)
    suppressed_reason = models.CharField(_("suppression reason"), max_length=20, blank=True)
    provenance = models.JSONField(_("provenance"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "purpose", "scope", "scope_id", "kpi", "breakdown", "period_kind", "period_start"],
                name="kpivalue_one_per_cell",
            )
        ]
        indexes = [
            models.Index(
                fields=["area", "purpose", "period_kind", "scope", "scope_id", "period_start"], name="kpivalue_read"
            ),
            models.Index(fields=["run"], name="kpivalue_run"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.scope}:{self.scope_id} {self.period_kind} {self.period_start}"
