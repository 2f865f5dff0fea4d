"""The privacy pages: nothing pre-ticked, one POST to withdraw, receipts, export, erasure, the audit log."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, UserFactory
from privacy import selectors, services
from privacy.models import AuditEntry, ConsentEvent, ConsentState, PurposeVersion

from .factories import with_totp

BUTTON = re.compile(r"<button[^>]*>([^<]*)</button>")


def _consent_buttons(html: str) -> list[str]:
    return [label for label in BUTTON.findall(html) if "consent" in label]


def test_overview_is_public_and_shows_every_purpose_text(client, area):
    response = client.get(reverse("privacy:overview"))
    assert response.status_code == 200
    for title in ("Running your city pass", "Statistics about visitors", "News and offers", "Merchants I visit"):
        assert title in response.content.decode()
    assert reverse("privacy:erase") not in response.content.decode()


def test_overview_links_a_signed_in_person_to_their_pages(logged_in, area):
    html = logged_in.get(reverse("privacy:overview")).content.decode()
    for name in ("privacy:consents", "privacy:receipt", "privacy:export", "privacy:erase"):
        assert reverse(name) in html


def test_the_pages_about_me_need_a_login(client, area):
    for name in ("privacy:consents", "privacy:receipt", "privacy:export", "privacy:erase", "privacy:audit_log"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_settings_page_shows_nothing_pre_ticked(logged_in, area):
    html = logged_in.get(reverse("privacy:consents")).content.decode()
    assert "checked" not in html
    assert 'type="checkbox"' not in html
    # one "give" button per consent purpose, none for the contract purpose
    assert _consent_buttons(html) == ["Give consent"] * 3
    assert 'value="operate_pass"' not in html
    assert "Needed to run your pass" in html


def test_giving_and_withdrawing_are_one_post_each(logged_in, person, area):
    url = reverse("privacy:consents")

    response = logged_in.post(url, {"purpose": "marketing", "state": "given"}, follow=True)
    assert "Saved: you gave consent for “News and offers by e-mail”." in response.content.decode()
    assert selectors.has_consent(person, "marketing", area=area)
    assert _consent_buttons(response.content.decode()).count("Withdraw consent") == 1

    logged_in.post(url, {"purpose": "marketing", "state": "withdrawn"})
    assert not selectors.has_consent(person, "marketing", area=area)
    event = ConsentEvent.objects.filter(subject=person).latest("occurred_at")
    assert (event.state, event.method, event.language, event.recorded_by) == ("withdrawn", "settings", "en", person)


def test_consent_to_a_text_that_changed_since_the_page_was_shown_is_not_recorded(logged_in, person, area):
    url = reverse("privacy:consents")
    assert 'name="version" value="1"' in logged_in.get(url).content.decode()
    _publish_new_marketing_text()

    response = logged_in.post(url, {"purpose": "marketing", "state": "given", "version": "1"}, follow=True)
    assert "This text has just changed." in response.content.decode()
    assert not ConsentEvent.objects.exists()
    assert 'name="version" value="2"' in response.content.decode()


def _publish_new_marketing_text():
    v1 = PurposeVersion.objects.get(purpose__code="marketing", version=1)
    fields = ["title_nl", "title_en", "text_nl", "personal_data_nl", "personal_data_en", "retention_nl", "retention_en"]
    services.publish_purpose_version(
        purpose_code="marketing", text_en=v1.text_en + " Also by text message.", **{f: getattr(v1, f) for f in fields}
    )


def test_contract_purposes_and_bad_input_are_refused_with_a_message(logged_in, area):
    url = reverse("privacy:consents")
    response = logged_in.post(url, {"purpose": "operate_pass", "state": "withdrawn"}, follow=True)
    assert "This purpose does not ask for your consent." in response.content.decode()
    response = logged_in.post(url, {"purpose": "marketing", "state": "maybe"}, follow=True)
    assert "That choice could not be saved." in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_receipt_downloads_as_json_without_the_email(logged_in, person, area, decide):
    decide(person, area, "analytics", ConsentState.GIVEN)
    response = logged_in.get(reverse("privacy:receipt"))
    assert response["Content-Disposition"] == f'attachment; filename="consent-receipt-{area.slug}.json"'
    assert person.email not in response.content.decode()
    assert json.loads(response.content)["pii_principal_id"] == str(person.pseudonym)


def test_export_page_is_readable_and_downloads_as_json(logged_in, person, area):
    html = logged_in.get(reverse("privacy:export")).content.decode()
    assert person.email in html and "Your account" in html
    assert "Where we hold nothing about you" in html and "Two-factor authentication" in html
    response = logged_in.get(reverse("privacy:export"), {"format": "json"})
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert json.loads(response.content)["data"]["accounts.user"]["rows"][0]["email"] == person.email
    assert AuditEntry.objects.filter(subject=person, action="export").count() == 2


@pytest.fixture
def recently_reauthenticated(logged_in):
    """Erasure is irreversible: allauth wants the password re-entered within the last few minutes."""
    response = logged_in.post(reverse("account_reauthenticate"), {"password": "correct horse battery"})
    assert response.status_code == 302
    return logged_in


def test_erasure_asks_to_type_the_email_then_erases_and_logs_out(recently_reauthenticated, person):
    client = recently_reauthenticated
    url = reverse("privacy:erase")
    assert 'type="email"' in client.get(url).content.decode()

    response = client.post(url, {"email": "someone.else@example.org"})
    assert "This is not the e-mail address of your account." in response.content.decode()
    person.refresh_from_db()
    assert not person.is_erased

    response = client.post(url, {"email": person.email.upper()})
    assert response.status_code == 302 and response["Location"] == reverse("privacy:erase_done")
    person.refresh_from_db()
    assert person.is_erased
    assert "_auth_user_id" not in client.session
    assert "has been erased" in client.get(response["Location"]).content.decode()
    assert client.get(reverse("privacy:consents")).status_code == 302


def test_erasure_asks_for_the_password_first_and_then_carries_on(logged_in, person):
    # when: the confirmed request arrives without a recent password check
    response = logged_in.post(reverse("privacy:erase"), {"email": person.email})
    # then: nothing happens until the password is given again; then the same request completes
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    person.refresh_from_db()
    assert not person.is_erased

    response = logged_in.post(response["Location"], {"password": "correct horse battery"})
    assert response.status_code == 302 and response["Location"] == reverse("privacy:erase_done")
    person.refresh_from_db()
    assert person.is_erased


def test_area_managers_read_the_audit_log_of_their_area_only(client, area, flemish_area, area_manager, person):
    services.log_access(actor=area_manager, action="view", subject=person, area=area, fields=["first_name"])
    services.log_access(actor=area_manager, action="view", subject=person, area=flemish_area, fields=["last_name"])
    client.force_login(area_manager)
    with translation.override("nl"):
        html = client.get(reverse("privacy:audit_log")).content.decode()
    # the fields by their names in the page's language, not the database's
    assert "voornaam" in html and "first_name" not in html
    assert "achternaam" not in html and "last_name" not in html
    assert person.email not in html and str(person.pseudonym)[:8] in html


def test_members_and_other_areas_managers_cannot_read_the_audit_log(client, area, flemish_area, person):
    client.force_login(person)
    assert client.get(reverse("privacy:audit_log")).status_code == 403
    elsewhere = UserFactory()
    StaffMembershipFactory(user=elsewhere, role=Role.AREA_MANAGER, area=flemish_area)
    with_totp(elsewhere)
    client.force_login(elsewhere)
    assert client.get(reverse("privacy:audit_log")).status_code == 403
