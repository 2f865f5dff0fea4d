"""The member's parcels (/<lang>/mijn/pakketten/): expected, ready for pickup (with the QR), history; and
"I expect a parcel". Only the member's own parcels (`selectors.member_parcels`): linked to the account or sent
to one of its confirmed e-mail addresses. "I expect a parcel" is a note (`services.expect_parcel`), never a claim:
whatever code is typed, the answer is the same, and the parcel is theirs only when its own data says so."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from loyalty.codes import qr_svg  # the one server-side QR drawer (the pass card, gift cards, vouchers)

from . import selectors, services
from .exceptions import AnnouncementsRejected, ParcelError
from .forms_member import ExpectParcelForm
from .models import CarrierAgreement, ParcelPoint
from .services.notices import last_day
from .states import WAITING_STATES

HISTORY_LENGTH = 20


def parcels_entry_is_visible(request) -> bool:
    """The "My parcels" entry: for signed-in people on the site of an area with a parcel point."""
    return request.user.is_authenticated and bool(getattr(request, "area", None))


def _points(request):
    points = ParcelPoint.objects.filter(is_active=True).select_related("area")
    area = getattr(request, "area", None)
    return points.filter(area=area) if area else points.none()


def _carriers(points) -> list[tuple[str, str]]:
    agreements = CarrierAgreement.objects.filter(point__in=points, is_active=True).select_related("carrier")
    return sorted({(a.carrier.code, a.carrier.name) for a in agreements}, key=lambda choice: choice[1])


@login_required
@require_http_methods(["GET", "POST"])
def my_parcels(request):
    points = _points(request)
    form = ExpectParcelForm(request.POST or None, points=points, carriers=_carriers(points))
    if request.method == "POST" and form.is_valid():
        try:
            services.expect_parcel(
                point=form.cleaned_data["point"],
                tracking_code=form.cleaned_data["tracking_code"],
                carrier_code=form.cleaned_data["carrier"],
                by=request.user,
            )
        except AnnouncementsRejected as error:
            form.add_row_errors(error.errors)
        except ParcelError as error:
            form.add_error(None, error.message)
        else:
            # The same words for every code: whether anything is announced under it, and for whom, is not theirs.
            messages.success(request, _("Noted. When this parcel arrives for you, we will let you know."))
            return redirect("parcels:my_parcels")
    parcels = list(selectors.member_parcels(request.user)[:200])
    ready: dict[tuple, dict] = {}
    for parcel in parcels:
        if parcel.state in WAITING_STATES:
            group = ready.setdefault(
                (parcel.point_id, parcel.pickup_code),
                {"point": parcel.point, "code": parcel.pickup_code, "parcels": [], "last_day": None, "qr": ""},
            )
            group["parcels"].append(parcel)
            day = last_day(parcel)
            group["last_day"] = min(filter(None, (group["last_day"], day)), default=None)
            if not group["qr"] and parcel.pickup_token:
                group["qr"] = qr_svg(selectors.pickup_qr_payload(parcel))
    history = [parcel for parcel in parcels if parcel.state not in WAITING_STATES][:HISTORY_LENGTH]
    return render(
        request,
        "parcels/member/parcels.html",
        {
            "area": getattr(request, "area", None),
            "expected": selectors.member_expected_parcels(request.user),
            "ready": list(ready.values()),
            "history": history,
            "form": form if points else None,
        },
    )
