"""Card numbers and what the till reads: the QR payload, a typed code, or a printed card's number; a gift card's
number and a voucher's code, and which of these a scan is (`scan_kind`).

A card number has 12 digits; the last is a Luhn (mod 10) check digit, so a mistyped digit or two
swapped neighbours are caught at the till before any database lookup. It is shown grouped in
fours ("1234 5678 9012").
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from .exceptions import InvalidPassCode
from .totp import DIGITS

CARD_NUMBER_LENGTH = 12
QR_PREFIX = "AGORA1"
_SEPARATORS = re.compile(r"[\s\-.]+")
_QR = re.compile(rf"{QR_PREFIX}\W?(\d{{{CARD_NUMBER_LENGTH}}})\W?(\d{{{DIGITS}}})", re.IGNORECASE)


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload + digit` pass the Luhn check."""
    total = 0
    # From the right of the payload, every first digit is doubled (it will sit second from the right).
    for index, char in enumerate(reversed(payload)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_valid_card_number(number: str) -> bool:
    return (
        len(number) == CARD_NUMBER_LENGTH
        and number.isascii()
        and number.isdigit()
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def new_card_number() -> str:
    """A random card number (11 random digits, the first not 0, and the check digit)."""
    payload = str(1 + secrets.randbelow(9))
    payload += "".join(str(secrets.randbelow(10)) for _ in range(CARD_NUMBER_LENGTH - 2))
    return payload + luhn_check_digit(payload)


def group_card_number(number: str) -> str:
    """Groups of four for people to read: 123456789012 → 1234 5678 9012."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def qr_payload(card_number: str, otp: str) -> str:
    """What the member's app encodes in the QR code."""
    return f"{QR_PREFIX}:{card_number}:{otp}"


@dataclass(frozen=True)
class PassCode:
    """What the till read. `otp` is None for a printed card's number (earning only, or with a PIN)."""

    card_number: str
    otp: str | None = None


def _card_and_code(text: str, digits: str) -> tuple[str, str]:
    """Card number and code of 18 typed digits, in either order: the till asks for "the 6-digit code and the card
    number", the pass shows the code above the number, and people type what they read first. A first group of
    exactly six digits is the code ("042917 1234 5678 9015"); otherwise the check digit tells: the card number is
    the 12 digits, first or last, whose check digit is right (card first when both are)."""
    code_first = (digits[DIGITS:], digits[:DIGITS])
    groups = [group for group in _SEPARATORS.split(text) if group]
    if len(groups) > 1 and len(groups[0]) == DIGITS and is_valid_card_number(code_first[0]):
        return code_first
    if not is_valid_card_number(digits[:CARD_NUMBER_LENGTH]) and is_valid_card_number(code_first[0]):
        return code_first
    return digits[:CARD_NUMBER_LENGTH], digits[CARD_NUMBER_LENGTH:]


def parse_pass_code(raw: str) -> PassCode:
    """Read a scanned QR payload ("AGORA1:<card>:<otp>"), a typed "<card> <otp>" or "<otp> <card>" (any spaces or
    dashes) or a card number alone. Raises InvalidPassCode for anything else, including a wrong check digit.

    The separators of the QR payload may be any one non-word character: a keyboard-wedge scanner set
    to another keyboard layout than the till's types ":" as something else.
    """
    text = (raw or "").strip()
    if match := _QR.fullmatch(text):
        card_number, otp = match.group(1), match.group(2)
    else:
        digits = _SEPARATORS.sub("", text)
        if not digits.isascii() or not digits.isdigit():
            raise InvalidPassCode()
        if len(digits) == CARD_NUMBER_LENGTH:
            card_number, otp = digits, None
        elif len(digits) == CARD_NUMBER_LENGTH + DIGITS:
            card_number, otp = _card_and_code(text, digits)
        else:
            raise InvalidPassCode()
    if not is_valid_card_number(card_number):
        raise InvalidPassCode()
    return PassCode(card_number=card_number, otp=otp)


# --- Gift cards ----------------------------------------------------------------------------------------------

#: A gift card's number: 16 digits, the first a 9, the last a Luhn check digit. A pass number has 12 digits,
#: so the till tells them apart by length alone.
GIFT_CARD_NUMBER_LENGTH = 16
GIFT_CARD_PREFIX = "9"


def is_valid_gift_card_number(number: str) -> bool:
    return (
        len(number) == GIFT_CARD_NUMBER_LENGTH
        and number.isascii()
        and number.isdigit()
        and number.startswith(GIFT_CARD_PREFIX)
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def new_gift_card_number() -> str:
    """A random gift card number: "9", 14 random digits and the check digit."""
    payload = GIFT_CARD_PREFIX + "".join(str(secrets.randbelow(10)) for _ in range(GIFT_CARD_NUMBER_LENGTH - 2))
    return payload + luhn_check_digit(payload)


def parse_gift_card_number(raw: str) -> str:
    """The 16 digits of a typed or scanned gift card number (any spaces, dashes or dots between them).

    Raises InvalidGiftCardNumber for anything else, including a wrong check digit.
    """
    from .exceptions import InvalidGiftCardNumber  # defined after the pass errors, at the end of the module

    digits = _SEPARATORS.sub("", (raw or "").strip())
    if not is_valid_gift_card_number(digits):
        raise InvalidGiftCardNumber()
    return digits


# --- Vouchers ------------------------------------------------------------------------------------------------

#: A voucher's code: 10 characters of Crockford's base32 (no I, L, O, U: nothing to misread), the last a Luhn mod 32
#: check character. Stored without separators, shown grouped (ABCD-EFGH-JK).
VOUCHER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VOUCHER_CODE_LENGTH = 10
_VOUCHER_INDEX = {char: index for index, char in enumerate(VOUCHER_ALPHABET)}
_VOUCHER_SEPARATORS = re.compile(r"[\s\-_.]+")
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _luhn_mod_32(payload: str, *, with_check: bool) -> int:
    """Luhn mod N over the alphabet: the check index for `payload`, or the total (0 when valid) with_check."""
    n = len(VOUCHER_ALPHABET)
    factor = 1 if with_check else 2
    total = 0
    for char in reversed(payload):
        addend = factor * _VOUCHER_INDEX[char]
        addend = addend // n + addend % n
        total += addend
        factor = 1 if factor == 2 else 2
    return total % n if with_check else (n - total % n) % n


def voucher_check_character(payload: str) -> str:
    return VOUCHER_ALPHABET[_luhn_mod_32(payload, with_check=False)]


def is_valid_voucher_code(code: str) -> bool:
    """A normalised code: the right length, the alphabet's characters, and a matching check character."""
    if len(code) != VOUCHER_CODE_LENGTH or any(char not in _VOUCHER_INDEX for char in code):
        return False
    return _luhn_mod_32(code, with_check=True) == 0


def new_voucher_code() -> str:
    """9 random characters (45 bits) and the check character."""
    payload = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_CODE_LENGTH - 1))
    return payload + voucher_check_character(payload)


def normalise_voucher_code(text: str) -> str:
    """What was typed or scanned, as stored: upper case, no spaces or dashes, O → 0, I and L → 1."""
    return _VOUCHER_SEPARATORS.sub("", (text or "").strip()).upper().translate(_LOOKALIKES)


def group_voucher_code(code: str) -> str:
    """ABCDEFGHJK → ABCD-EFGH-JK, for people to read and type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# --- What a scan is ------------------------------------------------------------------------------------------


class ScanKind(StrEnum):
    PASS = "pass"
    VOUCHER = "voucher"
    GIFT_CARD = "gift_card"


def scan_kind(raw: str) -> ScanKind | None:
    """Which of the till's codes `raw` is, by its shape alone (no lookup): a pass (QR payload, card number with or
    without the app's code), a gift card's number or a voucher's code; None for anything else.

    The shapes cannot be mistaken for each other: a pass number has 12 digits (18 with the code), a gift card's 16
    (the first a 9), a voucher's code 10 characters; each ends in a check digit or character. The till's script
    (`static/loyalty/till.js`, `scanKind`) tells them apart the same way, to put a scan in its field.
    """
    text = (raw or "").strip()
    try:
        parse_pass_code(text)
    except InvalidPassCode:
        pass
    else:
        return ScanKind.PASS
    if is_valid_gift_card_number(_SEPARATORS.sub("", text)):
        return ScanKind.GIFT_CARD
    if is_valid_voucher_code(normalise_voucher_code(text)):
        return ScanKind.VOUCHER
    return None


def qr_svg(text: str) -> str:
    """A QR code of `text` as an inline SVG element, drawn on the server with the `qrcode` library (no
    third-party request; scales with its box when printed). For a printed card's number, a gift card's
    number, a voucher's code."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return image.to_string(encoding="unicode")
