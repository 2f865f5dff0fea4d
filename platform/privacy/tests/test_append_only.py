"""Consent events, purpose texts and audit entries are evidence: they can be added, never changed or removed."""

import pytest
from django.db import DatabaseError, connection, transaction

from privacy import services
from privacy.exceptions import AppendOnlyViolation
from privacy.models import AuditEntry, ConsentEvent, ConsentState, PurposeVersion


@pytest.fixture
def event(person, area, decide):
    return decide(person, area, "analytics", ConsentState.GIVEN)


def test_a_consent_event_cannot_be_saved_again(event):
    event.state = ConsentState.WITHDRAWN
    with pytest.raises(AppendOnlyViolation):
        event.save()
    event.refresh_from_db()
    assert event.state == ConsentState.GIVEN


def test_a_consent_event_cannot_be_deleted(event):
    with pytest.raises(AppendOnlyViolation):
        event.delete()
    assert ConsentEvent.objects.filter(pk=event.pk).exists()


def test_consent_events_cannot_be_updated_or_deleted_in_bulk(event):
    with pytest.raises(AppendOnlyViolation):
        ConsentEvent.objects.filter(pk=event.pk).update(state=ConsentState.WITHDRAWN)
    with pytest.raises(AppendOnlyViolation):
        ConsentEvent.objects.filter(pk=event.pk).delete()
    # bulk_update runs in an atomic block without a savepoint: give it one, so the test can go on.
    with pytest.raises(AppendOnlyViolation), transaction.atomic():
        ConsentEvent.objects.bulk_update([event], ["state"])
    assert ConsentEvent.objects.get(pk=event.pk).state == ConsentState.GIVEN


def test_purpose_texts_and_audit_entries_are_append_only_too(person):
    version = PurposeVersion.objects.filter(purpose__code="marketing").first()
    entry = services.log_access(actor=person, action="view", subject=person)
    for row in (version, entry):
        with pytest.raises(AppendOnlyViolation):
            row.save()
        with pytest.raises(AppendOnlyViolation):
            row.delete()
        with pytest.raises(AppendOnlyViolation):
            type(row).objects.all().delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["privacy_consentevent", "privacy_purposeversion", "privacy_auditentry"])
def test_postgres_trigger_refuses_raw_update_and_delete(table, event, person):
    services.log_access(actor=person, action="view", subject=person)
    for statement in (f"UPDATE {table} SET id = id + 1000", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert ConsentEvent.objects.filter(pk=event.pk).exists()
