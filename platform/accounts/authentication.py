"""How API callers authenticate: the browser session (CSRF-checked) or an API token.

Role holders also need a second factor for either: RequireStaffMFAMiddleware checks the session user and the
owner of an `Authorization: Token …` header before any API view runs.
"""

from rest_framework import authentication
from rest_framework.authentication import SessionAuthentication

#: Where RequireStaffMFAMiddleware leaves the token it read from the Authorization header (or None).
TOKEN_ATTRIBUTE = "_agora_api_token"


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, reusing the token the MFA middleware already read for this request: one
    query (and one user object, whose memberships are then read once) instead of two per API call."""

    def authenticate(self, request):
        token = getattr(request._request, TOKEN_ATTRIBUTE, None)
        if token is not None and token.user.is_active:
            scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "token" and key.strip() == token.key:
                return token.user, token
        return super().authenticate(request)


class ApiAuthMixin:
    """Mix into API views that need a signed-in caller (or accept one on a public endpoint)."""

    authentication_classes = [SessionAuthentication, TokenAuthentication]
