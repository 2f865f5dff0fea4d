"""Reads of the stored segments, effect reports and opening-hours advice, for the pages (never computing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Q

from .models import AdviceRun, EffectReport, EffectStatus, SegmentRun

#: How far back the reports page lists campaigns and events.
LIST_DAYS = 365


def latest_segment_run(area) -> SegmentRun | None:
    return SegmentRun.objects.filter(area=area, status=EffectStatus.DONE).order_by("-computed_at", "-pk").first()


def pending_segment_run(area) -> SegmentRun | None:
    return (
        SegmentRun.objects.filter(area=area, status__in=[EffectStatus.PENDING, EffectStatus.RUNNING])
        .order_by("-created_at")
        .first()
    )


def latest_advice(area) -> AdviceRun | None:
    return AdviceRun.objects.filter(area=area, status=EffectStatus.DONE).order_by("-computed_at", "-pk").first()


def pending_advice(area) -> AdviceRun | None:
    return (
        AdviceRun.objects.filter(area=area, status__in=[EffectStatus.PENDING, EffectStatus.RUNNING])
        .order_by("-created_at")
        .first()
    )


def interventions(area, *, now: datetime) -> dict:
    """The area's campaigns and event occurrences of the last year (newest first), each with its stored report
    (or None). Four queries plus cms' two."""
    from cms.selectors import list_events
    from loyalty.selectors import campaigns_between

    start = now - timedelta(days=LIST_DAYS)
    campaigns = sorted(campaigns_between(area, start, now), key=lambda c: c.starts_at, reverse=True)
    occurrences = sorted(list_events(area=area, start=start, end=now), key=lambda o: o.starts_at, reverse=True)
    reports = EffectReport.objects.filter(area=area).filter(
        Q(campaign__in=[c.pk for c in campaigns]) | Q(occurrence_id__in=[o.id for o in occurrences])
    )
    by_campaign = {r.campaign_id: r for r in reports if r.campaign_id}
    by_occurrence = {r.occurrence_id: r for r in reports if r.occurrence_id}
    return {
        "campaigns": [(c, by_campaign.get(c.pk)) for c in campaigns],
        "events": [(o, by_occurrence.get(o.id)) for o in occurrences],
    }


def find_occurrence(area, occurrence_id: str):
    """The event occurrence with this id ("<page id>:<start, UTC, %Y%m%dT%H%MZ>") or None."""
    from cms.selectors import list_events

    try:
        _page, stamp = occurrence_id.split(":", 1)
        starts_at = datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    found = list_events(area=area, start=starts_at - timedelta(days=1), end=starts_at + timedelta(days=1))
    return next((occurrence for occurrence in found if occurrence.id == occurrence_id), None)
