"""The webshop's texts in the page's language: a product's, box's or category's English where the merchant or the
collective gave one, the Dutch otherwise."""

from django import template

from agora.languages import in_page_language

register = template.Library()


@register.filter
def localised(obj, field: str) -> str:
    """`{{ product|localised:"title" }}`: `title_en` on English pages when it is filled, else `title_nl`."""
    return in_page_language(getattr(obj, f"{field}_nl"), getattr(obj, f"{field}_en", ""))


@register.filter
def variant_title(variant) -> str:
    """A variant as the shopper reads it: its product's title in the page's language, then its option ("L")."""
    return f"{localised(variant.product, 'title')} {variant.label}".strip()
