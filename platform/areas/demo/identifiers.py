"""Fictional but valid business identifiers: KvK and VAT numbers (NL), enterprise and VAT numbers (BE).

Valid means: they pass the checks in `areas.validators`. They are drawn at random, so one may
by chance belong to a real business; they are only ever shown as demo data.
"""

from __future__ import annotations

import random


def kvk_number(rng: random.Random) -> str:
    """8 digits. KvK numbers carry no check digit; recent ones start with 5–9."""
    return str(rng.randint(50_000_000, 99_999_999))


def _elfproef_digits(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10 and digits[0] != 0:
            return "".join(map(str, digits)) + str(check)


def nl_vat_legal_entity(rng: random.Random) -> str:
    """A company's VAT id: NL + its RSIN (passes the elfproef) + B01."""
    return f"NL{_elfproef_digits(rng)}B01"


def nl_vat_sole_trader(rng: random.Random) -> str:
    """A sole trader's VAT id (since 2020): the whole id passes ISO 7064 mod 97-10."""
    body = "".join(str(rng.randint(0, 9)) for _ in range(9))
    # "NL" = 23 21, "B" = 11: choose the last two digits so that the number is 1 mod 97.
    prefix = int(f"2321{body}11")
    check = (1 - prefix * 100) % 97
    return f"NL{body}B{check:02d}"


def kbo_number(rng: random.Random) -> str:
    """A Belgian enterprise number: 0 + 7 digits, then 97 − (first eight mod 97)."""
    first_eight = rng.randint(4_000_000, 8_999_999)  # "0400…" to "0899…": the usual range
    check = 97 - first_eight % 97
    return f"0{first_eight:07d}{check:02d}"


def be_vat(kbo: str) -> str:
    return f"BE{kbo}"
