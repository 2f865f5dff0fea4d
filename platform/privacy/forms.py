"""Forms check the shape of input only; the rules live in privacy.services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import ConsentState, PurposeVersion


@dataclass(frozen=True)
class ConsentRow:
    """One consent purpose as a form offers it: a box to tick (`field`), or, when the person already gave
    consent for it in this area, no box and the moment it was given (`given_at`)."""

    code: str
    version: PurposeVersion  # the text shown now
    field: forms.BoundField | None = None
    version_field: forms.BoundField | None = None  # hidden: the version shown, sent back with the box
    given_at: datetime | None = None


class ConsentChoicesMixin:
    """The optional consents of a form, one box per purpose that rests on consent, with its current title and text,
    none ticked (GDPR recital 32), and the text's version in a hidden field so a text published in between is
    caught (`ConsentTextChanged`). The sign-up form and joining an area's pass use it: one list, from the
    published purposes.

    A purpose the person already gave consent for in this area (a `consents_for` choice that `is_given`) gets no
    box: it is shown as given and left alone.
    """

    def add_consent_fields(self, *, current: list[selectors.PurposeChoice] | None = None) -> None:
        """`current`: the person's choices in the area (`selectors.consents_for`); None for someone new."""
        if current is None:
            offered = [(purpose, version, None) for purpose, version in selectors.published_purposes()]
        else:
            offered = [(choice.purpose, choice.version, choice) for choice in current]
        self.consent_purposes: list[tuple[str, str]] = []
        self._consent_rows: list[tuple[str, PurposeVersion, str | None, datetime | None]] = []
        for purpose, version, choice in offered:
            if not purpose.needs_consent:
                continue
            if choice is not None and choice.is_given:
                self._consent_rows.append((purpose.code, version, None, choice.decided_at))
                continue
            name = f"consent_{purpose.code}"
            self.fields[name] = forms.BooleanField(
                required=False, initial=False, label=version.title, help_text=version.text
            )
            self.fields[f"{name}_version"] = forms.IntegerField(
                initial=version.version, widget=forms.HiddenInput, required=False
            )
            self.consent_purposes.append((purpose.code, name))
            self._consent_rows.append((purpose.code, version, name, None))

    def consent_fields(self) -> list[forms.BoundField]:
        return [self[name] for _code, name in self.consent_purposes]

    def consent_rows(self) -> list[ConsentRow]:
        """Every consent purpose in order: a box, or "given" for those already given here."""
        return [
            ConsentRow(code=code, version=version, field=self[name], version_field=self[f"{name}_version"])
            if name
            else ConsentRow(code=code, version=version, given_at=given_at)
            for code, version, name, given_at in self._consent_rows
        ]

    def ticked_consents(self) -> dict[str, int | None]:
        """The purposes ticked, each with the text version the page showed (of a valid form)."""
        return {
            code: self.cleaned_data.get(f"{name}_version")
            for code, name in self.consent_purposes
            if self.cleaned_data.get(name)
        }


class ConsentDecisionForm(forms.Form):
    """One button on the settings page: give or withdraw consent for one purpose."""

    purpose = forms.SlugField(max_length=60)
    state = forms.ChoiceField(choices=[(ConsentState.GIVEN, _("Give")), (ConsentState.WITHDRAWN, _("Withdraw"))])
    version = forms.IntegerField(min_value=1, required=False)  # the text version on the page


class EraseConfirmationForm(forms.Form):
    """Typing the address proves the person means it, and that they are on their own account. Where the erasure
    would end money, vouchers or points (`losses_shown`: the `ErasureCheck.losses_digest` of the list on the page),
    a box says the person accepts losing them."""

    email = forms.EmailField(
        label=_("Type your e-mail address to confirm"),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, losses_shown: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if losses_shown:
            self.fields["accept_losses"] = forms.BooleanField(
                label=_("I accept that I lose what is listed under “What you lose”."),
                error_messages={"required": _("Tick this box to confirm, or use or spend them first.")},
            )
            # What the box was ticked for: the service compares it with what is open when the erasure runs.
            self.fields["losses_shown"] = forms.CharField(widget=forms.HiddenInput, required=False)
            self.initial["losses_shown"] = losses_shown

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email.lower() != self.user.email.lower():
            raise forms.ValidationError(_("This is not the e-mail address of your account."))
        return email

    def losses_accepted(self) -> str:
        """The digest of the losses the person accepted (of a valid form), "" where none were listed."""
        return self.cleaned_data.get("losses_shown", "") if self.cleaned_data.get("accept_losses") else ""
