"""Money as people read it: integer cents shown as euros in the active language, and written for spreadsheets.

One place for every screen, e-mail, PDF and CSV of the platform, so an amount reads the same at the till, in the
webshop, on a statement and at the parcel desk: "€ 1.234,56" in Dutch (a no-break space after the sign),
"€1,234.56" in English (the same as `Intl.NumberFormat` in the browser).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats, translation


def format_euros(cents: int) -> str:
    """Integer cents in the active language: 1250 → "€ 12,50" (nl), "€12.50" (en); a negative amount has a true
    minus sign before the euro sign, as `format_signed_euros` writes it: −€ 30,00 (nl), −€9.99 (en)."""
    if int(cents) < 0:
        return "\u2212" + format_euros(-int(cents))
    number = formats.number_format(Decimal(int(cents)) / 100, 2, use_l10n=True, force_grouping=True)
    if (translation.get_language() or "nl").startswith("nl"):
        return f"€\u00a0{number}"
    return f"€{number}"


def format_signed_euros(cents: int) -> str:
    """As `format_euros`, with a sign in front: +€ 25,00 for value that came in, −€ 12,50 (a true minus sign) for
    value that went out, no sign for nothing."""
    return ("+" if cents > 0 else "\u2212" if cents < 0 else "") + format_euros(abs(cents))


def format_euros_or_blank(cents) -> str:
    """As `format_euros`, and nothing for no amount (None or ""): the templates' `euros` filter."""
    if cents is None or cents == "":
        return ""
    return format_euros(int(cents))


def csv_euros(cents: int) -> str:
    """Cents for a spreadsheet (Dutch Excel reads a decimal comma): -1250 → "-12,50" (a hyphen-minus, which
    spreadsheets read as a number; not the screens' true minus), no euro sign, no grouping."""
    return f"{Decimal(int(cents)) / 100:.2f}".replace(".", ",")
