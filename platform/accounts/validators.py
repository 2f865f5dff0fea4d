"""Django's password rules (AUTH_PASSWORD_VALIDATORS) with messages the site can say in Dutch.

Django 5.2 changed the "too short" message to a msgid its own Dutch catalogue does not have yet, so Dutch sign-up
said it in English; and its Dutch "too similar" message reads "lijkt te veel op de e-mailadres". The rules
themselves are Django's; only what they say differs. Their help texts are in `password_texts`.
"""

from django.contrib.auth import password_validation
from django.utils.translation import gettext, ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        # The msgid before Django 5.2: Django's Dutch catalogue has it, and ours can (`makemessages` finds it here).
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_error_message(self) -> str:
        # "your e-mail address": Django's "the %(verbose_name)s" gets the Dutch article wrong ("de e-mailadres").
        return gettext("The password is too similar to your %(verbose_name)s.")
