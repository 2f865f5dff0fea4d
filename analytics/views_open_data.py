"""The public open-data page of an area (/<lang>/open-data/): aggregated daily counts per counting point,
as a table, a CSV file and OSLO JSON-LD, with the licence and where the numbers come from.

Only daily totals of counting points marked public leave; store entrances never (a shop's door count is
the shop's business). Counts of passers-by are not personal data, and a day's total of a street cannot
single anyone out; the quality flags travel with every number.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import oslo, selectors_sensors
from .models import AreaDataSettings, CountingPoint, CountingPointKind, ObservedProperty
from .quality import codes_of

LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
}
MAX_DAYS = 366
DEFAULT_DAYS = 28
PUBLIC_PROPERTIES = (
    ObservedProperty.PERSONS,
    ObservedProperty.PEDESTRIAN,
    ObservedProperty.BIKE,
    ObservedProperty.CAR,
    ObservedProperty.HEAVY,
)


def _area(request):
    area = getattr(request, "area", None)
    if not area:
        raise Http404
    settings = AreaDataSettings.objects.filter(area=area).first()
    if settings is not None and not settings.open_data:
        raise Http404
    return area, (settings.open_data_licence if settings else "CC-BY-4.0")


def _period(request, area) -> tuple[date, date]:
    """[start, end) from ?from=…&to=… (inclusive dates), at most a year; default the last four weeks."""
    today = timezone.localdate(timezone=area.tz)
    try:
        end = date.fromisoformat(request.GET["to"]) + timedelta(days=1)
    except (KeyError, ValueError):
        end = today
    try:
        start = date.fromisoformat(request.GET["from"])
    except (KeyError, ValueError):
        start = end - timedelta(days=DEFAULT_DAYS)
    end = min(end, today)  # today is not complete yet
    if start >= end:
        start = end - timedelta(days=1)
    if (end - start).days > MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS)
    return start, end


def _property(request) -> str:
    value = request.GET.get("property", ObservedProperty.PERSONS)
    return value if value in PUBLIC_PROPERTIES else ObservedProperty.PERSONS


def public_daily(*, area, start: date, end: date, observed_property: str):
    frame = selectors_sensors.daily_totals(
        area=area, start=start, end=end, observed_property=observed_property, public_only=True
    )
    doors = set(
        CountingPoint.objects.filter(area=area, kind=CountingPointKind.STORE_ENTRANCE).values_list("pk", flat=True)
    )
    return frame[~frame["counting_point"].isin(doors)].reset_index(drop=True)


@require_GET
def open_data(request):
    area, licence = _area(request)
    start, end = _period(request, area)
    prop = _property(request)
    daily = public_daily(area=area, start=start, end=end, observed_property=prop)
    points = {}
    for row in daily.itertuples(index=False):
        points.setdefault(row.counting_point_name, []).append(row)
    query = f"?from={start.isoformat()}&to={(end - timedelta(days=1)).isoformat()}&property={prop}"
    return render(
        request,
        "analytics/sensors/open_data.html",
        {
            "area": area,
            "points": sorted(points.items()),
            "start": start,
            "end": end - timedelta(days=1),
            "property": prop,
            "properties": [(value, label) for value, label in ObservedProperty.choices if value in PUBLIC_PROPERTIES],
            "licence_name": LICENCES.get(licence, (licence, ""))[0],
            "licence_url": LICENCES.get(licence, (licence, ""))[1],
            "csv_url": reverse("analytics_sensors:open_data_csv") + query,
            "jsonld_url": reverse("analytics_sensors:open_data_jsonld") + query,
            "last_import": selectors_sensors.last_import(area=area),
        },
    )


@require_GET
def counts_csv(request):
    area, licence = _area(request)
    start, end = _period(request, area)
    prop = _property(request)
    daily = public_daily(area=area, start=start, end=end, observed_property=prop)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["area", "counting_point", "date", "observed_property", "value", "coverage", "quality_flags", "licence"]
    )
    for row in daily.itertuples(index=False):
        writer.writerow(
            [
                area.slug,
                row.counting_point_name,
                row.date.isoformat(),
                prop,
                f"{row.value:g}",
                "" if row.coverage is None or row.coverage != row.coverage else f"{row.coverage:.3f}",
                " ".join(codes_of(int(row.flags))),
                licence,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{area.slug}-{prop}-{start}-{end - timedelta(days=1)}.csv"'
    return response


@require_GET
def counts_jsonld(request):
    area, licence = _area(request)
    start, end = _period(request, area)
    prop = _property(request)
    daily = public_daily(area=area, start=start, end=end, observed_property=prop)
    document = oslo.counts_jsonld(
        area=area,
        daily=daily,
        observed_property=prop,
        title=_("Daily counts, %(area)s") % {"area": area.name},
        description=_("Daily totals per counting point from %(start)s to %(end)s, published by %(publisher)s.")
        % {"start": start.isoformat(), "end": (end - timedelta(days=1)).isoformat(), "publisher": area.collective_name},
        licence_url=LICENCES.get(licence, ("", ""))[1] or licence,
        source_url=request.build_absolute_uri(reverse("analytics_sensors:open_data")),
        issued=timezone.localdate(timezone=area.tz),
    )
    return HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=1), content_type="application/ld+json; charset=utf-8"
    )
