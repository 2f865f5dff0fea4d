"""The consent receipt: ISO/IEC TS 27560 fields, W3C DPV terms, the pseudonym and never the e-mail."""

import json
from datetime import timedelta

from django.conf import settings

from privacy import selectors, services
from privacy.models import ConsentState, PurposeVersion

MANDATORY = {
    "schema_version",
    "record_id",
    "receipt_id",
    "pii_principal_id",
    "language",
    "privacy_notice",
    "jurisdiction",
    "pii_controllers",
    "storage_locations",
    "withdrawal_method",
    "processing",
}
PURPOSE_FIELDS = {
    "purpose_id",
    "purpose",
    "purpose_type",
    "lawful_basis",
    "pii_information",
    "retention_period",
    "recipient_third_parties",
    "events",
}
EVENT_FIELDS = {"event_time", "event_type", "event_state", "validity_duration", "entity_id"}


def test_receipt_has_the_iso_27560_fields_and_names_the_person_by_pseudonym_only(person, area, decide):
    decide(person, area, "analytics", ConsentState.GIVEN)
    decide(person, area, "analytics", ConsentState.WITHDRAWN)
    decide(person, area, "share_with_merchants", ConsentState.GIVEN)

    receipt = selectors.consent_receipt(person, area, language="en")
    text = json.dumps(receipt)

    assert set(receipt) >= MANDATORY
    assert receipt["pii_principal_id"] == str(person.pseudonym)
    assert person.email not in text and person.email.split("@")[0] not in text
    assert person.last_name not in text
    assert receipt["jurisdiction"] == "NL"
    assert receipt["pii_controllers"] == [
        {
            "party_id": f"area:{area.slug}",
            "party_name": area.collective_name,
            "party_address": area.collective_address,
            "party_contact": area.privacy_email,
            "party_email": area.privacy_email,
            "party_type": "https://w3id.org/dpv#Organisation",
            "party_role": "https://w3id.org/dpv#DataController",
        }
    ]
    # a full URL, as the receipt leaves the platform: the platform's own, as this area has no website yet
    assert receipt["withdrawal_method"]["url"] == f"{settings.WAGTAILADMIN_BASE_URL}/en/privacy/consents/"
    purposes = {row["purpose_id"]: row for row in receipt["processing"]}
    for row in purposes.values():
        assert set(row) >= PURPOSE_FIELDS
    assert purposes["operate_pass"]["lawful_basis"] == "https://w3id.org/dpv/legal/eu/gdpr#A6-1-b"
    assert purposes["analytics"]["lawful_basis"] == "https://w3id.org/dpv/legal/eu/gdpr#A6-1-a"
    assert purposes["analytics"]["purpose_type"] == "https://w3id.org/dpv#ServiceUsageAnalytics"
    assert purposes["analytics"]["consent_status"] == "https://w3id.org/dpv#ConsentWithdrawn"
    assert purposes["share_with_merchants"]["consent_status"] == "https://w3id.org/dpv#ConsentGiven"
    assert purposes["share_with_merchants"]["recipient_third_parties"]
    assert purposes["marketing"]["consent_status"] == "https://w3id.org/dpv#ConsentUnknown"

    given, withdrawn = purposes["analytics"]["events"]
    for event in (given, withdrawn):
        assert set(event) >= EVENT_FIELDS
        assert event["entity_id"] == str(person.pseudonym)
    assert given["event_state"] == "https://w3id.org/dpv#ConsentGiven"
    assert given["valid_until"] == withdrawn["event_time"]
    assert withdrawn["event_state"] == "https://w3id.org/dpv#ConsentWithdrawn"


def test_receipt_is_the_same_record_each_time_but_a_new_receipt(person, area):
    first, second = selectors.consent_receipt(person, area), selectors.consent_receipt(person, area)
    assert first["record_id"] == second["record_id"]
    assert first["receipt_id"] != second["receipt_id"]


def test_receipt_shows_consent_to_a_replaced_text_as_expired(person, area, decide):
    given = decide(person, area, "marketing", ConsentState.GIVEN)
    v1 = PurposeVersion.objects.get(purpose__code="marketing", version=1)
    fields = ["title_nl", "title_en", "text_nl", "personal_data_nl", "personal_data_en", "retention_nl", "retention_en"]
    services.publish_purpose_version(
        purpose_code="marketing",
        text_en=v1.text_en + " We now also send text messages.",
        requires_reconsent=True,
        published_at=given.occurred_at + timedelta(microseconds=1),
        **{field: getattr(v1, field) for field in fields},
    )
    receipt = selectors.consent_receipt(person, area, language="nl")
    marketing = next(row for row in receipt["processing"] if row["purpose_id"] == "marketing")
    assert marketing["consent_status"] == "https://w3id.org/dpv#ConsentExpired"
    assert marketing["notice_version"] == 2
    assert marketing["events"][0]["notice_version"] == 1
    assert marketing["events"][0]["valid_until"] is not None
    assert receipt["language"] == "nl" and marketing["purpose"] == v1.title_nl


def test_the_receipts_links_are_on_the_areas_own_site(person, area, flemish_area):
    from cms.services import create_area_site

    create_area_site(area=area, hostname="localhost", port=8000, is_default=True)
    create_area_site(area=flemish_area, hostname="mechelen.localhost", port=8000)

    receipt = selectors.consent_receipt(person, flemish_area, language="nl")

    assert receipt["withdrawal_method"]["url"] == "http://mechelen.localhost:8000/nl/privacy/consents/"
    assert receipt["pii_controllers"][0]["party_url"] == "http://mechelen.localhost:8000"
