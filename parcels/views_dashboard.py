"""The point's dashboard and the carriers' monthly statements (/<lang>/pakketpunt/<point>/overzicht/, …/afrekening/).

Who sees what (accounts.permissions): the dashboard needs `parcels.operate_desk` on the point's area (its parcel
staff and area manager); a statement needs `parcels.view_statements` (the area manager). People who may not see
the point at all get a 404; parcel staff asking for a statement a 403.
"""

from __future__ import annotations

import itertools
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import (
    can,
    get_for_action_or_404,
    is_platform_admin,
    memberships_of,
    registered_actions,
    visible,
)

from . import statements as documents
from .models import Carrier, CarrierAgreement, ParcelPoint
from .selectors_dashboard import carrier_statement, dashboard, statement_events
from .states import IN_HOUSE_STATES, ParcelState

DASHBOARD_ACTION = "parcels.operate_desk"
STATEMENT_ACTION = "parcels.view_statements"
VIEW_ACTION = "parcels.view_parcels"
#: Events listed on the statement page; the CSV has them all.
PAGE_EVENT_ROWS = 500


def _point(request, point_pk: int, action: str) -> ParcelPoint:
    return get_for_action_or_404(
        request.user, action, ParcelPoint.objects.select_related("area"), view_action=VIEW_ACTION, pk=point_pk
    )


def _private(response):
    # Business figures: never in a shared cache.
    response["Cache-Control"] = "private, no-cache"
    return response


def dashboard_entry_is_visible(request) -> bool:
    """The navigation entry: for those who may see a point's dashboard (parcel staff, area managers)."""
    user = request.user
    if not user.is_authenticated:
        return False
    # From the memberships already read for this request: no query on every page.
    roles = registered_actions()[DASHBOARD_ACTION].roles
    return is_platform_admin(user) or any(m["role"] in roles for m in memberships_of(user))


@login_required
@require_GET
def start(request):
    """The points whose dashboard this person may see: straight to the only one, else a list."""
    points = list(
        visible(request.user, DASHBOARD_ACTION, ParcelPoint.objects.select_related("area")).order_by(
            "area__name", "name"
        )
    )
    if not points:
        raise PermissionDenied
    if len(points) == 1:
        return redirect("parcels:dashboard", point=points[0].pk)
    return render(request, "parcels/dashboard/start.html", {"points": points})


@login_required
@require_GET
def overview(request, point: int):
    """Expected today, the shelves, capacity by zone, overdue parcels, volumes and fees per carrier."""
    point_ = _point(request, point, DASHBOARD_ACTION)
    figures = dashboard(point_)
    for parcel in figures.overdue:
        parcel.point = point_  # its last day is counted in the area's zone: no read of the point per row
    month = figures.today
    previous = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    context = {
        "point": point_,
        "figures": figures,
        "state_rows": [
            {"state": state, "label": label, "count": figures.shelves_by_state.get(state, 0)}
            for state, label in _in_house_labels()
        ],
        "can_see_statements": can(request.user, STATEMENT_ACTION, point_),
        "this_month": _period(month),
        "previous_month": _period(previous),
        "fees_month": documents.format_euros(figures.fees_month_cents),
        "carrier_fees": {c.code: documents.format_euros(c.fees_month_cents) for c in figures.carriers},
    }
    return _private(render(request, "parcels/dashboard/overview.html", context))


def _period(day: date) -> dict:
    """A month as the statement URLs take it: {"year": "2026", "month": "03", "day": date}."""
    return {"year": f"{day.year:04d}", "month": f"{day.month:02d}", "day": day}


def _in_house_labels():
    return [(state, label) for state, label in ParcelState.choices if state in IN_HOUSE_STATES]


def _statement(request, point: str, carrier: str, year: str, month: str):
    """The month's statement; a month that has not begun yet (in the area's zone) has none: 404. The current month's
    is provisional (`Statement.is_provisional`): the page and the files say so."""
    year, month = int(year), int(month)
    if not (1 <= month <= 12 and 2000 <= year <= 2999):
        raise Http404
    point_ = _point(request, int(point), STATEMENT_ACTION)
    if date(year, month, 1) > timezone.localdate(timezone=point_.area.tz):
        raise Http404(_("There is no statement for a month that has not begun."))
    carrier_ = get_object_or_404(Carrier, code=carrier)
    return carrier_statement(point_, carrier_, year=year, month=month)


@login_required
@require_GET
def statement(request, point: str, carrier: str, year: str, month: str):
    """The carrier's month: totals per kind, per day, and the first events (the CSV has them all)."""
    current = _statement(request, point, carrier, year, month)
    events = statement_events(current)
    shown = list(itertools.islice(events, PAGE_EVENT_ROWS + 1))
    first = current.first_day
    previous = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    today = timezone.localdate(timezone=current.point.area.tz)
    context = {
        "statement": current,
        "point": current.point,
        "month_title": documents.month_title(current),
        "totals": [
            {"label": total.label, "count": total.count, "amount": documents.format_euros(total.cents)}
            for total in current.totals
        ],
        "total_amount": documents.format_euros(current.total_cents),
        "days": [
            {
                "day": day.day,
                "counts": [day.counts.get(kind, 0) for kind in documents.BILLABLE_ORDER],
                "amount": documents.format_euros(day.cents),
            }
            for day in current.days
        ],
        "kind_headers": [documents.billable_label(kind) for kind in documents.BILLABLE_ORDER],
        "events": [
            {
                "event": event,
                "kind": documents.kind_label(event.kind),
                "billable": documents.billable_label(event.billable),
                "fee": documents.format_euros(event.fee_cents),
            }
            for event in shown[:PAGE_EVENT_ROWS]
        ],
        "more_events": len(shown) > PAGE_EVENT_ROWS,
        "page_limit": PAGE_EVENT_ROWS,
        "previous": _period(previous),
        "following": _period(following) if following <= today else None,
        "carriers": _carriers(current.point),
    }
    return _private(render(request, "parcels/dashboard/statement.html", context))


def _carriers(point: ParcelPoint) -> list[Carrier]:
    return [
        agreement.carrier
        for agreement in CarrierAgreement.objects.filter(point=point)
        .select_related("carrier")
        .order_by("carrier__name")
    ]


@login_required
@require_GET
def statement_csv(request, point: str, carrier: str, year: str, month: str):
    """Every billable event of the month as CSV (streamed; see `parcels.statements` for the format)."""
    current = _statement(request, point, carrier, year, month)
    response = StreamingHttpResponse(
        documents.statement_csv(current, statement_events(current)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{documents.filename(current, "csv")}"'
    return _private(response)


@login_required
@require_GET
def statement_pdf(request, point: str, carrier: str, year: str, month: str):
    """The month's totals per kind and per day on A4."""
    current = _statement(request, point, carrier, year, month)
    response = HttpResponse(documents.statement_pdf(current), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{documents.filename(current, "pdf")}"'
    return _private(response)
