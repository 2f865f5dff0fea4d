"""Forms of the campaign pages (/<lang>/campagnes/) and of the vouchers a campaign hands out (also the admin's).

They check shape only and speak as a person would: days instead of moments, a factor instead of permille, euros
instead of cents. The service (`services.save_campaign`) enforces the rules; its errors come back on these fields.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from agora.exceptions import ApplicationError
from areas.models import Merchant, MerchantStatus
from areas.sectors import Sector

from .exceptions import InvalidCampaign
from .forms import AmountField, FocusFirstErrorMixin, ServiceErrorsMixin
from .models import Campaign, CampaignKind, Funder, VoucherKind
from .segments import grouped_segment_choices, segment_help
from .selectors import first_and_last_day
from .services.campaigns import CHANGEABLE_AFTER_START, check_campaign, has_started, is_cancelled

# As many digits as anyone types: a factor out of range ("1000") is the campaign's rules' to name (×1 to ×10).
_FACTOR = re.compile(r"^\d{1,9}(?:[.,]\d{1,3})?$")


def _number(value: Decimal | int) -> str:
    """A number as the active language writes it, with as many decimals as `value` has: Decimal("1.5") → "1,5"
    (nl), "1.5" (en); 100000 → "100.000" (nl), "100,000" (en)."""
    decimals = max(0, -Decimal(value).as_tuple().exponent)
    return formats.number_format(value, decimals, use_l10n=True, force_grouping=True)


def with_numbers(text, **numbers: Decimal | int):
    """`text` (a lazy translation) with `numbers` written as the language of the moment it is shown writes them:
    for help texts, which are made once at import, in no language yet."""
    return lazy(lambda: str(text) % {name: _number(value) for name, value in numbers.items()}, str)()


class MappedErrorsMixin(ServiceErrorsMixin):
    """As ServiceErrorsMixin, for a form whose fields are named otherwise than the service's arguments."""

    #: the service's name of a field → this form's
    service_field_names: dict[str, str] = {}

    def add_service_error(self, error: ApplicationError) -> None:
        per_field = error.extra.get("errors") or {}
        if not per_field:
            super().add_service_error(error)
            return
        for name, messages in per_field.items():
            field = self.service_field_names.get(name, name)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class KindFieldsMixin:
    """For a form whose `kind` decides which of its fields count: the page folds the other kinds' fields away
    (campaigns.css), so what they still hold is neither checked nor used, and no error hides in a field out of sight.
    """

    #: a kind → the fields that belong to it alone
    kind_fields: dict[str, tuple[str, ...]] = {}

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in self.kind_fields:
            for other, names in self.kind_fields.items():
                for name in names if other != kind else ():
                    self._errors.pop(name, None)
                    data[name] = None
        return data


class FactorField(forms.Field):
    """A multiplier as people say it: 1.5, 2 or 3 ('1,5' as well); cleans to permille (1500, 2000, 3000)."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Enter a factor such as %(example)s or 2 or 3.")}

    def to_python(self, value):
        if isinstance(value, int):
            return value
        value = re.sub(r"[\s×x]", "", str(value or ""), flags=re.IGNORECASE)
        if not value:
            return None
        invalid = forms.ValidationError(
            self.error_messages["invalid"], code="invalid", params={"example": _number(Decimal("1.5"))}
        )
        if not _FACTOR.match(value):
            raise invalid
        try:
            return int(Decimal(value.replace(",", ".")) * 1000)
        except InvalidOperation as error:  # pragma: no cover - the pattern admits only digits
            raise invalid from error

    def prepare_value(self, value):
        # Initial values are permille; what the person typed comes back as they typed it.
        if isinstance(value, int):
            return formats.number_format(Decimal(value) / 1000, use_l10n=True)
        return value

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal", "autocomplete": "off", "maxlength": "8"}


class WholeNumberField(forms.IntegerField):
    """A whole number as people type it, on a numeric keypad: '1000', or with the active language's thousands
    separator in groups of three ('1.000' in Dutch, '1,000' in English; a space does too). A sign only where the
    bounds allow one. Anything else with a separator ('1,5', '1.00', '1,000' in Dutch) is refused, never rounded.

    Django's own field reads '1.000' as 1 (it drops a trailing '.0…' as decimals), so a reward of a thousand points
    cost one: this one reads what was typed as the person meant it, or says it cannot. A text input, not a number
    input, so that the browser sends what was typed rather than its own reading of it."""

    widget = forms.TextInput
    # Out of bounds, the message names them as the language writes numbers ("1 to 100.000"), rather than Django's
    # "Ensure this value is greater than or equal to 1.". A form may give its own, with %(min)s and %(max)s.
    default_error_messages = {
        "invalid": _("Enter a whole number. Without decimals: a thousand is written %(thousand)s or 1000."),
        "out_of_range": _("Enter a number from %(min)s to %(max)s."),
        "too_small": _("Enter a number of at least %(min)s."),
        "too_large": _("Enter a number of at most %(max)s."),
    }

    def to_python(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # an initial value (a disabled field cleans its initial)
        text = str(value if value is not None else "").strip().replace("\u2212", "-")  # a typographic minus
        if not text:
            return None
        separators = "".join(re.escape(sep) for sep in {formats.get_format("THOUSAND_SEPARATOR"), " ", "\u00a0"})
        if len(text) > 20 or not re.fullmatch(rf"[+-]?(?:\d+|\d{{1,3}}(?:[{separators}]\d{{3}})+)", text):
            thousand = formats.number_format(1000, force_grouping=True)
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"thousand": thousand})
        return int(re.sub(r"\D", "", text)) * (-1 if text.startswith("-") else 1)

    def validate(self, value):
        super().validate(value)
        low, high = self.min_value, self.max_value
        if value is None or ((low is None or value >= low) and (high is None or value <= high)):
            return
        code = "out_of_range" if low is not None and high is not None else "too_small" if high is None else "too_large"
        params = {"min": _number(low) if low is not None else "", "max": _number(high) if high is not None else ""}
        raise forms.ValidationError(self.error_messages[code], code=code, params=params)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "numeric", "autocomplete": "off"}


class EuroField(AmountField):
    """AmountField whose initial value is cents, shown as euros ('12,50'); empty is no amount."""

    def to_python(self, value):
        # A disabled field cleans its initial value, which is cents already.
        return value if isinstance(value, int) else super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, int):
            return formats.number_format(Decimal(value) / 100, 2, use_l10n=True)
        return value


def _date_input(**attrs) -> forms.DateInput:
    # ISO in the field's value, whatever the language: what a browser's date field reads.
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


def start_of_day(day: date, tz) -> datetime:
    """Midnight at the start of `day` in the area's zone (never in a daylight-saving gap in Europe)."""
    return datetime.combine(day, time.min).replace(tzinfo=tz)


class CampaignForm(FocusFirstErrorMixin, KindFieldsMixin, MappedErrorsMixin, forms.Form):
    """A campaign of one area, created or changed by its manager. Once it has started only the name, description
    and last day stay open (`services.campaigns.CHANGEABLE_AFTER_START`); the rest is shown disabled. A cancelled
    one is shown disabled whole."""

    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("Members see it in the app."))
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the members get, in a sentence or two. Shown in the app under the name."),
    )
    name_en = forms.CharField(
        label=_("Name in English (optional)"),
        max_length=120,
        required=False,
        help_text=_("For members who read the app in English. Empty: they see the name above."),
    )
    description_en = forms.CharField(
        label=_("Description in English (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Empty: English pages show the description above."),
    )
    first_day = forms.DateField(label=_("First day"), widget=_date_input())
    last_day = forms.DateField(
        label=_("Last day"),
        widget=_date_input(),
        help_text=_("The campaign runs from the start of the first day to the end of the last day."),
    )
    kind = forms.ChoiceField(
        label=_("What do members get?"),
        choices=[
            (CampaignKind.MULTIPLIER, _("More points per euro (a multiplier)")),
            (CampaignKind.BONUS, _("A fixed number of extra points per purchase")),
        ],
        widget=forms.RadioSelect,
    )
    multiplier = FactorField(
        label=_("Multiplier"),
        required=False,
        help_text=with_numbers(
            _("For example %(factor)s for half as many points again, 2 for double points, 3 for triple points."),
            factor=Decimal("1.5"),
        ),
    )
    bonus_points = WholeNumberField(
        label=_("Extra points per purchase"), required=False, min_value=1, max_value=100_000
    )
    min_amount = EuroField(
        label=_("Smallest purchase (€, optional)"),
        required=False,
        help_text=_("Only purchases of at least this amount get the extra points. Empty: every purchase."),
    )
    merchants = forms.ModelMultipleChoiceField(
        label=_("Merchants"),
        queryset=Merchant.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose merchants of this shopping area.")},
    )
    sectors = forms.MultipleChoiceField(
        label=_("Sectors"),
        choices=Sector.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every merchant of a ticked sector takes part, also merchants who join later."),
    )
    segment = forms.ChoiceField(
        label=_("For which members?"),
        required=False,
        help_text=_(
            "A group reaches only the members in it who agreed to receive offers chosen for them (personal offers)."
            " Everyone else does not see the campaign and does not get its extra points."
        ),
    )
    funded_by = forms.ChoiceField(
        label=_("Who pays for the extra points?"),
        choices=Funder.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "The settlement charges the extra points to them. The merchants pay only for a campaign that names them:"
            " tick the merchants who agreed."
        ),
    )

    service_field_names = {
        "starts_at": "first_day",
        "ends_at": "last_day",
        "multiplier_permille": "multiplier",
        "min_amount_cents": "min_amount",
    }
    #: this form's field → the service's field it feeds
    _SERVICE = {form_name: name for name, form_name in service_field_names.items()}
    kind_fields = {CampaignKind.MULTIPLIER: ("multiplier",), CampaignKind.BONUS: ("bonus_points",)}

    def __init__(self, data=None, *, area, campaign: Campaign | None = None, now: datetime):
        self.area, self.campaign, self.now = area, campaign, now
        super().__init__(data, initial=self._initial())
        merchants = Merchant.objects.filter(area=area).exclude(status=MerchantStatus.LEFT)
        if campaign is not None:
            merchants = merchants | Merchant.objects.filter(pk__in=campaign.merchants.values("pk"))
        self.fields["merchants"].queryset = merchants.order_by("trade_name")
        self.fields["segment"].choices = [("", _("Every member")), *grouped_segment_choices()]
        #: per source of groups, who is in each (the page lists them under the field)
        self.segment_help = segment_help()
        today = timezone.localdate(now, timezone=area.tz).isoformat()
        self.fields["last_day"].widget.attrs["min"] = today
        self.is_started = campaign is not None and has_started(campaign, now=now)
        self.has_ended = campaign is not None and (campaign.ends_at <= now or not campaign.is_active)
        if not self.is_started:
            self.fields["first_day"].widget.attrs["min"] = today
        # Cancelled before it started: nothing changes any more (the page shows it read only, without a button).
        self.is_cancelled = campaign is not None and is_cancelled(campaign, now=now)
        for name, field in self.fields.items():
            if self.is_cancelled or (self.is_started and self._SERVICE.get(name, name) not in CHANGEABLE_AFTER_START):
                field.disabled = True
        if self.is_started and self.has_ended:
            self.fields["last_day"].disabled = True

    def _initial(self) -> dict:
        campaign = self.campaign
        if campaign is None:
            return {"kind": CampaignKind.MULTIPLIER, "multiplier": 2000, "funded_by": Funder.COLLECTIVE}
        first, last = first_and_last_day(campaign, self.area.tz)
        is_multiplier = campaign.kind == CampaignKind.MULTIPLIER
        return {
            "name": campaign.name,
            "description": campaign.description,
            "name_en": campaign.name_en,
            "description_en": campaign.description_en,
            "first_day": first,
            "last_day": last,
            "kind": campaign.kind,
            "multiplier": campaign.multiplier_permille if is_multiplier else None,
            "bonus_points": None if is_multiplier else campaign.bonus_points,
            "min_amount": campaign.min_amount_cents or None,
            "merchants": [merchant.pk for merchant in campaign.merchants.all()],
            "sectors": list(campaign.sectors or []),
            "segment": campaign.segment,
            "funded_by": campaign.funded_by,
        }

    def clean(self):
        data = super().clean()
        if self._errors:
            # Some fields are wrong already: say now what the campaign's rules make of the others too, rather than
            # on the next round (`save_campaign` checks them again, with all of them, when the form is valid).
            try:
                check_campaign(area=self.area, campaign=self.campaign, now=self.now, **self.service_fields())
            except InvalidCampaign as error:
                for name, messages in error.extra.get("errors", {}).items():
                    field = self.service_field_names.get(name, name)
                    if field in self.fields and field not in self._errors:
                        for message in messages:
                            self.add_error(field, message)
        return data

    def _service_value(self, name: str):
        value = self.cleaned_data[name]
        if name == "first_day":
            return start_of_day(value, self.area.tz)
        if name == "last_day":
            # Inclusive: the campaign ends at the midnight that ends the last day.
            return start_of_day(value + timedelta(days=1), self.area.tz)
        if name == "min_amount":
            return value or 0
        if name == "merchants":
            return list(value)
        return value

    def service_fields(self) -> dict:
        """What to give `services.save_campaign`: everything for a new campaign; for an existing one only what the
        person changed (a day left alone keeps an end at another hour than midnight, as the admin may have set)."""
        names = self.fields if self.campaign is None else self.changed_data
        return {
            self._SERVICE.get(name, name): self._service_value(name)
            for name in names
            if name in self.cleaned_data and not self.fields[name].disabled
        }


class CampaignVoucherForm(FocusFirstErrorMixin, KindFieldsMixin, MappedErrorsMixin, forms.Form):
    """What each member the campaign aims at gets (`services.issue_campaign_vouchers`): the campaign pages and the
    admin's action."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(VoucherKind.FIXED, VoucherKind.FIXED.label), (VoucherKind.PERCENT, VoucherKind.PERCENT.label)],
        initial=VoucherKind.FIXED,
        widget=forms.RadioSelect,
    )
    value = AmountField(
        label=_("Value (€), for a fixed amount"),
        required=False,
        error_messages={"too_large": _("That is more than a voucher can be worth.")},
    )
    percent = WholeNumberField(label=_("Percentage, for a percentage"), min_value=1, max_value=100, required=False)
    max_discount = AmountField(
        label=_("At most (€), for a percentage (optional)"),
        required=False,
        error_messages={"too_large": _("That is more than a voucher can take off.")},
    )
    valid_days = WholeNumberField(label=_("Valid for (days)"), min_value=1, max_value=730, initial=30)
    batch = forms.CharField(
        label=_("Batch"),
        max_length=20,
        initial="1",
        help_text=_(
            "Issuing again with the same batch reaches only members who have none of it yet, such as new members; "
            "a new batch gives everyone another voucher."
        ),
    )

    service_field_names = {"value_cents": "value", "max_discount_cents": "max_discount", "expires_at": "valid_days"}
    kind_fields = {VoucherKind.FIXED: ("value",), VoucherKind.PERCENT: ("percent", "max_discount")}

    def clean(self):
        data = super().clean()
        # One error per field: a percentage of 150 is "at most 100", not also "missing".
        if data.get("kind") == VoucherKind.FIXED and not data.get("value") and "value" not in self._errors:
            self.add_error("value", _("A fixed-amount voucher needs its value."))
        if data.get("kind") == VoucherKind.PERCENT and not data.get("percent") and "percent" not in self._errors:
            self.add_error("percent", _("A percentage voucher needs its percentage."))
        return data

    def service_fields(self) -> dict:
        """The arguments of `services.issue_campaign_vouchers` besides the campaign and the person."""
        data = self.cleaned_data
        is_fixed = data["kind"] == VoucherKind.FIXED
        # Only the kind's own fields: a value typed in the other kind's field is not a mistake worth refusing.
        return {
            "kind": data["kind"],
            "value_cents": (data["value"] or 0) if is_fixed else 0,
            "percent": 0 if is_fixed else data["percent"] or 0,
            "max_discount_cents": None if is_fixed else data["max_discount"],
            "valid_days": data["valid_days"],
            "batch": data["batch"],
        }
