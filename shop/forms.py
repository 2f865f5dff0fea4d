"""The shopper's forms: add to cart, change a cart line, checkout. They parse and check input; the rules are
in the services (`shop.services.cart`, `shop.services.checkout`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _

from agora.money import format_euros

from .exceptions import InvalidAddress, InvalidSlot
from .models import Fulfilment
from .services.checkout import Contact, FulfilmentChoice, clean_postcode, courier_slots, courier_zone_for

ALL = "all"


class _OptionSelect(forms.Select):
    """A select that lists the options in `sold_out` but does not let them be chosen."""

    sold_out: frozenset = frozenset()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        if value in self.sold_out:
            option["attrs"]["disabled"] = True
        return option


class AddToCartForm(forms.Form):
    """The option (hidden when there is one) and how many. With `available` (`stock.available`), options with
    nothing left are listed as sold out and cannot be chosen, the first one left is chosen at first, and
    `is_sold_out` says nothing is left (the page then offers no button). An option that is not, or no longer, for
    sale (deactivated while the page was open, or a tampered value) is refused with a message the page shows."""

    variant = forms.TypedChoiceField(
        label=_("Option"),
        coerce=int,
        choices=(),
        widget=_OptionSelect,
        error_messages={
            "invalid_choice": _("This option is no longer for sale. Reload the page to see what is left."),
            "required": _("Choose an option."),
        },
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=99, initial=1)

    def __init__(self, *args, variants=(), available: dict[int, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        variants = list(variants)
        sold_out = frozenset(v.pk for v in variants if available is not None and available.get(v.pk, 0) <= 0)
        self.is_sold_out = not variants or len(sold_out) == len(variants)
        field = self.fields["variant"]
        field.choices = [(v.pk, self._option_label(v, v.pk in sold_out)) for v in variants]
        field.widget.sold_out = sold_out
        field.initial = next((v.pk for v in variants if v.pk not in sold_out), None)
        if len(variants) == 1:
            field.widget = forms.HiddenInput()
            field.initial = variants[0].pk

    @staticmethod
    def _option_label(variant, sold_out: bool) -> str:
        label = variant.label or str(_("Standard"))
        return _("%(option)s (sold out)") % {"option": label} if sold_out else label


class CartLineForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=99)


class CheckoutForm(forms.Form):
    """Contact details, a fulfilment for every part (or one for all), the courier's address and time, gift card
    and voucher.

    With one shop in the cart there is one choice (`fulfilment_<merchant id>`). With several, `same_for_all` (ticked
    at first) makes `fulfilment_all` count for every shop, and the page shows only that choice; unticked, each
    shop's own `fulfilment_<merchant id>` counts, and the page shows those. Click and collect is in the common
    choice only when every shop offers it. The courier's address and time are asked once (one address per order):
    the times are grouped by courier zone with their postcodes and fee, and the value names the zone
    (`<zone id>@<start>`), so a time of another zone than the postcode's is refused with the postcode named.

    `draft_*` read the form as it stands, without refusing anything: the page's running total
    (`checkout.quote_order`) before the order is placed.
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
    fulfilment_all = forms.ChoiceField(
        label=_("For every shop"), required=False, initial=Fulfilment.PARCEL_POINT, widget=forms.RadioSelect
    )
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
        if area.country == "BE":  # four digits: the phone's number pad
            self.fields["postcode"].widget.attrs["inputmode"] = "numeric"
        now = now or timezone.now()
        self.zones = list(area.courier_zones.filter(is_active=True).order_by("name", "pk")) if zone is None else [zone]
        courier_label = self._courier_label()
        free = _("free")
        self.part_fields = []
        for part in summary.parts:
            choices = [(Fulfilment.PARCEL_POINT, f"{Fulfilment.PARCEL_POINT.label} · {free}")]
            if part.offers_click_and_collect:
                choices.append((Fulfilment.CLICK_AND_COLLECT, f"{Fulfilment.CLICK_AND_COLLECT.label} · {free}"))
            if self.zones:
                choices.append((Fulfilment.BIKE_COURIER, courier_label))
            name = f"fulfilment_{part.merchant.pk}"
            self.fields[name] = forms.ChoiceField(
                label=part.merchant.trade_name,
                choices=choices,
                initial=Fulfilment.PARCEL_POINT,
                required=False,
                widget=forms.RadioSelect,
            )
            self.part_fields.append((part, name))
        if len(self.part_fields) > 1:
            common = [(Fulfilment.PARCEL_POINT, f"{Fulfilment.PARCEL_POINT.label} · {free}")]
            if all(part.offers_click_and_collect for part in summary.parts):
                common.append((Fulfilment.CLICK_AND_COLLECT, f"{Fulfilment.CLICK_AND_COLLECT.label} · {free}"))
            if self.zones:
                common.append((Fulfilment.BIKE_COURIER, courier_label))
            self.fields["fulfilment_all"].choices = common
            self.collect_not_everywhere = [
                part.merchant.trade_name for part in summary.parts if not part.offers_click_and_collect
            ]
        else:
            del self.fields["same_for_all"], self.fields["fulfilment_all"]
            self.collect_not_everywhere = []
        groups = [(zone_, courier_slots(zone_, now=now)) for zone_ in self.zones]
        self.fields["slot"].choices = [("", "—")] + [
            (self.zone_label(zone_), [(self.slot_value(zone_, a), self.slot_label(a, b)) for a, b in slots])
            for zone_, slots in groups
            if slots
        ]
        self.gift_card_cents = gift_card_cents
        if not gift_card_cents:
            del self.fields["use_gift_card"]
        if user is not None and getattr(user, "is_authenticated", False) and not self.is_bound:
            self.initial.setdefault("name", user.get_full_name())
            self.initial.setdefault("email", user.email)

    # --- how the choices read ----------------------------------------------------------------------------------
    def _courier_label(self) -> str:
        fees = sorted({zone.fee_cents for zone in self.zones})
        if not fees:
            return ""
        if len(fees) == 1:
            fee = format_euros(fees[0])
        else:
            fee = _("%(low)s to %(high)s, by postcode") % {"low": format_euros(fees[0]), "high": format_euros(fees[-1])}
        return f"{Fulfilment.BIKE_COURIER.label} · {fee}"

    def zone_label(self, zone) -> str:
        postcodes = ", ".join(sorted({str(code)[:4] for code in zone.postcodes}))
        return _("%(zone)s (postcodes %(postcodes)s) · %(fee)s") % {
            "zone": zone.name,
            "postcodes": postcodes,
            "fee": format_euros(zone.fee_cents),
        }

    @staticmethod
    def slot_value(zone, start: datetime) -> str:
        return f"{zone.pk}@{start.isoformat()}"

    def slot_label(self, start: datetime, end: datetime) -> str:
        start, end = start.astimezone(self.area.tz), end.astimezone(self.area.tz)
        return f"{date_format(start, 'l j F')} {time_format(start, 'H:i')}–{time_format(end, 'H:i')}"

    @staticmethod
    def parse_slot(value: str | None) -> tuple[int | None, datetime | None]:
        """(zone id, start) of a slot value; (None, None) when it is not one."""
        zone_id, _at, start = (value or "").partition("@")
        try:
            return int(zone_id), datetime.fromisoformat(start)
        except ValueError:
            return None, None

    @property
    def zones_json(self) -> list[dict]:
        """The zones for the page's script: which slots to offer for the postcode typed."""
        return [{"id": zone.pk, "postcodes": sorted({str(code)[:4] for code in zone.postcodes})} for zone in self.zones]

    # --- checking ----------------------------------------------------------------------------------------------
    def clean(self):
        data = super().clean()
        kinds = self.fulfilment_kinds(data)
        if Fulfilment.BIKE_COURIER in kinds.values():
            for name in ("street", "postcode", "city", "slot"):
                if not data.get(name):
                    self.add_error(name, _("Needed for delivery by bike courier."))
            zone = None
            if data.get("postcode"):
                try:  # in the form of the area's country; the message shows it ("… looks like 3811 AB.")
                    data["postcode"] = clean_postcode(data["postcode"], country=self.area.country)
                except InvalidAddress as error:
                    self.add_error("postcode", error.message)
                else:
                    zone = courier_zone_for(self.area, data["postcode"])
                    if zone is None:
                        self.add_error("postcode", _("The bike courier does not deliver to this postcode."))
            if zone is not None and data.get("slot") and self.parse_slot(data["slot"])[0] != zone.pk:
                self.add_error("slot", InvalidSlot(postcode=data["postcode"]).message)
        return data

    def is_same_for_all(self, data) -> bool:
        return "same_for_all" in self.fields and bool(data.get("same_for_all"))

    def fulfilment_kinds(self, data=None) -> dict[int, str]:
        data = data if data is not None else self.cleaned_data
        if self.is_same_for_all(data):
            kind = data.get("fulfilment_all") or Fulfilment.PARCEL_POINT
            return {part.merchant.pk: kind for part, _name in self.part_fields}
        return {part.merchant.pk: data.get(name) or Fulfilment.PARCEL_POINT for part, name in self.part_fields}

    def contact(self, language: str) -> Contact:
        data = self.cleaned_data
        return Contact(name=data["name"], email=data["email"], phone=data.get("phone", ""), language=language)

    def _choices(self, data, kinds) -> dict[int, FulfilmentChoice]:
        slot = self.parse_slot(data.get("slot"))[1]
        result = {}
        for merchant_id, kind in kinds.items():
            if kind == Fulfilment.BIKE_COURIER:
                result[merchant_id] = FulfilmentChoice(
                    kind=kind,
                    street=data.get("street") or "",
                    postcode=data.get("postcode") or "",
                    city=data.get("city") or "",
                    slot_starts_at=slot,
                )
            else:
                result[merchant_id] = FulfilmentChoice(kind=kind)
        return result

    def fulfilment(self) -> dict[int, FulfilmentChoice]:
        return self._choices(self.cleaned_data, self.fulfilment_kinds())

    def gift_card(self) -> int:
        return self.gift_card_cents if self.cleaned_data.get("use_gift_card") else 0

    # --- the form as it stands (the running total) ------------------------------------------------------------
    def _draft_value(self, name: str):
        """A field's value as it stands, or None where it is not valid (nothing is refused here)."""
        field = self.fields.get(name)
        if field is None:
            return None
        if self.is_bound:
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        else:
            value = self.get_initial_for_field(field, name)
        try:
            return field.clean(value)
        except forms.ValidationError:
            return None

    def draft(self) -> dict:
        names = ["same_for_all", "fulfilment_all", "street", "postcode", "city", "slot", "use_gift_card"]
        names += ["voucher_code"] + [name for _part, name in self.part_fields]
        return {name: self._draft_value(name) for name in names}

    def draft_fulfilment(self) -> dict[int, FulfilmentChoice]:
        data = self.draft()
        return self._choices(data, self.fulfilment_kinds(data))

    def draft_gift_card(self) -> int:
        return self.gift_card_cents if self._draft_value("use_gift_card") else 0

    def draft_voucher_code(self) -> str:
        return self._draft_value("voucher_code") or ""
