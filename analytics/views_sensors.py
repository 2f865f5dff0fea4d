"""The sensors dashboard of an area's managers (/<lang>/analyse/<area>/sensoren/): counting points, their
data span, coverage and faults, the last imports, daily and hourly charts (server-side SVG, quality flags
visible), and the upload form whose import runs in the background with a progress page that polls
`…/import/<id>/status/` (a small JSON answer; without JavaScript the page refreshes itself)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import can, get_for_action_or_404
from areas.models import ShoppingArea

from . import selectors_sensors
from .forms_sensors import SensorUploadForm
from .importers.base import ImportNotAllowed, ImportRejected
from .importers.service import IMPORT_ACTION, start_import
from .models import ImportRun, Observation, ObservedProperty
from .quality import flags_for, flags_of
from .sensor_charts import flagged_bar_chart

VIEW_ACTION = "analytics.view_sensors"
DAYS_SHOWN = 28


def sensors_entry_is_visible(request) -> bool:
    area = getattr(request, "area", None)
    return bool(request.user.is_authenticated and area and can(request.user, VIEW_ACTION, area))


def _area(request, area: str, action: str = VIEW_ACTION) -> ShoppingArea:
    lookup = {"pk": int(area)} if area.isdigit() else {"slug": area}
    return get_for_action_or_404(request.user, action, ShoppingArea.objects.all(), view_action=VIEW_ACTION, **lookup)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _flag_text(bits: int) -> str:
    return "; ".join(flag.label for flag in flags_of(int(bits)))


@login_required
@require_GET
def dashboard(request, area: str):
    area = _area(request, area)
    today = timezone.localdate(timezone=area.tz)
    summaries = selectors_sensors.counting_point_summaries(area=area, today=today)
    point = None
    if summaries:
        wanted = request.GET.get("point", "")
        point = next((s.point for s in summaries if str(s.point.pk) == wanted), summaries[0].point)
    properties = []
    if point is not None:
        properties = list(
            Observation.objects.filter(sensor__counting_point=point)
            .values_list("observed_property", flat=True)
            .distinct()
        )
    prop = request.GET.get("property") or (
        ObservedProperty.PERSONS if ObservedProperty.PERSONS in properties or not properties else sorted(properties)[0]
    )
    if prop not in ObservedProperty.values:
        prop = ObservedProperty.PERSONS
    summary = next((s for s in summaries if point and s.point.pk == point.pk), None)
    last_day = summary.last.astimezone(area.tz).date() if summary and summary.last else today
    if summary and summary.last and summary.last.astimezone(area.tz).time() == datetime.min.time():
        last_day -= timedelta(days=1)
    end = (_date(request.GET.get("until")) or last_day) + timedelta(days=1)
    start = end - timedelta(days=DAYS_SHOWN)
    context = {
        "dashboard_area": area,
        "area": area,
        "summaries": summaries,
        "point": point,
        "properties": [(value, label) for value, label in ObservedProperty.choices if value in properties],
        "property": prop,
        "imports": selectors_sensors.recent_imports(area=area),
        "last_import": selectors_sensors.last_import(area=area),
        "can_import": can(request.user, IMPORT_ACTION, area),
        "form": SensorUploadForm(area=area) if can(request.user, IMPORT_ACTION, area) else None,
        "start": start,
        "end": end - timedelta(days=1),
    }
    if point is not None:
        daily = selectors_sensors.counts(
            area=area, start=start, end=end, observed_property=prop, counting_point=point, interval="day"
        )
        rows = [
            {"day": ts.date(), "value": value, "flags": _flag_text(bits)}
            for ts, value, bits in zip(daily["phenomenon_start"], daily["value"], daily["flags"], strict=True)
        ]
        context["daily_rows"] = rows
        context["daily_chart"] = flagged_bar_chart(
            title=_("Daily counts, %(point)s") % {"point": point.name},
            labels=[row["day"].strftime("%d-%m") for row in rows],
            values=[float(row["value"]) for row in rows],
            flags=[row["flags"] for row in rows],
        )
        day = _date(request.GET.get("day")) or (rows[-1]["day"] if rows else end - timedelta(days=1))
        hourly = selectors_sensors.counts(
            area=area, start=day, end=day + timedelta(days=1), observed_property=prop, counting_point=point
        )
        hours = [
            {"hour": ts.strftime("%H:%M"), "value": value, "flags": _flag_text(bits)}
            for ts, value, bits in zip(hourly["phenomenon_start"], hourly["value"], hourly["flags"], strict=True)
        ]
        context["day"] = day
        context["hourly_rows"] = hours
        context["hourly_chart"] = flagged_bar_chart(
            title=_("Counts per hour on %(day)s") % {"day": day.strftime("%d-%m-%Y")},
            labels=[row["hour"][:2] for row in hours],
            values=[float(row["value"]) for row in hours],
            flags=[row["flags"] for row in hours],
        )
        context["quality_notes"] = flags_for(area=area, start=start, end=end, counting_point=point)
    return render(request, "analytics/sensors/dashboard.html", context)


@login_required
@require_http_methods(["POST"])
def upload(request, area: str):
    area = _area(request, area, IMPORT_ACTION)
    form = SensorUploadForm(request.POST, request.FILES, area=area)
    if form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            run = start_import(
                area=area,
                by=request.user,
                source=form.cleaned_data["source"],
                file_name=upload_file.name,
                data=upload_file.read(),
                sensor=form.cleaned_data.get("sensor"),
            )
        except (ImportRejected, ImportNotAllowed) as error:
            form.add_error(None, error.message)
        else:
            return redirect("analytics_sensors:import", area=area.slug, run_id=run.pk)
    messages.error(request, _("The file was not imported: see the form."))
    today = timezone.localdate(timezone=area.tz)
    return render(
        request,
        "analytics/sensors/dashboard.html",
        {
            "dashboard_area": area,
            "area": area,
            "summaries": selectors_sensors.counting_point_summaries(area=area, today=today),
            "imports": selectors_sensors.recent_imports(area=area),
            "can_import": True,
            "form": form,
        },
        status=400,
    )


def _run(request, area: str, run_id: int) -> tuple[ShoppingArea, ImportRun]:
    area = _area(request, area)
    return area, get_object_or_404(ImportRun.objects.select_related("sensor__counting_point"), pk=run_id, area=area)


@login_required
@require_GET
def import_detail(request, area: str, run_id: int):
    area, run = _run(request, area, run_id)
    return render(
        request,
        "analytics/sensors/import.html",
        {
            "dashboard_area": area,
            "area": area,
            "import_run": run,
            "status_url": reverse("analytics_sensors:import_status", kwargs={"area": area.slug, "run_id": run.pk}),
        },
    )


@login_required
@require_GET
def import_status(request, area: str, run_id: int):
    _area_obj, run = _run(request, area, run_id)
    return JsonResponse(
        {
            "status": run.status,
            "status_label": run.get_status_display(),
            "rows_total": run.rows_total,
            "rows_done": run.rows_done,
            "progress": round(run.progress, 3),
            "finished": run.is_finished,
            "created": run.created,
            "updated": run.updated,
            "errors": len(run.errors),
        }
    )
