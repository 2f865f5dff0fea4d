"""Errors raised by the website's services, each with a message fit to show to the visitor."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from agora.exceptions import ApplicationError


class CmsError(ApplicationError):
    default_message = _("This cannot be done on the website.")

    def __init__(self, message: str = "", **extra):
        super().__init__(str(message or self.default_message), **extra)


class TooManyResponses(CmsError):
    default_message = _("Thank you, we already received several answers from you. Please try again later.")
