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
    visit_date = forms.DateField(
        label=_("When did you visit?"), widget=forms.DateInput(attrs={"type": "date"}), initial=dt.date.today
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
