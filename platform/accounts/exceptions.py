"""Errors raised by the accounts services."""

from django.utils.translation import gettext as _

from agora.exceptions import ApplicationError


class InvalidCredentials(ApplicationError):
    """The e-mail address and password do not match an active account."""


class EmailNotVerified(ApplicationError):
    """The account's e-mail address has not been confirmed yet."""


class SecondFactorNotSetUp(ApplicationError):
    """A role holder must set up two-factor authentication before using the API."""


class SecondFactorInvalid(ApplicationError):
    """The one-time code is missing, wrong or already used."""


class InvalidFirstName(ApplicationError):
    """A first name longer than an account keeps; `errors` says so on the field `first_name`."""

    def __init__(self):
        message = _("A first name has at most %(max)s characters.") % {"max": 150}
        super().__init__(message, errors={"first_name": [message]})
