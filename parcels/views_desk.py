"""The parcel desk under /<lang>/pakketpunt/: intake, pickup, parcel search and history, slot labels.

Keyboard and scanner first: every screen has one field with the focus, and a keyboard-wedge scanner types a code
and presses Enter. Every page works without JavaScript (POST, redirect, GET); with `static/parcels/desk.js` the
intake scan goes by fetch and only the result panel changes, so the desk is ready for the next parcel at once.

Every page needs `parcels.operate_desk` on the point's area; anyone else gets a 404 (the pages do not tell
which points exist). The desk device is a short name kept in a cookie of this browser ("balie-1"), passed to
every service as `device=` and shown in the parcel's history.

Each view parses its input, checks permission, calls one service or selector, and renders.
"""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import can, is_platform_admin, memberships_of, registered_actions, visible
from agora.exceptions import ApplicationError

from . import barcodes, selectors, services
from .exceptions import RecipientRequired, SlotLabelScanned, UnknownLocation, WrongPickupCode
from .forms_desk import (
    DeclareLostForm,
    DeviceForm,
    HandOutForm,
    PickupLookupForm,
    RecipientForm,
    ScanForm,
    SearchForm,
    clean_device_name,
)
from .models import CarrierAgreement, Parcel, ParcelPoint, StorageLocation
from .states import TERMINAL_STATES, TRANSITIONS, ParcelState

DESK_ACTION = "parcels.operate_desk"
DEVICE_COOKIE = "agora_parcel_desk"
#: How many of this desk device's last scans the intake screen lists (read from the events, not kept anywhere).
RECENT_SCANS = 10
#: The shortest query `selectors.search_parcels` looks for (a shorter one finds nothing).
SEARCH_MIN_LENGTH = 3
#: The result panels of the intake screen (`kind` of `_intake_outcome`) that a redirect may name.
SHOWN_AFTER_REDIRECT = ("received", "duplicate", "refused", "stored")


# --- Navigation predicate (registered by ParcelsConfig.ready) -----------------------------------------------


def desk_entry_is_visible(request) -> bool:
    """The "Parcel point" entry: for holders of a role that works at a parcel desk (memberships already read)."""
    user = request.user
    if not user.is_authenticated:
        return False
    roles = registered_actions()[DESK_ACTION].roles
    return is_platform_admin(user) or any(m["role"] in roles for m in memberships_of(user))


# --- The desk: point and device -------------------------------------------------------------------------------


def _desk_points(user):
    return visible(user, DESK_ACTION, ParcelPoint.objects.select_related("area"))


def desk_view(view):
    """A desk page: signed in, the point visible to this person for `parcels.operate_desk` (else 404), and the
    desk device's name from its cookie (a new one is made and kept on the first visit)."""

    @login_required
    @wraps(view)
    def wrapper(request, point_pk: int, *args, **kwargs):
        point = get_object_or_404(_desk_points(request.user), pk=point_pk)
        device = clean_device_name(request.COOKIES.get(DEVICE_COOKIE))
        is_new = not device
        request.desk_device = device or f"balie-{secrets.token_hex(2)}"
        response = view(request, point, *args, **kwargs)
        if is_new:
            _keep_device(response, request.desk_device)
        return response

    return wrapper


def _keep_device(response, device: str) -> None:
    response.set_cookie(DEVICE_COOKIE, device, max_age=5 * 365 * 24 * 3600, samesite="Lax", httponly=True)


@login_required
@require_GET
def desk_start(request):
    """The points whose desk this person works at: straight to the desk when there is one, else a choice."""
    points = list(_desk_points(request.user).filter(is_active=True).order_by("area__name", "name")[:200])
    if not points:
        raise Http404(_("There is no parcel desk for you here."))
    if len(points) == 1:
        return redirect("parcels:desk_home", point_pk=points[0].pk)
    return render(request, "parcels/desk/start.html", {"points": points})


def _back_office_links(point: ParcelPoint) -> list[dict]:
    """The back office's screens of this point, for the desk home's buttons."""
    return [
        {"label": label, "url": reverse(name, kwargs={argument: point.pk})}
        for label, name, argument in (
            (_("Returns"), "parcels:returns", "point_pk"),
            (_("Handover to a carrier"), "parcels:handovers", "point_pk"),
            (_("Inventory"), "parcels:inventory_start", "point_pk"),
            (_("Pre-announcements"), "parcels:upload_announcements", "point_pk"),
            (_("Overview"), "parcels:dashboard", "point"),
        )
    ]


@desk_view
@require_GET
def desk_home(request, point):
    """Big buttons: intake, pickup, the back office's screens, search; and this desk's name."""
    return render(
        request,
        "parcels/desk/home.html",
        {
            "point": point,
            "links": _back_office_links(point),
            "device_form": DeviceForm(initial={"device": request.desk_device}),
            "search_form": SearchForm(),
        },
    )


@desk_view
@require_POST
def desk_device(request, point):
    """Rename this desk device (a cookie of this browser)."""
    form = DeviceForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["device"]))
        return redirect("parcels:desk_home", point_pk=point.pk)
    messages.success(request, _("This desk is now called %(name)s.") % {"name": form.cleaned_data["device"]})
    response = redirect("parcels:desk_home", point_pk=point.pk)
    _keep_device(response, form.cleaned_data["device"])
    return response


# --- Intake -------------------------------------------------------------------------------------------------


def _recent_scans(request, point: ParcelPoint) -> list[dict]:
    """This desk device's last scans at the point, newest first, each with the name of its state (looked up in one
    dict: `get_state_display` translates every state's name again for each row)."""
    names = dict(ParcelState.choices)
    rows = selectors.recent_scans(point=point, device=request.desk_device, limit=RECENT_SCANS)
    return [
        {
            **row,
            "state_name": names.get(row["state"], row["state"]),
            # A parcel that left is on no slot, whichever it was last on.
            "location_name": "" if row["state"] in TERMINAL_STATES else row["location_name"],
        }
        for row in rows
    ]


def _outcome(kind: str, parcel: Parcel | None = None, *, suggestion=None, **extra) -> dict:
    """What the result panel shows. `pending`: the parcel waits for its slot (Enter takes `suggestion`).
    `may_take_again`: the parcel left (picked up, refused, …), so the panel offers to take it in again, with
    `again_key` as that scan's request key."""
    pending = parcel is not None and parcel.state == ParcelState.RECEIVED and parcel.location_id is None
    may_take_again = kind in ("duplicate", "refused") and parcel is not None and parcel.state in TERMINAL_STATES
    return {
        "kind": kind,
        "parcel": parcel,
        "suggestion": suggestion if pending else None,
        "pending": pending,
        "may_take_again": may_take_again,
        "again_key": uuid.uuid4() if may_take_again else None,
        **extra,
    }


def _suggestion_for(parcel: Parcel):
    if parcel.state != ParcelState.RECEIVED or parcel.location_id:
        return None
    return selectors.suggest_location(
        point=parcel.point,
        size_class=parcel.size_class,
        recipient_email=parcel.recipient_email,
        is_oversize=parcel.is_oversize,
    )


def _intake_page(request, point, *, outcome: dict | None, status: int = 200):
    # A fresh key for the next scan; a panel that asks a question carries the key of the scan it is about.
    return render(
        request,
        "parcels/desk/intake.html",
        {"point": point, "form": ScanForm(), "outcome": outcome, "recent": _recent_scans(request, point)},
        status=status,
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _intake_answer(request, point, outcome: dict, *, status: int = 200):
    """The answer to a scan: JSON for desk.js (the panel and the list of recent scans as HTML, and the scan
    form's next key and hidden fields); else the full page (redirected to after a scan that changed something,
    so a reload does not send it again)."""
    if _wants_json(request):
        pending = outcome["pending"] and outcome["parcel"]
        # Rendered without the request: the site's context processors (area, navigation) are not needed for a
        # panel, and skipping them keeps a scan's answer to the queries of the scan itself.
        context = {
            "point": point,
            "outcome": outcome,
            "recent": _recent_scans(request, point),
            "csrf_token": get_token(request),
        }
        return JsonResponse(
            {
                "kind": outcome["kind"],
                "panel": render_to_string("parcels/desk/_intake_result.html", context),
                "recent": render_to_string("parcels/desk/_intake_recent.html", context),
                "request_key": str(uuid.uuid4()),
                "pending": pending.pk if pending else "",
                "suggested": outcome["suggestion"].label_code if outcome.get("suggestion") else "",
            },
            status=status,
        )
    if outcome["kind"] in SHOWN_AFTER_REDIRECT:
        query = urlencode({"parcel": outcome["parcel"].pk, "outcome": outcome["kind"]})
        return redirect(f"{reverse('parcels:desk_intake', kwargs={'point_pk': point.pk})}?{query}")
    return _intake_page(request, point, outcome=outcome, status=status)


@desk_view
@require_http_methods(["GET", "POST"])
def desk_intake(request, point):
    """Scan a parcel in (`receive_parcel`), then its slot (`store_parcel`): scan the slot's label, or Enter for
    the suggested one. Asks "which carrier?" for an ambiguous code and the recipient for an unannounced parcel."""
    if request.method == "GET":
        return _intake_page(request, point, outcome=_shown_outcome(request, point))
    form_class = RecipientForm if "recipient_name" in request.POST else ScanForm
    form = form_class(request.POST)
    if not form.is_valid():
        if form_class is RecipientForm:
            return _intake_answer(request, point, _outcome("recipient", form=form, code=form.data.get("code", "")))
        message = _("Scan the parcel's barcode again: nothing readable was scanned.")
        return _intake_answer(request, point, _outcome("error", message=message), status=400)
    data = form.cleaned_data
    if form_class is ScanForm and data["pending"] and not data["carrier_code"]:
        stored = _store_pending(request, point, data)
        if stored is not None:
            return _intake_answer(request, point, stored)
    if not data["code"]:
        message = _("Scan the parcel's barcode.")
        return _intake_answer(request, point, _outcome("error", message=message), status=400)
    return _intake_answer(request, point, _receive(request, point, form))


def _still_pending(point, data) -> Parcel | None:
    """The parcel waiting for its slot when something else was scanned: it still waits (and the panel says so)."""
    if not data.get("pending"):
        return None
    parcel = Parcel.objects.filter(point=point, pk=data["pending"]).select_related("carrier", "location").first()
    if parcel is None or parcel.state != ParcelState.RECEIVED or parcel.location_id is not None:
        return None
    parcel.point = point
    return parcel


def _store_pending(request, point, data) -> dict | None:
    """With a parcel waiting for its slot: Enter alone takes the suggested slot, a slot label that slot. None:
    the scan was another parcel (the one waiting stays scanned in, without a slot).

    Whether a scanned code is a slot's label is the service's look-up of the slot (`UnknownLocation`): reading
    the label here first would read the same row twice on every slot scan."""
    label = data["code"].upper() if data["code"] else data["suggested"]
    parcel = Parcel.objects.filter(point=point, pk=data["pending"]).select_related("carrier", "location").first()
    if parcel is None or not label:
        if data["code"] and not StorageLocation.objects.filter(point=point, label_code=label, is_active=True).exists():
            return None
        message = _("Scan the slot's label: no slot was suggested.")
        return _outcome("error", message=message)
    parcel.point = point  # read with its area by `desk_view`: the service's checks need no second read
    try:
        parcel = services.store_parcel(
            parcel=parcel, location_label_code=label, by=request.user, device=request.desk_device
        )
    except UnknownLocation as error:
        if data["code"]:
            return None  # not a slot's label here
        return _outcome("error", parcel, message=error.message, suggestion=_suggestion_for(parcel))
    except ApplicationError as error:
        return _outcome("error", parcel, message=error.message, suggestion=_suggestion_for(parcel))
    return _outcome("stored", parcel)


def _receive(request, point, form: ScanForm) -> dict:
    data = form.cleaned_data
    recipient = isinstance(form, RecipientForm)
    try:
        result = services.receive_parcel(
            point=point,
            raw_code=data["code"],
            by=request.user,
            request_key=data["request_key"],
            device=request.desk_device,
            carrier_code=data["carrier_code"] or None,
            size_class=data["size_class"] or None,
            weight_grams=data.get("weight_grams") if recipient else None,
            recipient_name=data["recipient_name"] if recipient else None,
            recipient_email=data["recipient_email"] if recipient else None,
            again=data["again"],
        )
    except RecipientRequired as error:
        initial = {key: data[key] for key in ("code", "size_class", "request_key", "carrier_code", "again")}
        return _outcome("recipient", form=RecipientForm(initial=initial), code=data["code"], message=error.message)
    except SlotLabelScanned as error:
        # A slot label that is no slot here (mistyped, another point's): the parcel waiting for a slot still does.
        waiting = None if recipient else _still_pending(point, data)
        suggestion = _suggestion_for(waiting) if waiting else None
        return _outcome("error", waiting, message=error.message, code=data["code"], suggestion=suggestion)
    except ApplicationError as error:
        if recipient:
            form.add_error(None, error.message)
            return _outcome("recipient", form=form, code=data["code"])
        return _outcome("error", message=error.message, code=data["code"])
    if result.needs_carrier_choice:
        names = zip(result.candidates, result.candidate_names, strict=True)
        candidates = [{"code": code, "name": name} for code, name in names][:9]
        return _outcome(
            "choose_carrier",
            code=data["code"],
            candidates=candidates,
            request_key=data["request_key"],
            size_class=data["size_class"],
            reason=result.reason,
            again=data["again"],
        )
    kind = "refused" if result.is_refused else "duplicate" if result.is_duplicate else "received"
    return _outcome(kind, result.parcel, suggestion=result.suggested_location)


def _shown_outcome(request, point) -> dict | None:
    """The result panel named by the redirect after a scan (`?parcel=…&outcome=…`)."""
    kind = request.GET.get("outcome")
    if kind not in SHOWN_AFTER_REDIRECT or not request.GET.get("parcel", "").isdigit():
        return None
    parcel = (
        Parcel.objects.filter(point=point, pk=int(request.GET["parcel"]))
        .select_related("carrier", "location", "point")
        .first()
    )
    if parcel is None:
        return None
    return _outcome(kind, parcel, suggestion=_suggestion_for(parcel))


# --- Pickup -------------------------------------------------------------------------------------------------


def _pickup_error(error: ApplicationError, *, looking_up: bool = False) -> str:
    """The message of a pickup's error; `looking_up`: on the look-up screen, where no parcels are shown yet."""
    if isinstance(error, WrongPickupCode):
        message = error.message
        if looking_up and message == str(WrongPickupCode.default_message):
            # The service's words are about the parcels listed at the hand-out ("these parcels").
            message = _("No parcels are waiting here for this pickup code. Check the code with the recipient.")
        left = getattr(error, "attempts_left", None)
        if left == 0:
            return message + " " + _("That was the last try: wait a few minutes before the next pickup code.")
        if left is not None:
            return (
                message
                + " "
                + ngettext(
                    "%(count)d more try before this desk is paused.",
                    "%(count)d more tries before this desk is paused.",
                    left,
                )
                % {"count": left}
            )
        return message
    return error.message


def _pickup_list(
    request, point, *, form: HandOutForm, parcels: list[Parcel], ticked: set[int], error: str = "", status: int = 200
):
    id_carriers = set(
        CarrierAgreement.objects.filter(
            point=point, requires_id_check=True, carrier_id__in={p.carrier_id for p in parcels}
        ).values_list("carrier_id", flat=True)
    )
    rows = [
        {"parcel": p, "ticked": p.pk in ticked, "needs_id": p.carrier_id in id_carriers, "code": p.tracking_code}
        for p in parcels
    ]
    return render(
        request,
        "parcels/desk/pickup_list.html",
        {
            "point": point,
            "form": form,
            "rows": rows,
            "needs_id": bool(id_carriers),
            "recipient": parcels[0],
            "error": error,
        },
        status=status,
    )


@desk_view
@require_http_methods(["GET", "POST"])
def desk_pickup(request, point):
    """The recipient's QR or pickup code (and name) → their waiting parcels, where they are, to tick off."""
    form = PickupLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            parcels = services.look_up_for_pickup(
                point=point,
                pickup_code_or_token=form.cleaned_data["code"],
                by=request.user,
                device=request.desk_device,
                name=form.cleaned_data["name"],
            )
        except ApplicationError as error:
            form.add_error("code", _pickup_error(error, looking_up=True))
        else:
            hand_out = HandOutForm(initial={**form.cleaned_data, "request_key": uuid.uuid4()})
            return _pickup_list(request, point, form=hand_out, parcels=parcels, ticked=set())
    return render(
        request, "parcels/desk/pickup.html", {"point": point, "form": form}, status=400 if form.errors else 200
    )


@desk_view
@require_POST
def desk_hand_out(request, point):
    """Hand out the ticked parcels (`hand_out_parcels`); a barcode sent instead ticks that parcel off."""
    form = HandOutForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Scan the QR code or type the pickup code again."))
        return redirect("parcels:desk_pickup", point_pk=point.pk)
    data = form.cleaned_data
    ticked = set(data["parcels"])
    error_message = ""
    if not data["scan"]:
        try:
            result = services.hand_out_parcels(
                point=point,
                parcel_ids=ticked,
                pickup_code_or_token=data["code"],
                by=request.user,
                request_key=data["request_key"],
                device=request.desk_device,
                id_checked=data["id_checked"],
                on_behalf=data["on_behalf"],
            )
        except ApplicationError as error:
            error_message = _pickup_error(error)
        else:
            codes = ", ".join(parcel.tracking_code for parcel in result.parcels)
            messages.success(
                request,
                ngettext(
                    "Handed out %(count)d parcel: %(codes)s.",
                    "Handed out %(count)d parcels: %(codes)s.",
                    len(result.parcels),
                )
                % {"count": len(result.parcels), "codes": codes},
            )
            return redirect("parcels:desk_pickup", point_pk=point.pk)
    try:
        parcels = services.look_up_for_pickup(
            point=point,
            pickup_code_or_token=data["code"],
            by=request.user,
            device=request.desk_device,
            name=data["name"],
        )
    except ApplicationError as error:
        messages.error(request, error_message or _pickup_error(error))
        return redirect("parcels:desk_pickup", point_pk=point.pk)
    if data["scan"]:
        code = barcodes.normalise(data["scan"])
        match = next((p for p in parcels if p.tracking_code == code), None)
        if match is None:
            error_message = _("This barcode is not one of this recipient's parcels: %(code)s") % {"code": code}
        else:
            ticked.add(match.pk)
    fresh = HandOutForm(initial={**data, "scan": "", "parcels": sorted(ticked)})
    return _pickup_list(
        request,
        point,
        form=fresh,
        parcels=parcels,
        ticked=ticked,
        error=error_message,
        status=400 if error_message else 200,
    )


# --- Search and history --------------------------------------------------------------------------------------


@desk_view
@require_GET
def desk_search(request, point):
    """Parcels of the point's area by tracking code, pickup code or recipient's name; each one click from its page."""
    form = SearchForm(request.GET if "q" in request.GET else None)
    parcels = None
    query = ""
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"].strip()
        parcels = list(selectors.search_parcels(area_id=point.area_id, query=query))
    context = {
        "point": point,
        "form": form,
        "parcels": parcels,
        "query": query,
        "too_short": len(query) < SEARCH_MIN_LENGTH,
    }
    return render(request, "parcels/desk/search.html", context)


def _desk_parcel(point, parcel_pk: int) -> Parcel:
    return get_object_or_404(
        Parcel.objects.select_related("carrier", "location", "point__area", "announcement"), point=point, pk=parcel_pk
    )


@desk_view
@require_GET
def desk_parcel(request, point, parcel_pk: int):
    """A parcel and everything that happened to it: who, which desk, when, where, from → to, note, fee."""
    parcel = _desk_parcel(point, parcel_pk)
    events = [
        {"event": event, "fee": Decimal(event.fee_cents) / 100 if event.fee_cents else None}
        for event in selectors.parcel_history(parcel)
    ]
    may_declare_lost = ParcelState.LOST in TRANSITIONS.get(parcel.state, ()) and can(
        request.user, "parcels.declare_lost", parcel
    )
    # The same code's other times here (a parcel that came back is a new arrival; each keeps its own history).
    arrivals = (
        Parcel.objects.filter(point=point, carrier_id=parcel.carrier_id, tracking_code=parcel.tracking_code)
        .exclude(pk=parcel.pk)
        .only("pk", "arrival", "state", "received_at")
        .order_by("arrival")
    )
    return render(
        request,
        "parcels/desk/parcel.html",
        {
            "point": point,
            "parcel": parcel,
            "events": events,
            "tz": point.area.tz,
            "lost_form": DeclareLostForm() if may_declare_lost else None,
            "arrivals": list(arrivals),
        },
    )


@desk_view
@require_POST
def desk_declare_lost(request, point, parcel_pk: int):
    """A manager writes the parcel off as lost, with a reason (`declare_lost`)."""
    parcel = _desk_parcel(point, parcel_pk)
    if not can(request.user, "parcels.declare_lost", parcel):
        raise Http404
    form = DeclareLostForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
    else:
        try:
            services.declare_lost(
                parcel=parcel, reason=form.cleaned_data["reason"], by=request.user, device=request.desk_device
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The parcel was declared lost."))
    return redirect("parcels:desk_parcel", point_pk=point.pk, parcel_pk=parcel.pk)


# --- Slot labels ---------------------------------------------------------------------------------------------


@desk_view
@require_GET
def desk_labels(request, point):
    """The point's slot labels to print (several per A4): the slot's name, size and its Code 128 barcode."""
    locations = StorageLocation.objects.filter(point=point, is_active=True).order_by("zone", "shelf", "slot")
    labels = [
        {"location": location, "svg": mark_safe(barcodes.code128_svg(location.label_code))} for location in locations
    ]
    return render(request, "parcels/desk/labels.html", {"point": point, "labels": labels})
