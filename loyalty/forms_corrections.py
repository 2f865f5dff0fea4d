"""The forms of the corrections pages (/<lang>/correcties/): finding a pass by its card number, and a correction of
its points. Shape only; the rules are in `services.corrections`."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .codes import CARD_NUMBER_LENGTH, is_valid_card_number
from .forms import FocusFirstErrorMixin, ServiceErrorsMixin
from .forms_campaigns import WholeNumberField
from .services.corrections import (
    MAX_POINTS,
    REASON_MAX_LENGTH,
    REASON_MIN_LENGTH,
    reason_too_short_message,
)


class FindPassForm(forms.Form):
    card = forms.CharField(
        label=_("Card number"),
        max_length=40,
        help_text=_("The 12 digits on the printed card or under the QR code in the app."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_card(self) -> str:
        digits = re.sub(r"[\s.-]", "", self.cleaned_data["card"])
        if not (digits.isdigit() and len(digits) == CARD_NUMBER_LENGTH and is_valid_card_number(digits)):
            raise forms.ValidationError(
                _("This is not a card number: 12 digits, as on the card or in the app. Check for a typing mistake.")
            )
        return digits


class CorrectionForm(FocusFirstErrorMixin, ServiceErrorsMixin, forms.Form):
    """A correction's points and reason. `services.correct_points` checks them again, and the balance: its errors
    come back on these fields (a deduction larger than the balance on the points, naming the balance)."""

    points = WholeNumberField(
        label=_("Points"),
        min_value=-MAX_POINTS,
        max_value=MAX_POINTS,
        # The field writes the bound as the page's language does ("1.000.000" in Dutch).
        error_messages={"out_of_range": _("A correction is at most %(max)s points either way.")},
        help_text=_("Positive to add points (e.g. 120), negative to take them off (e.g. -120)."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        error_messages={
            "max_length": _("Keep the reason to %(limit_value)s characters (it has %(show_value)s)."),
        },
        help_text=_("The member sees it in their history, e.g. “Purchase of 12 March not scanned (receipt 4411)”."),
    )

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("Enter a number of points other than zero."))
        return points

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"]  # stripped
        if len(reason) < REASON_MIN_LENGTH:
            raise forms.ValidationError(reason_too_short_message())
        return reason
