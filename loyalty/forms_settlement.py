"""The period of a settlement page: `?month=2026-05`, or `?first=2026-05-01&last=2026-05-31`; and a statement's
payment (day and reference). Shape only: the services check the rules, and their errors are shown."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from agora.exceptions import ApplicationError

from .services.settlement import REFERENCE_MAX_LENGTH, check_period, month_period

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodForm(forms.Form):
    """A calendar month, or a first and a last day. Empty: `default_month` (the current month, in the area's zone)."""

    month = forms.CharField(
        label=_("Month"), required=False, max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )
    # ISO in the field's value, whatever the language: what a browser's date field reads.
    first = forms.DateField(
        label=_("First day"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last = forms.DateField(
        label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, data=None, *, default_month: date):
        if data is not None and not any(data.get(name) for name in ("month", "first", "last")):
            # Nothing asked: the default month, shown in the field as well as on the page.
            data = {"month": default_month.strftime("%Y-%m")}
        super().__init__(data)
        self.default_month = default_month

    def clean_month(self):
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        match = _MONTH.match(value)
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, for example 2026-05."), code="invalid_month")
        return int(match.group(1)), int(match.group(2))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        month, first, last = data.get("month"), data.get("first"), data.get("last")
        if month and (first or last):
            raise forms.ValidationError(_("Choose either a month or a first and last day, not both."), code="both")
        if (first is None) != (last is None):
            raise forms.ValidationError(_("Enter both the first and the last day."), code="half_period")
        if month:
            first, last = month_period(*month)
        elif first is None:
            first, last = month_period(self.default_month.year, self.default_month.month)
        try:
            check_period(first, last)
        except ApplicationError as error:
            raise forms.ValidationError(error.message, code="invalid_period") from error
        data["period"] = (first, last)
        return data

    @property
    def period(self) -> tuple[date, date]:
        return self.cleaned_data["period"]


class PaymentForm(forms.Form):
    """The day an issued statement was paid and the bank transfer's reference (the period comes with PeriodForm)."""

    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(
        label=_("Payment reference"),
        required=False,
        max_length=REFERENCE_MAX_LENGTH,
        help_text=_("The bank transfer's reference (optional)."),
    )
