"""Giving, withdrawing and re-giving consent; the projection; the gate other modules call."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from areas.tests.factories import UserFactory
from privacy import selectors, services
from privacy.exceptions import ConsentNotApplicable, PurposeNotOffered, UnknownPurpose
from privacy.models import ConsentEvent, ConsentState, CurrentConsent, Purpose, PurposeVersion

GIVEN, WITHDRAWN, REFUSED = ConsentState.GIVEN, ConsentState.WITHDRAWN, ConsentState.REFUSED


def _current(person, area, code):
    return CurrentConsent.objects.get(subject=person, area=area, purpose__code=code)


def test_seeded_purposes_have_their_lawful_basis_dpv_purpose_and_a_hashed_first_text(db):
    expected = {
        "operate_pass": ("contract", "https://w3id.org/dpv#ServiceProvision"),
        "analytics": ("consent", "https://w3id.org/dpv#ServiceUsageAnalytics"),
        "marketing": ("consent", "https://w3id.org/dpv#DirectMarketing"),
        "share_with_merchants": ("consent", "https://w3id.org/dpv#CustomerRelationshipManagement"),
    }
    assert {p.code: (p.lawful_basis, p.dpv_iri) for p in Purpose.objects.all()} == expected
    for version in PurposeVersion.objects.all():
        assert version.version == 1
        assert version.content_sha256 == version.compute_hash()
        assert all([version.title_nl, version.text_nl, version.personal_data_nl, version.retention_nl])
        assert all([version.title_en, version.text_en, version.personal_data_en, version.retention_en])


def test_give_withdraw_and_give_again_append_events_and_move_the_projection(person, area, decide):
    first = decide(person, area, "analytics", GIVEN)
    assert _current(person, area, "analytics").event == first
    assert selectors.has_consent(person, "analytics", area=area)

    withdrawal = decide(person, area, "analytics", WITHDRAWN)
    assert _current(person, area, "analytics").event == withdrawal
    assert not selectors.has_consent(person, "analytics", area=area)

    again = decide(person, area, "analytics", GIVEN)
    assert selectors.has_consent(person, "analytics", area=area)
    assert list(ConsentEvent.objects.filter(subject=person).order_by("occurred_at", "pk")) == [first, withdrawal, again]
    assert CurrentConsent.objects.filter(subject=person).count() == 1
    assert first.purpose_version.version == 1 and first.method == "settings" and first.language == "en"


def test_consent_is_per_area_and_per_purpose(person, area, flemish_area, decide):
    decide(person, area, "marketing", GIVEN)
    assert selectors.has_consent(person, "marketing", area=area)
    assert not selectors.has_consent(person, "marketing", area=flemish_area)
    assert not selectors.has_consent(person, "analytics", area=area)


def test_nobody_has_consent_before_deciding(person, area):
    assert not selectors.has_consent(person, "share_with_merchants", area=area)
    assert not CurrentConsent.objects.exists()


def test_has_consent_at_a_past_moment_reads_the_decision_in_force_then(person, area, decide):
    start = timezone.now()
    decide(person, area, "analytics", GIVEN, at=start + timedelta(minutes=1))
    decide(person, area, "analytics", WITHDRAWN, at=start + timedelta(minutes=2))
    decide(person, area, "analytics", GIVEN, at=start + timedelta(minutes=3))

    assert not selectors.has_consent(person, "analytics", area=area, at=start)
    assert selectors.has_consent(person, "analytics", area=area, at=start + timedelta(seconds=90))
    assert not selectors.has_consent(person, "analytics", area=area, at=start + timedelta(seconds=150))
    assert selectors.has_consent(person, "analytics", area=area, at=start + timedelta(minutes=4))


def test_a_late_arriving_older_decision_does_not_overwrite_the_projection(person, area, decide):
    start = timezone.now()
    latest = decide(person, area, "analytics", WITHDRAWN, at=start + timedelta(minutes=5))
    decide(person, area, "analytics", GIVEN, at=start + timedelta(minutes=1))
    assert _current(person, area, "analytics").event == latest
    assert not selectors.has_consent(person, "analytics", area=area)


def test_a_text_that_asks_again_invalidates_consent_to_older_versions(person, area, decide):
    start = timezone.now()
    decide(person, area, "marketing", GIVEN, at=start + timedelta(minutes=1))
    v1 = PurposeVersion.objects.get(purpose__code="marketing", version=1)
    services.publish_purpose_version(
        purpose_code="marketing",
        **{field: getattr(v1, field) + " (changed)" for field in ("title_nl", "title_en", "text_nl", "text_en")},
        **{field: getattr(v1, field) for field in ("personal_data_nl", "personal_data_en")},
        retention_nl=v1.retention_nl,
        retention_en=v1.retention_en,
        requires_reconsent=True,
        published_at=start + timedelta(minutes=2),
    )
    later = start + timedelta(minutes=3)

    assert selectors.has_consent(person, "marketing", area=area, at=start + timedelta(seconds=90))
    assert not selectors.has_consent(person, "marketing", area=area, at=later)
    assert list(selectors.consented_subject_ids(area, "marketing", at=later)) == []

    renewed = decide(person, area, "marketing", GIVEN, at=later)
    assert renewed.purpose_version.version == 2
    assert selectors.has_consent(person, "marketing", area=area, at=later)


def test_a_text_change_without_asking_again_keeps_consent(person, area, decide):
    decide(person, area, "marketing", GIVEN)
    v1 = PurposeVersion.objects.get(purpose__code="marketing", version=1)
    texts = {f: getattr(v1, f) for f in ("title_nl", "title_en", "text_nl", "text_en", "retention_nl", "retention_en")}
    services.publish_purpose_version(
        purpose_code="marketing",
        personal_data_nl=v1.personal_data_nl + ".",
        personal_data_en=v1.personal_data_en + ".",
        **texts,
    )
    assert selectors.has_consent(person, "marketing", area=area)


def test_publishing_the_same_text_again_is_idempotent(db):
    v1 = PurposeVersion.objects.get(purpose__code="analytics", version=1)
    fields = ["title_nl", "title_en", "text_nl", "text_en", "personal_data_nl", "personal_data_en"]
    texts = {f: getattr(v1, f) for f in [*fields, "retention_nl", "retention_en"]}
    assert services.publish_purpose_version(purpose_code="analytics", **texts) == v1
    assert PurposeVersion.objects.filter(purpose__code="analytics").count() == 1


def test_contract_purposes_cannot_be_given_or_withdrawn_and_hold_for_every_account(person, area, decide):
    for state in (GIVEN, WITHDRAWN, REFUSED):
        with pytest.raises(ConsentNotApplicable):
            decide(person, area, "operate_pass", state)
    assert not ConsentEvent.objects.exists()
    assert selectors.has_consent(person, "operate_pass", area=area)
    assert person.pk in set(selectors.consented_subject_ids(area, "operate_pass"))


def test_unknown_purposes_fail_loudly(person, area, decide):
    with pytest.raises(UnknownPurpose):
        decide(person, area, "profiling", GIVEN)
    with pytest.raises(UnknownPurpose):
        selectors.has_consent(person, "profiling", area=area)


def test_a_retired_purpose_can_be_withdrawn_but_not_given(person, area, decide):
    decide(person, area, "marketing", GIVEN)
    Purpose.objects.filter(code="marketing").update(is_active=False)
    assert not selectors.has_consent(person, "marketing", area=area)
    with pytest.raises(PurposeNotOffered):
        decide(person, area, "marketing", GIVEN)
    decide(person, area, "marketing", WITHDRAWN)
    assert _current(person, area, "marketing").state == WITHDRAWN


def test_consented_subject_ids_now_and_then(area, decide):
    start = timezone.now()
    yes, no, late, erased = UserFactory.create_batch(4)
    decide(yes, area, "analytics", GIVEN, at=start + timedelta(minutes=1))
    decide(no, area, "analytics", GIVEN, at=start + timedelta(minutes=1))
    decide(no, area, "analytics", WITHDRAWN, at=start + timedelta(minutes=2))
    decide(late, area, "analytics", GIVEN, at=start + timedelta(minutes=4))
    decide(erased, area, "analytics", GIVEN, at=start + timedelta(minutes=1))
    services.erase_person(subject=erased, requested_by=erased)

    assert set(selectors.consented_subject_ids(area, "analytics")) == {yes.pk, late.pk}
    assert set(selectors.consented_subject_ids(area, "analytics", at=start + timedelta(minutes=3))) == {yes.pk}
    assert set(selectors.consented_subject_ids(area, "analytics", at=start + timedelta(seconds=90))) == {yes.pk, no.pk}


def test_an_erased_account_has_no_consent(person, area, decide):
    decide(person, area, "analytics", GIVEN)
    services.erase_person(subject=person, requested_by=person)
    assert not selectors.has_consent(person, "analytics", area=area)
    assert not selectors.has_consent(person, "operate_pass", area=area)


def test_has_consent_reads_in_two_queries(person, area, decide, django_assert_num_queries):
    decide(person, area, "analytics", GIVEN)
    with django_assert_num_queries(2):
        assert selectors.has_consent(person, "analytics", area=area)


def test_rebuild_restores_a_damaged_projection(person, other_person, area, decide):
    decide(person, area, "analytics", GIVEN)
    decide(person, area, "analytics", WITHDRAWN)
    decide(other_person, area, "marketing", GIVEN)
    CurrentConsent.objects.filter(subject=person).update(state=GIVEN)
    CurrentConsent.objects.filter(subject=other_person).delete()

    assert services.rebuild_current_consents() == 2
    assert _current(person, area, "analytics").state == WITHDRAWN
    assert _current(other_person, area, "marketing").state == GIVEN
    assert services.rebuild_current_consents() == 0


def test_consents_for_lists_every_offered_purpose_with_its_state(person, area, decide):
    decide(person, area, "marketing", GIVEN)
    decide(person, area, "analytics", REFUSED)
    choices = {choice.purpose.code: choice for choice in selectors.consents_for(person, area)}
    assert list(choices) == ["operate_pass", "analytics", "marketing", "share_with_merchants"]
    assert choices["operate_pass"].status == "contract"
    assert choices["analytics"].status == REFUSED
    assert choices["marketing"].is_given
    assert choices["share_with_merchants"].status == "" and not choices["share_with_merchants"].is_given


def _ensure_analytics_purpose():
    """Transactional tests start from a flushed database when another one ran first: no seeded purposes."""
    purpose, _created = Purpose.objects.get_or_create(
        code="analytics", defaults={"lawful_basis": "consent", "dpv_iri": "https://w3id.org/dpv#ServiceUsageAnalytics"}
    )
    if not purpose.versions.exists():
        texts = ["title_nl", "title_en", "text_nl", "text_en", "personal_data_nl", "personal_data_en"]
        services.publish_purpose_version(
            purpose_code="analytics", retention_nl="-", retention_en="-", **{name: name for name in texts}
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_clicks_keep_every_event_and_a_consistent_projection(area):
    # given: a person who has never decided, clicking give and withdraw at the same moment
    _ensure_analytics_purpose()
    person = UserFactory()
    barrier = threading.Barrier(2)
    errors = []

    def click(state):
        try:
            barrier.wait()
            services.record_consent(
                subject=person, area=area, purpose_code="analytics", state=state, method="settings", language="nl"
            )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(state,)) for state in (GIVEN, WITHDRAWN)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then: both events exist, and the projection points at the later one
    assert errors == []
    events = list(ConsentEvent.objects.filter(subject=person).order_by("occurred_at", "pk"))
    assert len(events) == 2
    assert _current(person, area, "analytics").event_id == events[-1].pk


def test_consent_exists_agrees_with_has_consent(area, flemish_area, decide):
    """The SQL form of the rule (for annotating other queries) and has_consent give the same answer."""
    # given: people with every kind of history for `marketing` in `area`
    never, given, withdrawn, refused, elsewhere, before_reconsent, after_reconsent = (UserFactory() for _ in range(7))
    decide(given, area, "analytics", GIVEN)  # (asked about `analytics` below)
    decide(given, area, "marketing", GIVEN)
    decide(withdrawn, area, "marketing", GIVEN)
    decide(withdrawn, area, "marketing", WITHDRAWN)
    decide(refused, area, "marketing", REFUSED)
    decide(elsewhere, flemish_area, "marketing", GIVEN)
    decide(before_reconsent, area, "marketing", GIVEN)
    v1 = PurposeVersion.objects.get(purpose__code="marketing", version=1)
    services.publish_purpose_version(
        purpose_code="marketing",
        **{field: getattr(v1, field) + " (changed)" for field in ("title_nl", "title_en", "text_nl", "text_en")},
        **{field: getattr(v1, field) for field in ("personal_data_nl", "personal_data_en")},
        retention_nl=v1.retention_nl,
        retention_en=v1.retention_en,
        requires_reconsent=True,
    )
    decide(after_reconsent, area, "marketing", GIVEN)
    people = [never, given, withdrawn, refused, elsewhere, before_reconsent, after_reconsent]

    def by_sql(code):
        column = f"{connection.ops.quote_name('accounts_user')}.{connection.ops.quote_name('id')}"
        rows = (
            type(never)
            .objects.filter(pk__in=[p.pk for p in people])
            .annotate(ok=selectors.consent_exists(code, subject_column=column, area_id=area.pk))
        )
        return {row.pk: row.ok for row in rows}

    # then: the same answers, and (an offered purpose withdrawn from offer) none at all
    expected = {p.pk: selectors.has_consent(p, "marketing", area=area) for p in people}
    assert by_sql("marketing") == expected
    assert [pk for pk, ok in expected.items() if ok] == [after_reconsent.pk]  # the new text asked again
    assert by_sql("analytics") == {p.pk: selectors.has_consent(p, "analytics", area=area) for p in people}
    assert by_sql("analytics")[given.pk]
    Purpose.objects.filter(code="marketing").update(is_active=False)
    assert not any(by_sql("marketing").values())
    assert not any(by_sql("no_such_purpose").values())


def test_a_withdrawal_is_for_good_unless_a_later_decision_gives_the_consent_again(person, area, decide):
    # what data kept only for a purpose is forgotten on (the pass's postcode, the analytics segments)
    given = decide(person, area, "analytics", "given")
    withdrawn = decide(person, area, "analytics", "withdrawn")
    assert not selectors.withdrawn_for_good(given, "analytics")
    assert selectors.withdrawn_for_good(withdrawn, "analytics")
    assert not selectors.withdrawn_for_good(withdrawn, "marketing")  # another purpose's decision
    decide(person, area, "analytics", "given")
    assert not selectors.withdrawn_for_good(withdrawn, "analytics")  # given again since: the withdrawal is over
