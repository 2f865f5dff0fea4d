"""Staff roles need a second factor: anyone holding a role must set up TOTP before anything else."""

import re

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .permissions import has_staff_role

_LANGUAGE_PREFIX = re.compile(r"^/(nl|en)(?=/)")
# What a role holder without a second factor may still reach: setting one up, logging out,
# the language switch and static files.
_ALWAYS_ALLOWED = ("/accounts/", "/static/", "/media/", "/i18n/", "/favicon.ico", "/robots.txt")


class RequireStaffMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.AGORA_REQUIRE_STAFF_MFA and self._must_set_up_mfa(request):
            if request.path.startswith("/api/"):
                message = _("Set up two-factor authentication before you use the API with a staff role.")
                return JsonResponse({"detail": message}, status=403)
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _must_set_up_mfa(request) -> bool:
        user = getattr(request, "user", None)
        if not (user and user.is_authenticated):
            return False
        path = _LANGUAGE_PREFIX.sub("", request.path)
        if path.startswith(_ALWAYS_ALLOWED) or not has_staff_role(user):
            return False
        return not user_has_totp(user)


def user_has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
