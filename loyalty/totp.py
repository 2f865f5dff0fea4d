"""Time-based one-time codes (RFC 6238 TOTP over RFC 4226 HOTP) for the rotating pass.

The member's installed app computes the code offline from the pass's secret; the till sends it
with the card number and `services.award_for_purchase` checks it here. Parameters are the RFC's
defaults, which every authenticator and Google Wallet's rotating barcode understand:
HMAC-SHA-1, 30-second steps, 6 digits, counting from the Unix epoch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime

STEP_SECONDS = 30
DIGITS = 6
ALGORITHM = "SHA1"
#: Steps either side of the server's own step that are still accepted (clock drift, a slow queue).
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, the HMAC-SHA-1 block-friendly size RFC 4226 recommends


def new_secret() -> str:
    """A fresh random secret, base32 without padding (32 characters for 20 bytes)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def _key(secret_b32: str) -> bytes:
    cleaned = secret_b32.strip().replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest=hashlib.sha1) -> str:
    """RFC 4226 §5.3: HMAC the 8-byte counter, take 31 bits at the dynamic offset, keep `digits` decimals."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    (number,) = struct.unpack(">I", mac[offset : offset + 4])
    return str((number & 0x7FFFFFFF) % 10**digits).zfill(digits)


def step_at(moment: datetime | float) -> int:
    """The RFC 6238 time step T = floor((unix time - T0) / X), with T0 = 0 and X = 30 s."""
    seconds = moment.timestamp() if isinstance(moment, datetime) else moment
    return int(seconds // STEP_SECONDS)


def code_at_step(secret_b32: str, step: int, *, digits: int = DIGITS) -> str:
    return hotp(_key(secret_b32), step, digits=digits)


def code_at(secret_b32: str, moment: datetime | float) -> str:
    """The code the member's app shows at `moment`."""
    return code_at_step(secret_b32, step_at(moment))


def matching_step(secret_b32: str, code: str, moment: datetime | float, *, drift: int = DRIFT_STEPS) -> int | None:
    """The step within ±`drift` of `moment` whose code is `code`, or None. Compares in constant time.

    Every candidate is computed and compared, so the time taken does not reveal which one matched.
    """
    now_step = step_at(moment)
    key = _key(secret_b32)
    found = None
    for step in range(now_step - drift, now_step + drift + 1):
        if hmac.compare_digest(hotp(key, step).encode(), code.encode()) and found is None:
            found = step
    return found
