"""The platform admin shows evidence read-only and publishes texts through the service."""

import pytest
from django.urls import reverse

from areas.tests.factories import UserFactory
from privacy.models import ConsentEvent, ConsentState, PurposeVersion

from .factories import with_totp


@pytest.fixture
def admin_client(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    with_totp(admin)
    client.force_login(admin)
    return client


def test_every_privacy_admin_page_renders(admin_client, person, area, decide):
    decide(person, area, "analytics", ConsentState.GIVEN)
    for model in ("purpose", "purposeversion", "consentevent", "currentconsent", "datasubjectrequest", "auditentry"):
        assert admin_client.get(reverse(f"admin:privacy_{model}_changelist")).status_code == 200, model
    event = ConsentEvent.objects.get()
    html = admin_client.get(reverse("admin:privacy_consentevent_change", args=[event.pk])).content.decode()
    assert str(person.pseudonym) in html and person.email not in html
    assert 'name="_save"' not in html


def test_evidence_cannot_be_added_or_deleted_in_the_admin(admin_client, person, area, decide):
    event = decide(person, area, "analytics", ConsentState.GIVEN)
    assert admin_client.get(reverse("admin:privacy_consentevent_add")).status_code == 403
    assert admin_client.post(reverse("admin:privacy_consentevent_delete", args=[event.pk])).status_code == 403
    version = PurposeVersion.objects.first()
    assert admin_client.post(reverse("admin:privacy_purposeversion_delete", args=[version.pk])).status_code == 403
    assert admin_client.get(reverse("admin:privacy_auditentry_add")).status_code == 403
    assert ConsentEvent.objects.filter(pk=event.pk).exists()


def test_adding_a_text_in_the_admin_publishes_the_next_version(admin_client):
    v1 = PurposeVersion.objects.get(purpose__code="analytics", version=1)
    fields = ["title_nl", "title_en", "text_nl", "text_en", "personal_data_nl", "personal_data_en"]
    data = {name: getattr(v1, name) for name in [*fields, "retention_nl", "retention_en"]}
    data.update(purpose=v1.purpose_id, text_en=v1.text_en + " Now also by month.", requires_reconsent="on")
    response = admin_client.post(reverse("admin:privacy_purposeversion_add"), data)
    assert response.status_code == 302
    v2 = PurposeVersion.objects.get(purpose__code="analytics", version=2)
    assert v2.requires_reconsent and v2.content_sha256 == v2.compute_hash()
