"""Errors raised by the accounts services."""

from agora.exceptions import ApplicationError


class InvalidCredentials(ApplicationError):
    """The e-mail address and password do not match an active account."""


class EmailNotVerified(ApplicationError):
    """The account's e-mail address has not been confirmed yet."""


class SecondFactorNotSetUp(ApplicationError):
    """A role holder must set up two-factor authentication before using the API."""


class SecondFactorInvalid(ApplicationError):
    """The one-time code is missing, wrong or already used."""
