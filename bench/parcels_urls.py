"""URLs for bench/parcels_desk.py: Agora's own, plus JSON endpoints that drive the parcel desk's services the way
the desk screens do (the desk's own views are not on main yet). Session-authenticated like the desk; only ever
loaded by the benchmark (DJANGO_ROOT_URLCONF=parcels_urls)."""

import json
import uuid

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from agora.exceptions import ApplicationError
from agora.urls import urlpatterns as agora_urlpatterns
from parcels import services
from parcels.models import Parcel, ParcelPoint


def _point(data) -> ParcelPoint:
    return ParcelPoint.objects.select_related("area").get(pk=data["point"])


def _error(error: ApplicationError) -> JsonResponse:
    return JsonResponse({"error": type(error).__name__, "message": str(error.message)}, status=409)


@csrf_exempt
@require_POST
@login_required
def intake(request):
    """Scan a parcel in (the recipient from the label): receive_parcel."""
    data = json.loads(request.body)
    try:
        result = services.receive_parcel(
            point=_point(data),
            raw_code=data["code"],
            by=request.user,
            request_key=uuid.UUID(data["request_key"]),
            device=data["device"],
            size_class=data.get("size", "M"),
            recipient_name=data["name"],
            recipient_email=data["email"],
        )
    except ApplicationError as error:
        return _error(error)
    return JsonResponse({"parcel": result.parcel.pk, "duplicate": result.is_duplicate}, status=201)


@csrf_exempt
@require_POST
@login_required
def store(request):
    """Scan the slot's label: store_parcel."""
    data = json.loads(request.body)
    parcel = Parcel.objects.select_related("point__area").get(pk=data["parcel"])
    try:
        services.store_parcel(parcel=parcel, location_label_code=data["slot"], by=request.user, device=data["device"])
    except ApplicationError as error:
        return _error(error)
    return JsonResponse({"ok": True})


@csrf_exempt
@require_POST
@login_required
def pickup(request):
    """The customer's code: look_up_for_pickup, then hand out every parcel it releases (one desk round trip each in
    the real desk; here one request measures both)."""
    data = json.loads(request.body)
    point = _point(data)
    try:
        parcels = services.look_up_for_pickup(
            point=point, pickup_code_or_token=data["code"], by=request.user, device=data["device"]
        )
        result = services.hand_out_parcels(
            point=point,
            parcel_ids=[parcel.pk for parcel in parcels],
            pickup_code_or_token=data["code"],
            by=request.user,
            request_key=uuid.UUID(data["request_key"]),
            device=data["device"],
            id_checked=True,
        )
    except ApplicationError as error:
        return _error(error)
    return JsonResponse({"handed_out": len(result.parcels)})


urlpatterns = [
    path("bench/parcels/intake/", intake),
    path("bench/parcels/store/", store),
    path("bench/parcels/pickup/", pickup),
    *agora_urlpatterns,
]
