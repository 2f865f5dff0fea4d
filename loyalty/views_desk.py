"""Gift cards ("cadeaukaart"): the collective's desk under /<lang>/balie/ and the till's gift-card screen.

- Desk (area managers, `loyalty.sell_gift_cards`): choose the area, sell a card, print it (number, value,
  valid-until date and a QR code of the number drawn here as inline SVG: no script, no third party), look a
  card up, and from there block it (lost, stolen), unblock it or clear its PIN lock. Anyone without the action
  gets a 404, so the pages do not tell which areas exist.
- Till (`merchant.operate_till`): number + PIN + amount → one payment, with an Undo while the window is open.

Each view parses its input, checks permission, calls one service or selector, and renders.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import get_for_action_or_404, visible
from agora.exceptions import ApplicationError
from agora.money import format_euros, format_signed_euros
from areas.models import ShoppingArea
from privacy.models import AuditAction
from privacy.services import log_access

from . import codes, selectors, services
from .exceptions import PassNotFound
from .forms_giftcards import (
    BlockGiftCardForm,
    ClearPinLockForm,
    GiftCardBalanceForm,
    GiftCardLookupForm,
    GiftCardSpendForm,
    GiftCardUndoForm,
    SellGiftCardForm,
)
from .models import GiftCard, GiftCardEntryKind, GiftCardStatus, LoyaltySettings
from .services.guards import MAX_PIN_ATTEMPTS
from .views import _area_or_404, _till_merchant

SELL_ACTION = "loyalty.sell_gift_cards"


def qr_svg(text: str) -> str:
    """The QR code of a card number as inline SVG, safe to put in a page (only digits go in)."""
    return mark_safe(codes.qr_svg(text))


# --- Desk ---------------------------------------------------------------------------------------------------


def _desk_area(request, area_pk: int) -> ShoppingArea:
    # 404, not 403, for anyone who may not sell in this area: the desk is not a public page.
    return get_for_action_or_404(
        request.user, SELL_ACTION, ShoppingArea.objects.all(), view_action=SELL_ACTION, pk=area_pk
    )


@login_required
@require_GET
def desk_start(request):
    """The areas whose desk this person staffs: straight to selling when there is one, else a choice."""
    areas = list(visible(request.user, SELL_ACTION, ShoppingArea.objects.order_by("name"))[:200])
    if not areas:
        raise Http404(_("There is no desk for you here."))
    if len(areas) == 1:
        return redirect("loyalty:desk_sell", area_pk=areas[0].pk)
    return render(request, "loyalty/desk/start.html", {"areas": areas})


@login_required
@require_http_methods(["GET", "POST"])
def desk_sell(request, area_pk: int):
    """Sell a gift card: value, and a member's pass or a PIN. Then the card to print (POST, redirect, GET)."""
    area = _desk_area(request, area_pk)
    rules = LoyaltySettings.for_area(area)
    form = SellGiftCardForm(
        request.POST or None,
        minimum_cents=services.giftcards.MIN_LOAD_CENTS,
        maximum_cents=rules.giftcard_max_load_cents,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member_pass = None
        if data["pass_number"]:
            member_pass = selectors.pass_by_number(area, data["pass_number"])
            if member_pass is None:
                form.add_service_error(PassNotFound())
        if not form.errors:
            try:
                card = services.sell_gift_card(
                    area=area,
                    amount_cents=data["amount"],
                    by=request.user,
                    request_key=data["request_key"],
                    member_pass=member_pass,
                    pin=data["pin"],
                )
            except ApplicationError as error:
                form.add_service_error(error)
            else:
                return redirect("loyalty:desk_gift_card", area_pk=area.pk, card_pk=card.pk)
    # The cursor goes to the first field with an error in the page's order, else to the value (as at the till).
    focus = next((name for name in ("amount", "pass_number", "pin", "pin_again") if form.errors.get(name)), "amount")
    if focus != "amount":  # drawn by its widget (the value is written out in the template)
        form.fields[focus].widget.attrs["autofocus"] = True
    return render(
        request,
        "loyalty/desk/sell.html",
        {
            "area": area,
            "form": form,
            "focus": focus,
            "min_amount": format_euros(services.giftcards.MIN_LOAD_CENTS),
            "max_amount": format_euros(rules.giftcard_max_load_cents),
            "validity_months": rules.giftcard_validity_months,
        },
    )


@login_required
@require_GET
def desk_gift_card(request, area_pk: int, card_pk: int):
    """A card just sold (or found: `?again=1` from the lookup, headed as a reprint): the printable card with its
    number, value, valid-until date and QR code."""
    area = _desk_area(request, area_pk)
    card = get_object_or_404(GiftCard.objects.select_related("member_pass"), area=area, pk=card_pk)
    if card.status == GiftCardStatus.BLOCKED:
        # A lost or stolen card is not printed again: whoever holds the first one could still pay with a copy.
        messages.error(request, _("Gift card %(card)s is blocked: it is not printed again.") % {"card": card})
        return _back_to_lookup(area, card)
    loaded = card.entries.filter(kind=GiftCardEntryKind.LOAD).values_list("amount_cents", flat=True).first() or 0
    return render(
        request,
        "loyalty/desk/card.html",
        {
            "area": area,
            "card": card,
            "value": format_euros(loaded),
            "balance": format_euros(card.balance_cents),
            "qr_svg": qr_svg(card.number),
            "is_reprint": bool(request.GET.get("again")),
            # Where its holder sees what is left (the desk runs on the area's own site)
            "balance_url": request.build_absolute_uri(reverse("loyalty:gift_card_balance")),
        },
    )


@login_required
@require_GET
def desk_lookup(request, area_pk: int):
    """A card by its number: balance, valid until, status, every entry and every block, unblock and PIN-lock
    clearing; with the buttons to block, unblock or clear the PIN lock."""
    area = _desk_area(request, area_pk)
    form = GiftCardLookupForm(request.GET if "number" in request.GET else None)
    return _lookup_page(request, area, form)


def _lookup_page(request, area, form, *, block_form=None, pin_form=None, status: int = 200):
    statement, not_found = None, False
    if form.is_bound and form.is_valid():
        statement = selectors.gift_card_statement(area, form.cleaned_data["number"])
        not_found = statement is None
        if statement and statement["card"].member_pass_id:
            card = statement["card"]
            # A card on a pass tells staff about a member: noted as any look at a member's records.
            log_access(
                actor=request.user,
                action=AuditAction.VIEW,
                subject=card.member_pass.member,
                obj=card,
                fields=["balance_cents", "member_pass"],
                via="desk",
            )
    rows = []
    if statement:
        rows = [{"entry": entry, "amount": format_signed_euros(entry.amount_cents)} for entry in statement["entries"]]
    card = statement["card"] if statement else None
    return render(
        request,
        "loyalty/desk/lookup.html",
        {
            "area": area,
            "form": form,
            "statement": statement,
            "rows": rows,
            "not_found": not_found,
            "balance": format_euros(card.balance_cents) if card else "",
            "is_blocked": card is not None and card.status == GiftCardStatus.BLOCKED,
            "is_expired": card is not None and card.expires_at <= timezone.now(),
            "has_action_errors": status != 200,
            "is_pin_locked": card is not None and card.failed_pin_attempts >= MAX_PIN_ATTEMPTS,
            "is_lookup_paused": card is not None and services.giftcards.balance_lookup_paused(card),
            "block_form": block_form or BlockGiftCardForm(),
            "pin_form": pin_form or ClearPinLockForm(),
        },
        status=status,
    )


def _desk_card_or_404(area, card_pk: int) -> GiftCard:
    return get_object_or_404(GiftCard, area=area, pk=card_pk)


def _back_to_lookup(area, card: GiftCard):
    return redirect(f"{reverse('loyalty:desk_lookup', args=[area.pk])}?{urlencode({'number': str(card)})}")


def _lookup_with_errors(request, area, card: GiftCard, **forms):
    # (the forms put the cursor in their first field in error themselves: FocusFirstErrorMixin)
    lookup = GiftCardLookupForm({"number": card.number})
    return _lookup_page(request, area, lookup, status=400, **forms)


def _card_action(request, area, card: GiftCard, change_card, *, done: str, unchanged: str):
    """One of the desk's actions on a card: `change_card()` calls its service (the change it noted, or None when the
    card was that way already); the desk is told which, or why not, and goes back to the card's lookup."""
    try:
        change = change_card()
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if change is None:
            messages.info(request, unchanged)
        else:
            messages.success(request, done)
    return _back_to_lookup(area, card)


@login_required
@require_POST
def desk_block_gift_card(request, area_pk: int, card_pk: int):
    """Block a card (lost, stolen, …): tills refuse it, its balance stays. Then back to the card's lookup."""
    area = _desk_area(request, area_pk)
    card = _desk_card_or_404(area, card_pk)
    form = BlockGiftCardForm(request.POST)
    if not form.is_valid():
        return _lookup_with_errors(request, area, card, block_form=form)
    done = _(
        "Gift card %(card)s is blocked: no shop takes it until it is unblocked. Its balance of %(balance)s stays on it."
    ) % {"card": card, "balance": format_euros(card.balance_cents)}
    return _card_action(
        request,
        area,
        card,
        lambda: services.giftcards.block_gift_card(
            area=area, card_id=card.pk, reason=form.block_reason, by=request.user
        ),
        done=done,
        unchanged=_("Gift card %(card)s was blocked already: nothing changed.") % {"card": card},
    )


@login_required
@require_POST
def desk_unblock_gift_card(request, area_pk: int, card_pk: int):
    """Let a blocked card pay again (not an expired one). Then back to the card's lookup."""
    area = _desk_area(request, area_pk)
    card = _desk_card_or_404(area, card_pk)
    return _card_action(
        request,
        area,
        card,
        lambda: services.giftcards.unblock_gift_card(area=area, card_id=card.pk, by=request.user),
        done=_("Gift card %(card)s is unblocked: it can pay again.") % {"card": card},
        unchanged=_("Gift card %(card)s was not blocked: nothing changed.") % {"card": card},
    )


@login_required
@require_POST
def desk_clear_gift_card_pin_lock(request, area_pk: int, card_pk: int):
    """Clear a card's PIN lock after checking that the customer has the card. Then back to the card's lookup."""
    area = _desk_area(request, area_pk)
    card = _desk_card_or_404(area, card_pk)
    form = ClearPinLockForm(request.POST)
    if not form.is_valid():
        return _lookup_with_errors(request, area, card, pin_form=form)
    return _card_action(
        request,
        area,
        card,
        lambda: services.giftcards.clear_gift_card_pin_lock(area=area, card_id=card.pk, by=request.user),
        done=_("The PIN lock of gift card %(card)s is cleared: the holder can pay with the PIN again.")
        % {"card": card},
        unchanged=_("Gift card %(card)s had no PIN lock: nothing changed.") % {"card": card},
    )


# --- Till ---------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def till_gift_card(request, merchant_pk: int):
    """Pay with a gift card: number (scanner first), PIN, amount → amount taken and what is left, with Undo."""
    merchant = _till_merchant(request, merchant_pk)
    form = GiftCardSpendForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.spend_gift_card(
                merchant=merchant,
                number=data["number"],
                pin=data["pin"],
                amount_cents=data["amount"],
                request_key=data["request_key"],
                by=request.user,
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            form = GiftCardSpendForm()  # a fresh form, with a new key, for the next customer
    focus = next((name for name in ("number", "pin", "amount") if form.errors.get(name)), "number")
    return render(
        request,
        "loyalty/till_giftcard.html",
        {
            "merchant": merchant,
            "form": form,
            "focus": focus,
            "result": result,
            "result_amount": format_euros(result.amount_cents) if result else "",
            "result_balance": format_euros(result.balance_after_cents) if result else "",
            "undo_key": uuid.uuid4(),
        },
    )


@login_required
@require_POST
def till_gift_card_undo(request, merchant_pk: int):
    """Undo a gift-card payment within the window: the service writes a reversal entry."""
    merchant = _till_merchant(request, merchant_pk)
    form = GiftCardUndoForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That could not be undone. Please try again."))
        return redirect("loyalty:till_gift_card", merchant_pk=merchant.pk)
    try:
        result = services.undo_gift_card_spend(
            merchant=merchant,
            entry_id=form.cleaned_data["entry_id"],
            request_key=form.cleaned_data["request_key"],
            by=request.user,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Undone: %(amount)s given back to gift card %(card)s. Balance: %(balance)s.")
            % {
                "amount": format_euros(result.amount_cents),
                "card": result.card_number_display,
                "balance": format_euros(result.balance_after_cents),
            },
        )
    return redirect("loyalty:till_gift_card", merchant_pk=merchant.pk)


# --- The holder's balance page ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def gift_card_balance(request):
    """Anyone holding one of the area's gift cards: its number and PIN → what is left, until when, and where it was
    spent (`services.read_gift_card_balance`: read only, wrong PINs counted per card apart from the till's). POST
    only, so the PIN never sits in a URL; the answer is never cached. No limit per address: behind the site's proxy
    every visitor has the proxy's, and guessing numbers is hopeless (a hit in billions, then five tries at its PIN)."""
    area = _area_or_404(request)
    form = GiftCardBalanceForm(request.POST or None)
    card = None
    if request.method == "POST" and form.is_valid():
        try:
            found = services.read_gift_card_balance(
                area=area, number=form.cleaned_data["number"], pin=form.cleaned_data["pin"]
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            card = selectors.gift_card_history(found)
            card = {
                **card,
                "balance": format_euros(card["balance_cents"]),
                "entries": [{**e, "amount": format_signed_euros(e["amount_cents"])} for e in card["entries"]],
            }
            form = GiftCardBalanceForm()  # the PIN is not sent back
    status = 400 if form.errors else 200
    response = render(
        request, "loyalty/gift_card_balance.html", {"area": area, "form": form, "card": card}, status=status
    )
    response["Cache-Control"] = "private, no-store"
    return response
