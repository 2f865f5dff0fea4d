"""Forms of the back-office screens (returns, handover, inventory): shape only; the services enforce the rules
and their errors come back on the matching field (`add_service_error`)."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from agora.exceptions import ApplicationError

from .models import SizeClass

_SCAN_ATTRS = {
    "autocomplete": "off",
    "autocapitalize": "characters",
    "autocorrect": "off",
    "spellcheck": "false",
    "autofocus": True,
    "enterkeyhint": "go",
    "data-scan-input": True,
}


class ScanField(forms.CharField):
    """What a keyboard-wedge scanner types (or staff type from the label), Enter submitting."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("widget", forms.TextInput(attrs=dict(_SCAN_ATTRS)))
        super().__init__(**kwargs)


class BackofficeForm(forms.Form):
    """The desk device (a random id the browser keeps, filled in by backoffice.js; empty without it)."""

    device = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput(attrs={"data-device": True}))
    #: exception class name → field its message belongs to (else it is shown above the form)
    error_fields: dict[str, str] = {}

    def add_service_error(self, error: ApplicationError) -> None:
        field = self.error_fields.get(type(error).__name__)
        self.add_error(field if field in self.fields else None, error.message)


class ReturnDropOffForm(BackofficeForm):
    code = ScanField(label=_("Return label or the customer's QR code"))
    carrier = forms.ChoiceField(label=_("Carrier"), required=False, choices=())
    size_class = forms.ChoiceField(
        label=_("Size"), required=False, choices=[("", _("Not measured")), *SizeClass.choices]
    )
    weight_grams = forms.IntegerField(
        label=_("Weight (grams)"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    customer_email = forms.CharField(
        label=_("Customer's e-mail for the receipt (optional)"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    request_key = forms.UUIDField(widget=forms.HiddenInput)
    error_fields = {
        "InvalidTrackingCode": "code",
        "NotAReturn": "code",
        "UnknownCarrier": "carrier",
        "ReturnTooLarge": "size_class",
        "InvalidReceiptEmail": "customer_email",
    }

    def __init__(self, *args, carriers=(), asking: bool = False, **kwargs):
        """`asking`: "which carrier?" for the code: only `carriers` to choose from, the first chosen and focused
        (Enter in the code field or the list sends the answer, instead of asking again)."""
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4())
        if asking and carriers:
            kwargs["initial"]["carrier"] = carriers[0][0]
        super().__init__(*args, **kwargs)
        carrier = self.fields["carrier"]
        carrier.choices = [*carriers] if asking and carriers else [("", _("Recognise from the code")), *carriers]
        if asking and carriers:
            self.fields["code"].widget.attrs.pop("autofocus", None)
            carrier.widget.attrs.update({"autofocus": True, "data-enter-submits": True})


class HandoverOpenForm(BackofficeForm):
    carrier = forms.CharField(max_length=20, widget=forms.HiddenInput)


class HandoverScanForm(BackofficeForm):
    code = ScanField(label=_("Scan each parcel the driver takes"))


class HandoverCloseForm(BackofficeForm):
    driver_name = forms.CharField(
        label=_("Driver's name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    error_fields = {"DriverNameRequired": "driver_name"}


class InventoryScanForm(BackofficeForm):
    code = ScanField(label=_("Scan a slot label, then the parcels in that slot"))
