"""Export reaches every registered model; erasure leaves no name or e-mail anywhere; retention is careful."""

import json
import os
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone
from rest_framework.authtoken.models import Token
from wagtail.admin.models import EditingSession, FormState
from wagtail.models import APIToken, ModelLogEntry
from wagtail.users.models import UserProfile

from accounts.roles import Role
from areas.models import StaffMembership
from areas.tests.factories import StaffMembershipFactory, UserFactory
from privacy import services
from privacy.models import AuditEntry, ConsentEvent, ConsentState, CurrentConsent, DataSubjectRequest
from privacy.registry import registered

User = get_user_model()
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.EmailField)
EMAIL = "quirijntje.zwanenburg@example.org"
FIRST, LAST = "Quirijntje", "Zwanenburg-Oosterbeek"


@pytest.fixture
def person_with_everything(db, area, merchant, decide, settings, tmp_path):
    """A person with a row in every place the registry knows about (and the admin bookkeeping about them)."""
    settings.MEDIA_ROOT = tmp_path
    person = UserFactory(email=EMAIL, first_name=FIRST, last_name=LAST, last_login=timezone.now())
    admin = UserFactory(is_staff=True, is_superuser=True)
    user_type = ContentType.objects.get_for_model(User)

    EmailAddress.objects.create(user=person, email=EMAIL, verified=True, primary=True)
    Authenticator.objects.create(user=person, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    Token.objects.create(user=person)
    StaffMembershipFactory(user=person, role=Role.MERCHANT_STAFF, merchant=merchant)
    LogEntry.objects.create(
        user=admin,
        content_type=user_type,
        object_id=str(person.pk),
        object_repr=str(person),
        action_flag=CHANGE,
        change_message=json.dumps([{"added": {"name": "e-mail address", "object": EMAIL}}]),
    )
    ModelLogEntry.objects.create(
        content_type=user_type,
        object_id=str(person.pk),
        label=f"{FIRST} {LAST} <{EMAIL}>",
        action="wagtail.edit",
        data={"email": EMAIL},
        timestamp=timezone.now(),
        user=admin,
    )
    profile = UserProfile.get_for_user(person)
    profile.avatar.save("avatar.png", ContentFile(b"not really a png"), save=True)
    EditingSession.objects.create(
        user=person, content_type=user_type, object_id=str(person.pk), last_seen_at=timezone.now()
    )
    FormState.objects.create(
        user=person,
        content_type=user_type,
        object_id=str(person.pk),
        data=f"first_name={FIRST}&email={EMAIL}",
        last_updated_at=timezone.now(),
    )
    APIToken.objects.create(user=person, name=f"Laptop of {FIRST}", key_hash="0" * 64, prefix="wagtail_")
    decide(person, area, "analytics", ConsentState.GIVEN)
    decide(person, area, "marketing", ConsentState.REFUSED)
    services.log_access(actor=admin, action="view", subject=person, obj=person, fields=["email"], via="admin")
    return person


def _traces_of(*needles: str) -> list[str]:
    """Every (table.column) in every model whose text contains one of the needles."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            for needle in needles:
                if model._base_manager.filter(**{f"{field.name}__icontains": needle}).exists():
                    found.append(f"{model._meta.db_table}.{field.column} contains {needle!r}")
    return found


def test_the_test_person_really_is_everywhere_before_erasure(person_with_everything):
    traces = _traces_of(EMAIL, FIRST, LAST)
    for table in ("accounts_user", "account_emailaddress", "django_admin_log", "wagtailcore_modellogentry"):
        assert any(trace.startswith(table) for trace in traces), table


def test_export_contains_every_field_of_every_registered_spec(person_with_everything):
    export = services.export_personal_data(subject=person_with_everything, requested_by=person_with_everything)
    json.dumps(export)  # JSON-serialisable as it is
    for spec in registered():
        section = export["data"][spec.key]
        assert list(section["fields"]) == list(spec.fields)
        for row in section["rows"]:
            assert list(row) == list(spec.fields), spec.key
    rows = {key: section["rows"] for key, section in export["data"].items()}
    assert rows["accounts.user"] == [
        {
            "email": EMAIL,
            "first_name": FIRST,
            "last_name": LAST,
            "preferred_language": "nl",
            "date_joined": person_with_everything.date_joined.isoformat(),
            "last_login": person_with_everything.last_login.isoformat(),
            "last_seen_at": None,
        }
    ]
    non_empty = {key for key, section_rows in rows.items() if section_rows}
    assert non_empty >= {
        "accounts.user",
        "account.emailaddress",
        "mfa.authenticator",
        "authtoken.token",
        "admin.logentry",
        "wagtailusers.userprofile",
        "areas.staffmembership",
        "privacy.consentevent",
        "privacy.currentconsent",
        "privacy.auditentry",
    }


def test_export_never_contains_secrets(person_with_everything):
    export = json.dumps(services.export_personal_data(subject=person_with_everything, requested_by=None))
    assert Token.objects.get(user=person_with_everything).key not in export
    assert "JBSWY3DPEHPK3PXP" not in export
    assert person_with_everything.password not in export


def test_export_includes_the_consent_history_with_the_texts_shown(person_with_everything):
    export = services.export_personal_data(subject=person_with_everything, requested_by=person_with_everything)
    history = export["consent_history"]
    assert [(row["purpose"], row["state"]) for row in history] == [("analytics", "given"), ("marketing", "refused")]
    assert history[0]["text_shown"].startswith("With your consent we use your age group")
    assert history[0]["text_version"] == 1 and history[0]["recorded_by_you"]


def test_export_is_recorded_as_a_request_and_in_the_audit_log(person_with_everything):
    services.export_personal_data(subject=person_with_everything, requested_by=person_with_everything, via="api")
    request = DataSubjectRequest.objects.get(subject=person_with_everything, kind="export")
    assert request.completed_at is not None
    assert request.summary["rows"]["accounts.user"] == 1
    entry = AuditEntry.objects.get(subject=person_with_everything, action="export")
    assert entry.actor == person_with_everything and entry.via == "api"
    assert "accounts.user" in entry.fields


def test_erasure_leaves_no_trace_of_name_or_email_in_any_text_column(
    person_with_everything, django_capture_on_commit_callbacks
):
    person = person_with_everything
    avatar_path = UserProfile.objects.get(user=person).avatar.path
    events_before = ConsentEvent.objects.filter(subject=person).count()

    with django_capture_on_commit_callbacks(execute=True):
        summary = services.erase_person(subject=person, requested_by=person)

    assert _traces_of(EMAIL, FIRST, LAST) == []
    # the account is a husk: no login, no roles, a stable pseudonym
    person.refresh_from_db()
    assert person.email == f"erased-{person.pseudonym}@erased.invalid"
    assert person.erased_at is not None and not person.is_active and not person.has_usable_password()
    assert not StaffMembership.objects.active().filter(user=person).exists()
    assert StaffMembership.objects.filter(user=person).exists()
    # what names the person is gone, with its files
    for model in (EmailAddress, Authenticator, Token, UserProfile, EditingSession, FormState, APIToken):
        assert not model.objects.filter(user=person).exists(), model
    assert not os.path.exists(avatar_path)
    # the proof stays
    assert ConsentEvent.objects.filter(subject=person).count() == events_before
    assert CurrentConsent.objects.filter(subject=person).exists()
    assert DataSubjectRequest.objects.filter(subject=person, kind="erasure", completed_at__isnull=False).exists()
    assert AuditEntry.objects.filter(subject=person, action="erase", actor=person).exists()
    assert LogEntry.objects.filter(object_id=str(person.pk), object_repr="[erased]").exists()
    assert summary["models"]["account.emailaddress"] == {"action": "delete", "rows": 1}
    assert summary["models"]["accounts.user"] == {"action": "anonymise", "rows": 1}


def test_erasing_twice_changes_nothing_the_second_time(person_with_everything):
    first = services.erase_person(subject=person_with_everything, requested_by=person_with_everything)
    again = services.erase_person(subject=person_with_everything, requested_by=person_with_everything)
    assert again["already_erased"] and again["models"] == first["models"]
    assert DataSubjectRequest.objects.filter(subject=person_with_everything, kind="erasure").count() == 1
    assert AuditEntry.objects.filter(subject=person_with_everything, action="erase").count() == 1


def test_erasure_does_not_touch_other_people(person_with_everything, other_person, area, decide):
    decide(other_person, area, "analytics", ConsentState.GIVEN)
    email = other_person.email
    services.erase_person(subject=person_with_everything, requested_by=person_with_everything)
    other_person.refresh_from_db()
    assert other_person.email == email and other_person.is_active and other_person.erased_at is None


# --- Retention ----------------------------------------------------------------------------------


@pytest.fixture
def long_ago(db, settings):
    settings.AGORA_RETENTION_INACTIVE_DAYS = 365
    return timezone.now() - timedelta(days=400)


def test_retention_anonymises_only_inactive_accounts_without_a_role(long_ago, area):
    recent = timezone.now() - timedelta(days=10)
    idle = UserFactory(date_joined=long_ago, last_login=long_ago)
    never_logged_in = UserFactory(date_joined=long_ago)
    seen_recently = UserFactory(date_joined=long_ago, last_login=long_ago, last_seen_at=recent)
    logged_in_recently = UserFactory(date_joined=long_ago, last_login=recent)
    new = UserFactory()
    manager = UserFactory(date_joined=long_ago)
    StaffMembershipFactory(user=manager, role=Role.AREA_MANAGER, area=area)
    former_staff = UserFactory(date_joined=long_ago)
    StaffMembershipFactory(user=former_staff, role=Role.AREA_MANAGER, area=area, ended_at=long_ago)
    superuser = UserFactory(date_joined=long_ago, is_superuser=True)
    site_admin = UserFactory(date_joined=long_ago, is_staff=True)

    assert services.anonymise_inactive_accounts() == 3

    erased = set(User.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
    assert erased == {idle.pk, never_logged_in.pk, former_staff.pk}
    for kept in (seen_recently, logged_in_recently, new, manager, superuser, site_admin):
        kept.refresh_from_db()
        assert kept.erased_at is None and kept.is_active
    request = DataSubjectRequest.objects.get(subject=idle)
    assert request.kind == "retention"
    entry = AuditEntry.objects.get(subject=idle)
    assert entry.action == "anonymise" and entry.actor is None and entry.via == "retention"


def test_retention_is_idempotent(long_ago):
    UserFactory(date_joined=long_ago)
    assert services.anonymise_inactive_accounts() == 1
    assert services.anonymise_inactive_accounts() == 0
    assert DataSubjectRequest.objects.filter(kind="retention").count() == 1


def test_retention_uses_the_given_now(db, settings):
    settings.AGORA_RETENTION_INACTIVE_DAYS = 30
    person = UserFactory()
    assert services.anonymise_inactive_accounts() == 0
    assert services.anonymise_inactive_accounts(now=timezone.now() + timedelta(days=31)) == 1
    person.refresh_from_db()
    assert person.is_erased


def test_retention_task_runs_the_job(long_ago):
    from privacy.tasks import anonymise_inactive_accounts_task

    UserFactory(date_joined=long_ago)
    # apply(): run it here, as a worker would, whether or not a broker is configured
    assert anonymise_inactive_accounts_task.apply().get() == 1
    assert anonymise_inactive_accounts_task.apply().get() == 0
    assert anonymise_inactive_accounts_task.acks_late
