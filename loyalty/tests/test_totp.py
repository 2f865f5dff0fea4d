"""RFC 6238 TOTP, checked against the RFC's own SHA-1 test vectors (Appendix B)."""

import base64
import hashlib
from datetime import UTC, datetime

import pytest

from loyalty import totp

# RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890", codes have 8 digits.
RFC_SEED = b"12345678901234567890"
RFC_SHA1_VECTORS = [
    (59, 1, "94287082"),
    (1111111109, 0x23523EC, "07081804"),
    (1111111111, 0x23523ED, "14050471"),
    (1234567890, 0x273EF07, "89005924"),
    (2000000000, 0x3F940AA, "69279037"),
    (20000000000, 0x27BC86AA, "65353130"),
]


@pytest.mark.parametrize(("unix_time", "step", "code"), RFC_SHA1_VECTORS)
def test_the_rfc_6238_sha1_vectors(unix_time, step, code):
    assert totp.step_at(unix_time) == step
    assert totp.hotp(RFC_SEED, step, digits=8, digest=hashlib.sha1) == code


@pytest.mark.parametrize(("unix_time", "step", "code"), RFC_SHA1_VECTORS)
def test_six_digit_codes_are_the_last_six_of_the_vectors(unix_time, step, code):
    secret = base64.b32encode(RFC_SEED).decode()
    assert totp.code_at(secret, unix_time) == code[-6:]
    assert totp.code_at(secret, datetime.fromtimestamp(unix_time, tz=UTC)) == code[-6:]


def test_rfc_4226_hotp_vectors():
    # RFC 4226 Appendix D, same seed, counters 0–9.
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    assert [totp.hotp(RFC_SEED, counter) for counter in range(10)] == expected


def test_a_new_secret_is_20_random_bytes_in_base32():
    secret = totp.new_secret()
    assert len(secret) == 32 and secret.isalnum() and secret == secret.upper()
    assert len(base64.b32decode(secret)) == 20
    assert totp.new_secret() != secret


def test_the_matching_step_allows_one_step_of_drift_either_way():
    secret = totp.new_secret()
    moment = 1_800_000_015.0
    step = totp.step_at(moment)
    for drift in (-1, 0, 1):
        assert totp.matching_step(secret, totp.code_at_step(secret, step + drift), moment) == step + drift
    for drift in (-3, -2, 2, 3):
        code = totp.code_at_step(secret, step + drift)
        # (a chance collision with a neighbouring step's code would be a one-in-a-million fluke)
        assert totp.matching_step(secret, code, moment) in (None, step - 1, step, step + 1)
        assert totp.matching_step(secret, code, moment) != step + drift


def test_secrets_are_read_with_or_without_padding_spaces_and_case():
    secret = base64.b32encode(RFC_SEED).decode()
    assert totp.code_at(secret.lower().rstrip("="), 59) == totp.code_at(secret, 59)
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert totp.code_at(spaced, 59) == "287082"
