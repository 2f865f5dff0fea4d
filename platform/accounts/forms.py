"""The sign-up form's own part: optional consents, each with its purpose's text, none ticked."""

from django import forms
from django.contrib import messages
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from privacy import services as privacy_services
from privacy.exceptions import ConsentTextChanged
from privacy.forms import ConsentChoicesMixin
from privacy.models import CollectionMethod


class SignupForm(ConsentChoicesMixin, forms.Form):
    """allauth's ACCOUNT_SIGNUP_FORM_CLASS: adds one unticked box per consent purpose (GDPR recital 32), as joining
    an area's pass does (`privacy.forms.ConsentChoicesMixin`).

    The account works whatever is ticked; every choice can be changed later on the privacy page.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_consent_fields()

    def signup(self, request, user) -> None:
        area = getattr(request, "area", None)
        if not area:
            return
        # Not ticked: no decision yet (asked again on the privacy page), never "given".
        for code, shown_version in self.ticked_consents().items():
            try:
                privacy_services.give_consent(
                    subject=user,
                    area=area,
                    purpose_code=code,
                    method=CollectionMethod.SIGNUP,
                    language=(get_language() or "nl")[:2],
                    shown_version=shown_version,
                )
            except ConsentTextChanged:
                messages.warning(
                    request, _("A privacy text changed while you signed up; please check your choices again.")
                )
