"""The feedback survey's form: shape only; the rate limit and storage are in services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SCORES = [(n, str(n)) for n in range(1, 6)]


def _score(label, *, required: bool) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCORES if required else [("", _("No answer")), *SCORES],
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect,
    )


class SurveyForm(forms.Form):
    rating = _score(_("How do you rate your visit to the town centre? (1 = poor, 5 = excellent)"), required=True)
    cleanliness = _score(_("Cleanliness"), required=False)
    atmosphere = _score(_("Atmosphere"), required=False)
    offer = _score(_("Shops and what they offer"), required=False)
    accessibility = _score(_("Accessibility"), required=False)
    # A date input takes and gives ISO dates (2026-12-01) whatever the page's language: rendered in the locale's
    # format ("01-12-2026") the browser drops the value and the field shows empty.
    visit_date = forms.DateField(
        label=_("When did you visit?"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    comment = forms.CharField(
        label=_("Anything else you want to tell us? (optional)"),
        help_text=_("Please do not write your name or contact details here."),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_visit_date(self):
        visit_date = self.cleaned_data["visit_date"]
        today = timezone.localdate()
        if visit_date > today + dt.timedelta(days=1) or visit_date < today - dt.timedelta(days=90):
            raise forms.ValidationError(_("Enter a date within the last three months."))
        return visit_date


def _month_field(label) -> forms.DateField:
    return forms.DateField(
        label=label, input_formats=["%Y-%m"], widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    )


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


class SurveyPeriodForm(forms.Form):
    """The period of the survey results, in whole months (default: this month and the two before).

    Whole months, not any two dates: with day-precise periods, comparing two overlapping periods would reveal
    the answers of a single day, which small-group suppression is there to hide."""

    MAX_MONTHS = 24

    start = _month_field(_("From (month)"))
    end = _month_field(_("Up to and including (month)"))

    def __init__(self, data=None, *, today: dt.date):
        this_month = today.replace(day=1)
        self.default_period = (_add_months(this_month, -2), this_month)
        super().__init__(data, initial={"start": self.default_period[0], "end": self.default_period[1]})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period cannot end before it starts."))
            if _add_months(start, self.MAX_MONTHS) <= end:
                raise forms.ValidationError(_("Choose at most %(months)s months.") % {"months": self.MAX_MONTHS})
        return cleaned

    def period(self) -> tuple[dt.date, dt.date]:
        """The first and last day of the chosen months; the default period when nothing (valid) was chosen."""
        if self.is_bound and self.is_valid():
            start, end = self.cleaned_data["start"].replace(day=1), self.cleaned_data["end"].replace(day=1)
        else:
            start, end = self.default_period
        return start, _add_months(end, 1) - dt.timedelta(days=1)
