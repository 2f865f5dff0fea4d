"""Filters of the merchant pages: amounts in cents as euros, VAT rates in basis points as percent."""

from django import template

from ..services.products import percent
from ..statement_documents import euros as _euros

register = template.Library()


@register.filter
def euros(cents) -> str:
    """1250 → '€ 12,50' (in the active language's number format)."""
    return _euros(int(cents or 0))


@register.filter
def vat_percent(bps) -> str:
    """2100 → '21 %'."""
    return f"{percent(int(bps or 0))}\u00a0%"
