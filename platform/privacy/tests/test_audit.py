"""The audit log: who looked at or changed whose data, by id and field name, never by value."""

import json

import pytest
from django.urls import reverse

from privacy import selectors, services
from privacy.models import AuditEntry


def test_log_access_stores_ids_and_field_names_only(area_manager, person, merchant):
    entry = services.log_access(
        actor=area_manager, action="view", subject=person, obj=merchant, fields=["first_name", "visits"], via="desk"
    )
    entry.refresh_from_db()
    assert (entry.actor, entry.subject, entry.action, entry.via) == (area_manager, person, "view", "desk")
    assert (entry.object_type, entry.object_id) == ("areas.merchant", str(merchant.pk))
    assert entry.area == merchant.area  # from the object's permission scope
    assert entry.fields == ["first_name", "visits"]
    stored = json.dumps([getattr(entry, f.attname) for f in AuditEntry._meta.concrete_fields], default=str)
    for value in (person.email, person.first_name, person.last_name, area_manager.email):
        assert value not in stored


def test_log_access_about_a_person_has_no_area(person):
    entry = services.log_access(actor=person, action="view", subject=person)
    assert (entry.object_type, entry.object_id, entry.area) == ("accounts.user", str(person.pk), None)


def test_log_access_refuses_unknown_actions_and_missing_targets(person):
    with pytest.raises(ValueError):
        services.log_access(actor=person, action="peek", subject=person)
    with pytest.raises(ValueError):
        services.log_access(actor=person, action="view")


def test_views_exports_and_erasures_are_all_in_the_log(person, area_manager, area):
    services.log_access(actor=area_manager, action="view", subject=person, area=area, fields=["email"])
    services.export_personal_data(subject=person, requested_by=person)
    services.erase_person(subject=person, requested_by=person)
    assert list(AuditEntry.objects.filter(subject=person).order_by("pk").values_list("action", flat=True)) == [
        "view",
        "export",
        "erase",
    ]


def test_the_settings_page_reads_in_few_queries(logged_in, person, area, decide, django_assert_max_num_queries):
    decide(person, area, "analytics", "given")
    with django_assert_max_num_queries(3):
        selectors.consents_for(person, area)
    logged_in.get(reverse("privacy:consents"))  # the first request of the day also records activity
    # session, user, roles, site and area look-ups, then our three: projection, purposes, versions
    with django_assert_max_num_queries(10):
        assert logged_in.get(reverse("privacy:consents")).status_code == 200
