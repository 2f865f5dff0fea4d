"""Errors raised by the privacy services."""

from agora.exceptions import ApplicationError


class AppendOnlyViolation(ApplicationError):
    """An attempt to change or delete evidence (consent events, purpose texts, audit entries)."""


class UnknownPurpose(ApplicationError):
    """There is no purpose with that code, or it has no published text yet."""


class ConsentNotApplicable(ApplicationError):
    """The purpose rests on contract or legitimate interest: there is nothing to give or withdraw."""


class PurposeNotOffered(ApplicationError):
    """The purpose is no longer offered: consent cannot be given to it (withdrawing still works)."""


class ConsentTextChanged(ApplicationError):
    """The purpose text changed after it was shown: consent must be asked again with the new text."""


class ErasureBlocked(ApplicationError):
    """Something is still open that needs the person's details to be finished (an order, a parcel): settle it first.
    `extra["items"]`: the open items."""


class LossesNotAccepted(ApplicationError):
    """The erasure would end money, vouchers or points the person has not accepted to lose (or they changed since the
    page listed them). `extra["items"]`: what would be lost now."""
