"""The member app's rewards pages (/<lang>/mijn/rewards/, wallet/, offers/): catalogue, wallet, current offers.

Thin like loyalty.views: parse, call one service or selector, render. Personal pages: `Cache-Control: private`.
Choosing a reward takes two steps (a confirmation page with the cost, then a POST), so no script is needed.
"""

from __future__ import annotations

import re
import uuid
from datetime import time as dt_time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agora.exceptions import ApplicationError
from agora.money import format_euros
from areas.sectors import Sector

from . import selectors
from .codes import qr_svg
from .models import CampaignKind, VoucherKind
from .segments import segment_choices
from .services.rewards import cancel_reward_voucher, choose_reward
from .services.vouchers import group_voucher_code
from .views import _member_pass, private

_SVG_SIZE = re.compile(r'\s(width|height)="[^"]*"')


class RequestKeyForm(forms.Form):
    """A button press: its request key, made when the page was drawn, makes a double tap harmless."""

    request_key = forms.UUIDField(widget=forms.HiddenInput)


def voucher_qr_svg(code: str, *, label: str) -> str:
    """The code as an inline SVG QR code (drawn here: no third-party request, works offline once cached)."""
    svg = _SVG_SIZE.sub("", qr_svg(code), count=2)
    # Safe to mark: the SVG is the library's paths for a code of our own alphabet, and the label is escaped.
    opening = format_html('<svg class="voucher__qr" role="img" aria-label="{}" ', label)
    return mark_safe(svg.replace("<svg ", opening, 1))


def _value_text(voucher) -> str:
    if voucher.kind == VoucherKind.PERCENT:
        text = _("%(percent)s%% off") % {"percent": voucher.percent}
        if voucher.max_discount_cents:
            text += " " + _("(at most %(amount)s)") % {"amount": format_euros(voucher.max_discount_cents)}
        return text
    return format_euros(voucher.value_cents)


def _title_text(voucher, value: str) -> str:
    """What the voucher is: its reward's title, its campaign's name, else a voucher of its value."""
    if voucher.reward_id:
        return voucher.reward.shown_title
    if voucher.campaign_id:
        return voucher.campaign.shown_name
    return _("Voucher of %(value)s") % {"value": value}


def _origin_text(voucher, area) -> str:
    """Where the voucher came from: the reward the member chose, or who gave it (a campaign's, or not)."""
    if voucher.reward_id:
        if voucher.spend_entry_id:
            return _("A reward you chose for %(points)s points") % {"points": -voucher.spend_entry.points}
        return _("A reward")
    issuer = voucher.funded_by_merchant.trade_name if voucher.funded_by_merchant_id else area.collective_name
    if voucher.campaign_id:
        return _("Campaign “%(campaign)s” of %(issuer)s") % {"campaign": voucher.campaign.shown_name, "issuer": issuer}
    return _("Given by %(issuer)s") % {"issuer": issuer}


def _where_text(merchants) -> str:
    names = [merchant.trade_name for merchant in merchants]
    return ", ".join(names) if names else _("Every participating shop")


@login_required
@require_GET
def rewards(request):
    """The catalogue: what each reward costs, is worth, where, how many are left; the member's balance."""
    area, member_pass = _member_pass(request)
    if member_pass is None:
        return redirect("loyalty:join")
    now = timezone.now()
    items = [
        {
            "reward": reward,
            "value": format_euros(reward.value_cents),
            "where": reward.merchant.trade_name if reward.merchant_id else _("Every participating shop"),
            "affordable": reward.cost_points <= member_pass.points_balance,
        }
        for reward in selectors.rewards_for(area, now=now)
    ]
    overview = selectors.pass_overview(member_pass, now=now)
    context = {"area": area, "member_pass": member_pass, "items": items, "balance": overview["balance"]}
    return private(render(request, "loyalty/rewards.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def reward_choose(request, reward_pk: int):
    """GET: confirm (cost, value, validity); POST: spend the points, then the wallet shows the voucher."""
    area, member_pass = _member_pass(request)
    if member_pass is None:
        return redirect("loyalty:join")
    reward = selectors.rewards_for(area).filter(pk=reward_pk).first()
    if reward is None:
        messages.error(request, _("This reward is not available (any more)."))
        return redirect("loyalty:rewards")
    form = RequestKeyForm(request.POST or None, initial={"request_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        try:
            voucher = choose_reward(
                pass_id=member_pass.pk,
                reward_id=reward.pk,
                by=request.user,
                request_key=form.cleaned_data["request_key"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("loyalty:rewards")
        messages.success(
            request,
            _("Done: your voucher %(code)s for %(title)s is in your wallet.")
            % {"code": group_voucher_code(voucher.code), "title": reward.shown_title},
        )
        return redirect("loyalty:wallet")
    context = {
        "area": area,
        "member_pass": member_pass,
        "reward": reward,
        "form": form,
        "value": format_euros(reward.value_cents),
        "where": reward.merchant.trade_name if reward.merchant_id else _("Every participating shop"),
        "balance_after": member_pass.points_balance - reward.cost_points,
    }
    return private(render(request, "loyalty/reward_confirm.html", context))


@login_required
@require_GET
def wallet(request):
    """The member's vouchers: usable ones with their QR code for the till, then recently used or ended ones."""
    area, member_pass = _member_pass(request)
    if member_pass is None:
        return redirect("loyalty:join")
    now = timezone.now()
    contents = selectors.voucher_wallet(member_pass, now=now)
    usable = [
        {
            "voucher": voucher,
            "code": group_voucher_code(voucher.code),
            "value": _value_text(voucher),
            "title": _title_text(voucher, _value_text(voucher)),
            "origin": _origin_text(voucher, area),
            "where": _where_text(voucher.merchants.all()),
            "from": _when(voucher.valid_from, area.tz, ending=False),
            "until": _until(voucher.expires_at, area.tz),
            "is_started": voucher.valid_from <= now,
            "can_give_back": voucher.kind == VoucherKind.REWARD and voucher.spend_entry_id is not None,
            "qr": voucher_qr_svg(voucher.code, label=_("QR code of voucher %(code)s") % {"code": voucher.code}),
            "give_back_key": uuid.uuid4(),
        }
        for voucher in contents.usable
    ]
    past = [
        {
            "voucher": voucher,
            "code": group_voucher_code(voucher.code),
            "value": _value_text(voucher),
            "title": _title_text(voucher, _value_text(voucher)),
            "is_used": voucher.redeemed_at is not None,
            "is_given_back": voucher.returned_at is not None,
        }
        for voucher in contents.past
    ]
    context = {"area": area, "member_pass": member_pass, "usable": usable, "past": past}
    return private(render(request, "loyalty/wallet.html", context))


@login_required
@require_POST
def voucher_give_back(request, voucher_pk: int):
    """Give an unused reward voucher back: the points return to the pass."""
    _area, member_pass = _member_pass(request)
    if member_pass is None:
        raise Http404
    form = RequestKeyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That did not work. Please try again."))
        return redirect("loyalty:wallet")
    try:
        voucher = cancel_reward_voucher(
            voucher_id=voucher_pk, by=request.user, request_key=form.cleaned_data["request_key"]
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Voucher %(code)s given back: %(points)s points are on your pass again.")
            % {"code": group_voucher_code(voucher.code), "points": -voucher.spend_entry.points},
        )
    return redirect("loyalty:wallet")


def _campaign_text(campaign) -> str:
    if campaign.kind == CampaignKind.MULTIPLIER:
        return _("%(times)s× points") % {"times": f"{campaign.multiplier_permille / 1000:g}"}
    return _("%(points)s extra points per purchase") % {"points": campaign.bonus_points}


def _until(ends_at, tz) -> tuple[str, str]:
    """When an offer or a voucher ends, as a member reads it, as (label, value): one ending at midnight has a last day
    ('Last day', '20 December 2026'); any other end shows its time ('Until', '21 December 2026, 18:00')."""
    local = timezone.localtime(ends_at, tz)
    if local.time() == dt_time.min:
        return _("Last day"), date_format(selectors.last_day(ends_at, tz), "j F Y")
    if local.time() >= dt_time(23, 59):  # 23:59 or 23:59:59: the end of that day
        return _("Last day"), date_format(local.date(), "j F Y")
    return _("Until"), _when(ends_at, tz, ending=True)


def _when(moment, tz, *, ending: bool) -> str:
    """A start as a member reads it: the date alone at the start of a day, else with its time."""
    local = timezone.localtime(moment, tz)
    if not ending and local.time() == dt_time.min:
        return date_format(local, "j F Y")
    return date_format(local, "j F Y, H:i")


@login_required
@require_GET
def offers(request):
    """Campaigns running now: those for everyone, and ones for a group of members the member belongs to."""
    area, member_pass = _member_pass(request)
    if member_pass is None:
        return redirect("loyalty:join")
    campaigns = selectors.offers_for(member_pass)
    sectors = dict(Sector.choices)
    items = []
    for campaign in campaigns:
        places = [merchant.trade_name for merchant in campaign.merchants.all()]
        places += [str(sectors.get(code, code)) for code in campaign.sectors or []]
        items.append(
            {
                "campaign": campaign,
                "what": _campaign_text(campaign),
                "where": ", ".join(places) if places else _("Every participating shop"),
                "min_amount": format_euros(campaign.min_amount_cents) if campaign.min_amount_cents else "",
                "is_for_you": bool(campaign.segment),
                "until": _until(campaign.ends_at, area.tz),
            }
        )
    context = {"area": area, "member_pass": member_pass, "items": items, "segments": dict(segment_choices())}
    return private(render(request, "loyalty/offers.html", context))
