"""Privacy pages: what we process and why, a person's consent settings, receipt, export and erasure,
and the audit log for area managers. Each view parses, asks accounts.permissions, calls one
service or selector, and renders."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import can, require, visible
from areas.models import ShoppingArea

from . import selectors, services
from .exceptions import (
    ConsentNotApplicable,
    ConsentTextChanged,
    ErasureBlocked,
    LossesNotAccepted,
    PurposeNotOffered,
    UnknownPurpose,
)
from .forms import ConsentDecisionForm, EraseConfirmationForm
from .models import AuditEntry, CollectionMethod, ConsentState


def current_area(request) -> ShoppingArea | None:
    """The request's area as a model instance (or None)."""
    area = getattr(request, "area", None)
    return area if area else None


def _area_or_404(request) -> ShoppingArea:
    area = current_area(request)
    if area is None:
        raise Http404(_("This site has no shopping area."))
    return area


def audit_log_is_visible(request) -> bool:
    """Navigation predicate: the audit-log entry shows to area managers of this area (and platform admins)."""
    area = current_area(request)
    return area is not None and can(request.user, "privacy.view_audit_log", area)


def _download(data: dict, filename: str) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET"])
def overview(request):
    """Public: every purpose we process data for, with its current text."""
    return render(request, "privacy/overview.html", {"purposes": selectors.published_purposes()})


@login_required
@require_http_methods(["GET", "POST"])
def consents(request):
    """The person's choices in this area: one card per purpose, one button each, nothing pre-ticked."""
    area = _area_or_404(request)
    require(request.user, "person.manage_consent", request.user)
    if request.method == "POST":
        form = ConsentDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("That choice could not be saved. Please try again."))
            return redirect("privacy:consents")
        try:
            event = services.record_consent(
                subject=request.user,
                area=area,
                purpose_code=form.cleaned_data["purpose"],
                state=form.cleaned_data["state"],
                method=CollectionMethod.SETTINGS,
                language=get_language(),
                recorded_by=request.user,
                shown_version=form.cleaned_data["version"],
            )
        except ConsentTextChanged:
            messages.warning(request, _("This text has just changed. Please read it again before you decide."))
        except ConsentNotApplicable:
            messages.error(request, _("This purpose does not ask for your consent."))
        except (UnknownPurpose, PurposeNotOffered):
            messages.error(request, _("This choice is no longer offered."))
        else:
            title = event.purpose_version.localised("title", get_language())
            if event.state == ConsentState.GIVEN:
                messages.success(request, _("Saved: you gave consent for “%(title)s”.") % {"title": title})
            else:
                messages.success(request, _("Saved: you withdrew consent for “%(title)s”.") % {"title": title})
            # What the decision did to data kept for the purpose (the pass's postcode, say), in the apps' words.
            for note in selectors.consent_notes(request.user, area, event.purpose.code, event.state):
                messages.info(request, note)
        return redirect("privacy:consents")
    context = {"area": area, "choices": selectors.consents_for(request.user, area)}
    return render(request, "privacy/consents.html", context)


@login_required
@require_http_methods(["GET"])
def receipt(request):
    """The person's consent record for this area as an ISO/IEC TS 27560 JSON receipt."""
    area = _area_or_404(request)
    require(request.user, "person.view", request.user)
    data = selectors.consent_receipt(request.user, area, language=get_language())
    return _download(data, f"consent-receipt-{area.slug}.json")


@login_required
@require_http_methods(["GET"])
def export(request):
    """Everything we hold about the person: a page in the person's language, or JSON (values as stored) with
    ?format=json."""
    require(request.user, "person.export", request.user)
    as_json = request.GET.get("format") == "json"
    area = current_area(request)
    with timezone.override(area.tz if area else None):  # the page's times in the area's time zone
        data = services.export_personal_data(subject=request.user, requested_by=request.user, readable=not as_json)
    if as_json:
        return _download(data, "my-data.json")
    return render(request, "privacy/export.html", {"export": data})


@login_required
# Irreversible: the password is asked again before the page is shown, and allauth then sends the person back here.
# (A POST sent after ACCOUNT_REAUTHENTICATION_TIMEOUT is replayed by allauth on its own password page: the form's
# explicit action keeps a second try, after a mistyped address, on this page.)
@reauthentication_required
@require_http_methods(["GET", "POST"])
def erase(request):
    """Ask for the password again; list what the person still has open (`selectors.erasure_check`): what must be
    settled first, what is lost (a box to accept it), what to know; then confirm by typing the e-mail address; then
    erase, log out and say what happened."""
    require(request.user, "person.erase", request.user)
    check = selectors.erasure_check(request.user)
    form = EraseConfirmationForm(request.POST or None, user=request.user, losses_shown=check.losses_digest)
    if request.method == "POST" and check.can_erase and form.is_valid():
        try:
            services.request_erasure(
                subject=request.user, requested_by=request.user, losses_accepted=form.losses_accepted()
            )
        except (ErasureBlocked, LossesNotAccepted):
            # Something changed since the page was drawn (a parcel came in, a balance changed): show the list again.
            messages.warning(
                request, _("What is still open has changed since this page was shown. Please read it again.")
            )
            return redirect("privacy:erase")
        logout(request)
        return redirect("privacy:erase_done")
    return render(request, "privacy/erase.html", {"form": form, "check": check})


@require_http_methods(["GET"])
def erase_done(request):
    return render(request, "privacy/erase_done.html")


@login_required
@require_http_methods(["GET"])
def audit_log(request):
    """Area managers: who looked at or changed personal data in this area."""
    area = _area_or_404(request)
    require(request.user, "privacy.view_audit_log", area)
    entries = visible(request.user, "privacy.view_audit_log", AuditEntry.objects.filter(area=area))
    page = Paginator(entries.select_related("subject"), 50).get_page(request.GET.get("page"))
    lines = selectors.audit_lines(page)
    return render(request, "privacy/audit_log.html", {"area": area, "page": page, "lines": lines})
