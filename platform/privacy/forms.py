"""Forms check the shape of input only; the rules live in privacy.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ConsentState


class ConsentDecisionForm(forms.Form):
    """One button on the settings page: give or withdraw consent for one purpose."""

    purpose = forms.SlugField(max_length=60)
    state = forms.ChoiceField(choices=[(ConsentState.GIVEN, _("Give")), (ConsentState.WITHDRAWN, _("Withdraw"))])
    version = forms.IntegerField(min_value=1, required=False)  # the text version on the page


class EraseConfirmationForm(forms.Form):
    """Typing the address proves the person means it, and that they are on their own account."""

    email = forms.EmailField(
        label=_("Type your e-mail address to confirm"),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email.lower() != self.user.email.lower():
            raise forms.ValidationError(_("This is not the e-mail address of your account."))
        return email
