"""Forms of the gift cards: selling at the collective's desk, looking a card up, paying with one at a till.

Shape only (an amount in euros, digits, a UUID); the services enforce the rules and their errors are put
back on the matching field (`ServiceErrorsMixin`).
"""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from agora.exceptions import ApplicationError

from .codes import parse_gift_card_number, parse_pass_code
from .exceptions import value_range_message
from .forms import AmountField, FocusFirstErrorMixin, ServiceErrorsMixin, cleaned_pin, refuse_guessable_pin
from .models import GIFT_CARD_BLOCK_REASONS
from .services.giftcards import BLOCK_REASON_MIN_LENGTH

_NUMBER_ATTRS = {
    "autocomplete": "off",
    "autocapitalize": "off",
    "autocorrect": "off",
    "spellcheck": "false",
    "inputmode": "numeric",
    "enterkeyhint": "next",
}
_PIN_ATTRS = {"autocomplete": "off", "inputmode": "numeric", "maxlength": "6", "enterkeyhint": "next"}


class GiftCardNumberField(forms.CharField):
    """A gift card's 16 digits, typed in groups or read by a scanner; cleans to the digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("widget", forms.TextInput(attrs=_NUMBER_ATTRS))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return parse_gift_card_number(value)
        except ApplicationError as error:
            raise forms.ValidationError(error.message, code="invalid_number") from error


class SellGiftCardForm(ServiceErrorsMixin, forms.Form):
    """A gift card sold at the desk: its value, and either a member's pass to put it on or a PIN for a card
    of its own. `request_key` is made with the page and sent again on a retry: a double click sells one card."""

    amount = AmountField(label=_("Value"))
    pass_number = forms.CharField(
        label=_("Member's pass number (optional)"),
        required=False,
        max_length=80,
        help_text=_("To put the value on a member's pass. Leave empty for a gift card of its own."),
        widget=forms.TextInput(attrs={**_NUMBER_ATTRS, "inputmode": "text"}),
    )
    pin = forms.CharField(
        label=_("PIN (4 to 6 digits)"),
        required=False,
        max_length=6,
        help_text=_("Needed for a gift card of its own: the buyer chooses it and tells the recipient."),
        widget=forms.PasswordInput(attrs=_PIN_ATTRS),
    )
    pin_again = forms.CharField(
        label=_("PIN again"), required=False, max_length=6, widget=forms.PasswordInput(attrs=_PIN_ATTRS)
    )
    request_key = forms.UUIDField(widget=forms.HiddenInput)

    error_fields = {
        "InvalidAmount": "amount",
        "InvalidGiftCardAmount": "amount",
        "InvalidPin": "pin",
        "PassNotFound": "pass_number",
        "PassBlocked": "pass_number",
    }

    def __init__(self, *args, minimum_cents: int | None = None, maximum_cents: int | None = None, **kwargs):
        """`minimum_cents` and `maximum_cents`: what a card of the area may be worth, so that "0" or a huge value is
        told that range (the service's `InvalidGiftCardAmount`), not a purchase's limits."""
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        if minimum_cents is not None and maximum_cents is not None:
            out_of_range = value_range_message(minimum_cents, maximum_cents)
            self.fields["amount"].error_messages.update(too_small=out_of_range, too_large=out_of_range)

    def clean_pass_number(self) -> str:
        raw = self.cleaned_data["pass_number"].strip()
        if not raw:
            return ""
        try:
            return parse_pass_code(raw).card_number  # the printed number, or the app's QR code
        except ApplicationError as error:
            raise forms.ValidationError(error.message, code="invalid_pass") from error

    def clean_pin(self) -> str:
        pin = cleaned_pin(self.cleaned_data["pin"])
        refuse_guessable_pin(pin)  # a new card's PIN (the till and the balance page check an existing one)
        return pin

    def clean(self):
        data = super().clean()
        if data.get("pin") and data.get("pin") != (data.get("pin_again") or "").strip():
            self.add_error("pin_again", _("The two PINs are not the same."))
        return data


class GiftCardLookupForm(forms.Form):
    number = GiftCardNumberField(label=_("Gift card number"))


class _RadioSelect(forms.RadioSelect):
    """Radio buttons of which only the first takes `autofocus` (a page has one field with the cursor)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if index:
            option["attrs"].pop("autofocus", None)
        return option


class BlockGiftCardForm(FocusFirstErrorMixin, ServiceErrorsMixin, forms.Form):
    """Blocking a card at the desk: why (lost, stolen, or another reason typed), for `services.block_gift_card`."""

    OTHER = "other"
    OTHER_REASON_MIN = BLOCK_REASON_MIN_LENGTH

    reason = forms.ChoiceField(
        label=_("Why is the card blocked?"),
        choices=[*GIFT_CARD_BLOCK_REASONS.items(), (OTHER, _("Another reason"))],
        widget=_RadioSelect,
        error_messages={"required": _("Say why the gift card is blocked, for example lost or stolen.")},
    )
    other_reason = forms.CharField(label=_("Which other reason?"), required=False, max_length=200)

    error_fields = {"GiftCardBlockReasonMissing": "reason"}

    def clean(self):
        data = super().clean()
        typed = (data.get("other_reason") or "").strip()
        if data.get("reason") == self.OTHER and not typed:
            self.add_error("other_reason", _("Type the reason."))
        elif data.get("reason") == self.OTHER and len(typed) < self.OTHER_REASON_MIN:
            message = _("Say in a few words why (at least %(min)s characters): the reason is read in the audit.")
            self.add_error("other_reason", message % {"min": self.OTHER_REASON_MIN})
        return data

    @property
    def block_reason(self) -> str:
        """The reason to store: the key of one offered, or the text typed."""
        data = self.cleaned_data
        return data["other_reason"].strip() if data["reason"] == self.OTHER else data["reason"]


class ClearPinLockForm(FocusFirstErrorMixin, forms.Form):
    """Clearing a card's PIN lock at the desk: only after checking that the customer has the card."""

    holder_checked = forms.BooleanField(
        label=_("I checked that the customer has this card with them."),
        error_messages={"required": _("Check that the customer has the card with them first, then tick this.")},
    )


class GiftCardSpendForm(ServiceErrorsMixin, forms.Form):
    """Paying with a gift card at the till: its number (scanned or typed), the PIN, the amount."""

    number = GiftCardNumberField(label=_("Gift card number"), help_text=_("Scan the card, or type its 16 digits."))
    pin = forms.CharField(label=_("PIN"), max_length=6, widget=forms.PasswordInput(attrs=_PIN_ATTRS))
    amount = AmountField(label=_("Amount"))
    request_key = forms.UUIDField(widget=forms.HiddenInput)

    error_fields = {
        "InvalidGiftCardNumber": "number",
        "GiftCardNotFound": "number",
        "GiftCardBlocked": "number",
        "GiftCardExpired": "number",
        "InvalidPin": "pin",
        "GiftCardNoPin": "number",
        "GiftCardPinLocked": "pin",
        "InvalidAmount": "amount",
        "InsufficientGiftCardBalance": "amount",
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4())
        super().__init__(*args, **kwargs)

    def clean_pin(self) -> str:
        return cleaned_pin(self.cleaned_data["pin"])


class GiftCardBalanceForm(ServiceErrorsMixin, forms.Form):
    """The holder's balance page: the card's number and its PIN (`services.read_gift_card_balance`)."""

    number = GiftCardNumberField(
        label=_("Gift card number"),
        help_text=_("The 16 digits on the card. A gift card on your pass has no PIN: your pass's app shows it."),
    )
    pin = forms.CharField(label=_("PIN"), max_length=6, widget=forms.PasswordInput(attrs=_PIN_ATTRS))

    # A mistyped number is told on its field; any other refusal is one answer about number and PIN together (on the
    # form), so that the page tells no stranger which numbers are cards.
    error_fields = {"InvalidGiftCardNumber": "number"}

    def clean_pin(self) -> str:
        return cleaned_pin(self.cleaned_data["pin"])


class GiftCardUndoForm(forms.Form):
    entry_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    request_key = forms.UUIDField(widget=forms.HiddenInput)
