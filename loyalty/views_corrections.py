"""Corrections of a pass's points under /<lang>/correcties/: the area's manager corrects here, not in the admin.

- start: straight to the area's page for a manager of one area, else a choice of areas;
- the area's page: find a pass by its card number; the corrections waiting for a second manager (apply or not);
  the latest corrections applied, and those recently not applied;
- a pass: its balance and latest history, the correction form (`services.correct_points`: at once within the
  area's threshold, counted with what the manager corrected on this pass alone in the last 24 hours, else waiting
  for a second manager, and the message says which made it wait), and a new card number for a lost phone or card
  (`services.replace_pass_codes`).

Who: `loyalty.adjust_points` on the area (its managers). People who may not even view the area get a 404, those who
may view it but not correct points a 403. Looking at a pass is audited. Views parse, check, call one service, render.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import get_for_action_or_404
from agora.exceptions import ApplicationError
from privacy.models import AuditAction
from privacy.services import log_access

from . import selectors, services
from .codes import group_card_number
from .forms_corrections import CorrectionForm, FindPassForm
from .models import LoyaltySettings, Pass, PointsCorrection
from .services.corrections import ACTION, points_text
from .services.ledger import solo_correction_points
from .views import area_start, holds_role_for, managed_area, private

#: How long corrections decided not to be applied stay on the area's page.
REJECTED_SHOWN_DAYS = 30


def corrections_entry_is_visible(request) -> bool:
    """The "Corrections" entry: for holders of a role that corrects points (no query)."""
    return holds_role_for(request, ACTION)


@login_required
@require_GET
def start(request):
    return area_start(request, ACTION, to="loyalty:corrections", template="loyalty/corrections/start.html")


@login_required
@require_GET
def area_corrections(request, area: str):
    """Find a pass (a card number in `card` goes straight to it), the corrections waiting, the latest decided."""
    area_ = managed_area(request, ACTION, area)
    form = FindPassForm(request.GET or None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            if found := selectors.pass_by_number(area_, form.cleaned_data["card"]):
                return redirect("loyalty:pass_correction", pass_pk=found.pk)
            form.add_error("card", _("No pass with this number in this shopping area."))
        status = 400
    context = {
        "corrections_area": area_,
        "form": form,
        "threshold": LoyaltySettings.for_area(area_).adjustment_approval_threshold,
        "waiting": [
            {
                "correction": c,
                "points": points_text(c.points, signed=True),
                "card": group_card_number(c.member_pass.card_number),
                "uncovered": _uncovered(c),
            }
            for c in selectors.waiting_corrections(area_)
        ],
        "applied": [
            {
                "entry": e,
                "points": points_text(e.points, signed=True),
                "card": group_card_number(e.member_pass.card_number),
            }
            for e in selectors.applied_corrections(area_)
        ],
        "rejected": [
            {
                "correction": c,
                "points": points_text(c.points, signed=True),
                "card": group_card_number(c.member_pass.card_number),
            }
            for c in selectors.rejected_corrections(area_, since=timezone.now() - timedelta(days=REJECTED_SHOWN_DAYS))
        ],
    }
    return private(render(request, "loyalty/corrections/area.html", context, status=status))


def _uncovered(correction: PointsCorrection) -> str:
    """What to say of a waiting deduction the pass's balance no longer covers (spent or expired since it was
    asked): it cannot be applied as it is (`approve_correction` refuses it), so the second manager decides it is
    not applied. "" when it is covered."""
    balance = correction.member_pass.points_balance
    if correction.points >= 0 or balance >= -correction.points:
        return ""
    return _("The pass has only %(balance)s now: this correction cannot be applied as it is.") % {
        "balance": points_text(balance)
    }


def _pass(request, pass_pk: int) -> Pass:
    return get_for_action_or_404(
        request.user,
        ACTION,
        Pass.objects.select_related("area", "member"),
        view_action="area.view",
        pk=pass_pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pass_correction(request, pass_pk: int):
    """A pass's balance and latest history, and the correction form."""
    member_pass = _pass(request, pass_pk)
    area = member_pass.area
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.correct_points(
                pass_id=member_pass.pk,
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                request_key=_request_key(request),
            )
        except ApplicationError as error:
            form.add_service_error(error)  # on its field where it names one: a deduction above the balance
        else:
            card = group_card_number(member_pass.card_number)
            if result.entry is not None:
                text = _("%(points)s on pass %(card)s: the correction is applied.")
                messages.success(
                    request, text % {"points": points_text(result.entry.points, signed=True), "card": card}
                )
            elif result.together_with:
                text = ngettext(
                    "%(points)s on pass %(card)s waits for a second manager of the area to apply it: together with "
                    "your corrections of this pass in the last 24 hours (%(earlier)s) it is more than %(threshold)s "
                    "point.",
                    "%(points)s on pass %(card)s waits for a second manager of the area to apply it: together with "
                    "your corrections of this pass in the last 24 hours (%(earlier)s) it is more than %(threshold)s "
                    "points.",
                    result.threshold,
                )
                earlier = ngettext("%(points)s point", "%(points)s points", result.together_with) % {
                    "points": result.together_with
                }
                points = points_text(result.correction.points, signed=True)
                messages.success(
                    request, text % {"points": points, "card": card, "earlier": earlier, "threshold": result.threshold}
                )
            else:
                text = _("%(points)s on pass %(card)s waits for a second manager of the area to apply it.")
                messages.success(
                    request, text % {"points": points_text(result.correction.points, signed=True), "card": card}
                )
            return redirect("loyalty:corrections", area=area.slug)
    else:
        log_access(
            actor=request.user,
            action=AuditAction.VIEW,
            subject=member_pass.member,
            obj=member_pass,
            fields=["points_balance", "history"],
            via="loyalty",
        )
    context = {
        "corrections_area": area,
        "member_pass": member_pass,
        "card": group_card_number(member_pass.card_number),
        "history": selectors.pass_history(member_pass, limit=10).entries,
        "waiting": selectors.waiting_corrections(area, member_pass=member_pass),
        "threshold": LoyaltySettings.for_area(area).adjustment_approval_threshold,
        "solo_points": solo_correction_points(pass_id=member_pass.pk, by=request.user, now=timezone.now()),
        "form": form,
        "request_key": request.POST.get("request_key") or uuid.uuid4(),
    }
    return private(render(request, "loyalty/corrections/pass.html", context, status=400 if form.errors else 200))


@login_required
@require_POST
def pass_new_number(request, pass_pk: int):
    """A member lost their phone or card: the pass gets a new card number and app code (`services.replace_pass_codes`);
    the old ones stop working, points and history stay."""
    member_pass = _pass(request, pass_pk)
    try:
        member_pass = services.replace_pass_codes(pass_id=member_pass.pk, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        text = _("The pass has a new card number: %(card)s. Its old card and app codes no longer work.")
        messages.success(request, text % {"card": group_card_number(member_pass.card_number)})
    return redirect("loyalty:pass_correction", pass_pk=member_pass.pk)


def _request_key(request) -> uuid.UUID:
    """The form's key (one per page shown, so a double submit asks once); a missing or broken one is new."""
    try:
        return uuid.UUID(request.POST.get("request_key", ""))
    except ValueError:
        return uuid.uuid4()


def _decide(request, correction_pk: int, decide, done: str):
    correction = PointsCorrection.objects.filter(pk=correction_pk).select_related("area", "member_pass").first()
    if correction is None:
        raise Http404
    area = managed_area(request, ACTION, correction.area.slug)
    try:
        decided = decide(correction_id=correction.pk, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        card = group_card_number(correction.member_pass.card_number)
        messages.success(request, done % {"points": points_text(decided.points, signed=True), "card": card})
    return redirect(reverse("loyalty:corrections", kwargs={"area": area.slug}))


@login_required
@require_POST
def approve(request, correction_pk: int):
    return _decide(request, correction_pk, services.approve_correction, _("%(points)s on pass %(card)s: applied."))


@login_required
@require_POST
def reject(request, correction_pk: int):
    return _decide(request, correction_pk, services.reject_correction, _("%(points)s on pass %(card)s: not applied."))
