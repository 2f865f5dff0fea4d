"""Forms of the merchant pages. They check shape only (an amount in euros, a whole number, an image); the
services check the rules (VAT rates of the country, categories of the area, unique article numbers)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.core.validators import FileExtensionValidator
from django.forms import formset_factory
from django.utils.formats import get_format, number_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .services.products import (
    MAX_PHOTO_BYTES,
    ProductInput,
    VariantInput,
    cents_to_euros,
    euros_to_cents,
    percent,
)


def _with_example(text):
    """`text` with "%(amount)s" as 12.50 is written in the language of the page it is shown on ("12,50" in Dutch)."""
    return lazy(lambda: str(text) % {"amount": number_format(Decimal("12.50"), 2)}, str)()


class EuroField(forms.CharField):
    """An amount in euros ('12,50' or '12.50'); cleans to integer cents (None when empty and not required)."""

    default_error_messages = {"invalid": _with_example(_("Enter the amount in euros, for example %(amount)s."))}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def prepare_value(self, value):
        """Cents (the initial value) as the page's language writes an amount: "14,95" in Dutch, "14.95" in English.
        Never with thousands separators, which `euros_to_cents` refuses."""
        if isinstance(value, int):
            return cents_to_euros(value).replace(",", get_format("DECIMAL_SEPARATOR"))
        return value

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        try:
            return euros_to_cents(value)
        except ValueError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error


class ProductForm(forms.Form):
    title_nl = forms.CharField(label=_("Title (Dutch)"), max_length=120)
    title_en = forms.CharField(label=_("Title (English)"), max_length=120, required=False)
    description_nl = forms.CharField(
        label=_("Description (Dutch)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    price = EuroField(label=_("Price incl. VAT (€)"), help_text=_with_example(_("For example %(amount)s.")))
    vat_rate_bps = forms.TypedChoiceField(label=_("VAT rate"), coerce=int)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    sku = forms.CharField(label=_("Article number"), max_length=40, required=False)
    slug = forms.SlugField(
        label=_("Web address"), max_length=80, required=False, help_text=_("Empty: made from the Dutch title.")
    )
    is_active = forms.BooleanField(label=_("In the shop"), required=False, initial=True)
    #: a new product's form carries a key: its second submit (a double click) returns the product the first made
    request_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, vat_rates: tuple[int, ...], categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vat_rate_bps"].choices = [(rate, f"{percent(rate)} %") for rate in vat_rates]
        self.fields["category"].choices = [("", _("(none)"))] + [(c.pk, c.name_nl) for c in categories]

    def to_input(self, variants: list[VariantInput]) -> ProductInput:
        data = self.cleaned_data
        return ProductInput(
            title_nl=data["title_nl"],
            title_en=data["title_en"],
            description_nl=data["description_nl"],
            description_en=data["description_en"],
            price_cents=data["price"],
            vat_rate_bps=data["vat_rate_bps"],
            category_id=data["category"],
            sku=data["sku"],
            slug=data["slug"],
            is_active=data["is_active"],
            variants=variants,
        )

    @staticmethod
    def initial_for(product) -> dict:
        return {
            "title_nl": product.title_nl,
            "title_en": product.title_en,
            "description_nl": product.description_nl,
            "description_en": product.description_en,
            "price": product.price_cents,
            "vat_rate_bps": product.vat_rate_bps,
            "category": product.category_id,
            "sku": product.sku,
            "slug": product.slug,
            "is_active": product.is_active,
        }


class VariantForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    stock_seen = forms.IntegerField(widget=forms.HiddenInput, required=False)
    label = forms.CharField(label=_("Option"), max_length=80, required=False, help_text=_("For example “M / blue”."))
    sku = forms.CharField(label=_("Article number"), max_length=40, required=False)
    price = EuroField(label=_("Own price (€)"), required=False, help_text=_("Empty: the product's price."))
    stock_on_hand = forms.IntegerField(label=_("In stock"), min_value=0, max_value=1_000_000, initial=0)
    is_active = forms.BooleanField(label=_("For sale"), required=False, initial=True)
    DELETE = forms.BooleanField(label=_("Remove"), required=False)

    def to_input(self) -> VariantInput | None:
        data = self.cleaned_data
        if not data or data.get("DELETE"):
            return None
        return VariantInput(
            id=data.get("id"),
            label=data.get("label") or "",
            sku=data.get("sku") or "",
            price_cents=data.get("price"),
            stock_on_hand=data.get("stock_on_hand") or 0,
            stock_seen=data.get("stock_seen"),
            is_active=data.get("is_active", True),
        )

    @staticmethod
    def initial_for(variant) -> dict:
        return {
            "id": variant.pk,
            "stock_seen": variant.stock_on_hand,
            "label": variant.label,
            "sku": variant.sku,
            "price": variant.price_cents if variant.price_cents is not None else "",
            "stock_on_hand": variant.stock_on_hand,
            "is_active": variant.is_active,
        }


VariantFormSet = formset_factory(VariantForm, extra=2, max_num=50, validate_max=True)


class PhotoForm(forms.Form):
    """A file of at most `products.MAX_PHOTO_BYTES`; what is in it (a JPEG, PNG or WebP photo of a size the shop can
    show) is checked by `products.add_photo`, which reads the file itself, not its name. The page refuses a file
    that is too large before sending it (`data-max-bytes`, shop/merchant.js)."""

    image = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or WebP, at most 5 MB and 50 megapixels."),
        widget=forms.FileInput(
            attrs={
                "accept": "image/jpeg,image/png,image/webp",
                "data-max-bytes": MAX_PHOTO_BYTES,
                "data-too-large": _("The photo is larger than 5 MB."),
            }
        ),
    )
    alt_nl = forms.CharField(
        label=_("What is in the photo (Dutch)"),
        max_length=200,
        help_text=_("Read aloud to people who cannot see the photo."),
    )
    alt_en = forms.CharField(label=_("What is in the photo (English)"), max_length=200, required=False)

    def clean_image(self):
        image = self.cleaned_data["image"]
        if image.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("The photo is larger than 5 MB."))
        return image


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), validators=[FileExtensionValidator(["csv", "txt"])], help_text=_("At most 5 MB.")
    )


class ConfirmImportForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)


class HandOverForm(forms.Form):
    pickup_code = forms.CharField(
        label=_("Pickup code from the customer's e-mail"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class UnavailableForm(forms.Form):
    request_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    quantity = forms.IntegerField(label=_("How many are unavailable"), min_value=1, max_value=999, initial=1)
    reason = forms.CharField(label=_("Reason (shown to the customer)"), max_length=200, required=False)
    #: set on the confirmation step: without it the view only shows what would be refunded
    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)


class PeriodForm(forms.Form):
    """`?month=YYYY-MM`; anything else, or a month outside FIRST_YEAR..LAST_YEAR (an edited URL such as 9999-12,
    whose next month no date can hold), is the current month."""

    FIRST_YEAR, LAST_YEAR = 2000, 2999
    month = forms.RegexField(regex=r"^\d{4}-\d{2}$", required=False)

    def period(self, today):
        from datetime import date, timedelta

        value = self.cleaned_data.get("month") if self.is_valid() else None
        first = today.replace(day=1)
        if value and self.FIRST_YEAR <= int(value[:4]) <= self.LAST_YEAR and 1 <= int(value[5:]) <= 12:
            first = date(int(value[:4]), int(value[5:]), 1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return first, last
