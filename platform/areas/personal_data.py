"""Registers this app's personal data with the privacy registry.

Staff memberships hold no text about the person (a role, an area or merchant, two dates), so
they are kept on erasure: the audit log names staff by account id, and "an area manager of X
looked at Y in March" must stay explainable after that manager leaves. Roles still held are
ended, so an erased account can never act again.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.registry import register

from .models import StaffMembership

register(
    StaffMembership,
    label=_("Staff roles"),
    subject_path="user",
    fields=["role", "area", "merchant", "created_at", "ended_at"],
    on_erase="anonymise",
    anonymise={"ended_at": lambda membership: membership.ended_at or timezone.now()},
)
