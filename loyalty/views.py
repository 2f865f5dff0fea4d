"""Pages of the city pass: the member app under /<lang>/mijn/ and the merchant till under /<lang>/kassa/.

Each view parses its input, asks accounts.permissions, calls one service or selector, and renders. The rotating
code is computed in the member's browser (static/loyalty/pass.js) from a secret the page fetches once from
`pass_key`; the server never renders the secret into a page, so the page the service worker caches holds none.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import get_for_action_or_404, is_platform_admin, memberships_of, registered_actions, visible
from agora.exceptions import ApplicationError
from agora.money import format_euros, format_signed_euros
from areas.models import Merchant, ShoppingArea
from areas.selectors import local_postcode_digits
from privacy.selectors import consents_for, published_purposes

from . import icons, selectors, services, totp
from .codes import group_card_number, qr_svg
from .exceptions import JoinTextChanged
from .forms import HistoryForm, JoinForm, PinForm, ProfileForm, RefundForm, TillDayForm, TillForm, UndoForm

TILL_ACTION = selectors.TILL_ACTION
#: Raise to make every member's service worker drop its cache (e.g. after changing what it stores).
SERVICE_WORKER_REVISION = 1
#: The privacy purposes the join page shows: the contract, and the one the optional profile fields serve.
CONTRACT_PURPOSE = "operate_pass"
PROFILE_PURPOSE = services.passes.PROFILE_PURPOSE


# --- Navigation predicates (registered by LoyaltyConfig.ready) ----------------------------------------------


def pass_entry_is_visible(request) -> bool:
    """The "My pass" entry: for signed-in people on an area's site."""
    return request.user.is_authenticated and bool(getattr(request, "area", None))


def till_entry_is_visible(request) -> bool:
    """The "Till" entry: for holders of a role that operates a till (from the memberships already loaded)."""
    user = request.user
    if not user.is_authenticated:
        return False
    roles = registered_actions()[TILL_ACTION].roles
    return is_platform_admin(user) or any(m["role"] in roles for m in memberships_of(user))


def holds_role_for(request, action: str) -> bool:
    """Does the person hold a role that may do `action` somewhere (from the memberships already loaded, no query)?
    For the navigation's predicates."""
    user = request.user
    if not user.is_authenticated:
        return False
    roles = registered_actions()[action].roles
    return is_platform_admin(user) or any(m["role"] in roles for m in memberships_of(user))


def desk_entry_is_visible(request) -> bool:
    """The "Desk" entry (gift cards): for those who sell them at the collective's desk."""
    return holds_role_for(request, "loyalty.sell_gift_cards")


def settlement_entry_is_visible(request) -> bool:
    """The "Settlement" entry: merchant owners and area managers."""
    return holds_role_for(request, "loyalty.view_settlement")


# --- Member app --------------------------------------------------------------------------------------------


def private(response):
    """Personal pages and business figures: never in a shared cache."""
    response["Cache-Control"] = "private, no-cache"
    return response


def managed_area(request, action: str, slug: str) -> ShoppingArea:
    """The area `slug` if this person may do `action` there: 404 when they may not even view it (so the pages do not
    tell which areas exist), 403 when they may view it but not this."""
    return get_for_action_or_404(request.user, action, ShoppingArea.objects.all(), view_action="area.view", slug=slug)


def area_start(request, action: str, *, to: str, template: str):
    """A manager's section start: straight to `to` (a URL name taking the area's slug) for a person with one area
    where they may do `action`, else a choice of areas; 403 for nobody's."""
    areas = list(visible(request.user, action, ShoppingArea.objects.order_by("name"))[:200])
    if not areas:
        raise PermissionDenied
    if len(areas) == 1:
        return redirect(to, area=areas[0].slug)
    return render(request, template, {"areas": areas})


def _area_or_404(request) -> ShoppingArea:
    area = getattr(request, "area", None)
    if not area:
        raise Http404(_("This site has no shopping area."))
    return area


def _purpose_texts() -> dict:
    return {purpose.code: version for purpose, version in published_purposes()}


@require_http_methods(["GET", "POST"])
def join(request):
    """The area's pass: its terms, two optional profile fields with their purpose, the area's optional consents (as
    the sign-up form offers them, none ticked; those given here before shown as given), and one button.

    Visitors without an account are sent to sign up or log in, and come back here. If a text changed while the page
    was open, nothing is recorded and the page comes back with the new texts and no box ticked.
    """
    area = _area_or_404(request)
    texts = _purpose_texts()
    contract = texts.get(CONTRACT_PURPOSE)
    context = {"area": area, "contract": contract, "profile_purpose": texts.get(PROFILE_PURPOSE)}
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect(f"{reverse('account_login')}?next={reverse('loyalty:join')}")
        return render(request, "loyalty/join.html", {**context, "form": None})
    if selectors.pass_for_member(request.user, area) is not None:
        # Joining twice is a no-op: the member already has this area's pass.
        return redirect("loyalty:pass")
    choices = consents_for(request.user, area)
    terms_version = contract.version if contract else None
    example = local_postcode_digits(area)
    form = JoinForm(
        request.POST or None,
        initial={"first_name": request.user.first_name},
        consents=choices,
        terms_version=terms_version,
        postcode_example=example,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.join_pass(
                user=request.user,
                area=area,
                postcode=form.cleaned_data["postcode"],
                age_band=form.cleaned_data["age_band"],
                consents=form.ticked_consents(),
                terms_version=form.cleaned_data["terms_version"],
                language=get_language(),
                first_name=form.cleaned_data["first_name"],
            )
        except JoinTextChanged as error:
            messages.warning(request, error.message)
            profile = {name: form.cleaned_data[name] for name in ("first_name", "postcode", "age_band")}
            form = JoinForm(initial=profile, consents=choices, terms_version=terms_version, postcode_example=example)
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Welcome! This is your %(pass_name)s.") % {"pass_name": area.pass_name})
            return redirect("loyalty:pass")
    return render(request, "loyalty/join.html", {**context, "form": form})


def _member_pass(request):
    area = _area_or_404(request)
    return area, selectors.pass_for_member(request.user, area)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The member's two optional profile fields after joining: change them, or clear them by leaving them empty
    (the right to rectification). They are kept only with the consent of their purpose: without it, the page asks for
    it with them (a box, given with the fields), and withdrawing it on the privacy page removes them."""
    area, member_pass = _member_pass(request)
    if member_pass is None:
        return redirect("loyalty:join")
    choices = [choice for choice in consents_for(request.user, area) if choice.purpose.code == PROFILE_PURPOSE]
    initial = {
        "first_name": request.user.first_name,
        "postcode": member_pass.postcode,
        "age_band": member_pass.age_band,
    }
    form = ProfileForm(
        request.POST or None, initial=initial, consents=choices, postcode_example=local_postcode_digits(area)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_pass_profile(
                pass_id=member_pass.pk,
                by=request.user,
                postcode=form.cleaned_data["postcode"],
                age_band=form.cleaned_data["age_band"],
                consents=form.ticked_consents(),
                language=get_language(),
                first_name=form.cleaned_data["first_name"],
            )
        except JoinTextChanged:
            messages.warning(request, _("This text has just changed. Please read it again before you decide."))
            return redirect("loyalty:profile")
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            had_profile = member_pass.postcode or member_pass.age_band
            if form.cleaned_data["postcode"] or form.cleaned_data["age_band"] or not had_profile:
                messages.success(request, _("Your details are saved."))
            else:
                messages.success(request, _("Your postcode and age group are removed from your pass."))
            return redirect("loyalty:profile")
    context = {
        "area": area,
        "form": form,
        "profile_purpose": _purpose_texts().get(PROFILE_PURPOSE),
        "purpose_consented": any(choice.is_given for choice in choices),
    }
    return render(request, "loyalty/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def lost_pass(request):
    """Lost your phone or your printed card? GET: what a new card number does; POST: make it
    (`services.replace_pass_codes`), then the pass with its new number."""
    area, member_pass = _member_pass(request)
    if member_pass is None:
        return redirect("loyalty:join")
    if request.method == "POST":
        try:
            member_pass = services.replace_pass_codes(pass_id=member_pass.pk, by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            text = _(
                "Your pass has a new card number: %(card)s. The old card and the app on a lost phone no longer work."
            )
            messages.success(request, text % {"card": group_card_number(member_pass.card_number)})
            return redirect("loyalty:pass")
    context = {
        "area": area,
        "member_pass": member_pass,
        "card_number_grouped": group_card_number(member_pass.card_number),
    }
    return private(render(request, "loyalty/lost.html", context))


@login_required
@require_GET
def pass_screen(request):
    """The pass: name, balance, and the rotating QR the browser draws (it also works offline, from the cache)."""
    area, member_pass = _member_pass(request)
    if member_pass is None:
        return redirect("loyalty:join")
    overview = selectors.pass_overview(member_pass)
    holds = selectors.gift_card_holds(member_pass)  # value an unpaid webshop order took: reserved, not spent
    gift_cards = [
        {
            **card,
            "balance": format_euros(card["balance_cents"]),
            "held": [{"order": ref, "amount": format_euros(cents)} for ref, cents in holds.get(card["id"], [])],
        }
        for card in selectors.gift_cards_for_pass(member_pass)
    ]
    response = render(
        request,
        "loyalty/pass.html",
        {
            "area": area,
            "member_pass": member_pass,
            "overview": overview,
            "gift_cards": gift_cards,
            # What the gift-card section says under its list: to pay with it, or why one cannot.
            "gift_cards_usable": any(card["is_usable"] for card in gift_cards),
            "gift_cards_used_up": all(card["is_used_up"] and not card["held"] for card in gift_cards),
            "gift_cards_held": any(card["held"] for card in gift_cards),
            "card_number_grouped": group_card_number(member_pass.card_number),
            "rendered_at": timezone.now(),
            "period": totp.STEP_SECONDS,
            "digits": totp.DIGITS,
        },
    )
    # Personal: never in a shared cache. The service worker keeps its own copy for offline use.
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_GET
def history(request):
    """Balance, points expiring soon, and every entry (earned, spent, expired, reversed) with its merchant: a page at a
    time, newest first, for all shops or one."""
    area, member_pass = _member_pass(request)
    if member_pass is None:
        return redirect("loyalty:join")
    overview = selectors.pass_overview(member_pass)
    form = HistoryForm(request.GET, merchants=selectors.history_merchants(member_pass))
    # A shop no longer in the list or a mangled page shows the first page of everything, with the form saying why.
    choice = form.cleaned_data if form.is_valid() else {"shop": None, "before": None}
    page = selectors.pass_history(member_pass, before=choice["before"], merchant_id=choice["shop"])
    entries = [
        {
            **entry,
            "amount": format_euros(entry["amount_cents"]) if entry["amount_cents"] else "",
            "made_of": _made_of_texts(entry["made_of"]),
        }
        for entry in page.entries
    ]
    older = None
    if page.older:
        older = "?" + urlencode({**({"shop": choice["shop"]} if choice["shop"] else {}), "before": page.older})
    response = render(
        request,
        "loyalty/history.html",
        {
            "area": area,
            "member_pass": member_pass,
            "overview": overview,
            "form": form,
            "history": entries,
            "shop": choice["shop"],
            "is_first_page": choice["before"] is None,
            "older_url": older,
            "newest_url": "?" + urlencode({"shop": choice["shop"]}) if choice["shop"] else "?",
        },
    )
    response["Cache-Control"] = "private, no-cache"
    return response


def _made_of_texts(made_of: dict | None) -> list[str]:
    """What made up a purchase's points, as the history line says it (`selectors.pass_history`'s `made_of`)."""
    if not made_of:
        return []
    texts = []
    if made_of["campaign_points"]:
        texts.append(
            ngettext(
                "%(points)s point from the campaign “%(campaign)s”",
                "%(points)s points from the campaign “%(campaign)s”",
                made_of["campaign_points"],
            )
            % {"points": made_of["campaign_points"], "campaign": made_of["campaign"]}
        )
    if made_of["bonus_points"]:
        texts.append(
            ngettext(
                "%(points)s bonus point for your first visit to this shop",
                "%(points)s bonus points for your first visit to this shop",
                made_of["bonus_points"],
            )
            % {"points": made_of["bonus_points"]}
        )
    if made_of["voucher_cents"]:
        texts.append(_("%(amount)s paid with a voucher") % {"amount": format_euros(made_of["voucher_cents"])})
    if made_of["reward_cents"]:
        texts.append(
            _("%(amount)s paid with the reward “%(reward)s”")
            % {"amount": format_euros(made_of["reward_cents"]), "reward": made_of["reward"]}
        )
    if made_of["giftcard_cents"]:
        texts.append(_("%(amount)s paid with a gift card") % {"amount": format_euros(made_of["giftcard_cents"])})
    return texts


@login_required
@require_GET
def gift_card_history(request):
    """The gift cards on the member's pass: what is left, until when, and every load and spend with its shop."""
    area, member_pass = _member_pass(request)
    if member_pass is None:
        return redirect("loyalty:join")
    cards = [
        {
            **card,
            "balance": format_euros(card["balance_cents"]),
            "entries": [{**entry, "amount": format_signed_euros(entry["amount_cents"])} for entry in card["entries"]],
        }
        for card in selectors.pass_gift_cards_history(member_pass)
    ]
    response = render(request, "loyalty/gift_cards.html", {"area": area, "member_pass": member_pass, "cards": cards})
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def card(request):
    """The printable card (its number as a barcode, for a phone-less day) and its PIN, which spending needs."""
    area, member_pass = _member_pass(request)
    if member_pass is None:
        return redirect("loyalty:join")
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_pin(pass_id=member_pass.pk, pin=form.cleaned_data["pin"], by=request.user)
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Your PIN is set. With it, the printed card can also spend points."))
            return redirect("loyalty:card")
    response = render(
        request,
        "loyalty/card.html",
        {
            "area": area,
            "member_pass": member_pass,
            "card_number_grouped": group_card_number(member_pass.card_number),
            "barcode_svg": qr_svg(member_pass.card_number),
            "form": form,
        },
    )
    response["Cache-Control"] = "private, no-cache"
    return response


@never_cache
@require_POST
def pass_key(request):
    """The pass's TOTP secret for the member's installed app, which asks once and keeps it on the device.

    POST with the CSRF token, JSON out, never cached: the secret must not sit in an HTTP cache or a cached page.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("Log in to load your pass.")}, status=403)
    _area, member_pass = _member_pass(request)
    if member_pass is None:
        return JsonResponse({"detail": _("You have no pass here yet.")}, status=404)
    return JsonResponse(
        {
            "card_number": member_pass.card_number,
            "secret": member_pass.totp_secret,
            "algorithm": f"SHA-{totp.ALGORITHM.removeprefix('SHA')}",
            "digits": totp.DIGITS,
            "period": totp.STEP_SECONDS,
        }
    )


@require_GET
def service_worker(request):
    """The member app's service worker. Served from /<lang>/mijn/ so that its scope is the member app."""
    scope = reverse("loyalty:pass")
    assets = [
        static("agora/agora.css"),
        static("loyalty/loyalty.css"),
        static("loyalty/pass.js"),
        static("vendor/qrcode-generator/qrcode.js"),
        reverse("loyalty:manifest"),
        reverse("loyalty:icon"),
    ]
    pages = [scope, reverse("loyalty:history"), reverse("loyalty:wallet"), reverse("loyalty:gift_card_history")]
    offline = render_to_string("loyalty/offline.html", {"scope": scope})
    # A new asset URL (hashed names in production) gives a new cache and drops the old one.
    version = hashlib.sha256(json.dumps([assets, pages, SERVICE_WORKER_REVISION]).encode()).hexdigest()[:12]
    context = {
        "scope": scope,
        "scope_json": json.dumps(scope),
        "pages_json": json.dumps(pages),
        "assets_json": json.dumps(assets),
        "offline_html_json": json.dumps(offline),
        "timeout_ms": 3000,
        "version": version,
    }
    response = HttpResponse(render_to_string("loyalty/sw.js", context), content_type="text/javascript; charset=utf-8")
    # Browsers re-check a worker at least daily; no-cache makes a new release reach members at once.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    """The web app manifest: the area's pass, installable, opening on the pass screen."""
    area = _area_or_404(request)
    scope = reverse("loyalty:pass")
    icon_url = reverse("loyalty:icon")
    data = {
        "id": scope,
        "name": area.pass_name,
        "short_name": area.pass_name[:12],
        "description": _("Your %(pass_name)s: show it at the till to collect points.") % {"pass_name": area.pass_name},
        "lang": request.LANGUAGE_CODE,
        "start_url": scope,
        "scope": scope,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": area.primary_colour,
        "icons": [
            {"src": icon_url, "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
            {"src": f"{icon_url}?maskable=1", "sizes": "any", "type": "image/svg+xml", "purpose": "maskable"},
            *(
                {"src": reverse("loyalty:icon_png", args=[size]), "sizes": f"{size}x{size}", "type": "image/png"}
                for size in (192, 512)
            ),
            {
                "src": reverse("loyalty:icon_png", args=[512]) + "?maskable=1",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def icon(request):
    """The app icon: the area's initial on its colour (SVG, so one file serves every size)."""
    area = _area_or_404(request)
    body = render_to_string(
        "loyalty/icon.svg", {"area": area, "initial": area.name[:1].upper(), "maskable": "maskable" in request.GET}
    )
    response = HttpResponse(body, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def icon_png(request, size: int):
    """The app icon as a PNG (`loyalty.icons`): for an iPhone's home screen, which takes no SVG, and the manifest's
    sized icons. `?maskable=1`: the full square, for platforms that cut their own shape."""
    area = _area_or_404(request)
    if size not in icons.SIZES:
        raise Http404
    body = icons.icon_png(
        initial=area.name[:1].upper(),
        colour=area.primary_colour,
        accent=area.accent_colour,
        size=size,
        maskable="maskable" in request.GET,
    )
    response = HttpResponse(body, content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- Till -------------------------------------------------------------------------------------------------


def _till_merchants(user):
    return visible(user, TILL_ACTION, Merchant.objects.select_related("area")).order_by("area__name", "trade_name")


def _till_merchant(request, merchant_pk: int) -> Merchant:
    return selectors.till_merchant(request.user, merchant_pk)


@login_required
@require_GET
def till_start(request):
    """The merchants this person operates a till for: straight to the till when there is one, else a choice."""
    merchants = list(_till_merchants(request.user)[:200])
    if not merchants:
        raise PermissionDenied
    if len(merchants) == 1:
        return redirect("loyalty:till", merchant_pk=merchants[0].pk)
    return render(request, "loyalty/till_start.html", {"merchants": merchants})


@login_required
@require_http_methods(["GET", "POST"])
def till(request, merchant_pk: int):
    """One screen: code + amount (+ receipt) → award; the result with its Undo; today's figures and the last ones."""
    merchant = _till_merchant(request, merchant_pk)
    rewards = selectors.till_reward_choices(merchant)
    form = TillForm(request.POST or None, rewards=rewards)
    result, amount_cents = None, None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.award_for_purchase(
                merchant=merchant,
                code=data["code"],
                amount_cents=data["amount"],
                receipt_number=data["receipt_number"],
                request_key=data["request_key"],
                by=request.user,
                device_id=data["device_id"],
                voucher_code=data["voucher_code"],
                reward_id=data["reward"],
                giftcard_cents=data["giftcard"] or 0,
                pin=data["pin"],
                giftcard_number=data["giftcard_number"],
                giftcard_pin=data["giftcard_pin"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            amount_cents = data["amount"]
            form = TillForm(rewards=rewards)  # a fresh form, with a new request key, for the next customer
    return _render_till(request, merchant, form, result=result, amount_cents=amount_cents)


def _warn_unrecovered(request, result) -> None:
    """After an undo or a refund: the points the member had spent already, which the reversal could not take back."""
    if result.points_unrecovered:
        messages.warning(
            request,
            _("%(points)s points could not be taken back: the member had already spent them.")
            % {"points": result.points_unrecovered},
        )


@login_required
@require_POST
def till_refund(request, merchant_pk: int):
    """A refund at the till (the customer brings something back, with or without the receipt): the purchase's points
    come back pro rata to the amount refunded, never more than it earned. Back to the day of the purchase."""
    merchant = _till_merchant(request, merchant_pk)
    form = RefundForm(request.POST)
    is_valid = form.is_valid()
    data = form.cleaned_data
    back = reverse("loyalty:till_day", args=[merchant.pk])
    if data.get("day"):
        back += "?" + urlencode({"day": data["day"].isoformat()})
    if not is_valid:
        problem = form.errors.get("amount") or [_("That could not be refunded. Please try again.")]
        messages.error(request, problem[0])
        return redirect(back)
    try:
        result = services.refund_purchase(
            merchant=merchant,
            transaction_id=data["transaction_id"],
            refund_cents=data["amount"],
            request_key=data["request_key"],
            by=request.user,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Refund of %(amount)s: %(points)s points taken back. New balance: %(balance)s points.")
            % {"amount": format_euros(data["amount"]), "points": abs(result.points_awarded), "balance": result.balance},
        )
        _warn_unrecovered(request, result)
    return redirect(back)


@login_required
@require_POST
def till_undo(request, merchant_pk: int):
    """Undo a till transaction within the window: the service writes a reversal entry."""
    merchant = _till_merchant(request, merchant_pk)
    form = UndoForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That could not be undone. Please try again."))
        return redirect("loyalty:till", merchant_pk=merchant.pk)
    try:
        result = services.undo_till_transaction(
            merchant=merchant,
            transaction_id=form.cleaned_data["transaction_id"],
            request_key=form.cleaned_data["request_key"],
            by=request.user,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Undone: %(points)s points taken back. New balance: %(balance)s points.")
            % {"points": abs(result.points_awarded), "balance": result.balance},
        )
        _warn_unrecovered(request, result)
    return redirect("loyalty:till", merchant_pk=merchant.pk)


def _result_parts(result) -> list[tuple[str, str]]:
    """What the purchase was paid with, besides money: (label, euros) lines for the till's result. A reward the member
    chose in the app is a voucher whose points went then: named as the reward, so nobody asks for points now."""
    voucher = _("Voucher")
    if result.reward_chosen_in_app:
        voucher = _("Reward: %(reward)s, chosen in the app") % {"reward": result.reward_title}
    parts = [
        (voucher, result.voucher_cents),
        (_("Reward"), result.reward_cents),
        (_("Gift card"), result.giftcard_cents),
    ]
    return [(label, format_euros(abs(cents))) for label, cents in parts if cents]


def _summary_context(merchant: Merchant, day) -> dict:
    """A day's figures at the till, for `loyalty/_till_summary.html`."""
    summary = selectors.till_summary(merchant, day)
    return {
        "summary": summary,
        "summary_amount": format_euros(summary["amount_cents"]),
        "summary_parts": [
            (label, format_euros(summary[key]))
            for label, key in (
                (_("Vouchers"), "voucher_cents"),
                (_("Rewards"), "reward_cents"),
                (_("Gift cards"), "giftcard_cents"),
            )
            if summary[key]
        ],
    }


@login_required
@require_GET
def till_day(request, merchant_pk: int):
    """A day at the till, today unless asked otherwise (`?day=`): its figures and every transaction, for the cash-up
    at closing time or a question the next morning. Staff see their own shop's days only."""
    merchant = _till_merchant(request, merchant_pk)
    today = timezone.localdate(timezone=merchant.area.tz)
    form = TillDayForm(request.GET if "day" in request.GET else None, initial={"day": today}, today=today)
    day = form.cleaned_data["day"] if form.is_valid() else today
    rows = [
        {
            "transaction": item,
            "amount": format_euros(item.amount_cents),
            # What the refund form offers: what is left of the purchase, as a cashier types it.
            "refundable": formats.number_format(Decimal(item.refundable_cents) / 100, 2, use_l10n=True),
            "refund_key": uuid.uuid4(),
        }
        for item in selectors.recent_till_transactions(merchant, limit=None, day=day)
    ]
    context = {
        "merchant": merchant,
        "form": form,
        "day": day,
        "today": today,
        "is_today": day == today,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1) if day < today else None,
        "rows": rows,
        "gift_card_payments": [
            {**payment, "amount": format_euros(payment["cents"])}
            for payment in selectors.gift_card_payments_by_number(merchant, day)
        ],
        **_summary_context(merchant, day),
    }
    response = render(request, "loyalty/till_day.html", context, status=400 if form.errors else 200)
    response["Cache-Control"] = "private, no-cache"
    return response


def _render_till(request, merchant: Merchant, form: TillForm, *, result=None, amount_cents=None):
    today = timezone.localdate(timezone=merchant.area.tz)
    recent = [
        {
            "transaction": item,
            "amount": format_euros(item.amount_cents),
            "undo_key": uuid.uuid4(),
            # Today's show their time; a quiet shop's list reaches back days, and those show their date too.
            "show_day": timezone.localdate(item.occurred_at, timezone=merchant.area.tz) != today,
        }
        for item in selectors.recent_till_transactions(merchant, limit=10)
    ]
    # The cursor goes where the cashier must act: the first field with an error in the page's order, else the code
    # (for the scanner). The folded-away fields are drawn by their widgets, which are told here.
    fields = ("code", "amount", "receipt_number", *TillForm.OTHERWISE)
    focus = next((name for name in fields if form.errors.get(name)), "code")
    if focus in TillForm.OTHERWISE:
        form.fields[focus].widget.attrs["autofocus"] = True
    return render(
        request,
        "loyalty/till.html",
        {
            "merchant": merchant,
            "form": form,
            "focus": focus,
            "result": result,
            # A replay shows the first request's amount: the stored answer, not what was typed this time.
            "result_amount": format_euros(result.amount_cents or amount_cents or 0) if result else "",
            "result_undo_key": uuid.uuid4(),
            "result_parts": _result_parts(result) if result else [],
            "result_to_pay": format_euros(result.to_pay_cents) if result else "",
            **_summary_context(merchant, today),
            "recent": recent,
            "today": today,
        },
    )
