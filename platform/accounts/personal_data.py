"""Registers this app's personal data with the privacy registry.

The account itself is anonymised, not deleted: consent events, data-subject requests and other
apps' bookkeeping point at it (PROTECT), and its `pseudonym` must stay stable. What names the
person — e-mail, names, login secrets, sign-in records — is deleted or overwritten.
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.registry import LAST, register

User = get_user_model()
#: What admin log lines about an erased account say instead of its e-mail address.
ERASED_LABEL = "[erased]"


def _about_the_account(subject) -> Q:
    """Log rows that name the account by content type and id rather than by a foreign key."""
    return Q(content_type=ContentType.objects.get_for_model(User), object_id=str(subject.pk))


register(
    User,
    label=_("Your account"),
    subject_path="pk",
    fields=[
        "email",
        "first_name",
        "last_name",
        "preferred_language",
        "date_joined",
        "last_login",
        "last_seen_at",
    ],
    on_erase="anonymise",
    anonymise={
        # .invalid is reserved (RFC 2606): nothing can ever be delivered to it, and the unique
        # e-mail constraint still holds because the pseudonym is unique.
        "email": lambda user: f"erased-{user.pseudonym}@erased.invalid",
        "first_name": "",
        "last_name": "",
        # A new unusable hash also changes the session hash: every open session ends.
        "password": lambda user: make_password(None),
        "is_active": False,
        "is_staff": False,
        "is_superuser": False,
        "last_login": None,
        "last_seen_at": None,
        "erased_at": lambda user: timezone.now(),
    },
    # Runs after every row that points at the account, so those can still be found through it.
    order=LAST,
)

if apps.is_installed("allauth.account"):
    from allauth.account.models import EmailAddress

    # E-mail confirmations cascade with the address.
    register(
        EmailAddress,
        label=_("E-mail addresses"),
        subject_path="user",
        fields=["email", "verified", "primary"],
        on_erase="delete",
    )

if apps.is_installed("allauth.mfa"):
    from allauth.mfa.models import Authenticator

    register(
        Authenticator,
        label=_("Two-factor authentication"),
        subject_path="user",
        fields=["type", "created_at", "last_used_at"],  # never `data`: it holds the TOTP secret
        on_erase="delete",
        labels={"created_at": _("created at"), "last_used_at": _("last used at")},
    )

if apps.is_installed("rest_framework.authtoken"):
    from rest_framework.authtoken.models import Token

    register(
        Token,
        label=_("API keys"),
        subject_path="user",
        fields=["created"],  # never `key`: it is a password
        on_erase="delete",
    )

if apps.is_installed("django.contrib.admin"):
    from django.contrib.admin.models import LogEntry

    # Admin bookkeeping about the account stays (who changed an account, when), but its text
    # named the person: `object_repr` is the e-mail and `change_message` can quote it.
    register(
        LogEntry,
        label=_("Changes made to your account by administrators"),
        subject_path=_about_the_account,
        fields=["action_time", "action_flag", "change_message"],
        on_erase="anonymise",
        anonymise={"object_repr": ERASED_LABEL, "change_message": ""},
    )

if apps.is_installed("wagtail.users"):
    from wagtail.users.models import UserProfile

    register(
        UserProfile,
        label=_("Website editor preferences"),
        subject_path="user",
        fields=["preferred_language", "current_time_zone", "avatar", "theme"],
        on_erase="delete",
    )

if apps.is_installed("wagtail.admin"):
    from wagtail.admin.models import EditingSession, FormState
    from wagtail.models import APIToken, ModelLogEntry

    register(
        EditingSession,
        label=_("Website editing sessions"),
        subject_path="user",
        fields=["object_id", "last_seen_at"],
        on_erase="delete",
        labels={"object_id": _("object id"), "last_seen_at": _("last seen at")},
    )
    # Unsaved editor forms: free text, possibly about the person themselves.
    register(
        FormState,
        label=_("Unsaved website editor forms"),
        subject_path="user",
        fields=["object_id", "last_updated_at"],
        on_erase="delete",
        labels={"object_id": _("object id"), "last_updated_at": _("updated at")},
    )
    register(
        APIToken,
        label=_("Website API tokens"),
        subject_path="user",
        fields=["name", "created", "revoked_at", "last_used_at"],  # never `key_hash`
        on_erase="delete",
    )
    # Wagtail logs changes to accounts made in its admin, labelled with the account's e-mail.
    register(
        ModelLogEntry,
        label=_("Changes made to your account in the website editor"),
        subject_path=_about_the_account,
        fields=["action", "timestamp"],
        labels={"action": _("action")},
        on_erase="anonymise",
        anonymise={"label": ERASED_LABEL, "data": lambda entry: {}},
    )
