"""The demo's injected campaign effect is found: the estimate's 95% interval contains the injected lift."""

from datetime import date, timedelta

import pytest

from analytics.models import EffectReport, EffectStatus, InjectedEffect, SegmentRun, SubjectKind
from areas.demo import seed_demo
from privacy.default_purposes import ensure_default_purposes

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


@pytest.fixture
def small_demo(db):
    ensure_default_purposes()
    return seed_demo(
        seed=1,
        size="small",
        today=TODAY,
        only=["loyalty", "analytics.effects_campaign", "analytics.effects_reports"],
        log=lambda _line: None,
    )


def test_the_demo_campaign_report_contains_the_injected_lift(small_demo):
    truths = list(InjectedEffect.objects.select_related("campaign"))
    assert len(truths) == 2  # one per demo area
    for truth in truths:
        assert truth.extra_visits > 0
        report = EffectReport.objects.get(campaign=truth.campaign)
        assert report.status == EffectStatus.DONE, report.error
        visits = report.result["visits"]
        assert report.result["design"] == "did" and report.result["control"] == "merchants"
        assert visits["low"] <= truth.lift <= visits["high"], (truth.campaign.area.slug, visits)
        assert report.result["placebo"]["runs"] >= 20


def test_the_demo_has_segments_and_advice(small_demo):
    for run in SegmentRun.objects.all():
        assert run.status == EffectStatus.DONE and run.members > 0
        assert sum(run.result["segments"].values()) == run.members


@pytest.mark.django_db(transaction=False)
def test_the_demo_computes_the_report_of_the_last_weekly_market(db):
    # given: the small demo's passes, sites and agenda (a weekly market per area)
    ensure_default_purposes()
    seed_demo(
        seed=1,
        size="small",
        today=TODAY,
        only=["loyalty", "cms.sites", "cms.content", "analytics.effects_reports"],
        log=lambda _line: None,
    )

    # then: each area has the report of its last market day before today; in the small demo (200 members an
    # area) one day rests on fewer than K = 30 members, so it is stored with that reason and no figure
    reports = list(EffectReport.objects.filter(kind=SubjectKind.EVENT).select_related("area"))
    assert len(reports) == 2
    for report in reports:
        assert report.ends_on - report.starts_on == timedelta(days=1) and report.ends_on <= TODAY
        assert report.status == EffectStatus.FAILED and "30" in report.error
        assert report.result == {"reason": "too_few_members", "k": 30}
