"""Forms of the member's parcel pages and of the pre-announcement upload (shape only; the services check)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services.imports import MAX_UPLOAD_BYTES

#: What a service's row error names, mapped to the form field it belongs on.
_FIELD_OF = {"carrier": "carrier", "tracking_code": "tracking_code"}


class ExpectParcelForm(forms.Form):
    """ "I expect a parcel": the tracking code, and the carrier if the member knows it. Nothing else."""

    point = forms.ModelChoiceField(label=_("Parcel point"), queryset=None, empty_label=None)
    tracking_code = forms.CharField(
        label=_("Tracking code"),
        max_length=64,
        help_text=_("From the shop's or the carrier's e-mail."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    carrier = forms.ChoiceField(label=_("Carrier (optional)"), required=False)

    def __init__(self, *args, points, carriers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
        if points.count() == 1:
            self.fields["point"].initial = points.first()
            self.fields["point"].widget = forms.HiddenInput()
        self.fields["carrier"].choices = [("", _("I don't know (recognised from the code)")), *carriers]

    def add_row_errors(self, errors) -> None:
        for error in errors:
            self.add_error(_FIELD_OF.get(error.field), error.message)


class AnnouncementUploadForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"))
    file = forms.FileField(label=_("CSV file"))

    def __init__(self, *args, carriers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].choices = carriers

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d kB.") % {"size": MAX_UPLOAD_BYTES // 1000}, code="too_large"
            )
        return upload
