"""Errors raised by the privacy services."""

from agora.exceptions import ApplicationError


class AppendOnlyViolation(ApplicationError):
    """An attempt to change or delete evidence (consent events, purpose texts, audit entries)."""


class UnknownPurpose(ApplicationError):
    pass


class ConsentNotApplicable(ApplicationError):
    """The purpose rests on contract or legitimate interest: there is nothing to give or withdraw."""
