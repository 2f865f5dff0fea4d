"""Campaign pages under /<lang>/campagnes/: the area's manager runs the area's campaigns here, not in the admin.

- start: straight to the area's campaigns for a manager of one area, else a choice of areas;
- the area's campaigns: running, upcoming and ended, each with what it gives, where, for whom and who pays;
- a new campaign and changing one (`services.save_campaign`; once started only name, description and last day);
- ending one now, after a confirmation (`services.end_campaign`);
- vouchers for a campaign's members (`services.issue_campaign_vouchers`).

Who: `loyalty.manage_campaigns` on the area (vouchers: `loyalty.issue_vouchers`). People who may not even view
the area get a 404 (merchants' owners and staff, another area's manager), so the pages do not tell which areas
and campaigns exist; those who may view it but not run its campaigns get a 403. Views parse, check, call one
service, render.
"""

from __future__ import annotations

from datetime import time as dt_time
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import (
    can,
    get_for_action_or_404,
)
from agora.exceptions import ApplicationError
from agora.money import format_euros
from areas.models import ShoppingArea
from areas.sectors import Sector

from . import services
from .forms_campaigns import CampaignForm, CampaignVoucherForm
from .models import Campaign, CampaignKind, Funder
from .segments import segment_choices
from .services.campaigns import MANAGE_ACTION, is_cancelled, voucher_refusal
from .views import area_start, holds_role_for, managed_area, private
from .views_rewards import _until

VOUCHER_ACTION = "loyalty.issue_vouchers"
#: Ended campaigns shown on the list, the most recent first.
ENDED_SHOWN = 30


def campaigns_entry_is_visible(request) -> bool:
    """The "Campaigns" entry: for holders of a role that runs an area's campaigns (from the memberships already
    loaded, no query)."""
    return holds_role_for(request, MANAGE_ACTION)


def _area(request, slug: str) -> ShoppingArea:
    return managed_area(request, MANAGE_ACTION, slug)


def _campaign(request, campaign_pk: int, action: str = MANAGE_ACTION) -> Campaign:
    # A campaign is scoped by its area: those who may not view the area do not learn that it exists.
    return get_for_action_or_404(
        request.user, action, Campaign.objects.select_related("area"), view_action="area.view", pk=campaign_pk
    )


def _to_list(campaign: Campaign):
    return redirect("loyalty:campaigns", area=campaign.area.slug)


# --- How a campaign reads -------------------------------------------------------------------------------------


def _starts(starts_at, tz) -> tuple[str, str]:
    """When a campaign starts, as (label, value): a first day when at midnight, else the date and time."""
    local = timezone.localtime(starts_at, tz)
    if local.time() == dt_time.min:
        return _("First day"), date_format(local.date(), "j F Y")
    return _("From"), date_format(local, "j F Y, H:i")


def kind_text(campaign: Campaign) -> str:
    """×2, ×1,5 — or +50 points."""
    if campaign.kind == CampaignKind.MULTIPLIER:
        factor = formats.number_format(Decimal(campaign.multiplier_permille) / 1000, use_l10n=True)
        return f"×{factor}"
    return ngettext("+%(points)s point", "+%(points)s points", campaign.bonus_points) % {
        "points": campaign.bonus_points
    }


def where_text(campaign: Campaign) -> str:
    sectors = dict(Sector.choices)
    places = [merchant.trade_name for merchant in campaign.merchants.all()]
    places += [str(sectors.get(code, code)) for code in campaign.sectors or []]
    return ", ".join(places) if places else _("All merchants")


def _state(campaign: Campaign, now) -> str:
    if is_cancelled(campaign, now=now):
        return "cancelled"
    if campaign.ends_at <= now or not campaign.is_active:
        return "ended"
    return "running" if campaign.starts_at <= now else "upcoming"


def _item(campaign: Campaign, *, tz, now, segments: dict, may_issue: bool) -> dict:
    state = _state(campaign, now)
    return {
        "campaign": campaign,
        "state": state,
        "kind": kind_text(campaign),
        "min_amount": format_euros(campaign.min_amount_cents) if campaign.min_amount_cents else "",
        "where": where_text(campaign),
        "who": str(segments.get(campaign.segment, campaign.segment)) if campaign.segment else _("Every member"),
        "is_segment": bool(campaign.segment),
        "funder": _("The merchant") if campaign.funded_by == Funder.MERCHANT else _("The collective"),
        "starts": _starts(campaign.starts_at, tz),
        "until": _until(campaign.ends_at, tz),
        "may_change": state in ("running", "upcoming"),
        "may_issue": may_issue and state in ("running", "upcoming"),
    }


# --- Pages ------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def start(request):
    """A manager of one area goes straight to its campaigns; a person with several areas chooses one."""
    return area_start(request, MANAGE_ACTION, to="loyalty:campaigns", template="loyalty/campaigns/start.html")


@login_required
@require_GET
def campaign_list(request, area: str):
    """The area's campaigns: running (ending first at the top), upcoming (starting first), the last ended ones."""
    area_ = _area(request, area)
    now = timezone.now()
    tz = area_.tz
    segments = dict(segment_choices())
    may_issue = can(request.user, VOUCHER_ACTION, area_)
    campaigns = Campaign.objects.filter(area=area_).prefetch_related("merchants")
    is_over = Q(ends_at__lte=now) | Q(is_active=False)
    running = campaigns.filter(is_active=True, starts_at__lte=now, ends_at__gt=now).order_by("ends_at", "pk")
    upcoming = campaigns.filter(is_active=True, starts_at__gt=now).order_by("starts_at", "pk")
    ended = campaigns.filter(is_over).order_by("-ends_at", "-pk")[: ENDED_SHOWN + 1]

    def items(rows):
        return [_item(campaign, tz=tz, now=now, segments=segments, may_issue=may_issue) for campaign in rows]

    ended_items = items(ended)
    context = {
        "campaign_area": area_,
        "running": items(running),
        "upcoming": items(upcoming),
        "ended": ended_items[:ENDED_SHOWN],
        "more_ended": len(ended_items) > ENDED_SHOWN,
    }
    return private(render(request, "loyalty/campaigns/list.html", context))


def _form_page(request, *, area, form, campaign=None, status=200):
    context = {
        "campaign_area": area,
        "campaign": campaign,
        "form": form,
    }
    return private(render(request, "loyalty/campaigns/form.html", context, status=status))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request, area: str):
    """A new campaign: the form, then (valid) back to the list with the campaign among the upcoming or running."""
    area_ = _area(request, area)
    now = timezone.now()
    form = CampaignForm(request.POST or None, area=area_, now=now)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.save_campaign(area=area_, by=request.user, now=now, **form.service_fields())
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Campaign “%(name)s” is saved.") % {"name": campaign.name},
            )
            return _to_list(campaign)
    return _form_page(request, area=area_, form=form, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, campaign_pk: int):
    """Change a campaign: all of it before it starts; after, only its name, description and last day."""
    campaign = _campaign(request, campaign_pk)
    now = timezone.now()
    form = CampaignForm(request.POST or None, area=campaign.area, campaign=campaign, now=now)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.save_campaign(
                area=campaign.area, by=request.user, campaign=campaign, now=now, **form.service_fields()
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Campaign “%(name)s” is saved.") % {"name": campaign.name},
            )
            return _to_list(campaign)
    return _form_page(request, area=campaign.area, form=form, campaign=campaign, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_end(request, campaign_pk: int):
    """GET: what ending means, and a button; POST: end it now (`services.end_campaign`), back to the list."""
    campaign = _campaign(request, campaign_pk)
    now = timezone.now()
    if request.method == "POST":
        try:
            ended = services.end_campaign(campaign=campaign, by=request.user, now=now)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            text = _("Campaign “%(name)s” has ended.") if ended.is_active else _("Campaign “%(name)s” will not start.")
            messages.success(request, text % {"name": campaign.name})
        return _to_list(campaign)
    state = _state(campaign, now)
    context = {
        "campaign_area": campaign.area,
        "campaign": campaign,
        "state": state,
        "starts": _starts(campaign.starts_at, campaign.area.tz),
        "until": _until(campaign.ends_at, campaign.area.tz),
    }
    return private(render(request, "loyalty/campaigns/end.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_vouchers(request, campaign_pk: int):
    """Vouchers for the members the campaign aims at: what each is worth and for how long, then how many were
    issued (once per member and batch: the same batch again reaches only those who have none of it yet). The page
    of a cancelled or ended campaign says it hands out none, without the form."""
    campaign = _campaign(request, campaign_pk, action=VOUCHER_ACTION)
    form = CampaignVoucherForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        batch = form.cleaned_data["batch"]
        try:
            issued = services.issue_campaign_vouchers(campaign=campaign, by=request.user, **form.service_fields())
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            if issued:
                text = ngettext(
                    "%(count)d voucher issued for “%(name)s”.", "%(count)d vouchers issued for “%(name)s”.", issued
                )
                messages.success(request, text % {"count": issued, "name": campaign.name})
            else:
                messages.info(
                    request,
                    _(
                        "No vouchers issued: every member this campaign is for already has one of batch “%(batch)s”."
                        " To give everyone another voucher, use a new batch."
                    )
                    % {"batch": batch},
                )
            return _to_list(campaign)
    segments = dict(segment_choices())
    context = {
        "campaign_area": campaign.area,
        "campaign": campaign,
        "form": form,
        "segment": str(segments.get(campaign.segment, campaign.segment)),
        "where": where_text(campaign),
        "refusal": voucher_refusal(campaign, now=timezone.now()),
    }
    return private(render(request, "loyalty/campaigns/vouchers.html", context, status=400 if form.errors else 200))
