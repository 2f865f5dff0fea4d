"""Texts stored in Dutch and, optionally, English (a merchant's description, a campaign's name, a product's title):
which one a page shows."""

from django.utils.translation import get_language


def in_page_language(dutch: str, english: str, language: str | None = None) -> str:
    """The English text in English (`language`, else the active one) where there is one; the Dutch otherwise."""
    return english if english and (language or get_language() or "nl")[:2] == "en" else dutch
