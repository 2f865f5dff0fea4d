"""Errors raised by the areas services. Interfaces turn them into form errors, messages or 4xx responses."""

from __future__ import annotations

from agora.exceptions import ApplicationError


class InvalidInput(ApplicationError):
    """The input breaks a rule; `errors` maps each field (or weekday) to its messages."""

    def __init__(self, message: str = "", *, errors: dict | None = None):
        super().__init__(message, errors=errors or {})
        self.errors: dict[str | int, list[str]] = {key: [str(m) for m in msgs] for key, msgs in (errors or {}).items()}


class AreaInvalid(InvalidInput):
    """The shopping area's details are not valid."""


class MerchantInvalid(InvalidInput):
    """The merchant's details are not valid."""


class OpeningHoursInvalid(InvalidInput):
    """The opening hours are not valid (order, overlap or shape); errors are keyed by weekday or field."""


class RoleScopeMismatch(InvalidInput):
    """A role was granted in a scope it cannot be held in (e.g. a merchant role without its merchant)."""


class RoleNotGrantable(ApplicationError):
    """The role cannot be granted to this person or in this scope right now."""
