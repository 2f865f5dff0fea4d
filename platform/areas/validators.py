"""Check rules for business registration numbers, VAT numbers and postcodes (NL and BE).

- KvK number (NL): 8 digits. KvK issues them as a sequence without a check digit (the old
  "elfproef" was dropped when the numbering ran out), so the rule is the format only.
- Enterprise number / KBO (BE): 10 digits starting with 0 or 1; the last two digits are
  97 − (first eight digits mod 97).
- VAT (NL): "NL" + 9 digits + "B" + 2 digits. The 9 digits pass the elfproef (RSIN-based
  numbers) or the whole identifier passes ISO 7064 mod 97-10 (sole-trader numbers since 2020).
- VAT (BE): "BE" + the enterprise number.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def _digits(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def normalise_kvk(value: str) -> str:
    return _digits(value)


def validate_kvk(value: str) -> None:
    number = normalise_kvk(value)
    if not re.fullmatch(r"\d{8}", number) or number == "00000000":
        raise ValidationError(_("A KvK number has 8 digits, for example 12345678."), code="invalid_kvk")


def normalise_enterprise_number(value: str) -> str:
    number = _digits(value).upper().removeprefix("BE")
    return "0" + number if len(number) == 9 else number


def validate_enterprise_number(value: str) -> None:
    number = normalise_enterprise_number(value)
    if not re.fullmatch(r"[01]\d{9}", number):
        raise ValidationError(
            _("An enterprise number (KBO) has 10 digits and starts with 0 or 1, for example 0403.170.701."),
            code="invalid_kbo",
        )
    if 97 - int(number[:8]) % 97 != int(number[8:]):
        raise ValidationError(_("This enterprise number (KBO) fails its check digits."), code="invalid_kbo")


def _elfproef(digits: str) -> bool:
    return sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) % 11 == int(digits[8])


def _mod97_10(identifier: str) -> bool:
    as_number = "".join(str(int(ch, 36)) for ch in identifier)
    return int(as_number) % 97 == 1


def normalise_vat(value: str) -> str:
    return _digits(value).upper()


def validate_vat(value: str, *, country: str) -> None:
    vat = normalise_vat(value)
    if country == "NL":
        match = re.fullmatch(r"NL(\d{9})B(\d{2})", vat)
        if not match or not (_elfproef(match.group(1)) or _mod97_10(vat)):
            raise ValidationError(
                _("A Dutch VAT number looks like NL123456789B01 and must pass its check digits."),
                code="invalid_vat",
            )
    elif country == "BE":
        if not vat.startswith("BE"):
            raise ValidationError(
                _("A Belgian VAT number starts with BE, for example BE0403170701."), code="invalid_vat"
            )
        validate_enterprise_number(vat[2:])
    else:
        raise ValidationError(_("Unknown country %(country)s.") % {"country": country}, code="invalid_country")


def normalise_postcode(value: str, *, country: str) -> str:
    compact = re.sub(r"\s", "", value or "").upper()
    if country == "NL" and re.fullmatch(r"\d{4}[A-Z]{2}", compact):
        return f"{compact[:4]} {compact[4:]}"
    return compact


def validate_postcode(value: str, *, country: str, address: bool = False) -> None:
    """A postcode of the country: Dutch "3811 AB" (never SA, SD or SS) or its four digits, Belgian 1000–9999.
    `address`: the postcode of an address to deliver to, so a Dutch one needs its two letters."""
    postcode = normalise_postcode(value, country=country)
    if country == "NL":
        letters = r"( (?!SA|SD|SS)[A-Z]{2})" + ("" if address else "?")
        if not re.fullmatch(r"[1-9]\d{3}" + letters, postcode):
            if address:
                raise ValidationError(_("A Dutch postcode looks like 3811 AB."), code="invalid_postcode")
            raise ValidationError(
                _("A Dutch postcode looks like 3811 AB (or the four digits 3811)."), code="invalid_postcode"
            )
    elif country == "BE":
        if not re.fullmatch(r"[1-9]\d{3}", postcode):
            raise ValidationError(_("A Belgian postcode has four digits, for example 2800."), code="invalid_postcode")
    else:
        raise ValidationError(_("Unknown country %(country)s.") % {"country": country}, code="invalid_country")


def validate_suppression_k(value: int) -> None:
    from django.conf import settings

    if value < settings.AGORA_MIN_SUPPRESSION_K:
        raise ValidationError(
            _("The suppression threshold may not be below %(minimum)s people.")
            % {"minimum": settings.AGORA_MIN_SUPPRESSION_K},
            code="k_too_small",
        )
