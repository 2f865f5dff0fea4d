"""Demo: a campaign with a known effect, so the effect report can be checked against the truth.

Before loyalty simulates the year (order 95), `plan_injected_campaign` picks, per area, two thirds of the active
merchants (not the cafés) and a four-week window ending about six weeks before today, and hands loyalty's simulation an
injector: each simulated visit at a participating merchant on a window day brings one extra visit there that day
with probability `LIFT` (its own random stream), so visits (and spend) at those merchants are LIFT higher in the
window in expectation. Loyalty writes them with the year's other visits (its bulk inserts, its ledger rules).
After loyalty's campaigns (order 120) the campaign row is made and the truth recorded (`InjectedEffect`). At the
end (order 520) the effect reports, segments and opening-hours advice of the demo areas are computed, with the
report of each area's last weekly market (cms' demo agenda).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from areas.demo import DemoContext, WipeScope, delete_many, demo_step, demo_wipe
from areas.models import Merchant, MerchantStatus
from areas.sectors import Sector

#: The injected relative lift in visits at the participating merchants during the window.
LIFT = 0.20
WINDOW_DAYS = 28
NAME = "Herfstweken: dubbele punten bij de deelnemers"


@dataclass
class VisitInjector:
    """What loyalty's demo asks for every simulated visit (see `loyalty.demo._simulate`)."""

    rng: random.Random
    windows: dict[int, tuple[date, date]]  # area id → [first day, day after the last)
    merchants: dict[int, frozenset[int]]  # area id → participating merchant ids
    lift: float = LIFT
    added: dict[int, int] = field(default_factory=dict)  # area id → extra visits made

    def extra_visits(self, area_id: int, merchant_id: int, day: date) -> int:
        window = self.windows.get(area_id)
        if window is None or merchant_id not in self.merchants[area_id] or not window[0] <= day < window[1]:
            return 0
        if self.rng.random() < self.lift:
            self.added[area_id] = self.added.get(area_id, 0) + 1
            return 1
        return 0


def _window(today: date) -> tuple[date, date]:
    first = today - timedelta(days=70)
    first -= timedelta(days=first.weekday())  # a Monday
    return first, first + timedelta(days=WINDOW_DAYS)


@demo_step(order=95, name="analytics.effects_plan")
def plan_injected_campaign(ctx: DemoContext) -> None:
    """Choose each area's participating merchants and window, and give loyalty's simulation the injector."""
    rng = ctx.rng("analytics.effects")
    injector = VisitInjector(rng=ctx.rng("analytics.effects.visits"), windows={}, merchants={})
    for slug, area in ctx.areas.items():
        shops = list(
            Merchant.objects.filter(pk__in=ctx.merchant_ids[slug], status=MerchantStatus.ACTIVE)
            .exclude(sector=Sector.HOSPITALITY)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if len(shops) < 4:
            continue
        injector.windows[area.pk] = _window(ctx.today)
        injector.merchants[area.pk] = frozenset(rng.sample(shops, 2 * len(shops) // 3))
    ctx.extra["loyalty.visit_injector"] = injector


@demo_step(order=120, name="analytics.effects_campaign")
def record_injected_campaign(ctx: DemoContext) -> None:
    """The campaign behind the injected visits (a loyalty row, made here as loyalty's demo makes its own) and
    the truth it is checked against."""
    from loyalty.models import Campaign, CampaignKind, Funder

    from .models import InjectedEffect

    injector: VisitInjector | None = ctx.extra.get("loyalty.visit_injector")
    if injector is None:
        return
    for area in ctx.areas.values():
        if area.pk not in injector.windows:
            continue
        first, end = injector.windows[area.pk]
        campaign = Campaign.objects.create(
            area=area,
            name=NAME,
            description=NAME,
            starts_at=ctx.at(area, first, 3),
            ends_at=ctx.at(area, end, 3),
            kind=CampaignKind.MULTIPLIER,
            multiplier_permille=2000,
            funded_by=Funder.COLLECTIVE,
        )
        campaign.merchants.set(sorted(injector.merchants[area.pk]))
        InjectedEffect.objects.create(
            campaign=campaign,
            lift=injector.lift,
            merchant_ids=sorted(injector.merchants[area.pk]),
            extra_visits=injector.added.get(area.pk, 0),
            note=f"+{injector.lift:.0%} visits at the participating merchants, {first} – {end - timedelta(days=1)}",
        )
        ctx.count("campaigns with an injected effect", 1)


@demo_step(order=520, name="analytics.effects_reports")
def compute_demo_reports(ctx: DemoContext) -> None:
    """The effect reports of the injected campaigns, the segments and the opening-hours advice (small and
    medium demos; the large one leaves them to the nightly job)."""
    from . import services_effects

    if ctx.size.members > 20_000:
        return
    from .models import InjectedEffect

    for truth in InjectedEffect.objects.filter(campaign__area__in=list(ctx.areas.values())).select_related(
        "campaign__area"
    ):
        report = services_effects.request_campaign_report(campaign=truth.campaign, cost_cents=150_000, queue=False)
        services_effects.compute_effect_report(report_id=report.pk, now=ctx.at(truth.campaign.area, ctx.today, 6))
    for area in ctx.areas.values():
        now = ctx.at(area, ctx.today, 6)
        _compute_market_report(area, now=now)
        services_effects.compute_segments(area_id=area.pk, seed=ctx.seed, now=now)
        services_effects.compute_opening_hours_advice(area_id=area.pk, now=now)
        ctx.count("analytics effect reports, segments, advice", 1)


def _compute_market_report(area, *, now) -> None:
    """The report of the area's last weekly market before `now` (cms' demo agenda), if the site has one: an
    event report to open (a few seconds: one day against the half year before it). In the small demo a market
    day rests on fewer than K members: the report is stored with that reason instead of a figure."""
    from datetime import timedelta

    from cms.models import EventCategory
    from cms.selectors import list_events

    from . import services_effects

    markets = [
        occurrence
        for occurrence in list_events(area=area, start=now - timedelta(days=14), end=now)
        if occurrence.category == EventCategory.MARKET and occurrence.ends_at <= now
    ]
    if not markets:
        return
    report = services_effects.request_event_report(area=area, occurrence=markets[-1], cost_cents=25_000, queue=False)
    services_effects.compute_effect_report(report_id=report.pk, now=now)


@demo_wipe(order=520, name="analytics.effects")
def wipe_effects(scope: WipeScope) -> None:
    """The stored results of the demo areas (before loyalty's wipe removes the campaigns they point at)."""
    from .models import AdviceRun, EffectReport, InjectedEffect, SegmentRun

    delete_many(InjectedEffect.objects.filter(campaign__area_id__in=scope.area_ids))
    delete_many(EffectReport.objects.filter(area_id__in=scope.area_ids))
    delete_many(SegmentRun.objects.filter(area_id__in=scope.area_ids))
    delete_many(AdviceRun.objects.filter(area_id__in=scope.area_ids))
