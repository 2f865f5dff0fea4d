"""How API callers authenticate: the browser session (CSRF-checked) or an API token.

Role holders also need a second factor for either: RequireStaffMFAMiddleware checks the session user and the
owner of an `Authorization: Token …` header before any API view runs.
"""

from rest_framework.authentication import SessionAuthentication, TokenAuthentication


class ApiAuthMixin:
    """Mix into API views that need a signed-in caller (or accept one on a public endpoint)."""

    authentication_classes = [SessionAuthentication, TokenAuthentication]
