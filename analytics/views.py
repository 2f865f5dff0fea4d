"""The analytics dashboards under /<lang>/analyse/: they read stored figures only (`selectors`), never compute.

Who sees what (accounts.permissions): the area pages need `analytics.view_area_dashboard` on the area (its
manager; platform admins); people who may not even view the area get a 404. A merchant's page needs
`analytics.view_merchant_dashboard` on the merchant (its owner). Every figure is shown suppressed; a platform
admin may ask for unsuppressed figures (`?unsuppressed=1`), marked as such on the page.

`figure` (re-exported from `analytics.figures`) turns a stored row into a tile with its provenance, for the
other analytics pages too.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import get_for_action_or_404, is_platform_admin, visible
from areas.models import Merchant, ShoppingArea

from . import charts, exports, publication, report, selectors, services
from .figures import Figure, figure, format_value
from .kpis import CATALOGUE, CELL_KPIS, MONTH, OTHER, PERIOD_KINDS, QUARTER, YEAR, period_end
from .models import KpiRun, Scope
from .suppression import area_k

__all__ = ["Figure", "figure"]

AREA_ACTION = "analytics.view_area_dashboard"
MERCHANT_ACTION = "analytics.view_merchant_dashboard"
WEEKDAYS = (
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
)
TREND_KPIS = (
    *CELL_KPIS,
    "active_members",
    "pickups",
    "pickup_conversion",
    "capture_rate",
    "entrant_conversion",
    *exports.WEBSHOP_KPIS,
)
#: KPIs a merchant sees as an index against its sector and the area (100 = the same).
INDEX_KPIS = ("visit_frequency", "spend_per_visit_cents", "spend_per_visitor_cents", "combination_share")


def analytics_entry_is_visible(request) -> bool:
    """The "Analytics" entry: area managers, merchant owners, platform admins."""
    from accounts.permissions import memberships_of, registered_actions

    user = request.user
    if not user.is_authenticated:
        return False
    roles = registered_actions()[AREA_ACTION].roles | registered_actions()[MERCHANT_ACTION].roles
    return is_platform_admin(user) or any(m["role"] in roles for m in memberships_of(user))


def _private(response):
    response["Cache-Control"] = "private, no-cache"  # business figures: never in a shared cache
    return response


def _area(request, area: str) -> ShoppingArea:
    lookup = {"pk": int(area)} if area.isdigit() else {"slug": area}
    return get_for_action_or_404(
        request.user, AREA_ACTION, ShoppingArea.objects.all(), view_action=AREA_ACTION, **lookup
    )


def _unsuppressed(request) -> bool:
    return request.GET.get("unsuppressed") == "1" and is_platform_admin(request.user)


def _period(request, area) -> tuple[str, date | None, list[date]]:
    """The period kind and start asked for (`?period=month&start=2026-05-01`); by default the last complete one."""
    kind = request.GET.get("period", MONTH)
    if kind not in PERIOD_KINDS:
        kind = MONTH
    starts = selectors.periods(area, kind)
    asked = parse_date(request.GET.get("start") or "")
    if asked in starts:
        return kind, asked, starts
    today = timezone.localdate(timezone=area.tz)
    complete = [s for s in starts if period_end(s, kind).date() <= today]
    return kind, (complete[0] if complete else (starts[0] if starts else None)), starts


def _label(start: date, kind: str) -> str:
    if kind == YEAR:
        return f"{start:%Y}"
    if kind == QUARTER:
        return f"{start:%Y}-Q{(start.month - 1) // 3 + 1}"
    if kind == MONTH:
        return f"{start:%Y-%m}"
    return f"{start:%Y-%m-%d}"


def _base_context(request, area, **extra) -> dict:
    return {
        "dashboard_area": area,
        "shows_kpis": True,
        "run": selectors.latest_run(area),
        "pending": selectors.pending_run(area),
        "show_unsuppressed": _unsuppressed(request),
        "kinds": [(k, label) for k, label in _kind_labels()],
        **extra,
    }


def _kind_labels():
    from .models import PeriodKind

    return PeriodKind.choices


def _downloads(area, table: str, query: str) -> list[dict]:
    base = reverse("analytics:export", kwargs={"area": area.slug, "table": table, "fmt": "csv"})[: -len("csv/")]
    return [{"label": fmt.upper(), "url": f"{base}{fmt}/?{query}"} for fmt in exports.FORMATS]


def _names(area) -> dict:
    names = {(Scope.AREA.value, "area"): area.name}
    for pk, trade_name in Merchant.objects.filter(area=area).values_list("pk", "trade_name"):
        names[(Scope.MERCHANT.value, str(pk))] = trade_name
    from areas.sectors import Sector

    for code, label in Sector.choices:
        names[(Scope.SECTOR.value, code)] = str(label)
    return names


# --- Start ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def start(request):
    """The areas and merchants whose dashboards this person may open; straight there when there is one."""
    areas = list(visible(request.user, AREA_ACTION, ShoppingArea.objects.all()).order_by("name"))
    merchants = list(
        visible(request.user, MERCHANT_ACTION, Merchant.objects.select_related("area")).order_by(
            "area__name", "trade_name"
        )[:200]
    )
    if not areas and not merchants:
        raise PermissionDenied
    if len(areas) == 1 and not merchants:
        return redirect("analytics:overview", area=areas[0].slug)
    if len(merchants) == 1 and not areas:
        return redirect("analytics:merchant", merchant_pk=merchants[0].pk)
    return render(request, "analytics/start.html", {"areas": areas, "merchants": merchants})


# --- The area manager's pages ---------------------------------------------------------------------------------


def _scope_table(rows: list[dict], names: dict, *, scope: str, unsuppressed: bool) -> list[dict]:
    """Rows of a sector or merchant table: one line per scope id, one tile per KPI."""
    lines: dict[str, dict] = {}
    for row in rows:
        line = lines.setdefault(
            row["scope_id"], {"name": names.get((scope, row["scope_id"]), row["scope_id"]), "cells": {}}
        )
        line["cells"][row["kpi"]] = figure(row, show_unsuppressed=unsuppressed)
    ordered = sorted(lines.values(), key=lambda line: str(line["name"]))
    for line in ordered:
        line["cells"] = [line["cells"].get(k) for k in exports.SCOPE_TABLE_KPIS]
    return ordered


@login_required
@require_GET
def overview(request, area: str):
    area = _area(request, area)
    kind, start, starts = _period(request, area)
    unsuppressed = _unsuppressed(request)
    context = _base_context(request, area, period_kind=kind, period_start=start, starts=starts[:60])
    if start is not None:
        rows = selectors.figures(area, period_kind=kind, period_start=start)
        context["figures"] = [
            figure(rows[k], show_unsuppressed=unsuppressed) for k in exports.OVERVIEW_KPIS if k in rows
        ]
        history = selectors.series(area, kpi="visits", period_kind=MONTH)[-13:]
        context["chart"] = charts.line_chart(
            title=_("Visits per month"),
            labels=[_label(r["period_start"], MONTH) for r in history],
            series=[
                charts.Series(_("Visits"), [r["value"] for r in history]),
                charts.Series(_("Same month last year"), [r["last_year_value"] for r in history]),
            ],
        )
        names = _names(area)
        for scope, key in ((Scope.SECTOR, "sectors"), (Scope.MERCHANT, "merchants")):
            rows = selectors.by_scope(
                area, scope=scope, period_kind=kind, period_start=start, kpis=exports.SCOPE_TABLE_KPIS
            )
            context[key] = _scope_table(rows, names, scope=scope, unsuppressed=unsuppressed)
        context["counting_points"] = _counting_points(area, kind, start)
        query = f"period={kind}&start={start:%Y-%m-%d}"
        context["query"] = query
        context["downloads"] = {
            t: _downloads(area, t, query) for t in ("overview", "sectors", "merchants", "counting_points")
        }
        context["report_quarter"] = _quarter_of(start)
    context["scope_headers"] = [CATALOGUE[k].label for k in exports.SCOPE_TABLE_KPIS]
    context.update(_publication(area, context["run"]))
    return _private(render(request, "analytics/overview.html", context))


def _counting_points(area, kind: str, start) -> list[dict]:
    """Passers-by and store entrants per counting point in the period, with the quality flags they carry."""
    from .models import CountingPoint

    names = dict(CountingPoint.objects.filter(area=area).values_list("pk", "name"))
    rows = selectors.by_scope(
        area, scope=Scope.COUNTING_POINT, period_kind=kind, period_start=start, kpis=("footfall", "store_entrants")
    )
    points: dict[str, dict] = {}
    for row in rows:
        point = points.setdefault(
            row["scope_id"], {"name": names.get(int(row["scope_id"]), row["scope_id"]), "quality": set()}
        )
        point[row["kpi"]] = format_value(row["value"], CATALOGUE[row["kpi"]].unit)
        point["quality"] |= set((row["provenance"] or {}).get("quality", []))
    for point in points.values():
        point["quality"] = ", ".join(sorted(point["quality"]))
    return sorted(points.values(), key=lambda p: str(p["name"]))


def _quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@login_required
@require_GET
def trends(request, area: str):
    area = _area(request, area)
    kind, start, starts = _period(request, area)
    kpi = request.GET.get("kpi", "visits")
    if kpi not in TREND_KPIS:
        kpi = "visits"
    unsuppressed = _unsuppressed(request)
    rows = selectors.series(area, kpi=kpi, period_kind=kind)[-60:]
    figures_ = [figure(r, show_unsuppressed=unsuppressed) for r in rows]
    label = str(CATALOGUE[kpi].label)
    chart = charts.line_chart(
        title=label,
        labels=[_label(r["period_start"], kind) for r in rows],
        series=[
            charts.Series(label, [f.value for f in figures_]),
            charts.Series(_("Same period last year"), [r["last_year_value"] for r in rows]),
        ],
    )
    table = [
        {"label": _label(r["period_start"], kind), "figure": f, "last_year": format_value(r["last_year_value"], f.unit)}
        for r, f in zip(reversed(rows), reversed(figures_), strict=True)
    ]
    heat = None
    if start is not None and kind in (MONTH, QUARTER, YEAR):
        heat = _heatmap(
            selectors.breakdown(area, kpi="visits_by_hour", period_kind=kind, period_start=start),
            unsuppressed=unsuppressed,
        )
    query = f"period={kind}&kpi={kpi}" + (f"&start={start:%Y-%m-%d}" if start else "")
    context = _base_context(
        request,
        area,
        period_kind=kind,
        period_start=start,
        starts=starts[:60],
        kpi=kpi,
        chart=chart,
        table=table,
        kpi_choices=[(k, CATALOGUE[k].label) for k in TREND_KPIS],
        heat=heat,
        query=query,
        downloads={"trend": _downloads(area, "trend", query), "hours": _downloads(area, "hours", query)},
    )
    return _private(render(request, "analytics/trends.html", context))


def _heatmap(rows: list[dict], *, unsuppressed: bool) -> dict:
    """Weekday × hour cells as a table (hours with any visit only); shading by share of the maximum."""
    cells = {}
    for row in rows:
        day, hour = int(row["breakdown"][1]), int(row["breakdown"][3:5])
        shown = figure(row, show_unsuppressed=unsuppressed)
        cells[(day, hour)] = shown.value if not shown.is_suppressed else None
    hours = sorted({hour for _day, hour in cells})
    top = max([v for v in cells.values() if v is not None], default=0) or 1
    body = []
    for day in range(7):
        line = []
        for hour in hours:
            value = cells.get((day, hour), 0.0 if (day, hour) not in cells else None)
            if (day, hour) in cells and cells[(day, hour)] is None:
                line.append({"text": "–", "shade": None, "hidden": True})
            else:
                value = value or 0
                line.append({"text": f"{value:.0f}", "shade": round(0.1 + 0.8 * value / top, 2), "hidden": False})
        body.append({"day": WEEKDAYS[day], "cells": line})
    return {"hours": hours, "rows": body}


def _breakdown_figures(area, kpi: str, kind: str, start, unsuppressed: bool) -> list[tuple[str, Figure]]:
    rows = selectors.breakdown(area, kpi=kpi, period_kind=kind, period_start=start) if start else []
    return [(r["breakdown"], figure(r, show_unsuppressed=unsuppressed)) for r in rows]


@login_required
@require_GET
def origin(request, area: str):
    """Who visits and from where: age groups, distance bands, inside/outside the catchment, municipalities
    (from the postcodes members gave for analytics, looked up offline by analytics.origin)."""
    area = _area(request, area)
    kind, start, _starts = _period(request, area)
    if kind not in (MONTH, QUARTER, YEAR):
        kind, start = MONTH, selectors.latest_period(area, MONTH)
    unsuppressed = _unsuppressed(request)
    ages = _breakdown_figures(area, "visitors_by_age", kind, start, unsuppressed)
    ages.sort(key=lambda item: _age_order().get(item[0], 99))
    bands = _breakdown_figures(area, "visitors_by_band", kind, start, unsuppressed)
    bands.sort(key=lambda item: BAND_ORDER.get(item[0], 99))
    catchment = _breakdown_figures(area, "visitors_by_catchment", kind, start, unsuppressed)
    municipalities = _breakdown_figures(area, "visitors_by_municipality", kind, start, unsuppressed)
    municipalities.sort(key=_municipality_order)

    def chart(title, items, label):
        if not items:
            return None
        return charts.bar_chart(
            title=title,
            labels=[label(key) for key, _f in items],
            values=[None if f.is_suppressed else f.value for _key, f in items],
        )

    query = f"period={kind}" + (f"&start={start:%Y-%m-%d}" if start else "")
    context = _base_context(
        request,
        area,
        period_kind=kind,
        period_start=start,
        starts=selectors.periods(area, kind)[:60],
        ages=[{"label": _age_label(band), "figure": f} for band, f in ages],
        bands=[{"label": _band_label(band), "figure": f} for band, f in bands],
        catchment=[{"label": _catchment_label(key), "figure": f} for key, f in catchment],
        municipalities=[{"label": _municipality_label(key), "figure": f} for key, f in municipalities],
        age_chart=chart(_("Unique visitors by age group"), ages, _age_label),
        band_chart=chart(_("Unique visitors by distance"), bands, _band_label),
        query=query,
        downloads={t: _downloads(area, t, query) for t in ("ages", "bands", "catchment", "municipalities")},
    )
    run = context["run"]
    context["k"] = run.k if run and run.k else area_k(area)  # the K the shown figures were suppressed with
    return _private(render(request, "analytics/origin.html", context))


BAND_ORDER = {"0-5": 0, "5-15": 1, "15-30": 2, "30-60": 3, "60+": 4, "unknown": 5}


def _municipality_order(item: tuple[str, Figure]) -> tuple:
    """Municipalities shown largest first, then the hidden ones (each has K visitors: fewer are counted as
    'other'), then 'other municipalities' and 'not known'."""
    key, shown = item
    rank = {OTHER: 2, "unknown": 3}.get(key, 1 if shown.is_suppressed else 0)
    return rank, -(shown.value or 0), key


def _municipality_label(key: str) -> str:
    return {OTHER: _("other municipalities"), "unknown": _("not known")}.get(key, key)


def _age_order() -> dict[str, int]:
    """Age groups young to old (as the profile form lists them), 'not given' last."""
    from loyalty.models import AgeBand

    return {band: i for i, band in enumerate(AgeBand.values)}


def _band_label(band: str) -> str:
    return _("not known") if band == "unknown" else _("%(band)s km") % {"band": band}


def _catchment_label(key: str) -> str:
    return {"inside": _("inside the catchment"), "outside": _("outside the catchment")}.get(key, _("not known"))


def _age_label(band: str) -> str:
    from loyalty.models import AgeBand

    return str(dict(AgeBand.choices).get(band, _("not given")))


@login_required
@require_GET
def comparison(request, area: str):
    """This area next to the others, through their published area-level figures only."""
    area = _area(request, area)
    kind, start, starts = _period(request, area)
    areas = list(ShoppingArea.objects.order_by("name"))
    kpis = ("visits", "unique_visitors", "visit_frequency", "spend_per_visit_cents", "combination_share")
    rows = selectors.area_comparison(areas, period_kind=kind, period_start=start, kpis=kpis) if start else []
    by_area = {(r["area_id"], r["kpi"]): r for r in rows}
    lines = []
    for other in areas:
        cells = []
        for kpi in kpis:
            row = by_area.get((other.pk, kpi))
            cells.append(format_value(row["value"], CATALOGUE[kpi].unit) if row else "–")
        lines.append({"name": other.name, "is_this": other.pk == area.pk, "cells": cells})
    query = f"period={kind}" + (f"&start={start:%Y-%m-%d}" if start else "")
    context = _base_context(
        request,
        area,
        period_kind=kind,
        period_start=start,
        starts=starts[:60],
        lines=lines,
        headers=[CATALOGUE[k].label for k in kpis],
        query=query,
        downloads={"comparison": _downloads(area, "comparison", query)},
    )
    context["show_unsuppressed"] = False  # other areas: aggregates only, for everyone
    return _private(render(request, "analytics/comparison.html", context))


# --- Recomputation on demand --------------------------------------------------------------------------------


def _publication(area, run) -> dict:
    """When figures come out (analytics.publication): the next publication's day, and whether the last one is
    missing (then, and only then, the overview offers a run now; any other run would publish nothing)."""
    today = timezone.localdate(timezone=area.tz)
    return {"next_release": publication.next_release(today), "is_behind": publication.is_behind(area, run, today)}


@login_required
@require_POST
def recompute(request, area: str):
    """A run now, as the nightly one: it publishes what is due and changes no published figure."""
    area = _area(request, area)
    run = services.request_recompute(area=area, by=request.user)
    return redirect("analytics:run", area=area.slug, run_id=run.pk)


@login_required
@require_GET
def run_status(request, area: str, run_id: int):
    area = _area(request, area)
    try:
        run = KpiRun.objects.get(pk=run_id, area=area)
    except KpiRun.DoesNotExist as error:
        raise Http404 from error
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"status": run.status, "progress": run.progress, "step": run.step})
    context = _base_context(request, area, this_run=run, refresh=run.status in ("queued", "running"))
    return _private(render(request, "analytics/run.html", context))


# --- Downloads ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def export(request, area: str, table: str, fmt: str):
    area = _area(request, area)
    if fmt not in exports.FORMATS or table not in exports.TABLES or table == "merchant":
        raise Http404
    kind, start, _starts = _period(request, area)
    kpi = request.GET.get("kpi", "visits")
    if kpi not in CATALOGUE:
        kpi = "visits"
    unsuppressed = _unsuppressed(request)
    if table == "comparison":
        areas = list(ShoppingArea.objects.order_by("name"))
        rows = []
        for other in areas:
            rows += (
                selectors.values(
                    other, purpose="analytics", scope=Scope.AREA, period_kind=kind, period_start=start, breakdown=""
                ).order_by("kpi")
                if start
                else []
            )
        frame = exports.frame(rows, area=area)
        frame["area"] = [a for a in _area_slugs(rows, areas)]
    else:
        rows = exports.table_rows(area, table, period_kind=kind, period_start=start, kpi=kpi)
        frame = exports.frame(rows, area=area, names=_names(area), show_unsuppressed=unsuppressed)
    return _download(exports.render(frame, fmt), fmt, exports.filename(area, table, fmt, start))


def _area_slugs(rows, areas):
    return [{a.pk: a.slug for a in areas}.get(r.get("area_id"), "") for r in rows]


def _download(content: bytes, fmt: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.FORMATS.get(fmt, "application/pdf"))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _private(response)


@login_required
@require_GET
def quarterly_report(request, area: str, year: int, quarter: int):
    area = _area(request, area)
    if quarter not in (1, 2, 3, 4):
        raise Http404
    content = report.quarterly_pdf(area, year=year, quarter=quarter)
    return _download(content, "pdf", f"agora-{area.slug}-{year}-Q{quarter}.pdf")


# --- A merchant's own page ---------------------------------------------------------------------------------


def _index(own: float | None, base: float | None) -> str:
    if own is None or base is None or base == 0 or own != own or base != base:
        return "–"
    return f"{own / base * 100:.0f}"


@login_required
@require_GET
def merchant(request, merchant_pk: int):
    """The merchant's own figures (members who consented to sharing with merchants they visit), and an index
    against its sector and the area (100 = the same)."""
    shop = get_for_action_or_404(
        request.user,
        MERCHANT_ACTION,
        Merchant.objects.select_related("area"),
        view_action=MERCHANT_ACTION,
        pk=merchant_pk,
    )
    area = shop.area
    kind = request.GET.get("period", MONTH)
    if kind not in (MONTH, QUARTER, YEAR):
        kind = MONTH
    starts = selectors.periods(area, kind, purpose="share_with_merchants", scope=Scope.MERCHANT)
    asked = parse_date(request.GET.get("start") or "")
    today = timezone.localdate(timezone=area.tz)
    complete = [s for s in starts if period_end(s, kind).date() <= today]
    start = asked if asked in starts else (complete[0] if complete else (starts[0] if starts else None))
    unsuppressed = _unsuppressed(request)
    context = {
        "merchant": shop,
        "dashboard_area": area,
        "period_kind": kind,
        "period_start": start,
        "starts": starts[:36],
        "show_unsuppressed": unsuppressed,
        "shows_kpis": True,
        "run": selectors.latest_run(area),
        "kinds": [(k, label) for k, label in _kind_labels() if k in (MONTH, QUARTER, YEAR)],
    }
    if start is not None:
        own = selectors.figures(
            area,
            period_kind=kind,
            period_start=start,
            scope=Scope.MERCHANT,
            scope_id=str(shop.pk),
            purpose="share_with_merchants",
        )
        sector = selectors.figures(area, period_kind=kind, period_start=start, scope=Scope.SECTOR, scope_id=shop.sector)
        whole = selectors.figures(area, period_kind=kind, period_start=start)
        context["figures"] = [figure(own[k], show_unsuppressed=unsuppressed) for k in CELL_KPIS if k in own]
        index_rows = []
        for kpi in INDEX_KPIS:
            mine = own.get(kpi, {}).get("value")
            index_rows.append(
                {
                    "label": CATALOGUE[kpi].label,
                    "sector": _index(mine, sector.get(kpi, {}).get("value")),
                    "area": _index(mine, whole.get(kpi, {}).get("value")),
                }
            )
        context["index_rows"] = index_rows
        history = selectors.series(
            area,
            kpi="visits",
            period_kind=kind,
            scope=Scope.MERCHANT,
            scope_id=str(shop.pk),
            purpose="share_with_merchants",
        )[-13:]
        context["chart"] = charts.line_chart(
            title=_("Visits"),
            labels=[_label(r["period_start"], kind) for r in history],
            series=[
                charts.Series(_("Visits"), [r["value"] for r in history]),
                charts.Series(_("Same period last year"), [r["last_year_value"] for r in history]),
            ],
        )
        query = f"period={kind}"
        context["downloads"] = [
            {
                "label": fmt.upper(),
                "url": reverse("analytics:merchant_export", kwargs={"merchant_pk": shop.pk, "fmt": fmt}) + f"?{query}",
            }
            for fmt in exports.FORMATS
        ]
    return _private(render(request, "analytics/merchant.html", context))


@login_required
@require_GET
def merchant_export(request, merchant_pk: int, fmt: str):
    shop = get_for_action_or_404(
        request.user,
        MERCHANT_ACTION,
        Merchant.objects.select_related("area"),
        view_action=MERCHANT_ACTION,
        pk=merchant_pk,
    )
    if fmt not in exports.FORMATS:
        raise Http404
    kind = request.GET.get("period", MONTH)
    if kind not in PERIOD_KINDS:
        kind = MONTH
    rows = exports.table_rows(shop.area, "merchant", period_kind=kind, merchant_id=str(shop.pk))
    frame = exports.frame(
        rows,
        area=shop.area,
        names={(Scope.MERCHANT.value, str(shop.pk)): shop.trade_name},
        show_unsuppressed=_unsuppressed(request),
    )
    return _download(exports.render(frame, fmt), fmt, f"agora-{shop.area.slug}-merchant-{shop.pk}.{fmt}")
