"""The form of the rewards catalogue's pages (/<lang>/beloningen/): a reward of one area, new or changed.

It checks shape only and speaks as a person would: euros instead of cents, days instead of moments, "the
collective" instead of no merchant. The service (`services.save_reward`) enforces the rules; its errors come back
on these fields.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from areas.models import Merchant, MerchantStatus

from .forms import FocusFirstErrorMixin
from .forms_campaigns import EuroField, MappedErrorsMixin, WholeNumberField, _date_input, start_of_day, with_numbers
from .models import Reward
from .selectors import last_day
from .services.rewards import REWARD_FIELDS


def reward_days(reward: Reward, tz) -> tuple[date | None, date | None]:
    """The reward's period as the form shows it: its first day, and its last (`selectors.last_day`); None where it
    has no limit."""
    first = timezone.localtime(reward.valid_from, tz).date() if reward.valid_from else None
    last = None
    if reward.valid_until:
        last = last_day(reward.valid_until, tz)
        if first is not None:
            last = max(last, first)
    return first, last


class RewardForm(FocusFirstErrorMixin, MappedErrorsMixin, forms.Form):
    """A reward in an area's catalogue, created or changed by its manager. Whether it is switched on is not here:
    that has its own page (`services.switch_reward`)."""

    title = forms.CharField(label=_("Title"), max_length=120, help_text=_("Members see it in the catalogue."))
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the member gets and how to use it, in a sentence or two."),
    )
    title_en = forms.CharField(
        label=_("Title in English (optional)"),
        max_length=120,
        required=False,
        help_text=_("For members who read the app in English. Empty: they see the title above."),
    )
    description_en = forms.CharField(
        label=_("Description in English (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Empty: English pages show the description above."),
    )
    # Whole numbers without the form's own bounds: the service says what is allowed.
    cost_points = WholeNumberField(label=_("Cost (points)"), help_text=_("The points a member spends on it."))
    value = EuroField(
        label=_("Worth at the till (€)"),
        help_text=with_numbers(
            _("For example %(amount)s. The member's voucher takes this much off a purchase."), amount=Decimal("12.50")
        ),
    )
    merchant = forms.ModelChoiceField(
        label=_("Who funds it?"),
        queryset=Merchant.objects.none(),
        required=False,
        empty_label=_("The collective (valid at every merchant)"),
        error_messages={"invalid_choice": _("Choose a merchant of this shopping area.")},
        help_text=_("A merchant's reward is valid at that merchant only, and the merchant pays for it."),
    )
    stock = WholeNumberField(
        label=_("Stock (optional)"),
        required=False,
        # Changed or not is judged against the stock this page showed, not the stock when it is sent: members who
        # chose the reward in between are not undone by a form that merely sends the old number back.
        show_hidden_initial=True,
        help_text=_("How many members can still choose it; one less each time a member does. Empty: no limit."),
    )
    first_day = forms.DateField(label=_("First day (optional)"), required=False, widget=_date_input())
    last_day = forms.DateField(
        label=_("Last day (optional)"),
        required=False,
        widget=_date_input(),
        help_text=_("Members can choose it from the start of the first day to the end of the last day."),
    )
    voucher_valid_days = WholeNumberField(
        label=_("Voucher valid for (days)"),
        help_text=_("How long the member has to use the voucher after choosing the reward."),
    )

    service_field_names = {"value_cents": "value", "valid_from": "first_day", "valid_until": "last_day"}
    #: this form's field → the service's field it feeds
    _SERVICE = {form_name: name for name, form_name in service_field_names.items()}

    def __init__(self, data=None, *, area, reward: Reward | None = None):
        self.area, self.reward = area, reward
        super().__init__(data, initial=self._initial())
        merchants = Merchant.objects.filter(area=area).exclude(status=MerchantStatus.LEFT)
        if reward is not None and reward.merchant_id:
            # A merchant who has left stays on its own reward (and can be replaced by another).
            merchants = merchants | Merchant.objects.filter(pk=reward.merchant_id)
        self.fields["merchant"].queryset = merchants.order_by("trade_name")
        self.fields["last_day"].widget.attrs["min"] = timezone.localdate(timezone=area.tz).isoformat()

    def _initial(self) -> dict:
        reward = self.reward
        if reward is None:
            return {"voucher_valid_days": REWARD_FIELDS["voucher_valid_days"]}
        first, last = reward_days(reward, self.area.tz)
        return {
            "title": reward.title,
            "description": reward.description,
            "title_en": reward.title_en,
            "description_en": reward.description_en,
            "cost_points": reward.cost_points,
            "value": reward.value_cents,
            "merchant": reward.merchant_id,
            "stock": reward.stock,
            "first_day": first,
            "last_day": last,
            "voucher_valid_days": reward.voucher_valid_days,
        }

    def _service_value(self, name: str):
        value = self.cleaned_data[name]
        if name == "first_day":
            return start_of_day(value, self.area.tz) if value else None
        if name == "last_day":
            # Inclusive: the reward ends at the midnight that ends the last day.
            return start_of_day(value + timedelta(days=1), self.area.tz) if value else None
        return value

    def service_fields(self) -> dict:
        """What to give `services.save_reward`: everything for a new reward; for an existing one only what the
        person changed (a stock left alone is not written back over members' choices made since the page was
        drawn, and a day left alone keeps a start or end at another hour than midnight, as the admin may have
        set)."""
        names = self.fields if self.reward is None else self.changed_data
        return {self._SERVICE.get(name, name): self._service_value(name) for name in names if name in self.cleaned_data}
