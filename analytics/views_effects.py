"""Pages of segments, campaign and event effects, and opening-hours advice (under /<lang>/analyse/).

They read stored results (`selectors_effects`); a POST asks for a computation now (`analytics.compute_effects`,
the area's manager), which runs as a Celery task while the page shows its progress. Area pages need
`analytics.view_area_dashboard` (404 for anyone who may not see the area); a merchant's own advice needs
`analytics.view_opening_advice` on that merchant (its owner, or the area's manager). Every figure shown rests
on at least K members (`analytics.suppression`); the platform admin sees the same.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import can, get_for_action_or_404, require
from areas.models import Merchant, ShoppingArea
from areas.sectors import Sector

from . import selectors_effects, services_effects
from .charts import Series, line_chart
from .exceptions_effects import EffectNotComputable
from .figures import format_number, rounded
from .forms_effects import ReportRequestForm
from .models import EffectReport, EffectStatus, SubjectKind
from .segments import FEATURE_LABELS, FEATURES, SEGMENTS, directions
from .suppression import area_k, suppress

AREA_ACTION = "analytics.view_area_dashboard"
COMPUTE_ACTION = "analytics.compute_effects"
ADVICE_ACTION = "analytics.view_opening_advice"
WEEKDAYS = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)
DESIGNS = {
    "did": gettext_lazy("difference in differences"),
    "counterfactual": gettext_lazy("counterfactual regression (no control group)"),
}
CONTROLS = {
    "merchants": gettext_lazy("the merchants that did not take part"),
    "area": gettext_lazy("the other shopping area(s)"),
    "": gettext_lazy("none: the area's own history"),
}


def _private(response):
    response["Cache-Control"] = "private, no-cache"
    return response


def _area(request, area: str) -> ShoppingArea:
    lookup = {"pk": int(area)} if area.isdigit() else {"slug": area}
    return get_for_action_or_404(
        request.user, AREA_ACTION, ShoppingArea.objects.all(), view_action=AREA_ACTION, **lookup
    )


# Rounded half up, as every analytics figure (analytics.figures.rounded), never cut off.


def _percent(value: float | None, *, sign: bool = True) -> str:
    if value is None:
        return "–"
    text = format_number(value * 100, 1, grouping=False)
    return f"+{text} %" if sign and value > 0 else f"{text} %"


def _euros(cents: float | None) -> str:
    if cents is None:
        return "–"
    return "€ " + format_number(cents / 100)


def _number(value: float | None, decimals: int = 0) -> str:
    return "–" if value is None else format_number(value, decimals)


def _context(area, **extra) -> dict:
    return {"dashboard_area": area, **extra}


# --- Campaign and event reports ------------------------------------------------------------------------------


@login_required
@require_GET
def reports(request, area: str):
    """The area's campaigns and events of the last year, with their measured lift where computed."""
    area = _area(request, area)
    found = selectors_effects.interventions(area, now=timezone.now())
    rows = [
        _row(report, title=campaign.name, kind=_("Campaign"), when=campaign.starts_at)
        | {"url": reverse("analytics_effects:campaign", kwargs={"area": area.slug, "campaign_pk": campaign.pk})}
        for campaign, report in found["campaigns"]
    ]
    rows += [
        _row(report, title=occurrence.title, kind=pgettext("calendar", "Event"), when=occurrence.starts_at)
        | {"url": reverse("analytics_effects:event", kwargs={"area": area.slug, "occurrence_id": occurrence.id})}
        for occurrence, report in found["events"]
    ]
    return _private(render(request, "analytics/effects/reports.html", _context(area, rows=rows, k=area_k(area))))


def _row(report: EffectReport | None, *, title, kind, when) -> dict:
    lift = None
    if report is not None and report.status == EffectStatus.DONE:
        visits = report.result.get("visits") or {}
        lift = {
            "value": _percent(visits.get("lift")),
            "low": _percent(visits.get("low")),
            "high": _percent(visits.get("high")),
        }
    return {"title": title, "kind": kind, "when": when, "report": report, "lift": lift, "status": _status(report)}


#: Why a report could not be measured (`services_effects.compute_effect_report` stores the reason): a label for
#: the list, and the rest of the sentence after it on the report's page.
NOT_MEASURED = {
    "too_few_members": (
        gettext_lazy("Too few members"),
        gettext_lazy(
            "fewer than %(k)s members who consented to analytics visited in the period, and a figure about fewer "
            "people could point at someone."
        ),
    ),
    "not_started": (gettext_lazy("Not started yet"), gettext_lazy("there are no days of it to measure yet.")),
    "not_enough_data": (
        gettext_lazy("Not measurable"),
        gettext_lazy("there are too few days with visits before or during it to estimate an effect."),
    ),
}


def _status(report: EffectReport | None) -> str:
    """A report's state in a word or two: "Not computed", "Waiting", "Running", or why it could not be measured
    ("Too few members" is no failure: the data are there, they are not enough to show)."""
    if report is None:
        return _("Not computed")
    if report.status != EffectStatus.FAILED:
        return report.get_status_display()
    return str(NOT_MEASURED.get((report.result or {}).get("reason"), NOT_MEASURED["not_enough_data"])[0])


def _problem(report: EffectReport | None) -> str:
    """Why a failed report has no figures, as one sentence: its label, a colon, the reason in lower case."""
    if report is None or report.status != EffectStatus.FAILED:
        return ""
    reason = (report.result or {}).get("reason")
    if reason in NOT_MEASURED:
        label, detail = NOT_MEASURED[reason]
        detail = str(detail) % {"k": report.result.get("k", "?")}
    else:  # stored before the reasons were: its message as it was written
        label, text = NOT_MEASURED["not_enough_data"][0], report.error.strip()
        detail = text[:1].lower() + text[1:]
    return f"{label}: {detail}"


def _report_page(
    request, area, report: EffectReport | None, *, title: str, subject: str, request_report, is_event: bool = False
):
    """GET: the stored report. POST (compute permission): the cost and margin, then a fresh computation. An
    event's page speaks of the event (its days, its cost), a campaign's of the campaign."""
    may_compute = can(request.user, COMPUTE_ACTION, area)
    form = ReportRequestForm(
        is_event=is_event,
        initial={
            "cost_euros": (report.cost_cents / 100) if report else 0,
            "margin_percent": (report.margin_permille / 10) if report else 30,
        },
    )
    if request.method == "POST":
        require(request.user, COMPUTE_ACTION, area)
        form = ReportRequestForm(request.POST, is_event=is_event)
        if form.is_valid():
            cost_cents, margin_permille = form.cleaned_cents()
            try:
                request_report(cost_cents=cost_cents, margin_permille=margin_permille)
            except EffectNotComputable as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("The report is being computed; this page shows it when it is ready."))
                return redirect(request.path)
    context = _context(
        area,
        title=title,
        subject=subject,
        report=report,
        form=form,
        may_compute=may_compute,
        is_busy=report is not None and report.status in (EffectStatus.PENDING, EffectStatus.RUNNING),
        # A first computation is "Compute"; "Compute again" once one has finished (with figures or without).
        was_computed=report is not None and report.status in (EffectStatus.DONE, EffectStatus.FAILED),
        problem=_problem(report),
        k=area_k(area),
        is_event=is_event,
        **_present(report),
    )
    status = 400 if form.is_bound and not form.is_valid() else 200
    return _private(render(request, "analytics/effects/report.html", context, status=status))


def _present(report: EffectReport | None) -> dict:
    """Display strings and the chart of a done report."""
    if report is None or report.status != EffectStatus.DONE or not report.result:
        return {}
    result = report.result
    visits, spend, roi = result["visits"], result.get("spend"), result.get("roi")
    bins = result["chart"]["bins"]
    labels = [
        f"{item['first_day'][8:10]}-{item['first_day'][5:7]}" + (" ▸" if item["in_window"] else "") for item in bins
    ]
    chart = line_chart(
        title=(
            _("Visits in the area: actual and expected without the event")
            if report.kind == SubjectKind.EVENT
            else _("Visits at the participating merchants: actual and expected without the campaign")
        ),
        labels=labels,
        series=[
            Series(_("actual"), [item["actual"] for item in bins]),
            Series(_("expected without it"), [item["counterfactual"] for item in bins]),
        ],
    )
    placebo = result["placebo"]
    # Extra visits = the visits shown minus the expected visits shown (107 − 106 = 1), each rounded once.
    actual, expected = rounded(visits["actual"]), rounded(visits["counterfactual"])
    return {
        "visits": {
            "lift": _percent(visits["lift"]),
            "low": _percent(visits["low"]),
            "high": _percent(visits["high"]),
            "actual": _number(actual),
            "counterfactual": _number(expected),
            "incremental": _number(actual - expected),
            "is_significant": visits["low"] > 0 or visits["high"] < 0,
            "p_value": _number(visits["p_value"], 3),
        },
        "spend": spend
        and {
            "lift": _percent(spend["lift"]),
            "low": _percent(spend["low"]),
            "high": _percent(spend["high"]),
            "incremental": _euros(spend["incremental"]),
        },
        "roi": roi
        and {
            "value": _euros(roi["roi_cents"]),
            "low": _euros(roi["roi_low_cents"]),
            "high": _euros(roi["roi_high_cents"]),
            "margin": _euros(roi["incremental_margin_cents"]),
            "cost": _euros(roi["cost_cents"]),
            "rate": _percent(roi["margin_rate"], sign=False),
            "is_positive": roi["roi_cents"] > 0,
        },
        "placebo": {
            "runs": placebo["runs"],
            "significant": placebo["significant"],
            "share": _percent(placebo["share"], sign=False),
            "is_worrying": placebo["share"] > 0.10,
        },
        "chart": chart,
        "bins": [
            dict(item, label=label, actual_text=_number(item["actual"]), expected_text=_number(item["counterfactual"]))
            for item, label in zip(bins, labels, strict=True)
        ],
        "bin_days": result["chart"]["bin_days"],
        "design": DESIGNS.get(result["design"], result["design"]),
        "control": CONTROLS.get(result["control"], result["control"]),
        "suppression": result["suppression"],
        "provenance": result["provenance"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def campaign_report(request, area: str, campaign_pk: int):
    area = _area(request, area)
    from loyalty.selectors import campaigns_between

    every = campaigns_between(area, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    campaign = every.filter(pk=campaign_pk).first()
    if campaign is None:
        raise Http404
    report = EffectReport.objects.filter(campaign=campaign).first()
    return _report_page(
        request,
        area,
        report,
        title=campaign.name,
        subject=_("Campaign"),
        request_report=lambda **costs: services_effects.request_campaign_report(campaign=campaign, **costs),
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_report(request, area: str, occurrence_id: str):
    area = _area(request, area)
    occurrence = selectors_effects.find_occurrence(area, occurrence_id)
    if occurrence is None:
        raise Http404
    report = EffectReport.objects.filter(area=area, occurrence_id=occurrence.id).first()
    return _report_page(
        request,
        area,
        report,
        title=occurrence.title,
        subject=pgettext("calendar", "Event"),
        request_report=lambda **costs: services_effects.request_event_report(area=area, occurrence=occurrence, **costs),
        is_event=True,
    )


@login_required
@require_GET
def report_status(request, area: str, report_pk: int):
    """A report's status and progress, for a page that polls."""
    area = _area(request, area)
    report = get_object_or_404(EffectReport, pk=report_pk, area=area)
    return _private(JsonResponse({"status": report.status, "progress": report.progress, "error": report.error}))


# --- Segments ------------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def segments(request, area: str):
    """Segment sizes and cluster profiles of the latest run; sizes under K (and what would reveal them) hidden."""
    area = _area(request, area)
    if request.method == "POST":
        require(request.user, COMPUTE_ACTION, area)
        services_effects.request_segments(area=area)
        messages.success(request, _("The segments are being computed; this page shows them when they are ready."))
        return redirect(request.path)
    run = selectors_effects.latest_segment_run(area)
    k = area_k(area)
    context = _context(
        area,
        segment_run=run,
        pending=selectors_effects.pending_segment_run(area),
        may_compute=can(request.user, COMPUTE_ACTION, area),
        k=k,
    )
    if run is not None:
        context.update(_segment_tables(run, k=k))
    return _private(render(request, "analytics/effects/segments.html", context))


def _segment_tables(run, *, k: int) -> dict:
    # The total of members is published, so each table is a relation "parts sum to the total" (secondary).
    sizes = pd.DataFrame(
        [
            {"code": code, "label": str(label), "members": run.result["segments"].get(code, 0)}
            for code, label in SEGMENTS.items()
        ]
    )
    sizes = suppress(sizes, k=k, count_col="members", totals=[()])
    clusters = run.result.get("clusters") or []
    cluster_sizes = suppress(
        pd.DataFrame(
            [{"cluster": c["cluster"], "members": c["size"]} for c in clusters] or [{"cluster": 0, "members": 0}]
        ),
        k=k,
        count_col="members",
        totals=[()],
    )
    hidden = {int(row.cluster) for row in cluster_sizes.itertuples() if row.is_suppressed}
    profiles = []
    for cluster in clusters:
        is_hidden = cluster["cluster"] in hidden
        profiles.append(
            {
                "number": cluster["cluster"] + 1,
                "is_suppressed": is_hidden,
                "size": None if is_hidden else _number(cluster["size"]),
                "explained_by": directions(cluster),
                "features": [
                    {
                        "label": FEATURE_LABELS[f],
                        "z": None if is_hidden else _number(cluster["z"][f], 2),
                        "median": None if is_hidden else _feature_value(f, cluster["median"][f]),
                    }
                    for f in FEATURES
                ],
            }
        )
    return {
        "members_total": _number(run.members),
        "sizes": [
            {
                "label": row.label,
                "members": None if row.is_suppressed else _number(row.members),
                "reason": row.suppressed_reason,
            }
            for row in sizes.itertuples()
        ],
        "profiles": profiles,
        "silhouette": _number(run.silhouette, 2) if run.silhouette is not None else "–",
        "feature_labels": [FEATURE_LABELS[f] for f in FEATURES],
    }


def _feature_value(feature: str, value) -> str:
    if value is None:
        return "–"
    if feature.endswith("_cents"):
        return _euros(value)
    if feature == "weekend_share":
        return _percent(value, sign=False)
    return _number(value, 1 if feature in ("frequency", "merchants", "sectors") else 0)


# --- Opening hours -------------------------------------------------------------------------------------------------


def _advice_rows(advice: list[dict]) -> list[dict]:
    return [
        {
            "weekday": WEEKDAYS[item["weekday"]],
            "hours": f"{item['hour']:02d}:00–{(item['hour'] + 1) % 24:02d}:00",
            "footfall": _number(item["footfall"]),
            "ratio": _number(item["ratio"], 1),
            "closed": _percent(item["closed_share"], sign=False),
        }
        for item in advice
    ]


@login_required
@require_http_methods(["GET", "POST"])
def opening_hours(request, area: str):
    """Advice for each sector and merchant of the area (its manager)."""
    area = _area(request, area)
    if request.method == "POST":
        require(request.user, COMPUTE_ACTION, area)
        services_effects.request_opening_hours_advice(area=area)
        messages.success(request, _("The advice is being computed; this page shows it when it is ready."))
        return redirect(request.path)
    run = selectors_effects.latest_advice(area)
    sectors, merchants = [], []
    if run is not None:
        labels = dict(Sector.choices)
        sectors = [
            {"label": labels.get(code, code), "advice": _advice_rows(items)}
            for code, items in sorted(run.result.get("sectors", {}).items())
            if items
        ]
        merchants = [
            {"name": item["name"], "advice": _advice_rows(item["advice"])}
            for _pk, item in sorted(run.result.get("merchants", {}).items(), key=lambda pair: pair[1]["name"])
            if item["advice"]
        ]
    context = _context(
        area,
        advice_run=run,
        pending=selectors_effects.pending_advice(area),
        may_compute=can(request.user, COMPUTE_ACTION, area),
        sectors=sectors,
        merchants=merchants,
    )
    return _private(render(request, "analytics/effects/opening_hours.html", context))


@login_required
@require_GET
def merchant_opening_hours(request, merchant_pk: int):
    """A merchant's own advice (its owner; the area's manager too). Another merchant's is a 404."""
    shop = get_for_action_or_404(
        request.user, ADVICE_ACTION, Merchant.objects.select_related("area"), view_action=ADVICE_ACTION, pk=merchant_pk
    )
    run = selectors_effects.latest_advice(shop.area)
    mine = (run.result.get("merchants", {}).get(str(shop.pk)) if run else None) or {}
    context = _context(shop.area, merchant=shop, advice_run=run, advice=_advice_rows(mine.get("advice", [])))
    return _private(render(request, "analytics/effects/merchant_opening_hours.html", context))
