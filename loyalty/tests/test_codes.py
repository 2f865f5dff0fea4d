"""Card numbers (12 digits, Luhn check digit), the three ways a till reads a pass, and what kind of code a scan is."""

import pytest

from loyalty.codes import (
    ScanKind,
    group_card_number,
    group_voucher_code,
    is_valid_card_number,
    luhn_check_digit,
    new_card_number,
    new_gift_card_number,
    new_voucher_code,
    parse_pass_code,
    qr_payload,
    scan_kind,
    voucher_check_character,
)
from loyalty.exceptions import InvalidPassCode
from loyalty.services import PassCode
from loyalty.services import parse_pass_code as parse_from_services

CARD = "123456789015"  # 12345678901 + Luhn check digit 5


@pytest.mark.parametrize(
    ("payload", "digit"),
    [("7992739871", "3"), ("12345678901", "5"), ("00000000000", "0"), ("4539148803436467"[:-1], "7")],
)
def test_luhn_check_digit(payload, digit):
    assert luhn_check_digit(payload) == digit


def test_generated_card_numbers_are_valid_and_differ():
    numbers = {new_card_number() for _ in range(200)}
    assert len(numbers) == 200
    assert all(is_valid_card_number(n) and len(n) == 12 and n[0] != "0" for n in numbers)


@pytest.mark.parametrize(
    "wrong",
    [
        "123456789016",  # wrong check digit
        "123456789051",  # two neighbours swapped
        "12345678901",  # too short
        "1234567890155",  # too long
        "12345678901a",
        "١٢٣٤٥٦٧٨٩٠١٥",  # Arabic-Indic digits: isdigit() but not ASCII
    ],
)
def test_invalid_card_numbers(wrong):
    assert not is_valid_card_number(wrong)


def test_card_numbers_are_shown_in_groups_of_four():
    assert group_card_number(CARD) == "1234 5678 9015"


@pytest.mark.parametrize(
    "raw",
    [
        "AGORA1:123456789015:042917",
        "agora1:123456789015:042917",
        "  AGORA1:123456789015:042917\n",
        "AGORA1;123456789015;042917",  # a keyboard-wedge scanner on another layout
        "1234 5678 9015 042917",
        "1234-5678-9015-042917",
        "123456789015042917",
        "1234 5678 9015 042 917",
        # the code first, as the till's help text asks and the pass shows it
        "042917 1234 5678 9015",
        "042917-123456789015",
        "042917123456789015",  # no separators: 123456789015 has the right check digit at the end only
    ],
)
def test_qr_payloads_and_typed_codes_give_card_number_and_code(raw):
    assert parse_pass_code(raw) == PassCode(card_number=CARD, otp="042917")


@pytest.mark.parametrize("raw", ["123456789015", "1234 5678 9015", "1234-5678-9015", " 1234.5678.9015 "])
def test_a_card_number_alone_has_no_code(raw):
    assert parse_pass_code(raw) == PassCode(card_number=CARD, otp=None)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "hello",
        "AGORA1:123456789016:042917",  # wrong check digit
        "AGORA2:123456789015:042917",
        "AGORA1:123456789015:04291",
        "1234 5678 9015 0429",
        "1234 5678 9016",
        None,
    ],
)
def test_anything_else_is_an_invalid_code(raw):
    with pytest.raises(InvalidPassCode) as error:
        parse_pass_code(raw)
    assert error.value.message  # a message for the till


def test_the_qr_payload_round_trips_and_services_exposes_the_parser():
    assert parse_from_services(qr_payload(CARD, "000001")) == PassCode(CARD, "000001")


# --- What a scan is ---------------------------------------------------------------------------------------------


GIFT_CARD = "9000000000000001"  # 900000000000000 + Luhn check digit 1
VOUCHER = "ABCDEFGHJ" + voucher_check_character("ABCDEFGHJ")


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (qr_payload(CARD, "042917"), ScanKind.PASS),
        ("1234 5678 9015 042917", ScanKind.PASS),
        ("1234-5678-9015", ScanKind.PASS),
        (GIFT_CARD, ScanKind.GIFT_CARD),
        ("9000 0000 0000 0001", ScanKind.GIFT_CARD),
        (VOUCHER, ScanKind.VOUCHER),
        (group_voucher_code(VOUCHER).lower(), ScanKind.VOUCHER),  # as typed from the wallet, any case and dashes
    ],
)
def test_a_scan_is_told_by_its_shape(raw, kind):
    assert scan_kind(raw) == kind


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "hello",
        "123456789016",  # a pass number with a wrong check digit
        "9000000000000002",  # a gift card number with a wrong check digit
        "1000000000000008",  # 16 digits with a good check digit, but not a gift card's first digit
        VOUCHER[:-1] + ("0" if VOUCHER[-1] != "0" else "1"),  # a voucher code with a wrong check character
        "12,50",
    ],
)
def test_a_scan_of_no_known_shape_is_nothing(raw):
    assert scan_kind(raw) is None


def test_generated_codes_of_each_kind_are_never_taken_for_another():
    for _ in range(200):
        assert scan_kind(qr_payload(new_card_number(), "000000")) == ScanKind.PASS
        assert scan_kind(new_gift_card_number()) == ScanKind.GIFT_CARD
        assert scan_kind(new_voucher_code()) == ScanKind.VOUCHER
