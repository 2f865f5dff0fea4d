"""Where a merchant's public page is. The website (`cms`) draws it, and `areas` may not import the website
(dependencies point one way), so the website registers how to find it, as it does for role changes."""

from __future__ import annotations

from collections.abc import Callable

from .models import Merchant

_FINDERS: list[Callable[[Merchant], str | None]] = []


def register_merchant_page(finder: Callable[[Merchant], str | None]) -> None:
    """Register `finder(merchant)`, which gives the full address of the merchant's public page or None."""
    if finder not in _FINDERS:
        _FINDERS.append(finder)


def merchant_page_url(merchant: Merchant) -> str | None:
    """The full address of the merchant's public page (for the staff pages' link to it); None when it has none:
    no website, or not listed (a paused merchant or one that left)."""
    for finder in _FINDERS:
        if url := finder(merchant):
            return url
    return None
