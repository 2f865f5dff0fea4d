"""Pre-announcements by CSV (/<lang>/pakketpunt/<point>/aankondigingen/): the point's staff upload a carrier's
list; every row is checked first, bad rows are listed with their line numbers, and nothing is imported unless
all are good (`services.import_announcements_csv`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import get_for_action_or_404

from . import services
from .exceptions import AnnouncementsRejected, ParcelError
from .forms_member import AnnouncementUploadForm
from .models import CarrierAgreement, ParcelPoint
from .services.imports import COLUMNS, MAX_ROWS, MAX_UPLOAD_BYTES

DESK = "parcels.operate_desk"


@login_required
@require_http_methods(["GET", "POST"])
def upload_announcements(request, point_pk: int):
    point = get_for_action_or_404(
        request.user, DESK, ParcelPoint.objects.select_related("area"), view_action=DESK, pk=point_pk
    )
    carriers = [
        (agreement.carrier.code, agreement.carrier.name)
        for agreement in CarrierAgreement.objects.filter(point=point, is_active=True).select_related("carrier")
    ]
    form = AnnouncementUploadForm(request.POST or None, request.FILES or None, carriers=carriers)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.import_announcements_csv(
                point=point,
                carrier_code=form.cleaned_data["carrier"],
                data=form.cleaned_data["file"].read(),
                by=request.user,
            )
        except AnnouncementsRejected as error:
            row_errors = error.errors
            form.add_error(None, error.message)
        except ParcelError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Imported: %(new)d new, %(already)d already announced.")
                % {"new": result.new, "already": result.already},
            )
            return redirect("parcels:upload_announcements", point_pk=point.pk)
    return render(
        request,
        "parcels/announcements_upload.html",
        {
            "point": point,
            "area": point.area,
            "form": form,
            "row_errors": row_errors,
            "columns": COLUMNS,
            "max_rows": MAX_ROWS,
            "max_kb": MAX_UPLOAD_BYTES // 1000,
        },
        status=400 if row_errors else 200,
    )
