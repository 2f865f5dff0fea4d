"""The parcel point's back office under /<lang>/pakketpunt/<point>/…: returns drop-off with its receipt, the carrier
handover with its manifest (page, PDF, CSV), and the daily inventory.

Only the point's desk staff (`parcels.operate_desk` on its area) see these pages; anyone else gets a 404, so the
pages do not tell which points exist. Scanner-first: the scan field has the focus and Enter submits; every
screen works without JavaScript (`parcels/static/parcels/backoffice.js` only remembers the desk device, stops
double submissions and prints). Each view parses its input, calls one service or selector, and renders.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import get_for_action_or_404
from agora.exceptions import ApplicationError

from . import manifests, selectors, services
from .forms_backoffice import (
    BackofficeForm,
    HandoverCloseForm,
    HandoverOpenForm,
    HandoverScanForm,
    InventoryScanForm,
    ReturnDropOffForm,
)
from .models import Carrier, Direction, Handover, InventoryCount, Parcel, ParcelPoint
from .services.inventory import current_slot

ACTION = "parcels.operate_desk"
RECENT = 10


def _point(request, point_pk: int) -> ParcelPoint:
    # 404, not 403, for anyone who may not work at this point's desk.
    return get_for_action_or_404(
        request.user, ACTION, ParcelPoint.objects.select_related("area"), view_action=ACTION, pk=point_pk
    )


def history_url(parcel: Parcel) -> str:
    """The parcel's history page at the desk."""
    return reverse("parcels:desk_parcel", kwargs={"point_pk": parcel.point_id, "parcel_pk": parcel.pk})


def _with_history(parcels):
    for parcel in parcels:
        if parcel is not None:
            parcel.history_url = history_url(parcel)
    return parcels


# --- Returns ------------------------------------------------------------------------------------------------


def _carrier_choices(point: ParcelPoint, only=None) -> list[tuple[str, str]]:
    carriers = Carrier.objects.filter(pk__in=point.agreements.filter(is_active=True).values("carrier_id"))
    if only:
        carriers = carriers.filter(code__in=only)
    return [(carrier.code, carrier.name) for carrier in carriers.order_by("name")]


@login_required
@require_http_methods(["GET", "POST"])
def returns(request, point_pk: int):
    """Scan a return (or the customer's QR) → the receipt; an ambiguous code asks for the carrier first."""
    point = _point(request, point_pk)
    form = ReturnDropOffForm(request.POST or None, carriers=_carrier_choices(point))
    asking = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.drop_off_return(
                point=point,
                raw_code=data["code"],
                by=request.user,
                request_key=data["request_key"],
                device=data["device"],
                carrier_code=data["carrier"] or None,
                size_class=data["size_class"] or None,
                weight_grams=data["weight_grams"],
                customer_email=data["customer_email"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            if result.parcel is not None:
                url = reverse("parcels:return_receipt", args=[point.pk, result.parcel.pk])
                return redirect(f"{url}?{'again=1' if result.is_duplicate else 'new=1'}")
            asking = True
            form = ReturnDropOffForm(
                initial={**{k: v for k, v in data.items() if k != "request_key"}, "code": result.tracking_code},
                carriers=_carrier_choices(point, only=result.candidates),
                asking=True,
            )
    return render(
        request,
        "parcels/backoffice/returns.html",
        {"point": point, "area": point.area, "form": form, "asking": asking, "current": "returns"},
    )


@login_required
@require_GET
def return_receipt(request, point_pk: int, parcel_pk: int):
    """The printable receipt of a return: point, time, carrier, the code as barcode and text."""
    point = _point(request, point_pk)
    parcel = get_object_or_404(
        Parcel.objects.select_related("carrier", "point__area"), point=point, pk=parcel_pk, direction=Direction.RETURN
    )
    context = manifests.receipt_context(parcel)
    context.update(
        {
            "is_new": "new" in request.GET,
            "is_again": "again" in request.GET,
            "current": "returns",
            "history_url": history_url(parcel),
        }
    )
    return render(request, "parcels/backoffice/receipt.html", context)


# --- Handover -----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def handovers(request, point_pk: int):
    """Choose the carrier whose driver is here: each with how many returns and expired parcels are leaving."""
    point = _point(request, point_pk)
    if request.method == "POST":
        form = HandoverOpenForm(request.POST)
        if form.is_valid():
            try:
                handover = services.open_handover(
                    point=point,
                    carrier_code=form.cleaned_data["carrier"],
                    by=request.user,
                    device=form.cleaned_data["device"],
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                return redirect("parcels:handover", point.pk, handover.pk)
    recent = Handover.objects.filter(point=point).select_related("carrier").order_by("-started_at")[:RECENT]
    return render(
        request,
        "parcels/backoffice/handovers.html",
        {
            "point": point,
            "area": point.area,
            "rows": selectors.leaving_counts(point),
            "recent": recent,
            "form": HandoverOpenForm(),
            "current": "handover",
        },
    )


def _handover(point: ParcelPoint, handover_pk: int) -> Handover:
    return get_object_or_404(Handover.objects.select_related("carrier", "point__area"), point=point, pk=handover_pk)


@login_required
@require_GET
def handover(request, point_pk: int, handover_pk: int):
    """The carrier's list: each item with a tick once scanned, the scan field, and the close with the driver."""
    point = _point(request, point_pk)
    handover = _handover(point, handover_pk)
    if handover.closed_at is not None:
        return redirect("parcels:handover_manifest", point.pk, handover.pk)
    items = _with_history(list(selectors.leaving_parcels(point, handover.carrier)))
    scanned = services.handover.scanned_parcel_ids(handover, [parcel.pk for parcel in items])
    for parcel in items:
        parcel.is_scanned = parcel.pk in scanned
    return render(
        request,
        "parcels/backoffice/handover.html",
        {
            "point": point,
            "area": point.area,
            "handover": handover,
            "items": items,
            "scanned_count": len(scanned),
            "scan_form": HandoverScanForm(),
            "close_form": HandoverCloseForm(),
            "current": "handover",
        },
    )


@login_required
@require_POST
def handover_scan(request, point_pk: int, handover_pk: int):
    point = _point(request, point_pk)
    handover = _handover(point, handover_pk)
    form = HandoverScanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Scan the parcel's barcode again: nothing readable was scanned."))
    else:
        try:
            result = services.scan_for_handover(
                handover=handover,
                raw_code=form.cleaned_data["code"],
                by=request.user,
                device=form.cleaned_data["device"],
            )
        except ApplicationError as error:
            messages.error(request, f"{form.cleaned_data['code'].strip()}: {error.message}")
        else:
            if result.is_repeat:
                messages.info(request, _("%(code)s was scanned already.") % {"code": result.parcel.tracking_code})
            else:
                messages.success(request, _("%(code)s scanned.") % {"code": result.parcel.tracking_code})
    return redirect("parcels:handover", point.pk, handover.pk)


@login_required
@require_POST
def handover_close(request, point_pk: int, handover_pk: int):
    point = _point(request, point_pk)
    handover = _handover(point, handover_pk)
    form = HandoverCloseForm(request.POST)
    try:
        closed = services.close_handover(
            handover=handover,
            driver_name=request.POST.get("driver_name", "")[:200],
            by=request.user,
            device=form.data.get("device", "")[:64],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("parcels:handover", point.pk, handover.pk)
    count = closed.events.count()
    messages.success(
        request,
        ngettext("Handed over to %(driver)s: %(count)d parcel.", "Handed over to %(driver)s: %(count)d parcels.", count)
        % {"driver": closed.driver_name, "count": count},
    )
    return redirect("parcels:handover_manifest", point.pk, closed.pk)


def _manifest(request, point_pk: int, handover_pk: int):
    point = _point(request, point_pk)
    handover = _handover(point, handover_pk)
    if handover.closed_at is None:
        return None
    return manifests.build_manifest(handover)


@login_required
@require_GET
def handover_manifest(request, point_pk: int, handover_pk: int):
    """The manifest to print (and the links to its PDF and CSV)."""
    manifest = _manifest(request, point_pk, handover_pk)
    if manifest is None:
        return redirect("parcels:handover", point_pk, handover_pk)
    _with_history([row.parcel for row in manifest.rows])
    handover = manifest.handover
    return render(
        request,
        "parcels/backoffice/manifest.html",
        {"point": handover.point, "area": handover.point.area, "manifest": manifest, "current": "handover"},
    )


def _filename(manifest, extension: str) -> str:
    stamp = manifest.closed_at.strftime("%Y%m%d-%H%M")
    return f"manifest-{manifest.handover.carrier.code}-{stamp}.{extension}"


@login_required
@require_GET
def handover_manifest_pdf(request, point_pk: int, handover_pk: int):
    manifest = _manifest(request, point_pk, handover_pk)
    if manifest is None:
        return redirect("parcels:handover", point_pk, handover_pk)
    response = HttpResponse(manifests.manifest_pdf(manifest), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(manifest, "pdf")}"'
    return response


@login_required
@require_GET
def handover_manifest_csv(request, point_pk: int, handover_pk: int):
    manifest = _manifest(request, point_pk, handover_pk)
    if manifest is None:
        return redirect("parcels:handover", point_pk, handover_pk)
    response = StreamingHttpResponse(manifests.manifest_csv(manifest), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(manifest, "csv")}"'
    return response


# --- Inventory ----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def inventory_start(request, point_pk: int):
    """Start (or continue) the inventory; the earlier ones with links to their results."""
    point = _point(request, point_pk)
    if request.method == "POST":
        form = BackofficeForm(request.POST)
        device = form.data.get("device", "")[:64]
        try:
            count = services.start_inventory(point=point, by=request.user, device=device)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            return redirect("parcels:inventory", point.pk, count.pk)
    recent = InventoryCount.objects.filter(point=point).select_related("by").order_by("-started_at")[:RECENT]
    return render(
        request,
        "parcels/backoffice/inventory_start.html",
        {"point": point, "area": point.area, "recent": recent, "form": BackofficeForm(), "current": "inventory"},
    )


def _count(point: ParcelPoint, count_pk: int) -> InventoryCount:
    return get_object_or_404(InventoryCount.objects.select_related("point__area"), point=point, pk=count_pk)


@login_required
@require_http_methods(["GET", "POST"])
def inventory(request, point_pk: int, count_pk: int):
    """Scan slot, parcels, slot, parcels…; each scan says where it went and what is odd about it."""
    point = _point(request, point_pk)
    count = _count(point, count_pk)
    if count.finished_at is not None:
        return redirect("parcels:inventory_result", point.pk, count.pk)
    form = InventoryScanForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                result = services.scan_inventory(
                    count=count, raw_code=form.cleaned_data["code"], by=request.user, device=form.cleaned_data["device"]
                )
            except ApplicationError as error:
                messages.error(request, f"{form.cleaned_data['code'].strip()}: {error.message}")
            else:
                _say_scan(request, result)
        else:
            messages.error(request, _("Scan the parcel's barcode again: nothing readable was scanned."))
        return redirect("parcels:inventory", point.pk, count.pk)
    scans = list(count.scans.select_related("parcel__carrier", "location").order_by("-scanned_at", "-pk")[:RECENT])
    return render(
        request,
        "parcels/backoffice/inventory.html",
        {
            "point": point,
            "area": point.area,
            "count": count,
            "slot": current_slot(count),
            "scan_total": count.scans.count(),
            "scans": scans,
            "form": InventoryScanForm(),
            "finish_form": BackofficeForm(),
            "current": "inventory",
        },
    )


def _say_scan(request, result) -> None:
    if result.kind == "slot":
        messages.info(request, _("Slot %(slot)s: now scan its parcels.") % {"slot": result.location.name})
        return
    if result.parcel is None:
        messages.warning(request, _("Unknown code: not a parcel of this point. It is listed as unexpected."))
        return
    code = result.parcel.tracking_code
    if result.is_found_again:
        messages.success(request, _("%(code)s found again: no longer missing.") % {"code": code})
    elif result.has_left:
        messages.warning(
            request,
            _("%(code)s should not be here: it is “%(state)s”. Put it aside.")
            % {"code": code, "state": result.parcel.get_state_display()},
        )
    elif result.is_elsewhere:
        messages.warning(
            request,
            _("%(code)s was recorded in %(recorded)s; its slot becomes %(slot)s when you finish.")
            % {
                "code": code,
                "recorded": result.expected_location.name if result.expected_location else _("no slot"),
                "slot": result.location.name,
            },
        )
    else:
        messages.success(request, _("%(code)s in %(slot)s.") % {"code": code, "slot": result.location.name})


@login_required
@require_POST
def inventory_finish(request, point_pk: int, count_pk: int):
    point = _point(request, point_pk)
    count = _count(point, count_pk)
    device = BackofficeForm(request.POST).data.get("device", "")[:64]
    try:
        services.finish_inventory(count=count, by=request.user, device=device)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("parcels:inventory", point.pk, count.pk)
    return redirect("parcels:inventory_result", point.pk, count.pk)


@login_required
@require_GET
def inventory_result(request, point_pk: int, count_pk: int):
    """Missing, unexpected, moved and found again, each parcel with a link to its history."""
    point = _point(request, point_pk)
    count = _count(point, count_pk)
    if count.finished_at is None:
        return redirect("parcels:inventory", point.pk, count.pk)
    result = services.inventory_result(count)
    lines = [*result.missing, *result.uncounted, *result.not_on_shelf, *result.unexpected, *result.moved, *result.found]
    _with_history([line.parcel for line in lines])
    states = dict(Parcel._meta.get_field("state").choices)
    unexpected = [
        {"line": line, "why": states.get(line.reason, "") if line.parcel else _("Unknown code")}
        for line in result.unexpected
    ]
    missing_now = [line for line in result.missing if line.parcel.state != "missing"]
    uncounted = [
        {"slot": slot, "parcels": [line.parcel for line in result.uncounted if line.location == slot]}
        for slot in result.unscanned_slots
    ]
    return render(
        request,
        "parcels/backoffice/inventory_result.html",
        {
            "point": point,
            "area": point.area,
            "count": count,
            "finished_at": timezone.localtime(count.finished_at, point.area.tz),
            "result": result,
            "unexpected": unexpected,
            "can_mark_missing": bool(missing_now),
            "to_mark": len(missing_now),
            "uncounted": uncounted,
            "form": BackofficeForm(),
            "current": "inventory",
        },
    )


@login_required
@require_POST
def inventory_mark_missing(request, point_pk: int, count_pk: int):
    """Mark the missing parcels of the counted slots missing, once staff confirmed they looked for them."""
    point = _point(request, point_pk)
    count = _count(point, count_pk)
    device = BackofficeForm(request.POST).data.get("device", "")[:64]
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you looked for these parcels in their slots."))
        return redirect("parcels:inventory_result", point.pk, count.pk)
    try:
        marked = services.mark_missing_parcels(count=count, by=request.user, device=device)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext("%(count)d parcel marked missing.", "%(count)d parcels marked missing.", len(marked))
            % {"count": len(marked)},
        )
    return redirect("parcels:inventory_result", point.pk, count.pk)
