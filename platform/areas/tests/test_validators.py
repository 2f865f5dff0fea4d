"""Check rules for registration numbers, VAT numbers and postcodes, with numbers computed by hand.

KBO 0403.170.701: 97 − (04031707 mod 97) = 97 − 96 = 1 → check digits 01 ✓.
NL VAT NL004495445B01: elfproef 0·9+0·8+4·7+4·6+9·5+5·4+4·3+4·2 = 137; 137 mod 11 = 5 = last digit ✓.
NL VAT NL861234507B42 (sole-trader form): fails the elfproef, but "NL861234507B42" read as ISO 7064 mod 97-10
(N=23, L=21, B=11) is 1 mod 97 ✓. NL000099998B57 is the Belastingdienst's published example of that form.
"""

import pytest
from django.core.exceptions import ValidationError

from areas import validators


def _passes(check, value, **kwargs) -> bool:
    try:
        check(value, **kwargs)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("12345678", True),
        ("6926 9817", True),  # spaces are tolerated and removed
        ("30.12.34.56", True),
        ("1234567", False),  # 7 digits
        ("123456789", False),  # 9 digits
        ("1234567A", False),
        ("00000000", False),
        ("", False),
    ],
)
def test_kvk_number_is_eight_digits(value, ok):
    assert _passes(validators.validate_kvk, value) is ok


def test_kvk_normalises_to_digits():
    assert validators.normalise_kvk(" 6926 9817 ") == "69269817"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("0403.170.701", True),  # 97 − 4031707 mod 97 = 1 → "01"
        ("0403170701", True),
        ("403.170.701", True),  # old 9-digit form: a leading 0 is added
        ("BE 0403.170.701", True),
        ("0202.239.951", True),  # 97 − 2022399 mod 97 = 51
        ("0417.497.106", True),  # 97 − 4174971 mod 97 = 6 → "06"
        ("0403.170.702", False),  # check digits off by one
        ("0417.497.160", False),  # last two digits swapped
        ("2403.170.701", False),  # must start with 0 or 1
        ("0403.170.70", False),  # too short
    ],
)
def test_enterprise_number_uses_mod_97_check_digits(value, ok):
    assert _passes(validators.validate_enterprise_number, value) is ok


def test_enterprise_number_normalises_to_ten_digits():
    assert validators.normalise_enterprise_number("BE 403.170.701") == "0403170701"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("NL004495445B01", True),  # elfproef: 137 mod 11 = 5
        ("NL123456782B01", True),  # elfproef: 1·9+2·8+3·7+4·6+5·5+6·4+7·3+8·2 = 156; 156 mod 11 = 2
        ("nl 0044.95.445 b01", True),  # case and separators are normalised
        ("NL861234507B42", True),  # sole-trader form: passes mod 97-10 only
        ("NL000099998B57", True),  # the Belastingdienst's example of the sole-trader form
        ("NL861234507B41", False),  # same digits, wrong suffix: neither rule passes
        ("NL004495446B01", False),  # elfproef fails and mod 97 fails
        ("NL004495445", False),  # no B-suffix
        ("NL04495445B01", False),  # 8 digits
        ("BE0403170701", False),  # not Dutch
    ],
)
def test_dutch_vat_number(value, ok):
    assert _passes(validators.validate_vat, value, country="NL") is ok


def test_the_sole_trader_example_really_fails_the_elfproef():
    # Guards the test above: the number must pass through mod 97-10 alone.
    assert not validators._elfproef("861234507")
    assert validators._mod97_10("NL861234507B42")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("BE0403170701", True),
        ("BE 0403.170.701", True),
        ("be0417497106", True),
        ("BE0403170702", False),  # check digits
        ("0403170701", False),  # no BE prefix
        ("NL004495445B01", False),
    ],
)
def test_belgian_vat_number(value, ok):
    assert _passes(validators.validate_vat, value, country="BE") is ok


@pytest.mark.parametrize(
    ("value", "country", "ok"),
    [
        ("3811 AB", "NL", True),
        ("3811ab", "NL", True),
        ("3811", "NL", True),  # the four digits alone (PC4)
        ("1011 SA", "NL", False),  # SA, SD and SS are never issued
        ("1011 SS", "NL", False),
        ("0811 AB", "NL", False),  # no leading zero
        ("38111 AB", "NL", False),
        ("2800", "BE", True),
        ("1000", "BE", True),
        ("0800", "BE", False),
        ("2800 AB", "BE", False),
        ("B-2800", "BE", False),
    ],
)
def test_postcode(value, country, ok):
    assert _passes(validators.validate_postcode, value, country=country) is ok


def test_dutch_postcode_is_normalised_with_a_space():
    assert validators.normalise_postcode(" 3811ab ", country="NL") == "3811 AB"
