"""The sign-up form's own part: optional consents, each with its purpose's text, none ticked."""

from django import forms
from django.contrib import messages
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from privacy import selectors as privacy_selectors
from privacy import services as privacy_services
from privacy.exceptions import ConsentTextChanged
from privacy.models import CollectionMethod


class SignupForm(forms.Form):
    """allauth's ACCOUNT_SIGNUP_FORM_CLASS: adds one unticked box per consent purpose (GDPR recital 32).

    The account works whatever is ticked; every choice can be changed later on the privacy page.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.consent_purposes = []
        for purpose, version in privacy_selectors.published_purposes():
            if not purpose.needs_consent:
                continue
            name = f"consent_{purpose.code}"
            self.fields[name] = forms.BooleanField(
                required=False, initial=False, label=version.title, help_text=version.text
            )
            self.fields[f"{name}_version"] = forms.IntegerField(
                initial=version.version, widget=forms.HiddenInput, required=False
            )
            self.consent_purposes.append((purpose.code, name))

    def consent_fields(self):
        return [self[name] for _code, name in self.consent_purposes]

    def signup(self, request, user) -> None:
        area = getattr(request, "area", None)
        if not area:
            return
        for code, name in self.consent_purposes:
            if not self.cleaned_data.get(name):
                continue  # not ticked: no decision yet (asked again on the privacy page), never "given"
            try:
                privacy_services.give_consent(
                    subject=user,
                    area=area,
                    purpose_code=code,
                    method=CollectionMethod.SIGNUP,
                    language=(get_language() or "nl")[:2],
                    shown_version=self.cleaned_data.get(f"{name}_version"),
                )
            except ConsentTextChanged:
                messages.warning(
                    request, _("A privacy text changed while you signed up; please check your choices again.")
                )
