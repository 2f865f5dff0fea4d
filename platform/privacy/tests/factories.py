"""Helpers for privacy tests (people and areas come from areas.tests.factories)."""

from allauth.mfa.models import Authenticator


def with_totp(user):
    """Role holders need a second factor before any staff page (RequireStaffMFAMiddleware); tests never use it."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "not-used-in-tests"})
    return user
