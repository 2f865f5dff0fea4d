"""The upload form of the sensors dashboard."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .importers.base import MAX_UPLOAD_BYTES
from .models import ImportSource, Sensor

UPLOAD_SOURCES = [choice for choice in ImportSource.choices if choice[0] != ImportSource.API]


class SensorUploadForm(forms.Form):
    source = forms.ChoiceField(label=_("Kind of file"), choices=UPLOAD_SOURCES)
    sensor = forms.ModelChoiceField(
        label=_("Sensor (for a Hystreet export)"),
        queryset=Sensor.objects.none(),
        required=False,
        help_text=_("A Hystreet export names no station: say which sensor it belongs to."),
    )
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sensor"].queryset = Sensor.objects.filter(area=area).select_related("counting_point")
        self.fields["sensor"].label_from_instance = lambda s: f"{s.counting_point.name} · {s}"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB.") % {"size": MAX_UPLOAD_BYTES // 1_000_000}
            )
        return upload

    def clean(self):
        data = super().clean()
        if data.get("source") == ImportSource.HYSTREET and not data.get("sensor"):
            self.add_error("sensor", _("Choose the Hystreet sensor this export belongs to."))
        return data
