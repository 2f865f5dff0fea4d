"""Forms of the parcel desk: the scan at intake, the recipient of an unannounced parcel, pickup, declaring lost.

Shape only (a code, a UUID, a name and e-mail, a size class); the services enforce the rules and their errors
are shown as they come. Each scan form carries a `request_key` made when the form is rendered: a resubmit (a
reload, a double Enter, the answer to "which carrier?") sends the same key, so the desk never takes a parcel twice.
"""

from __future__ import annotations

import re
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SizeClass

_SCAN_ATTRS = {
    "autocomplete": "off",
    "autocapitalize": "characters",
    "autocorrect": "off",
    "spellcheck": "false",
    "enterkeyhint": "go",
}
_DEVICE = re.compile(r"[\w.-]{1,40}")


def _size_choices():
    return [("", _("Unknown")), *SizeClass.choices]


class ScanForm(forms.Form):
    """One scan at intake: a parcel's barcode, or (with a parcel waiting for its slot) a slot label or nothing
    (Enter: take the suggested slot). `carrier_code` is the answer to "which carrier?"; `again` takes a parcel
    that left in once more."""

    code = forms.CharField(
        label=_("Scan a parcel"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs=_SCAN_ATTRS),
    )
    size_class = forms.ChoiceField(label=_("Size"), choices=_size_choices, required=False)
    request_key = forms.UUIDField(widget=forms.HiddenInput)
    carrier_code = forms.SlugField(required=False, max_length=20, widget=forms.HiddenInput)
    #: The parcel just scanned in and waiting for its slot, and the slot the desk suggested for it.
    pending = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    suggested = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)
    #: Staff said this parcel, which left (picked up, refused, …), is here again: take it in as a new arrival.
    again = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4())
        super().__init__(*args, **kwargs)

    def clean_code(self):
        return (self.cleaned_data.get("code") or "").strip()


class RecipientForm(ScanForm):
    """An unannounced parcel: the recipient's name and e-mail from the label, its size and (optionally) weight."""

    recipient_name = forms.CharField(label=_("Recipient's name"), max_length=150)
    recipient_email = forms.EmailField(label=_("Recipient's e-mail"), max_length=254)
    weight_grams = forms.IntegerField(
        label=_("Weight in grams (optional)"), required=False, min_value=1, max_value=1_000_000
    )

    field_order = ["recipient_name", "recipient_email", "size_class", "weight_grams", "code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].required = True
        self.fields["code"].label = _("Tracking code")
        self.fields["recipient_name"].error_messages["required"] = _("Enter the recipient's name from the label.")
        self.fields["recipient_email"].error_messages["required"] = _(
            "Enter the recipient's e-mail address: the pickup code is sent there."
        )


class PickupLookupForm(forms.Form):
    """The QR from the recipient's e-mail or app, or the pickup code typed; optionally the name."""

    code = forms.CharField(
        label=_("Scan the QR code or type the pickup code"),
        max_length=120,
        widget=forms.TextInput(attrs=_SCAN_ATTRS),
        error_messages={"required": _("Scan the QR code or type the pickup code.")},
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=150, required=False)

    def clean_code(self):
        return self.cleaned_data["code"].strip()


class IdListField(forms.Field):
    """Parcel ids ticked off (checkboxes of the same name): a sorted list of distinct whole numbers."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return sorted({int(item) for item in value or []})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(_("Tick the parcels again."), code="invalid_ids") from error


class HandOutForm(forms.Form):
    """The parcels ticked off (scanned or ticked by hand) for the holder of the code, and the checks made."""

    code = forms.CharField(max_length=120, widget=forms.HiddenInput)
    name = forms.CharField(max_length=150, required=False, widget=forms.HiddenInput)
    request_key = forms.UUIDField(widget=forms.HiddenInput)
    parcels = IdListField(required=False)
    id_checked = forms.BooleanField(label=_("I checked the recipient's ID"), required=False)
    on_behalf = forms.BooleanField(label=_("Picked up on the recipient's behalf"), required=False)
    #: A parcel's barcode scanned to tick it off (without the script, Enter sends it here).
    scan = forms.CharField(label=_("Scan each parcel"), max_length=120, required=False)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Tracking code, pickup code or recipient's name"),
        max_length=120,
        widget=forms.TextInput(attrs={**_SCAN_ATTRS, "autocapitalize": "off", "type": "search"}),
    )


class DeclareLostForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason.")},
    )


class DeviceForm(forms.Form):
    """The desk device's short name (kept in a cookie of this browser), recorded on every scan."""

    device = forms.CharField(
        label=_("Name of this desk"),
        max_length=40,
        help_text=_("For example balie-1. Letters, digits, dots and dashes."),
    )

    def clean_device(self):
        value = self.cleaned_data["device"].strip()
        if not _DEVICE.fullmatch(value):
            raise forms.ValidationError(_("Use letters, digits, dots and dashes only."), code="invalid_device")
        return value


def clean_device_name(value: str | None) -> str:
    """A device name from the cookie, or "" when it is missing or not one we could have set."""
    value = (value or "").strip()
    return value if _DEVICE.fullmatch(value) else ""
