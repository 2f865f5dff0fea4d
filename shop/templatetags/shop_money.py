"""Template filters of the webshop: money in cents, VAT rates in basis points."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from agora.money import format_euros_or_blank

register = template.Library()
register.filter("euros", format_euros_or_blank)  # integer cents: 240 → "€ 2,40" (nl)


@register.filter
def vat_percent(bps) -> str:
    """A VAT rate in basis points as a percentage: 2100 → "21 %", 550 → "5,5 %"."""
    if bps is None or bps == "":
        return ""
    value = Decimal(int(bps)) / 100
    return f"{number_format(value, 0 if value == value.to_integral() else 1)}\u00a0%"


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when missing)."""
    return mapping.get(key) if hasattr(mapping, "get") else None
