"""Staff pages: the dashboard, a merchant's page, its details, opening hours and team.

Objects outside what the person may view answer 404 (their existence is not leaked); objects they may view
but not change answer 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import can, get_for_action_or_404, has_staff_role
from accounts.roles import Role
from privacy.models import AuditAction
from privacy.services import log_access

from . import selectors, services
from .exceptions import InvalidInput, RoleNotGrantable
from .forms import GrantRoleForm, MerchantForm, OpeningHoursForm
from .models import Merchant, StaffMembership, Weekday
from .public_pages import merchant_page_url


def _merchant(request, pk: int, action: str) -> Merchant:
    return get_for_action_or_404(
        request.user, action, Merchant.objects.select_related("area"), view_action="merchant.view", pk=pk
    )


@login_required
def dashboard(request):
    """The areas and merchants this person works for."""
    if not has_staff_role(request.user):
        raise PermissionDenied
    merchants = list(selectors.merchants_for(request.user).order_by("area__name", "trade_name"))
    areas = list(selectors.areas_for(request.user))
    return render(
        request,
        "areas/dashboard.html",
        {"areas": areas, "merchants": merchants, "roles": selectors.roles_of(request.user)},
    )


@login_required
def merchant_detail(request, pk: int):
    merchant = _merchant(request, pk, "merchant.view")
    hours = selectors.weekly_hours(merchant)
    return render(
        request,
        "areas/merchant_detail.html",
        {
            "merchant": merchant,
            "week": [(day.label, hours[day]) for day in Weekday],
            "exceptions": selectors.upcoming_exceptions(merchant),
            "public_url": merchant_page_url(merchant),
            "may_change": can(request.user, "merchant.change", merchant),
            "may_manage_staff": can(request.user, "merchant.manage_staff", merchant),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def merchant_edit(request, pk: int):
    merchant = _merchant(request, pk, "merchant.change")
    editable = selectors.editable_merchant_fields(request.user, merchant)
    form = MerchantForm(request.POST or None, instance=merchant, editable=editable)
    if request.method == "POST" and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        try:
            services.update_merchant(merchant=merchant, by=request.user, **changes)
        except InvalidInput as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The details are saved."))
            return redirect("areas:merchant_detail", pk=merchant.pk)
    return render(request, "areas/merchant_form.html", {"merchant": merchant, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def opening_hours_edit(request, pk: int):
    merchant = _merchant(request, pk, "merchant.change")
    form = OpeningHoursForm(
        request.POST or None, initial=OpeningHoursForm.initial_for(selectors.weekly_hours(merchant))
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_opening_hours(merchant=merchant, week=form.week(), by=request.user)
        except InvalidInput as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The opening hours are saved."))
            return redirect("areas:merchant_detail", pk=merchant.pk)
    return render(request, "areas/opening_hours_form.html", {"merchant": merchant, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def team(request, pk: int):
    """The merchant's people; owners add staff, the area's manager also owners."""
    merchant = _merchant(request, pk, "merchant.manage_staff")
    roles = _grantable_roles(request.user, merchant)
    form = GrantRoleForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.grant_role(
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
                merchant=merchant,
                granted_by=request.user,
            )
        except InvalidInput as error:
            form.add_service_errors(error)
        except RoleNotGrantable as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": membership.user.email, "role": membership.get_role_display().lower()},
            )
            return redirect("areas:team", pk=merchant.pk)
    members = [
        (membership, membership.role in {role.value for role in roles} and membership.user_id != request.user.pk)
        for membership in selectors.team_of(merchant)
    ]
    # The page shows colleagues' e-mail addresses: that access is audited.
    log_access(actor=request.user, action=AuditAction.VIEW, obj=merchant, fields=["team e-mail addresses"])
    return render(request, "areas/team.html", {"merchant": merchant, "form": form, "members": members})


@login_required
@require_POST
def team_end(request, pk: int, membership_pk: int):
    merchant = _merchant(request, pk, "merchant.manage_staff")
    membership = get_object_or_404(
        StaffMembership.objects.active().select_related("user"), pk=membership_pk, merchant=merchant
    )
    if membership.role not in _grantable_roles(request.user, merchant) or membership.user_id == request.user.pk:
        raise PermissionDenied
    services.end_role(membership=membership, by=request.user)
    messages.success(request, _("%(email)s no longer works for this merchant.") % {"email": membership.user.email})
    return redirect("areas:team", pk=merchant.pk)


def _grantable_roles(user, merchant: Merchant) -> list[Role]:
    # Owners manage their staff; making someone an owner is the area's decision.
    if can(user, "area.manage_staff", merchant.area):
        return [Role.MERCHANT_STAFF, Role.MERCHANT_OWNER]
    return [Role.MERCHANT_STAFF]
