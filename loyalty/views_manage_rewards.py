"""The rewards catalogue's pages under /<lang>/beloningen/: the area's manager keeps it here, not in the admin.

- start: straight to the area's catalogue for a manager of one area, else a choice of areas;
- the area's catalogue: available now, upcoming, and switched off, sold out or ended, each with its cost, what it
  is worth at the till, who funds it, the stock left, how many members chose it and used it, its period;
- a new reward and changing one (`services.save_reward`);
- switching one off or on again, after a confirmation (`services.switch_reward`).

Who: `loyalty.manage_rewards` on the area. People who may not even view the area get a 404 (merchants' owners
and staff, another area's manager), so the pages do not tell which areas and rewards exist; those who may view it
but not keep its catalogue get a 403. Views parse, check, call one service, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import get_for_action_or_404
from agora.exceptions import ApplicationError
from agora.money import format_euros
from areas.models import ShoppingArea

from . import services
from .forms_manage_rewards import RewardForm
from .models import Reward
from .selectors import available_rewards_filter
from .services.rewards import MANAGE_ACTION
from .views import area_start, holds_role_for, managed_area, private
from .views_campaigns import _starts
from .views_rewards import _until

#: Switched-off, sold-out and ended rewards shown on the list, the most recently added first.
OFF_SHOWN = 30


def rewards_entry_is_visible(request) -> bool:
    """The "Rewards" entry: for holders of a role that keeps an area's catalogue (from the memberships already
    loaded, no query)."""
    return holds_role_for(request, MANAGE_ACTION)


def _area(request, slug: str) -> ShoppingArea:
    return managed_area(request, MANAGE_ACTION, slug)


def _reward(request, reward_pk: int) -> Reward:
    # A reward is scoped by its area: those who may not view the area do not learn that it exists.
    return get_for_action_or_404(
        request.user,
        MANAGE_ACTION,
        Reward.objects.select_related("area", "merchant"),
        view_action="area.view",
        pk=reward_pk,
    )


def _to_list(reward: Reward):
    return redirect("loyalty:manage_rewards", area=reward.area.slug)


# --- How a reward reads -----------------------------------------------------------------------------------------


def _state(reward: Reward, now) -> str:
    if not reward.is_active:
        return "off"
    if reward.valid_until is not None and reward.valid_until <= now:
        return "ended"
    if reward.stock is not None and reward.stock <= 0:
        return "sold_out"
    if reward.valid_from is not None and reward.valid_from > now:
        return "upcoming"
    return "available"


def funder_text(reward: Reward) -> str:
    return reward.merchant.trade_name if reward.merchant_id else _("The collective")


def _item(reward: Reward, *, tz, now) -> dict:
    return {
        "reward": reward,
        "state": _state(reward, now),
        "cost": ngettext("%(points)s point", "%(points)s points", reward.cost_points) % {"points": reward.cost_points},
        "value": format_euros(reward.value_cents),
        "funder": funder_text(reward),
        "is_merchant": bool(reward.merchant_id),
        "stock": _("No limit") if reward.stock is None else str(reward.stock),
        "chosen": reward.chosen,
        "used": reward.used,
        "given_back": reward.given_back,
        "starts": _starts(reward.valid_from, tz) if reward.valid_from else None,
        "until": _until(reward.valid_until, tz) if reward.valid_until else None,
    }


# --- Pages ------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def start(request):
    """A manager of one area goes straight to its catalogue; a person with several areas chooses one."""
    return area_start(request, MANAGE_ACTION, to="loyalty:manage_rewards", template="loyalty/manage_rewards/start.html")


@login_required
@require_GET
def reward_list(request, area: str):
    """The area's catalogue in three groups: what members can choose now (as they see it, cheapest first), what
    becomes available later (soonest first), and the rest (the most recently added first). A query each."""
    area_ = _area(request, area)
    now = timezone.now()
    tz = area_.tz
    rewards = (
        Reward.objects.filter(area=area_)
        .select_related("merchant")
        .annotate(
            # Chosen and kept (not given back for the points); used at a till or in the webshop.
            chosen=Count("vouchers", filter=Q(vouchers__returned_at__isnull=True)),
            used=Count("vouchers", filter=Q(vouchers__redeemed_at__isnull=False)),
            given_back=Count("vouchers", filter=Q(vouchers__returned_at__isnull=False)),
        )
    )
    available = available_rewards_filter(now)
    upcoming = Q(is_active=True, valid_from__gt=now) & (Q(stock__isnull=True) | Q(stock__gt=0))
    off = Q(is_active=False) | Q(valid_until__lte=now) | Q(stock__lte=0)
    off_rows = rewards.filter(off).order_by("-pk")[: OFF_SHOWN + 1]

    def items(rows):
        return [_item(reward, tz=tz, now=now) for reward in rows]

    off_items = items(off_rows)
    context = {
        "reward_area": area_,
        "available": items(rewards.filter(available).order_by("cost_points", "title", "pk")),
        "upcoming": items(rewards.filter(upcoming).order_by("valid_from", "pk")),
        "off": off_items[:OFF_SHOWN],
        "more_off": len(off_items) > OFF_SHOWN,
    }
    return private(render(request, "loyalty/manage_rewards/list.html", context))


def _form_page(request, *, area, form, reward=None, status=200):
    context = {"reward_area": area, "reward": reward, "form": form}
    return private(render(request, "loyalty/manage_rewards/form.html", context, status=status))


@login_required
@require_http_methods(["GET", "POST"])
def reward_create(request, area: str):
    """A new reward: the form, then (valid) back to the catalogue with the reward in it."""
    area_ = _area(request, area)
    form = RewardForm(request.POST or None, area=area_)
    if request.method == "POST" and form.is_valid():
        try:
            reward = services.save_reward(area=area_, by=request.user, **form.service_fields())
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Reward “%(title)s” is saved.") % {"title": reward.title})
            return _to_list(reward)
    return _form_page(request, area=area_, form=form, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def reward_edit(request, reward_pk: int):
    """Change a reward. Vouchers members already chose keep their value and expiry."""
    reward = _reward(request, reward_pk)
    form = RewardForm(request.POST or None, area=reward.area, reward=reward)
    if request.method == "POST" and form.is_valid():
        try:
            reward = services.save_reward(area=reward.area, by=request.user, reward=reward, **form.service_fields())
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Reward “%(title)s” is saved.") % {"title": reward.title})
            return _to_list(reward)
    return _form_page(request, area=reward.area, form=form, reward=reward, status=400 if form.errors else 200)


def _switch(request, reward_pk: int, *, active: bool):
    """GET: what switching off (or on) means, and a button; POST: switch (`services.switch_reward`), back to the
    catalogue."""
    reward = _reward(request, reward_pk)
    if request.method == "POST":
        try:
            reward = services.switch_reward(reward=reward, by=request.user, active=active)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            if active:
                text = _("Reward “%(title)s” is switched on again.")
            else:
                text = _("Reward “%(title)s” is switched off. Members no longer see it in the catalogue.")
            messages.success(request, text % {"title": reward.title})
        return _to_list(reward)
    now = timezone.now()
    context = {
        "reward_area": reward.area,
        "reward": reward,
        "active": active,
        "has_ended": reward.valid_until is not None and reward.valid_until <= now,
        "is_sold_out": reward.stock is not None and reward.stock <= 0,
        "issued": reward.vouchers.filter(redeemed_at__isnull=True, expires_at__gt=now).count(),
    }
    return private(render(request, "loyalty/manage_rewards/switch.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def reward_switch_off(request, reward_pk: int):
    return _switch(request, reward_pk, active=False)


@login_required
@require_http_methods(["GET", "POST"])
def reward_switch_on(request, reward_pk: int):
    return _switch(request, reward_pk, active=True)
