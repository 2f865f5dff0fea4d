"""Checks the till's services share: the till permission, the app's one-time codes, PINs.

Kept apart from the services that use them (till, passes, gift cards) so that none imports another for these.
"""

from __future__ import annotations

import re
from datetime import datetime

from accounts.permissions import can

from .. import totp
from ..exceptions import CodeAlreadyUsed, CodeExpired, NotAllowed
from ..models import Pass

#: Wrong PINs in a row before a PIN stops working (the member sets a new one in the app).
MAX_PIN_ATTEMPTS = 5
#: A PIN of a printed card or a gift card: 4 to 6 digits.
PIN_PATTERN = re.compile(r"\d{4,6}")


def require_till(by, merchant) -> None:
    """Raise NotAllowed unless `by` operates `merchant`'s till."""
    if not can(by, "merchant.operate_till", merchant):
        raise NotAllowed()


def check_code(member_pass: Pass, otp: str, now: datetime) -> int:
    """The step of a valid, unused TOTP code (the server's step ±1). The caller burns it (`last_totp_step`)
    in the same transaction: each step is accepted once per pass."""
    step = totp.matching_step(member_pass.totp_secret, otp, now)
    if step is None:
        raise CodeExpired()
    # Not only this step but every earlier one is spent: an older screenshot is refused as well.
    if step <= member_pass.last_totp_step:
        raise CodeAlreadyUsed()
    return step


def accept_code(member_pass: Pass, otp: str, now: datetime) -> None:
    """Check the TOTP code and burn its step at once."""
    step = check_code(member_pass, otp, now)
    Pass.objects.filter(pk=member_pass.pk).update(last_totp_step=step)
    member_pass.last_totp_step = step
