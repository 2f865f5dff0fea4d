"""Account middleware: staff need a second factor; activity is recorded for the retention job."""

import datetime as dt
import re
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .permissions import has_staff_role, read_memberships

# Pages people read sit under /<language>/ (i18n_patterns); the allow-list below is written without it.
_LANGUAGES = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
_LANGUAGE_PREFIX = re.compile(rf"^/({_LANGUAGES})(?=/)")
# What a role holder without a second factor may still reach: allauth's pages (setting up TOTP under
# /accounts/2fa/, re-entering the password it asks for first, logging out), the language switch and static files.
_ALWAYS_ALLOWED = ("/accounts/", "/static/", "/media/", "/i18n/", "/favicon.ico", "/robots.txt")


class RequireStaffMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.AGORA_REQUIRE_STAFF_MFA and self._must_set_up_mfa(request):
            if request.path.startswith("/api/"):
                message = _("Set up two-factor authentication before you use the API with a staff role.")
                return JsonResponse({"detail": message}, status=403)
            # allauth's activation page ignores `next`; it is kept for the journey back after setting up.
            return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _must_set_up_mfa(request) -> bool:
        path = _LANGUAGE_PREFIX.sub("", request.path)
        if path.startswith(_ALWAYS_ALLOWED):
            return False
        user = getattr(request, "user", None)
        if not (user and user.is_authenticated) and path.startswith("/api/"):
            user = _api_token_user(request)
        if not (user and user.is_authenticated):
            return False
        if not (user.is_superuser or user.is_staff or getattr(user, "_agora_has_totp", None) is not None):
            _read_memberships_and_totp(user)
        return has_staff_role(user) and not user_has_totp(user)


def _api_token_user(request):
    """The owner of the API token in the Authorization header, if any.

    DRF reads tokens inside the view, after every middleware; without this a token issued before its owner
    got a role would reach the API without the second factor.
    """
    scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "token" or not key.strip():
        return None
    from .authentication import read_token

    # The owner's second factor and memberships ride along (the check below needs both for every role holder).
    token = read_token(key.strip())
    # Kept for the API view's own authentication (accounts.authentication.TokenAuthentication): read once.
    request._agora_api_token = token
    return token.user if token and token.user.is_active else None


def _read_memberships_and_totp(user) -> None:
    """The person's memberships (for `has_staff_role` and every permission check of the request) and whether they
    have a TOTP authenticator, in one query: a role holder's every request needs both."""
    memberships = read_memberships(user, has_totp=_totp_exists())
    if memberships:  # without a membership (a superuser, say) `user_has_totp` asks itself
        user._agora_has_totp = memberships[0]["has_totp"]


def _totp_exists():
    from allauth.mfa.models import Authenticator

    return Exists(Authenticator.objects.filter(user=OuterRef("user"), type=Authenticator.Type.TOTP))


def user_has_totp(user) -> bool:
    known = getattr(user, "_agora_has_totp", None)
    if known is not None:  # read with the API token
        return known
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


ACTIVITY_RESOLUTION = dt.timedelta(days=1)


class RecordActivityMiddleware:
    """Keeps `User.last_seen_at` within a day of the person's last request (the retention job reads it).

    One conditional UPDATE a day per person: the filter is the compare-and-set, so concurrent
    requests write once and no request reads the row first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            record_activity(user)
        return self.get_response(request)


def record_activity(user) -> None:
    from .models import User

    now = timezone.now()
    if user.last_seen_at and now - user.last_seen_at < ACTIVITY_RESOLUTION:
        return
    stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - ACTIVITY_RESOLUTION)
    User.objects.filter(stale, pk=user.pk).update(last_seen_at=now)
    user.last_seen_at = now


# --- Logging out on a shared phone ------------------------------------------------------------------------------

#: What the browser forgets when someone logs out, wherever they log out from: the member app's cached pages
#: ("cache") and its pass key, stored pages and service worker ("storage"). Without it, a phone that was logged out
#: from any page but the pass page still showed the pass offline and made codes a till accepts.
CLEAR_SITE_DATA = '"cache", "storage"'


def mark_logged_out(sender, request, user, **kwargs) -> None:
    """`user_logged_out` receiver (accounts.apps): this request logged someone out."""
    if request is not None:
        request.agora_logged_out = True


class ClearSiteDataOnLogoutMiddleware:
    """Asks the browser to clear this site's caches and storage on the response that logged someone out
    (allauth's, the admin's or Wagtail's logout: any `logout()`). Browsers honour it on secure origins
    (HTTPS, and localhost in the demo)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "agora_logged_out", False):
            response["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response
