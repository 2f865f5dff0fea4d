"""Writes about accounts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from .exceptions import (
    EmailNotVerified,
    InvalidCredentials,
    InvalidFirstName,
    SecondFactorInvalid,
    SecondFactorNotSetUp,
)
from .permissions import has_staff_role


@transaction.atomic
def obtain_api_token(*, request, email: str, password: str, otp_code: str = "") -> Token:
    """The person's API token (created on first use) for e-mail + password; role holders also give a TOTP code.

    Raises InvalidCredentials, EmailNotVerified, SecondFactorNotSetUp or SecondFactorInvalid.
    """
    from allauth.account import app_settings as account_settings
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    user = authenticate(request, email=email.strip().lower(), password=password)
    if user is None or not user.is_active:
        raise InvalidCredentials(_("The e-mail address and password do not match."))
    # The same rule as the login page: with mandatory verification nobody gets in on an unconfirmed address.
    must_verify = account_settings.EMAIL_VERIFICATION == account_settings.EmailVerificationMethod.MANDATORY
    if must_verify and not EmailAddress.objects.filter(user=user, verified=True).exists():
        raise EmailNotVerified(_("Confirm your e-mail address first: follow the link in the e-mail we sent you."))
    if settings.AGORA_REQUIRE_STAFF_MFA and has_staff_role(user):
        authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if authenticator is None:
            raise SecondFactorNotSetUp(_("Set up two-factor authentication in your account before using the API."))
        # validate_code also marks the code as used, so a code seen once cannot be replayed.
        if not (otp_code and TOTP(authenticator).validate_code(otp_code.strip())):
            raise SecondFactorInvalid(_("Enter the current code from your authenticator app."))
    token, _created = Token.objects.get_or_create(user=user)
    return token


#: The longest first name kept (`User.first_name`).
FIRST_NAME_MAX = 150


def clean_first_name(first_name: str) -> str:
    """A typed first name with its spaces tidied; "" keeps none. Raises InvalidFirstName when it is too long."""
    first_name = " ".join((first_name or "").split())
    if len(first_name) > FIRST_NAME_MAX:
        raise InvalidFirstName()
    return first_name


def set_first_name(*, user, first_name: str) -> None:
    """The person's own first name ("" removes it): greetings in e-mails, and at the till of a shop only when they
    let the shops they visit recognise them (loyalty's `share_with_merchants`). Raises InvalidFirstName."""
    first_name = clean_first_name(first_name)
    get_user_model().objects.filter(pk=user.pk).update(first_name=first_name)
    user.first_name = first_name
