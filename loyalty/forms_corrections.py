"""The forms of the corrections pages (/<lang>/correcties/): finding a pass by its card number, and a correction of
its points. Shape only; the rules are in `services.corrections`."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .codes import CARD_NUMBER_LENGTH, is_valid_card_number
from .forms_campaigns import WholeNumberField
from .services.corrections import MAX_POINTS, REASON_MAX_LENGTH


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


class CorrectionForm(forms.Form):
    points = WholeNumberField(
        label=_("Points"),
        min_value=-MAX_POINTS,
        max_value=MAX_POINTS,
        help_text=_("Positive to add points (e.g. 120), negative to take them off (e.g. -120)."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("The member sees it in their history, e.g. “Purchase of 12 March not scanned (receipt 4411)”."),
    )

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("Enter a number of points other than zero."))
        return points
