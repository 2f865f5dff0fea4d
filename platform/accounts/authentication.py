"""How API callers authenticate: the browser session (CSRF-checked) or an API token.

Role holders also need a second factor for either: RequireStaffMFAMiddleware checks the session user and the
owner of an `Authorization: Token …` header before any API view runs.
"""

from functools import cache

from django.db import connection
from rest_framework import authentication
from rest_framework.authentication import SessionAuthentication

from agora import rows

#: Where RequireStaffMFAMiddleware leaves the token it read from the Authorization header (or None).
TOKEN_ATTRIBUTE = "_agora_api_token"


@cache
def token_sql() -> str:
    """The token, its owner (every column), whether the owner has a TOTP authenticator and their active
    memberships, one row per membership (one row with NULLs for none). Built once from the models' metadata."""
    from allauth.mfa.models import Authenticator
    from rest_framework.authtoken.models import Token

    from areas.models import StaffMembership

    from .models import User

    q = connection.ops.quote_name
    return f"""
        SELECT t.{q("key")}, t.{q("created")}, {rows.columns("u", User)},
            EXISTS (SELECT 1 FROM {q(Authenticator._meta.db_table)} a WHERE a.user_id = u.id AND a.type = %s),
            m.role, m.area_id, m.merchant_id
        FROM {q(Token._meta.db_table)} t
        JOIN {q(User._meta.db_table)} u ON u.id = t.user_id
        LEFT JOIN {q(StaffMembership._meta.db_table)} m ON m.user_id = u.id AND m.ended_at IS NULL
        WHERE t.{q("key")} = %s
    """


def read_token(key: str):
    """The API token with this key, its owner attached, or None — in one query, as every API call asks it first.

    The owner carries what the staff MFA check and every permission check of the request need: whether they have
    a TOTP authenticator (`_agora_has_totp`) and their active memberships (`_agora_memberships`, as
    `permissions.memberships_of` keeps them).
    """
    from allauth.mfa.models import Authenticator
    from rest_framework.authtoken.models import Token

    from .models import User

    with connection.cursor() as cursor:
        cursor.execute(token_sql(), [Authenticator.Type.TOTP, key])
        found = cursor.fetchall()
    if not found:
        return None
    first, cut = found[0], 2 + rows.width(User)
    user = rows.from_row(User, first[2:cut])
    user._agora_has_totp = bool(first[cut])
    user._agora_memberships = [
        {"role": role, "area_id": area_id, "merchant_id": merchant_id}
        for role, area_id, merchant_id in (row[-3:] for row in found)
        if role is not None
    ]
    token = rows.from_row(Token, [first[0], user.pk, first[1]])
    token.user = user
    return token


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
