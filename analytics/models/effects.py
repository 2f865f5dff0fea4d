"""Stored results of segments, campaign and event effects, and opening-hours advice. Pages read these rows;
Celery tasks (`analytics.tasks_effects`) write them through `analytics.services_effects`."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = [
    "AdviceRun",
    "EffectReport",
    "EffectStatus",
    "InjectedEffect",
    "SegmentAssignment",
    "SegmentRun",
    "SubjectKind",
]


class EffectStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SegmentRun(models.Model):
    """One computation of an area's RFM segments and clusters. Only the latest done run keeps assignments."""

    area = models.ForeignKey("areas.ShoppingArea", on_delete=models.CASCADE, related_name="segment_runs")
    as_of = models.DateField(_("as of"))
    seed = models.PositiveIntegerField(_("seed"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=EffectStatus.choices, default=EffectStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    k = models.PositiveSmallIntegerField(_("clusters"), null=True, blank=True)
    silhouette = models.FloatField(_("silhouette"), null=True, blank=True)
    members = models.PositiveIntegerField(_("members"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)  # segment sizes, cluster profiles, provenance
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("segment computation")
        verbose_name_plural = _("segment computations")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["area", "status", "-computed_at"], name="segmentrun_area_latest")]

    def __str__(self) -> str:
        return f"{self.area} {self.as_of}"


class SegmentAssignment(models.Model):
    """A pseudonymous subject's RFM scores, named segment and cluster in one run. No pass or user id is stored:
    the loyalty segment resolver recomputes the subject keys of consenting passes and matches them here."""

    run = models.ForeignKey(SegmentRun, on_delete=models.CASCADE, related_name="assignments")
    subject = models.BigIntegerField(_("pseudonymous subject"))  # analytics.extract.subject_of(pseudonym)
    recency = models.PositiveSmallIntegerField("R")
    frequency = models.PositiveSmallIntegerField("F")
    monetary = models.PositiveSmallIntegerField("M")
    segment = models.CharField(_("segment"), max_length=40)
    cluster = models.PositiveSmallIntegerField(_("cluster"))

    class Meta:
        verbose_name = _("segment assignment")
        verbose_name_plural = _("segment assignments")
        constraints = [models.UniqueConstraint(fields=["run", "subject"], name="one_assignment_per_run_subject")]
        indexes = [models.Index(fields=["run", "segment"], name="assignment_run_segment")]

    def __str__(self) -> str:
        return f"{self.segment} / {self.cluster}"


class SubjectKind(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    EVENT = "event", pgettext_lazy("calendar", "Event")


class EffectReport(models.Model):
    """The measured effect of one campaign or event occurrence: recomputed in place (one row per subject)."""

    area = models.ForeignKey("areas.ShoppingArea", on_delete=models.CASCADE, related_name="effect_reports")
    kind = models.CharField(_("kind"), max_length=8, choices=SubjectKind.choices)
    # No database constraint: loyalty's demo wipe TRUNCATEs its campaigns, which PostgreSQL refuses while another
    # table's foreign key points at them (even when that table is empty). Deleting a campaign through the ORM
    # still deletes its report (CASCADE), and the analytics demo wipe runs before loyalty's.
    campaign = models.ForeignKey(
        "loyalty.Campaign",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="effect_reports",
        db_constraint=False,
    )
    occurrence_id = models.CharField(_("event occurrence"), max_length=80, blank=True)
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("day after the last"))
    cost_cents = models.PositiveBigIntegerField(_("cost (cents)"), default=0)
    margin_permille = models.PositiveSmallIntegerField(_("margin rate (‰)"), default=300)
    status = models.CharField(_("status"), max_length=8, choices=EffectStatus.choices, default=EffectStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("effect report")
        verbose_name_plural = _("effect reports")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign"], name="one_report_per_campaign", condition=Q(campaign__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["area", "occurrence_id"], name="one_report_per_occurrence", condition=~Q(occurrence_id="")
            ),
            models.CheckConstraint(
                condition=Q(kind="campaign", campaign__isnull=False) | Q(kind="event", campaign__isnull=True),
                name="effect_report_subject",
            ),
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="effect_report_window"),
        ]

    def __str__(self) -> str:
        return self.title


class InjectedEffect(models.Model):
    """Demo only: the effect the demo seed injected into a campaign's visits (the truth an estimate is checked
    against)."""

    campaign = models.OneToOneField(  # no database constraint: see EffectReport.campaign
        "loyalty.Campaign", on_delete=models.CASCADE, related_name="injected_effect", db_constraint=False
    )
    lift = models.FloatField(_("injected lift"))
    merchant_ids = models.JSONField(_("participating merchants"), default=list)
    extra_visits = models.PositiveIntegerField(_("extra visits"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("injected effect (demo)")
        verbose_name_plural = _("injected effects (demo)")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.lift:+.0%}"


class AdviceRun(models.Model):
    """Opening-hours advice for an area's merchants and sectors over a period (the latest one is shown)."""

    area = models.ForeignKey("areas.ShoppingArea", on_delete=models.CASCADE, related_name="advice_runs")
    start = models.DateField(_("first day"))
    end = models.DateField(_("day after the last"))
    source = models.CharField(_("footfall source"), max_length=16)  # "sensors" or "visits"
    status = models.CharField(_("status"), max_length=8, choices=EffectStatus.choices, default=EffectStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)  # {"merchants": {id: [...]}, "sectors": …}
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("opening-hours advice")
        verbose_name_plural = _("opening-hours advice")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.area} {self.start}–{self.end}"
