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
