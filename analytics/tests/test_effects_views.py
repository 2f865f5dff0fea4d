"""The effect, segment and opening-hours pages: who sees what, suppression of small groups, computing on demand."""

from __future__ import annotations

from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from analytics.models import AdviceRun, EffectReport, EffectStatus, SegmentRun, SubjectKind
from areas.tests.factories import MerchantFactory, ShoppingAreaFactory, StaffMembershipFactory
from loyalty.models import Campaign
from privacy.tests.factories import with_totp

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def person_with(role, **scope):
    return with_totp(StaffMembershipFactory(role=role, **scope).user)


@pytest.fixture
def campaign(area):
    return Campaign.objects.create(
        area=area,
        name="Herfstweken",
        starts_at=datetime(2026, 9, 7, 3, tzinfo=AMS),
        ends_at=datetime(2026, 10, 5, 3, tzinfo=AMS),
        multiplier_permille=2000,
    )


def stored_report(campaign) -> EffectReport:
    """A report as `compute_effect_report` stores it (the numbers of the small demo's)."""
    bins = [
        {
            "bin": -2,
            "first_day": "2026-08-10",
            "in_window": False,
            "actual": None,
            "counterfactual": None,
            "suppressed": True,
        },
        {
            "bin": -1,
            "first_day": "2026-08-10",
            "in_window": False,
            "actual": 94.0,
            "counterfactual": 86.3,
            "suppressed": False,
        },
        {
            "bin": 0,
            "first_day": "2026-09-07",
            "in_window": True,
            "actual": 116.0,
            "counterfactual": 83.8,
            "suppressed": False,
        },
    ]
    estimate = {"lift": 0.3841, "low": 0.0192, "high": 0.8782, "p_value": 0.04, "actual": 116.0}
    estimate |= {"counterfactual": 83.84, "incremental": 32.16, "incremental_low": 2.2, "incremental_high": 54.2}
    return EffectReport.objects.create(
        area=campaign.area,
        kind=SubjectKind.CAMPAIGN,
        campaign=campaign,
        title=campaign.name,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 10, 5),
        cost_cents=150_000,
        status=EffectStatus.DONE,
        computed_at=datetime(2026, 11, 22, 6, tzinfo=AMS),
        result={
            "visits": estimate,
            "spend": {**estimate, "lift": 0.2869, "low": -0.3763, "high": 1.6551, "incremental": 159_277.4},
            "roi": {
                "incremental_spend_cents": 159_277,
                "margin_rate": 0.3,
                "incremental_margin_cents": 47_783,
                "cost_cents": 150_000,
                "roi_cents": -102_217,
                "roi_low_cents": -279_311,
                "roi_high_cents": -16_383,
            },
            "placebo": {"runs": 40, "significant": 2, "share": 0.05},
            "chart": {"bin_days": 28, "bins": bins},
            "design": "did",
            "control": "merchants",
            "suppression": {"k": 30, "members_in_window": 54, "bins_suppressed": 1, "spend_dominance": False},
            "provenance": {"source": "visits", "method": "did", "code_version": "test"},
        },
    )


def test_the_manager_sees_the_campaign_report_with_its_lift_and_interval(client, area, campaign):
    stored_report(campaign)
    client.force_login(person_with(Role.AREA_MANAGER, area=area))

    listing = client.get(reverse("analytics_effects:reports", kwargs={"area": area.slug}))
    page = client.get(reverse("analytics_effects:campaign", kwargs={"area": area.slug, "campaign_pk": campaign.pk}))

    assert listing.status_code == 200 and "Herfstweken" in listing.content.decode()
    assert "+38.4 %" in listing.content.decode()
    # the key figures' run is not this page's: no "no figures computed yet" over a page of figures
    assert "No figures have been computed" not in listing.content.decode()
    overview = client.get(reverse("analytics:overview", kwargs={"area": area.slug})).content.decode()
    assert "No figures have been computed for this area yet." in overview  # where it is true, it is still said
    assert page.status_code == 200
    html = page.content.decode()
    assert "+38.4 %" in html and "95% interval: +1.9 % to +87.8 %" in html
    assert 'found an "effect" 2 times (5.0 %)' in html
    assert "€ -1,022" in html  # the ROI
    assert 'role="img"' in html  # the chart, inline SVG
    assert "hidden (small group)" in html  # the suppressed period
    assert page["Cache-Control"] == "private, no-cache"


def test_asking_for_a_report_queues_its_computation_after_commit(
    client, area, campaign, django_capture_on_commit_callbacks
):
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    url = reverse("analytics_effects:campaign", kwargs={"area": area.slug, "campaign_pk": campaign.pk})

    with (
        mock.patch("analytics.tasks_effects.compute_effect_report_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url, {"cost_euros": "1500", "margin_percent": "25"})

    assert response.status_code == 302
    report = EffectReport.objects.get(campaign=campaign)
    assert (report.cost_cents, report.margin_permille, report.status) == (150_000, 250, EffectStatus.PENDING)
    delay.assert_called_once_with(report_id=report.pk)
    busy = client.get(url).content.decode()
    assert "Computing… 0% done" in busy and 'http-equiv="refresh"' in busy


def test_a_bad_margin_is_refused_and_nothing_is_queued(client, area, campaign):
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    url = reverse("analytics_effects:campaign", kwargs={"area": area.slug, "campaign_pk": campaign.pk})
    response = client.post(url, {"cost_euros": "10", "margin_percent": "150"})
    assert response.status_code == 400
    assert not EffectReport.objects.exists()


def test_another_areas_manager_and_a_merchant_get_a_404(client, area, campaign):
    stored_report(campaign)
    url = reverse("analytics_effects:campaign", kwargs={"area": area.slug, "campaign_pk": campaign.pk})
    client.force_login(person_with(Role.AREA_MANAGER, area=ShoppingAreaFactory(slug="elders")))
    assert client.get(url).status_code == 404
    assert client.post(url, {"cost_euros": "1", "margin_percent": "10"}).status_code == 404
    client.force_login(person_with(Role.MERCHANT_OWNER, merchant=MerchantFactory(area=area)))
    assert client.get(url).status_code == 404
    assert client.get(reverse("analytics_effects:segments", kwargs={"area": area.slug})).status_code == 404


def test_small_segments_are_suppressed_with_what_would_reveal_them(client, area):
    sizes = {"rfm_new": 5, "rfm_lapsed": 50, "rfm_at_risk": 60, "rfm_loyal": 70, "rfm_big_spender": 45}
    sizes["rfm_occasional"] = 80
    clusters = [
        {"cluster": 0, "size": 260, "z": dict.fromkeys(_features(), 0.1), "median": dict.fromkeys(_features(), 1.0)},
        {"cluster": 1, "size": 40, "z": dict.fromkeys(_features(), -0.5), "median": dict.fromkeys(_features(), 2.0)},
        {"cluster": 2, "size": 10, "z": dict.fromkeys(_features(), 2.5), "median": dict.fromkeys(_features(), 9.0)},
    ]
    for cluster in clusters:
        cluster["explained_by"] = ["frequency", "recency_days", "merchants"]
    SegmentRun.objects.create(
        area=area,
        as_of=date(2026, 11, 22),
        status=EffectStatus.DONE,
        members=310,
        k=3,
        silhouette=0.41,
        computed_at=datetime(2026, 11, 22, 6, tzinfo=AMS),
        result={"segments": sizes, "clusters": clusters},
    )
    client.force_login(person_with(Role.AREA_MANAGER, area=area))

    response = client.get(reverse("analytics_effects:segments", kwargs={"area": area.slug}))

    assert response.status_code == 200
    shown = {row["label"]: row["members"] for row in response.context["sizes"]}
    assert shown["New (first visit in the last 90 days)"] is None  # 5 < K = 30
    # The total (310) is published: a second segment is hidden so the 5 cannot be worked out.
    assert sum(value is None for value in shown.values()) == 2
    assert shown["Big spenders (top fifth of spend, still coming)"] is None  # the smallest visible one
    profiles = response.context["profiles"]
    # Cluster 3 (10 members) is hidden, and cluster 2 with it: the clusters add up to the published total.
    assert [profile["is_suppressed"] for profile in profiles] == [False, True, True]
    assert all(feature["z"] is None for feature in profiles[2]["features"])
    html = response.content.decode()
    assert "0.41" in html and "2.50" not in html


def _features():
    from analytics.segments import FEATURES

    return FEATURES


def advice_run(area, merchants) -> AdviceRun:
    lunch = [{"weekday": 0, "hour": 12, "footfall": 400.0, "ratio": 4.0, "closed_share": 1.0, "days": 8}]
    evening = [{"weekday": 4, "hour": 18, "footfall": 250.0, "ratio": 2.5, "closed_share": 1.0, "days": 8}]
    return AdviceRun.objects.create(
        area=area,
        start=date(2026, 9, 27),
        end=date(2026, 11, 22),
        source="sensors",
        status=EffectStatus.DONE,
        computed_at=datetime(2026, 11, 22, 6, tzinfo=AMS),
        result={
            "merchants": {
                str(merchants[0].pk): {"name": merchants[0].trade_name, "sector": "food", "advice": lunch},
                str(merchants[1].pk): {"name": merchants[1].trade_name, "sector": "fashion", "advice": evening},
            },
            "sectors": {"food": lunch},
        },
    )


def test_a_merchant_sees_only_its_own_opening_hours_advice(client, area):
    bakery = MerchantFactory(area=area, trade_name="Bakkerij", sector="food")
    boutique = MerchantFactory(area=area, trade_name="Boetiek", sector="fashion")
    advice_run(area, [bakery, boutique])
    client.force_login(person_with(Role.MERCHANT_OWNER, merchant=bakery))

    own = client.get(reverse("analytics_effects:merchant_opening_hours", kwargs={"merchant_pk": bakery.pk}))
    other = client.get(reverse("analytics_effects:merchant_opening_hours", kwargs={"merchant_pk": boutique.pk}))
    area_page = client.get(reverse("analytics_effects:opening_hours", kwargs={"area": area.slug}))

    assert own.status_code == 200
    html = own.content.decode()
    assert "Monday" in html and "12:00–13:00" in html and "400" in html
    assert "18:00–19:00" not in html and "Boetiek" not in html
    assert other.status_code == 404
    assert area_page.status_code == 404


def test_the_manager_sees_every_merchants_and_sectors_advice(client, area):
    bakery = MerchantFactory(area=area, trade_name="Bakkerij", sector="food")
    boutique = MerchantFactory(area=area, trade_name="Boetiek", sector="fashion")
    advice_run(area, [bakery, boutique])
    client.force_login(person_with(Role.AREA_MANAGER, area=area))

    html = client.get(reverse("analytics_effects:opening_hours", kwargs={"area": area.slug})).content.decode()
    assert "Bakkerij" in html and "Boetiek" in html and "18:00–19:00" in html
    own = client.get(reverse("analytics_effects:merchant_opening_hours", kwargs={"merchant_pk": boutique.pk}))
    assert own.status_code == 200


def test_computing_segments_now_needs_the_manager(client, area, django_capture_on_commit_callbacks):
    url = reverse("analytics_effects:segments", kwargs={"area": area.slug})
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    with (
        mock.patch("analytics.tasks_effects.compute_segments_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert client.post(url).status_code == 302
    run = SegmentRun.objects.get()
    delay.assert_called_once_with(area_id=area.pk, run_id=run.pk)
    assert "Computing… 0% done" in client.get(url).content.decode()


def test_the_event_report_page_finds_its_occurrence_or_404s(client, area):
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    url = reverse("analytics_effects:event", kwargs={"area": area.slug, "occurrence_id": "999:20260901T1000Z"})
    assert client.get(url).status_code == 404
    assert client.get(url.replace("999:20260901T1000Z", "rubbish")).status_code == 404
