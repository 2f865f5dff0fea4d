"""Forms of the effect reports: the campaign's or event's cost and the margin rate the ROI uses."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class ReportRequestForm(forms.Form):
    cost_euros = forms.DecimalField(
        label=_("Cost of the campaign (€)"),
        min_value=Decimal(0),
        max_value=Decimal(10_000_000),
        decimal_places=2,
        initial=Decimal(0),
        help_text=_("Extra points, printing, advertising: everything the campaign cost the collective."),
    )
    margin_percent = forms.DecimalField(
        label=_("Gross margin on extra spend (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=1,
        initial=Decimal(30),
        help_text=_("The share of extra spend that is profit for the merchants, on average."),
    )

    def __init__(self, *args, is_event: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if is_event:
            self.fields["cost_euros"].label = _("Cost of the event (€)")
            self.fields["cost_euros"].help_text = _(
                "Stage, stalls, advertising: everything the event cost the collective."
            )

    def cleaned_cents(self) -> tuple[int, int]:
        """(cost in cents, margin in permille)."""
        return (
            int(self.cleaned_data["cost_euros"] * 100),
            int(self.cleaned_data["margin_percent"] * 10),
        )
