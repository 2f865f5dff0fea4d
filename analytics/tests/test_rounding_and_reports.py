"""Figures are rounded, not cut off (2.519 → 2.52), the same way everywhere on a page; the effects pages say why a
report has no figures in words that fit ("Too few members"), and offer a first computation as "Compute"; cluster
descriptions say in which direction a group differs; the compute buttons say they are working."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from analytics.figures import change_text, format_value
from analytics.kpis import CENTS, COUNT, RATIO, SHARE
from analytics.models import EffectReport, EffectStatus, SegmentRun, SubjectKind
from analytics.segments import FEATURES, directions
from analytics.services_effects import compute_effect_report, request_campaign_report
from loyalty.models import Campaign
from loyalty.tests.factories import person_with

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (262 / 104, RATIO, "2.52"),  # 2.519…, was "2.51"
        (1_300_029 / 262, CENTS, "€ 49.62"),  # € 49.619…, was "€ 49.61"
        (262 / 16_407, SHARE, "1.6 %"),  # 1.597 %, was "1.5 %"
        (105.6, COUNT, "106"),
        (2.5, COUNT, "3"),  # half up, not to the even 2
        (1_234_567.5, COUNT, "1,234,568"),
        (-0.0001, SHARE, "0.0 %"),  # no "-0.0"
        (float("inf"), RATIO, "–"),
    ],
)
def test_figures_are_rounded_half_up_not_cut_off(value, unit, shown):
    assert format_value(value, unit) == shown


def test_a_change_is_rounded_too():
    assert change_text(1_027.5, 1_000)[0] == "+2.8 %"  # 2.75 %, was "+2.7 %"
    assert change_text(262, 255)[0] == "+2.7 %"  # 2.745 %
    assert change_text(986.5, 1_000)[0] == "-1.4 %"  # -1.35 %, was "-1.3 %"


@pytest.fixture
def campaign(area):
    return Campaign.objects.create(
        area=area,
        name="Koopavond",
        starts_at=datetime(2026, 11, 26, 17, tzinfo=AMS),
        ends_at=datetime(2026, 11, 26, 21, tzinfo=AMS),
        multiplier_permille=2000,
    )


def report_with(campaign, **fields) -> EffectReport:
    return EffectReport.objects.create(
        area=campaign.area,
        kind=SubjectKind.CAMPAIGN,
        campaign=campaign,
        title=campaign.name,
        starts_on=date(2026, 11, 26),
        ends_on=date(2026, 11, 27),
        computed_at=datetime(2026, 11, 30, 6, tzinfo=AMS),
        **fields,
    )


def page_of(client, area, campaign) -> str:
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    url = reverse("analytics_effects:campaign", kwargs={"area": area.slug, "campaign_pk": campaign.pk})
    return client.get(url).content.decode()


def test_expected_and_extra_visits_agree_with_each_other_and_the_table(client, area, campaign):
    bins = [{"bin": 0, "first_day": "2026-11-26", "in_window": True, "actual": 107.0, "counterfactual": 105.6}]
    bins[0]["suppressed"] = False
    estimate = {"lift": 0.0133, "low": -0.2, "high": 0.25, "p_value": 0.9, "actual": 107.0}
    estimate |= {"counterfactual": 105.6, "incremental": 1.4, "incremental_low": -20.0, "incremental_high": 25.0}
    report_with(
        campaign,
        status=EffectStatus.DONE,
        result={
            "visits": estimate,
            "spend": {**estimate, "incremental": 159_277.5},
            "roi": None,
            "placebo": {"runs": 40, "significant": 2, "share": 0.05},
            "chart": {"bin_days": 7, "bins": bins},
            "design": "did",
            "control": "merchants",
            "suppression": {"k": 30, "members_in_window": 40, "bins_suppressed": 0, "spend_dominance": False},
            "provenance": {"source": "visits", "method": "did", "code_version": "test"},
        },
    )
    html = page_of(client, area, campaign)
    # 107 visits, 105.6 expected: "106 expected" here and in the table, and 107 − 106 = 1 extra
    assert "107 visits, 106 expected without it" in html
    assert '<p class="figure__value">1</p>' in html
    assert '<td class="num">107</td><td class="num">106</td>' in html
    assert "extra spend € 1,593" in html  # € 1,592.775, was "€ 1,592"
    assert "Compute again" in html


def test_a_report_with_too_few_members_says_so_and_is_no_failure(client, area, campaign):
    report_with(campaign, status=EffectStatus.FAILED, result={"reason": "too_few_members", "k": 30}, error="…")
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    listing = client.get(reverse("analytics_effects:reports", kwargs={"area": area.slug})).content.decode()
    assert "Too few members" in listing and "Failed" not in listing
    assert "at least 30 members who consented to analytics" in listing  # said before anyone computes
    html = page_of(client, area, campaign)
    assert "Too few members: fewer than 30 members who consented to analytics visited in the period" in html
    assert "Compute again" in html


def test_a_report_never_computed_offers_compute_with_a_button_that_says_it_is_working(client, area, campaign):
    html = page_of(client, area, campaign)
    assert ">Compute</h2>" in html and "Compute again" not in html
    assert "data-once" in html and 'data-busy-label="Computing…"' in html and "analytics/once.js" in html
    listing = client.get(reverse("analytics_effects:reports", kwargs={"area": area.slug})).content.decode()
    assert "Not computed" in listing


def test_computing_a_report_for_too_few_members_stores_the_reason(area, campaign):
    report = request_campaign_report(campaign=campaign, queue=False)
    report = compute_effect_report(report_id=report.pk, now=datetime(2026, 12, 1, 6, tzinfo=AMS), placebo_runs=2)
    assert report.status == EffectStatus.FAILED
    assert report.result == {"reason": "too_few_members", "k": 30}


def test_a_cluster_is_described_by_the_direction_it_differs_in(client, area):
    above = {"z": dict.fromkeys(FEATURES, 0.0) | {"frequency": 0.64, "monetary_cents": 0.5, "merchants": 0.4}}
    below = {"z": dict.fromkeys(FEATURES, 0.0) | {"frequency": -1.07, "monetary_cents": -0.9, "merchants": -0.8}}
    for profile in (above, below):
        profile["explained_by"] = ["frequency", "monetary_cents", "merchants"]
    assert directions(above) == ["more visits", "higher spend", "more different merchants"]
    assert directions(below) == ["fewer visits", "lower spend", "fewer different merchants"]
    clusters = [
        {"cluster": n, "size": size, "median": dict.fromkeys(FEATURES, 1.0), **profile}
        for n, (size, profile) in enumerate(((87, above), (52, below)))
    ]
    SegmentRun.objects.create(
        area=area,
        as_of=date(2026, 11, 22),
        status=EffectStatus.DONE,
        members=139,
        k=2,
        silhouette=0.3,
        computed_at=datetime(2026, 11, 22, 6, tzinfo=AMS),
        result={"segments": {"rfm_occasional": 139}, "clusters": clusters},
    )
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    html = client.get(reverse("analytics_effects:segments", kwargs={"area": area.slug})).content.decode()
    assert "Stands out by: more visits, higher spend, more different merchants" in html
    assert "Stands out by: fewer visits, lower spend, fewer different merchants" in html
    assert 'data-busy-label="Computing…"' in html


def test_reports_stored_with_a_message_only_get_their_reason_back(area, campaign):
    import importlib

    from django.apps import apps

    old = report_with(campaign, status=EffectStatus.FAILED, result={}, error="Minder dan 30 leden bezochten de …")
    importlib.import_module("analytics.migrations.0005_effect_report_reasons").reasons_from_messages(apps, None)
    old.refresh_from_db()
    assert old.result == {"reason": "too_few_members", "k": 30}
