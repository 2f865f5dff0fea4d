"""manage.py demo_totp [e-mail ...]: the current two-factor codes of the demo staff logins."""

from __future__ import annotations

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from areas.demo import STAFF_DOMAIN


class Command(BaseCommand):
    help = f"Print the current TOTP code of demo staff logins (e-mail addresses @{STAFF_DOMAIN} only)."

    def add_arguments(self, parser):
        parser.add_argument("emails", nargs="*", help="Demo login(s); all demo staff logins when left out.")

    def handle(self, *args, emails: list[str], **options):
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("demo_totp prints second factors: it does not run in production.")
        wanted = [email.lower() for email in emails]
        not_demo = [email for email in wanted if not email.endswith(f"@{STAFF_DOMAIN}")]
        if not_demo:
            raise CommandError(f"Only demo logins (@{STAFF_DOMAIN}) have codes shown here, not {', '.join(not_demo)}.")
        authenticators = Authenticator.objects.filter(
            type=Authenticator.Type.TOTP, user__email__iendswith=f"@{STAFF_DOMAIN}"
        ).select_related("user")
        if wanted:
            authenticators = authenticators.filter(user__email__in=wanted)
        authenticators = sorted(authenticators, key=lambda a: a.user.email)
        if not authenticators:
            raise CommandError("No demo staff login with TOTP found: run `manage.py seed_demo` first.")
        now = time.time()
        counter = int(now) // mfa_settings.TOTP_PERIOD
        seconds_left = mfa_settings.TOTP_PERIOD - int(now) % mfa_settings.TOTP_PERIOD
        for authenticator in authenticators:
            # allauth's own HOTP over the current time step: the code its login form accepts now
            code = format_hotp_value(hotp_value(decrypt(authenticator.data["secret"]), counter))
            self.stdout.write(f"{code}  {authenticator.user.email}")
        self.stdout.write(f"(valid for another {seconds_left} s)")
