"""The webshop's texts in the page's language: a product's, box's or category's English where the merchant or the
collective gave one, the Dutch otherwise."""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localised(obj, field: str) -> str:
    """`{{ product|localised:"title" }}`: `title_en` on English pages when it is filled, else `title_nl`."""
    english = getattr(obj, f"{field}_en", "") if (get_language() or "nl")[:2] == "en" else ""
    return english or getattr(obj, f"{field}_nl")


@register.filter
def variant_title(variant) -> str:
    """A variant as the shopper reads it: its product's title in the page's language, then its option ("L")."""
    return f"{localised(variant.product, 'title')} {variant.label}".strip()
