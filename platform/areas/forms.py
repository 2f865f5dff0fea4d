"""Forms for the staff pages. They check shape only; the services enforce the rules and their errors are
put back on the fields here (`add_service_errors`)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

from .exceptions import InvalidInput
from .models import Merchant, Weekday

PERIODS_PER_DAY = 2  # a morning and an afternoon: enough for a lunch break


class ServiceErrorsMixin:
    def add_service_errors(self, error: InvalidInput) -> None:
        """Show a service's errors on the matching fields (the rest at the top of the form)."""
        for key, messages in error.errors.items():
            field = self.field_for_error(key)
            for message in messages:
                self.add_error(field, message)

    def field_for_error(self, key) -> str | None:
        return key if key in self.fields and key != NON_FIELD_ERRORS else None


class MerchantForm(ServiceErrorsMixin, forms.ModelForm):
    """A merchant's details; `editable` picks the fields this person may change."""

    website = forms.URLField(label=_("website"), required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Merchant
        fields = [
            "trade_name",
            "legal_name",
            "slug",
            "registration_number",
            "vat_number",
            "sector",
            "joined_on",
            "street",
            "postcode",
            "city",
            "latitude",
            "longitude",
            "email",
            "phone",
            "website",
            "description",
            "description_en",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "joined_on": forms.DateInput(attrs={"type": "date"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }

    def __init__(self, *args, editable: frozenset[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in editable:
                del self.fields[name]

    def _post_clean(self):
        # Shape only: the model's own validation (numbers against the area's country, uniqueness) runs in
        # services.update_merchant, the one place every interface goes through.
        pass


class OpeningHoursForm(ServiceErrorsMixin, forms.Form):
    """The regular week: up to two periods a day; a day without periods is closed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for weekday in Weekday:
            for n in range(PERIODS_PER_DAY):
                for edge, label in (("opens", _("Opens")), ("closes", _("Closes"))):
                    self.fields[self.field_name(weekday, n, edge)] = forms.TimeField(
                        label=label, required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
                    )

    @staticmethod
    def field_name(weekday: int, n: int, edge: str) -> str:
        return f"day{weekday}_{n}_{edge}"

    @classmethod
    def initial_for(cls, week: dict[int, list]) -> dict:
        initial = {}
        for weekday, periods in week.items():
            for n, (opens, closes) in enumerate(periods[:PERIODS_PER_DAY]):
                initial[cls.field_name(weekday, n, "opens")] = opens
                initial[cls.field_name(weekday, n, "closes")] = closes
        return initial

    def clean(self):
        cleaned = super().clean()
        for weekday in Weekday:
            for n in range(PERIODS_PER_DAY):
                opens = cleaned.get(self.field_name(weekday, n, "opens"))
                closes = cleaned.get(self.field_name(weekday, n, "closes"))
                if (opens is None) != (closes is None):
                    self.add_error(
                        self.field_name(weekday, n, "opens" if opens is None else "closes"),
                        _("Enter both the opening and the closing time, or neither."),
                    )
        return cleaned

    def week(self) -> dict[int, list]:
        week: dict[int, list] = {}
        for weekday in Weekday:
            periods = []
            for n in range(PERIODS_PER_DAY):
                opens = self.cleaned_data.get(self.field_name(weekday, n, "opens"))
                closes = self.cleaned_data.get(self.field_name(weekday, n, "closes"))
                if opens is not None and closes is not None:
                    periods.append((opens, closes))
            week[int(weekday)] = periods
        return week

    def days(self):
        """Rows for the template: (weekday label, [(opens field, closes field), …])."""
        for weekday in Weekday:
            yield (
                weekday.label,
                [
                    (self[self.field_name(weekday, n, "opens")], self[self.field_name(weekday, n, "closes")])
                    for n in range(PERIODS_PER_DAY)
                ],
            )

    def field_for_error(self, key) -> str | None:
        # The service keys opening-hours errors by weekday: show them on that day's first field.
        if isinstance(key, int) and key in range(7):
            return self.field_name(key, 0, "opens")
        return super().field_for_error(key)


class GrantRoleForm(ServiceErrorsMixin, forms.Form):
    """Give someone with an account a role at the merchant, by their e-mail address."""

    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The person needs an Agora account with this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles: list[Role], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]
        if len(roles) == 1:
            self.fields["role"].initial = roles[0].value

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("There is no account with this e-mail address. Ask them to sign up first."))
        self.cleaned_data["user"] = user
        return email
