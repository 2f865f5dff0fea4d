"""Forms of the member app and the till. They check shape only (an amount in euros, a UUID, a choice); the
services enforce the rules, and their errors are put back on the matching field here."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agora.exceptions import ApplicationError
from agora.money import format_euros
from privacy.forms import ConsentChoicesMixin

from .codes import ScanKind, parse_gift_card_number, parse_pass_code, scan_kind
from .exceptions import InvalidProfile
from .models import Pass
from .services.guards import PIN_PATTERN
from .services.passes import PROFILE_PURPOSE, clean_profile

#: The largest purchase a till form accepts as input; the services apply the real limits.
MAX_AMOUNT_CENTS = 100_000_00

_AMOUNT = re.compile(r"^(\d+)(?:[.,](\d{1,2}))?$")
#: An amount written with thousands separators ("1.234,56", "1,234.56", "1.250"), which `parse_euros` refuses. No
#: group starts a number with 0: "0,001" is a third decimal (`_MANY_DECIMALS`), not a thousand.
_GROUPED_AMOUNT = re.compile(r"^[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})*(?:[.,]\d{1,2})?$")
#: An amount with more than two decimals ("0,001", "12.505"), unless it reads as thousands (`_GROUPED_AMOUNT`).
_MANY_DECIMALS = re.compile(r"^\d+[.,]\d{3,}$")


def _without_spaces(raw: str) -> str:
    return re.sub(r"[\s\u00a0€]", "", raw or "")


def parse_euros(raw: str) -> int:
    """'12,50', '12.50', '€ 12', '12,5' → cents, of any size (the form says what is too large). Raises ValueError for
    anything else (no thousands separators: at a till '1.250' is too easily a typo for 12,50)."""
    value = _without_spaces(raw)
    match = _AMOUNT.match(value)
    if not match:
        raise ValueError(raw)
    euros, decimals = match.group(1), (match.group(2) or "").ljust(2, "0")
    try:
        return int(Decimal(f"{euros}.{decimals}") * 100)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only digits
        raise ValueError(raw) from error


def _number(cents: int) -> str:
    """Cents as the active language writes an amount, without euro sign or grouping: 123456 → "1234,56" (nl),
    "1234.56" (en): the till's examples."""
    return formats.number_format(Decimal(cents) / 100, 2, use_l10n=True)


def age_band_choices() -> list[tuple[str, str]]:
    """The age bands the pass stores (the model's choices), with an empty "not given" first."""
    field = Pass._meta.get_field("age_band")
    return [("", _("I'd rather not say"))] + [(value, label) for value, label in field.choices if value]


class FocusFirstErrorMixin:
    """The cursor goes to the first field in error (its own or one a service put back), so the person can type the
    fix at once, with a keyboard or a screen reader; on a form without errors nothing is focused. For the manager's
    and the desk's card forms; the till and the desk's sale place the cursor themselves (their scanner logic)."""

    def full_clean(self):
        super().full_clean()
        self.focus_first_error()

    def add_error(self, field, error):
        super().add_error(field, error)
        if getattr(self, "cleaned_data", None) is not None:
            self.focus_first_error()

    def focus_first_error(self) -> None:
        errors = self._errors or {}
        first = next((name for name in self.fields if name in errors), None)
        for name, field in self.fields.items():
            if name == first:
                field.widget.attrs["autofocus"] = True
            else:
                field.widget.attrs.pop("autofocus", None)


class ServiceErrorsMixin:
    """Puts a service's error back on the form: on the field it names (`errors` per field, as InvalidProfile
    carries them) or that its class belongs to (`error_fields`), else at the top."""

    #: exception class name → the field its message belongs on
    error_fields: dict[str, str] = {}

    def add_service_error(self, error: ApplicationError) -> None:
        per_field = error.extra.get("errors") or {}
        if per_field:
            for field, messages in per_field.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
            return
        field = self.error_fields.get(type(error).__name__)
        self.add_error(field if field in self.fields else None, error.message)


class ProfileForm(ConsentChoicesMixin, ServiceErrorsMixin, forms.Form):
    """The member's optional first name (the account's) and the two optional profile fields, on joining and after
    (changed, or cleared by leaving them empty: `services.update_pass_profile`). The service checks the postcode (and
    keeps its 4 digits only); its errors come back on the fields.

    They serve one purpose (`PROFILE_PURPOSE`) and are kept only with its consent: given before in this area, or
    ticked with them (a box among `consents`, the person's choices in the area). Without it they must stay empty.
    """

    first_name = forms.CharField(
        label=_("Your first name (optional)"),
        required=False,
        max_length=150,
        help_text=_(
            "The shops you visit see it at the till only if you let them recognise you (your privacy choices). "
            "We also greet you with it in our e-mails."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    postcode = forms.CharField(
        label=_("The 4 digits of your postcode (optional)"),
        required=False,
        max_length=10,
        help_text=_("Only the digits. We never ask for your street or house number."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 6}),
    )
    age_band = forms.ChoiceField(label=_("Your age group (optional)"), required=False, choices=())

    def __init__(self, *args, consents: list, postcode_example: str = "", **kwargs):
        """`consents`: the person's choices in this area (`privacy.selectors.consents_for`) that the form offers;
        `postcode_example`: four digits of a postcode of the area (`areas.selectors.local_postcode_digits`)."""
        super().__init__(*args, **kwargs)
        if postcode_example:
            self.fields["postcode"].help_text = _(
                "Only the digits, for example %(example)s. We never ask for your street or house number."
            ) % {"example": postcode_example}
        self.fields["age_band"].choices = age_band_choices()
        self.add_consent_fields(current=consents)

    def profile_row(self):
        """The consent row of the profile's purpose (`ConsentRow`), or None when that purpose is not offered."""
        return next((row for row in self.consent_rows() if row.code == PROFILE_PURPOSE), None)

    def clean(self):
        data = super().clean()
        if not (data.get("postcode") or data.get("age_band")):
            return data
        try:
            clean_profile(postcode=data.get("postcode", ""), age_band=data.get("age_band", ""))
        except InvalidProfile:
            return data  # the service says what is wrong with them, on their fields
        row = self.profile_row()
        if row is None:
            self.add_error(None, _("Your postcode and age group cannot be kept now: leave both empty."))
        elif row.field is not None and not data.get(row.field.name):
            message = _(
                "We keep your postcode and age group only with your consent for “%(purpose)s”: tick it, "
                "or leave both empty."
            ) % {"purpose": row.version.title}
            self.add_error("postcode" if data.get("postcode") else "age_band", message)
        return data


class JoinForm(ProfileForm):
    """Joining the area's pass: the optional profile fields (kept only with their purpose's consent), the area's
    optional consents as the sign-up form offers them (none ticked; those already given here shown as given, without a
    box), and the version of the terms shown, so terms published in between are shown before they are accepted."""

    terms_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, consents: list | None = None, terms_version: int | None = None, **kwargs):
        """`consents`: the person's choices in this area (`privacy.selectors.consents_for`); `terms_version`: the
        version of the terms on the page; the rest as ProfileForm."""
        super().__init__(*args, consents=consents, **kwargs)
        self.fields["terms_version"].initial = terms_version


def cleaned_pin(value: str) -> str:
    """A typed PIN, stripped; 4 to 6 digits or nothing (a form's own check: nothing is tried, no wrong try counted)."""
    value = (value or "").strip()
    if value and not PIN_PATTERN.fullmatch(value):
        raise forms.ValidationError(_("A PIN has 4 to 6 digits."), code="invalid_pin")
    return value


class AmountField(forms.Field):
    """An amount in euros typed at a till ('12,50' or '12.50'); cleans to integer cents.

    A field that is no purchase says what is wrong for it with Django's `error_messages` (`too_small`, `too_large`),
    as the desk's gift-card value does."""

    widget = forms.TextInput
    # The examples are written as the active language writes numbers (`_number`): "12,50" in Dutch, "12.50" in
    # English; either is accepted whatever the language.
    default_error_messages = {
        "invalid": _("Enter the amount in euros, for example %(example)s."),
        "grouped": _("Type the amount without thousands separators, for example %(example)s."),
        "decimals": _("Type the amount with at most two decimals, for example %(example)s."),
        "too_small": _("The amount must be more than %(amount)s."),
        "too_large": _("That amount is too large for one purchase."),
    }

    def to_python(self, value):
        value = str(value or "").strip()
        if not value:
            return None
        try:
            cents = parse_euros(value[:20])
        except ValueError as error:
            if _GROUPED_AMOUNT.match(_without_spaces(value)):
                raise forms.ValidationError(
                    self.error_messages["grouped"], code="grouped", params={"example": _number(123456)}
                ) from error
            if _MANY_DECIMALS.match(_without_spaces(value)):
                raise forms.ValidationError(
                    self.error_messages["decimals"], code="decimals", params={"example": _number(1250)}
                ) from error
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"example": _number(1250)}
            ) from error
        if cents <= 0:
            raise forms.ValidationError(
                self.error_messages["too_small"], code="too_small", params={"amount": format_euros(0)}
            )
        if cents > MAX_AMOUNT_CENTS:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        return cents

    def widget_attrs(self, widget):
        # A decimal keypad on phones; a text field so "12,50" is not refused by the browser.
        return {**super().widget_attrs(widget), "inputmode": "decimal", "autocomplete": "off", "maxlength": "20"}


class TillForm(ServiceErrorsMixin, forms.Form):
    """One purchase at the till: the member's code (scanned, wedge-typed or typed), the amount, a receipt number.

    `request_key` is generated by the till page and sent back unchanged on a retry, so a double tap or a resent
    request returns the first result instead of awarding twice.
    """

    code = forms.CharField(
        label=_("Pass code"),
        max_length=80,
        help_text=_("Scan the QR code, or type the 6-digit code and the card number."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autocorrect": "off",
                "enterkeyhint": "next",
            }
        ),
    )
    amount = AmountField(label=_("Amount"))
    receipt_number = forms.CharField(
        label=_("Receipt number (optional)"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "enterkeyhint": "done"}),
    )
    # Paid otherwise (optional, folded away at the till): these parts earn no points.
    voucher_code = forms.CharField(
        label=_("Voucher code"),
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "data-voucher-input": "",
            }
        ),
    )
    reward = forms.TypedChoiceField(label=_("Reward (paid with points)"), required=False, coerce=int, empty_value=None)
    giftcard = AmountField(
        label=_("Pay with a gift card"),
        required=False,
        help_text=_("From the gift cards on the pass, or from the gift card whose number is entered below."),
    )
    pin = forms.CharField(
        label=_("PIN of the printed card"),
        required=False,
        max_length=40,  # 4 to 6 digits (`cleaned_pin`); room for a scan that landed here
        help_text=_("Only for a printed card without the app's code: spending points or gift-card value needs it."),
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # A gift card with its own number (not on the pass): paid in the same transaction, so it earns no points.
    giftcard_number = forms.CharField(
        label=_("Gift card number (a card not on the pass)"),
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "numeric",
                "spellcheck": "false",
                "data-giftcard-number-input": "",
            }
        ),
    )
    giftcard_pin = forms.CharField(
        label=_("PIN of the gift card"),
        required=False,
        max_length=40,  # 4 to 6 digits (`cleaned_pin`); room for a scan that landed here
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    request_key = forms.UUIDField(widget=forms.HiddenInput)
    device_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    error_fields = {
        "InvalidPassCode": "code",
        "PassNotFound": "code",
        "CodeAlreadyUsed": "code",
        "PassBlocked": "code",
        "CodeExpired": "code",
        "InvalidAmount": "amount",
        "InvalidGiftCardPayment": "giftcard",
        "DuplicateReceipt": "receipt_number",
        "RewardNotAvailable": "reward",
        "RewardOutOfStock": "reward",
        "VoucherNotUsable": "voucher_code",
        "VoucherNotFound": "voucher_code",
        "VoucherAlreadyUsed": "voucher_code",
        "VoucherExpired": "voucher_code",
        "VoucherNotYetValid": "voucher_code",
        "VoucherNotValidHere": "voucher_code",
        "VoucherForAnotherPass": "voucher_code",
        "InsufficientGiftCardBalance": "giftcard",
        "InvalidGiftCardNumber": "giftcard_number",
        "GiftCardWrongPin": "giftcard_pin",
        "GiftCardNoPin": "giftcard_number",
        "GiftCardPinLocked": "giftcard_pin",
        "GiftCardNotFound": "giftcard",
        "GiftCardExpired": "giftcard",
        "GiftCardBlocked": "giftcard",
        "InsufficientPoints": "reward",
        "InvalidPin": "pin",
        "PinLocked": "pin",
    }

    def __init__(self, *args, rewards=(), **kwargs):
        """`rewards`: the catalogue's rewards to offer at this till, as (id, label) pairs."""
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["reward"].choices = [("", _("No reward")), *rewards]

    OTHERWISE = ("voucher_code", "reward", "giftcard", "giftcard_number", "giftcard_pin", "pin")  # a card with its PIN
    #: Errors about a gift card that belong on its number when one was entered (else on the amount: the pass's cards).
    CARD_ERRORS = frozenset({"GiftCardNotFound", "GiftCardExpired", "GiftCardBlocked"})

    def add_service_error(self, error: ApplicationError) -> None:
        if self.cleaned_data.get("giftcard_number") and type(error).__name__ in self.CARD_ERRORS:
            self.add_error("giftcard_number", error.message)
        else:
            super().add_service_error(error)

    @property
    def otherwise_fields(self) -> list:
        """The folded-away fields: what is paid otherwise than in money."""
        return [self[name] for name in self.OTHERWISE]

    @property
    def pays_otherwise(self) -> bool:
        """Whether the folded-away part was used (it opens again when the form comes back)."""
        return any(self[name].value() or self[name].errors for name in self.OTHERWISE)

    #: What to say when a code of another kind is in a field (`codes.scan_kind`): where it belongs.
    MISPLACED = {
        "code": {
            ScanKind.VOUCHER: _(
                "This is a voucher code, not a pass: it goes in “Voucher code” under “Voucher, reward or gift "
                "card”. Scan the member's pass here."
            ),
            ScanKind.GIFT_CARD: _(
                "This is a gift card number, not a pass: it goes in “Gift card number” under “Voucher, reward or "
                "gift card”. Scan the member's pass here."
            ),
        },
        "voucher_code": {
            ScanKind.PASS: _("This is a pass code, not a voucher. It goes in “Pass code” at the top."),
            ScanKind.GIFT_CARD: _("This is a gift card number, not a voucher. It goes in “Gift card number”."),
        },
        "giftcard_number": {
            ScanKind.PASS: _("This is a pass code, not a gift card. It goes in “Pass code” at the top."),
            ScanKind.VOUCHER: _("This is a voucher code, not a gift card. It goes in “Voucher code”."),
        },
    }

    def _misplaced(self, field: str, value: str) -> None:
        """Raise the error that says where `value` belongs, if it is a code of another kind than `field` takes."""
        if message := self.MISPLACED[field].get(scan_kind(value)):
            raise forms.ValidationError(message, code="misplaced_code")

    def clean_code(self) -> str:
        code = " ".join(self.cleaned_data["code"].split())
        try:
            parse_pass_code(code)  # the shape only, so a mistyped code shows with any other error at once
        except ApplicationError as error:
            self._misplaced("code", code)
            raise forms.ValidationError(error.message, code="invalid_code") from error
        return code

    def clean_voucher_code(self) -> str:
        code = self.cleaned_data["voucher_code"].strip()
        if code:
            self._misplaced("voucher_code", code)
        return code

    def clean_giftcard_number(self) -> str:
        raw = self.cleaned_data["giftcard_number"].strip()
        if not raw:
            return ""
        try:
            return parse_gift_card_number(raw)
        except ApplicationError as error:
            self._misplaced("giftcard_number", raw)
            raise forms.ValidationError(error.message, code="invalid_gift_card_number") from error

    def clean_pin(self) -> str:
        return cleaned_pin(self.cleaned_data.get("pin"))

    def clean_giftcard_pin(self) -> str:
        return cleaned_pin(self.cleaned_data.get("giftcard_pin"))

    def clean(self):
        data = super().clean()
        if data.get("giftcard_number"):
            # Without an amount or a PIN nothing could be taken: said here, so a missing PIN is no wrong try.
            if not data.get("giftcard") and "giftcard" not in self.errors:
                self.add_error("giftcard", _("Enter the amount to take from the gift card."))
            if not (data.get("giftcard_pin") or "").strip() and "giftcard_pin" not in self.errors:
                self.add_error("giftcard_pin", _("Enter the gift card's PIN."))
        return data

    def clean_device_id(self) -> str:
        value = self.cleaned_data["device_id"].strip()
        # An opaque id the till page keeps in the browser; anything odd is dropped rather than refused.
        return value if re.fullmatch(r"[A-Za-z0-9-]{1,64}", value) else ""


class RefundForm(forms.Form):
    """A refund at the till for (part of) an earlier purchase: its points come back pro rata. `request_key` as for
    TillForm; `day` is the day page to return to."""

    transaction_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    amount = AmountField(label=_("Amount refunded (€)"))
    request_key = forms.UUIDField(widget=forms.HiddenInput)
    day = forms.DateField(required=False, widget=forms.HiddenInput)


class UndoForm(forms.Form):
    """Undo one till transaction (a reversal entry, never an edit). `request_key` as for TillForm."""

    transaction_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    request_key = forms.UUIDField(widget=forms.HiddenInput)


class TillDayForm(forms.Form):
    """Which day of the till to show (the Z-report of that day): today or before, in the area's time zone."""

    day = forms.DateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("That is not a date.")},
    )

    #: No till day is older; a year 1 (or 0202 for 2024) is a typo, and days near the calendar's ends cannot be
    #: turned into times in the area's zone.
    FIRST_DAY = date(2000, 1, 1)

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["day"].widget.attrs.update(min=self.FIRST_DAY.isoformat(), max=today.isoformat())

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day < self.FIRST_DAY:
            raise forms.ValidationError(self.fields["day"].error_messages["invalid"], code="invalid")
        if day > self.today:
            raise forms.ValidationError(_("That day has not come yet."), code="future")
        return day


class HistoryForm(forms.Form):
    """The member's history: narrowed to one merchant of their ledger (`shop`) and paged (`before`, an entry id)."""

    shop = forms.TypedChoiceField(
        label=pgettext_lazy("a shop in the town", "Shop"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("That shop is not in your history; here is everything.")},
    )
    before = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, merchants: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].choices = [("", _("All shops")), *merchants]


def is_guessable_pin(pin: str) -> bool:
    """Whether a PIN is one that is tried first: one digit repeated (1111, 000000) or a run of digits up or down
    (1234, 4321, 0123, 456789; also over 9 and 0 as on a keypad row: 7890, 0987)."""
    digits = [int(digit) for digit in pin]
    steps = {(after - before) % 10 for before, after in itertools.pairwise(digits)}
    return len(steps) == 1 and steps <= {0, 1, 9}


def refuse_guessable_pin(pin: str) -> None:
    """A form's refusal of a PIN that is tried first (`is_guessable_pin`): the member's own and the desk's."""
    if pin and is_guessable_pin(pin):
        raise forms.ValidationError(
            _(
                "This PIN is too easy to guess. Choose one that is not the same digit over and over (like 1111) "
                "and not a run of digits (like 1234 or 4321)."
            ),
            code="guessable",
        )


class PinForm(ServiceErrorsMixin, forms.Form):
    """The member sets the PIN of the printed card (the service checks it: 4 to 6 digits). A PIN that is tried first
    (`is_guessable_pin`) is refused here, and the second PIN is compared only when it was typed."""

    pin = forms.CharField(
        label=_("New PIN (4 to 6 digits)"),
        min_length=4,
        max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )
    pin_again = forms.CharField(
        label=_("The same PIN again"),
        max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )
    error_fields = {"InvalidPin": "pin"}

    def clean_pin(self) -> str:
        pin = self.cleaned_data["pin"].strip()
        if not pin.isdigit():
            raise forms.ValidationError(_("A PIN has 4 to 6 digits."), code="digits")
        refuse_guessable_pin(pin)
        return pin

    def clean(self):
        data = super().clean()
        # An empty second PIN has its own error ("required"): saying they differ too would only repeat it.
        if data.get("pin") and data.get("pin_again") and data["pin"] != data["pin_again"].strip():
            self.add_error("pin_again", _("The two PINs differ."))
        return data
