"""The shopper's forms: add to cart, change a cart line, checkout. They parse and check input; the rules are
in the services (`shop.services.cart`, `shop.services.checkout`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .models import Fulfilment
from .services.checkout import Contact, FulfilmentChoice, courier_slots, courier_zone_for

ALL = "all"


class AddToCartForm(forms.Form):
    variant = forms.TypedChoiceField(label=_("Option"), coerce=int, choices=())
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=99, initial=1)

    def __init__(self, *args, variants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["variant"].choices = [(v.pk, v.label or str(_("Standard"))) for v in variants]
        if len(self.fields["variant"].choices) == 1:
            self.fields["variant"].widget = forms.HiddenInput()
            self.fields["variant"].initial = self.fields["variant"].choices[0][0]


class CartLineForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=99)


class CheckoutForm(forms.Form):
    """Contact details, a fulfilment for every part (or one for all), gift card and voucher.

    Per part the fields are `fulfilment_<merchant id>`; with `same_for_all` ticked the first choice counts for
    every part. The courier's address and slot are asked once (one address per order).
    """

    request_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    name = forms.CharField(label=_("Name"), max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    same_for_all = forms.BooleanField(label=_("The same for every shop"), required=False, initial=True)
    street = forms.CharField(
        label=_("Street and number"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"), max_length=8, required=False, widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    city = forms.CharField(
        label=_("Town"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    slot = forms.ChoiceField(label=_("Delivery time (bike courier)"), required=False, choices=())
    use_gift_card = forms.BooleanField(label=_("Pay with the gift card value on my pass"), required=False)
    voucher_code = forms.CharField(label=_("Voucher code (optional)"), max_length=32, required=False)

    def __init__(self, *args, summary, area, user=None, gift_card_cents: int = 0, zone=None, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.summary, self.area = summary, area
        now = now or timezone.now()
        self.part_fields = []
        for part in summary.parts:
            choices = [(Fulfilment.PARCEL_POINT, Fulfilment.PARCEL_POINT.label)]
            if part.offers_click_and_collect:
                choices.append((Fulfilment.CLICK_AND_COLLECT, Fulfilment.CLICK_AND_COLLECT.label))
            choices.append((Fulfilment.BIKE_COURIER, Fulfilment.BIKE_COURIER.label))
            name = f"fulfilment_{part.merchant.pk}"
            self.fields[name] = forms.ChoiceField(
                label=part.merchant.trade_name,
                choices=choices,
                initial=Fulfilment.PARCEL_POINT,
                widget=forms.RadioSelect,
            )
            self.part_fields.append((part, name))
        slots = []
        for zone_ in area.courier_zones.filter(is_active=True) if zone is None else [zone]:
            slots += courier_slots(zone_, now=now)
        seen = sorted({start for start, _end in slots})
        self.fields["slot"].choices = [("", "—")] + [
            (start.isoformat(), date_format(start.astimezone(area.tz), "l j F H:i")) for start in seen
        ]
        self.gift_card_cents = gift_card_cents
        if not gift_card_cents:
            del self.fields["use_gift_card"]
        if user is not None and getattr(user, "is_authenticated", False) and not self.is_bound:
            self.initial.setdefault("name", user.get_full_name())
            self.initial.setdefault("email", user.email)

    def clean(self):
        data = super().clean()
        kinds = self.fulfilment_kinds(data)
        if Fulfilment.BIKE_COURIER in kinds.values():
            for name in ("street", "postcode", "city", "slot"):
                if not data.get(name):
                    self.add_error(name, _("Needed for delivery by bike courier."))
            if data.get("postcode") and courier_zone_for(self.area, data["postcode"]) is None:
                self.add_error("postcode", _("The bike courier does not deliver to this postcode."))
        return data

    def fulfilment_kinds(self, data=None) -> dict[int, str]:
        data = data if data is not None else self.cleaned_data
        kinds = {part.merchant.pk: data.get(name) or Fulfilment.PARCEL_POINT for part, name in self.part_fields}
        if data.get("same_for_all") and self.part_fields:
            first = kinds[self.part_fields[0][0].merchant.pk]
            kinds = {merchant_id: first for merchant_id in kinds}
        return kinds

    def contact(self, language: str) -> Contact:
        data = self.cleaned_data
        return Contact(name=data["name"], email=data["email"], phone=data.get("phone", ""), language=language)

    def fulfilment(self) -> dict[int, FulfilmentChoice]:
        data = self.cleaned_data
        slot = datetime.fromisoformat(data["slot"]) if data.get("slot") else None
        result = {}
        for merchant_id, kind in self.fulfilment_kinds().items():
            if kind == Fulfilment.BIKE_COURIER:
                result[merchant_id] = FulfilmentChoice(
                    kind=kind, street=data["street"], postcode=data["postcode"], city=data["city"], slot_starts_at=slot
                )
            else:
                result[merchant_id] = FulfilmentChoice(kind=kind)
        return result

    def gift_card(self) -> int:
        return self.gift_card_cents if self.cleaned_data.get("use_gift_card") else 0
