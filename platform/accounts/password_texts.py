"""Django's help texts for the password rules (AUTH_PASSWORD_VALIDATORS), marked for translation here too.

Django's own Dutch says "Uw wachtwoord…"; Agora says "je" everywhere. Our catalogue (`locale/`, first in
LOCALE_PATHS) takes precedence over Django's, and marking the texts here keeps them in it when `makemessages` runs.
Nothing reads these constants.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

HELP_TEXTS = (
    gettext_noop("Your password can’t be too similar to your other personal information."),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
)
