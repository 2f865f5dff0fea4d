"""Template filters of the area websites."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def euros(cents) -> str:
    """Integer cents as a euro amount in the active language's number format: 240 → "€ 2,40" (nl)."""
    if cents is None or cents == "":
        return ""
    return f"€ {number_format(Decimal(int(cents)) / 100, 2)}"
