"""Parcel events are append-only: the ORM refuses to change or delete them, and on PostgreSQL the database does."""

import pytest
from django.db import DatabaseError, connection, transaction

from parcels.models import Parcel, ParcelEvent
from privacy.exceptions import AppendOnlyViolation

from .factories import receive


@pytest.fixture
def event(point, staff, now):
    return receive(point, staff, at=now).events.get()


def test_the_orm_refuses_to_change_or_delete_an_event(event):
    event.note = "changed"
    with pytest.raises(AppendOnlyViolation):
        event.save()
    with pytest.raises(AppendOnlyViolation):
        event.delete()
    with pytest.raises(AppendOnlyViolation):
        ParcelEvent.objects.filter(pk=event.pk).update(note="changed")
    with pytest.raises(AppendOnlyViolation):
        ParcelEvent.objects.filter(pk=event.pk).delete()


def test_a_parcel_with_history_cannot_be_deleted(event):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Parcel.objects.filter(pk=event.parcel_id).delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement", ["UPDATE parcels_parcelevent SET note = 'changed'", "DELETE FROM parcels_parcelevent"]
)
def test_postgresql_refuses_to_change_or_delete_an_event(event, statement):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert ParcelEvent.objects.get(pk=event.pk).note == ""
