"""Joining an area's pass (the terms accepted, the consents ticked), the optional profile, and what export and
erasure do to a pass."""

import json
import re
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils.html import escape

from areas.tests.factories import ShoppingAreaFactory, UserFactory
from loyalty import services
from loyalty.codes import is_valid_card_number
from loyalty.exceptions import InvalidProfile, JoinTextChanged, NotAllowed, PassBlocked, ProgrammeClosed
from loyalty.models import WELCOME_REASON, EntryKind, LedgerEntry, LoyaltySettings, Pass, PassStatus, PointLot
from privacy import services as privacy_services
from privacy.models import CollectionMethod, ConsentEvent, ConsentState, CurrentConsent, Purpose, PurposeVersion
from privacy.selectors import consent_receipt, has_consent

from .conftest import AMSTERDAM
from .factories import award, rules_for

pytestmark = pytest.mark.django_db


def test_joining_makes_an_active_pass_with_a_valid_card_number_and_a_secret(area, member, now):
    member_pass = services.join_pass(user=member, area=area, now=now)
    assert member_pass.status == PassStatus.ACTIVE and member_pass.joined_at == now
    assert is_valid_card_number(member_pass.card_number)
    assert len(member_pass.totp_secret) == 32
    assert member_pass.points_balance == 0
    assert (member_pass.postcode, member_pass.age_band) == ("", "")  # nothing stored that was not given


def test_joining_twice_returns_the_same_pass_unchanged(area, member, now):
    first = services.join_pass(user=member, area=area, postcode="3811", now=now)
    again = services.join_pass(user=member, area=area, postcode="1011", age_band="65+")
    assert again.pk == first.pk and again.postcode == "3811" and again.age_band == ""
    assert Pass.objects.filter(member=member).count() == 1


def test_one_person_may_hold_passes_in_several_areas(area, member, now):
    other = ShoppingAreaFactory()
    assert services.join_pass(user=member, area=area).pk != services.join_pass(user=member, area=other).pk


def test_the_welcome_bonus_is_an_earn_entry_with_its_own_lot(area, member, now):
    rules_for(area, welcome_bonus_points=50, expiry_months=24)
    member_pass = services.join_pass(user=member, area=area, now=now)
    entry = LedgerEntry.objects.get(member_pass=member_pass)
    assert (entry.kind, entry.points, entry.reason, entry.merchant) == (EntryKind.EARN, 50, WELCOME_REASON, None)
    lot = PointLot.objects.get(entry=entry)
    assert (lot.points, lot.remaining) == (50, 50)
    assert lot.expires_at == datetime(2028, 6, 10, 14, 0, tzinfo=AMSTERDAM)  # 24 months, same wall-clock time
    assert member_pass.points_balance == 50 and Pass.objects.get(pk=member_pass.pk).points_balance == 50


def test_settings_are_made_with_the_defaults_on_first_use(area):
    assert not LoyaltySettings.objects.filter(area=area).exists()
    rules = LoyaltySettings.for_area(area)
    assert (rules.points_per_euro, rules.undo_window_minutes, rules.expiry_months) == (1, 10, 24)
    assert LoyaltySettings.for_area(area.pk).pk == rules.pk


@pytest.mark.parametrize(
    ("given", "stored"),
    [("3811", "3811"), ("3811 AB", "3811"), ("3811ab", "3811"), (" 2800 ", "2800"), ("", "")],
)
def test_the_postcode_keeps_only_its_four_digits(area, member, given, stored):
    assert services.join_pass(user=member, area=area, postcode=given).postcode == stored


@pytest.mark.parametrize(
    ("postcode", "age_band", "fields"),
    [("0811", "", {"postcode"}), ("38111", "", {"postcode"}), ("abcd", "", {"postcode"}), ("", "18-24", {"age_band"})],
)
def test_an_invalid_profile_is_refused_per_field(area, member, postcode, age_band, fields):
    with pytest.raises(InvalidProfile) as error:
        services.join_pass(user=member, area=area, postcode=postcode, age_band=age_band)
    assert set(error.value.extra["errors"]) == fields
    assert not Pass.objects.exists()


def test_an_inactive_area_takes_no_new_members(member):
    with pytest.raises(ProgrammeClosed):
        services.join_pass(user=member, area=ShoppingAreaFactory(is_active=False))


def test_the_member_changes_or_clears_the_profile_and_nobody_else_may(member_pass, member):
    services.update_pass_profile(pass_id=member_pass.pk, by=member, postcode="3812", age_band="25-34")
    assert Pass.objects.values_list("postcode", "age_band").get(pk=member_pass.pk) == ("3812", "25-34")
    services.update_pass_profile(pass_id=member_pass.pk, by=member)
    assert Pass.objects.values_list("postcode", "age_band").get(pk=member_pass.pk) == ("", "")
    with pytest.raises(NotAllowed):
        services.update_pass_profile(pass_id=member_pass.pk, by=UserFactory(), postcode="1000")


def test_export_lists_the_pass_and_its_history_but_never_its_secrets(area, merchant, cashier, now):
    rules_for(area, welcome_bonus_points=25)
    person = UserFactory()
    member_pass = services.join_pass(user=person, area=area, postcode="3811", age_band="35-44", now=now)
    services.set_pin(pass_id=member_pass.pk, pin="4821", by=person)
    award(merchant, member_pass, 1250, at=now, by=cashier, receipt_number="R-1")
    export = privacy_services.export_personal_data(subject=person, requested_by=person)
    text = json.dumps(export)
    [row] = export["data"]["loyalty.pass"]["rows"]
    assert (row["card_number"], row["postcode"], row["age_band"], row["points_balance"]) == (
        member_pass.card_number,
        "3811",
        "35-44",
        37,
    )
    assert len(export["data"]["loyalty.ledgerentry"]["rows"]) == 2
    assert export["data"]["loyalty.tilltransaction"]["rows"][0]["merchant"] == merchant.trade_name
    member_pass.refresh_from_db()
    assert member_pass.totp_secret not in text and member_pass.pin_hash not in text


def test_erasure_empties_the_profile_blocks_the_pass_and_keeps_the_bookkeeping(area, merchant, cashier, now):
    person = UserFactory()
    member_pass = services.join_pass(user=person, area=area, postcode="3811", age_band="65+", now=now)
    services.set_pin(pass_id=member_pass.pk, pin="4821", by=person)
    award(merchant, member_pass, 2000, at=now, by=cashier)
    old_secret = member_pass.totp_secret

    privacy_services.erase_person(subject=person, requested_by=person)

    member_pass.refresh_from_db()
    assert (member_pass.postcode, member_pass.age_band, member_pass.pin_hash) == ("", "", "")
    assert member_pass.status == PassStatus.BLOCKED
    assert member_pass.totp_secret != old_secret  # the installed app's codes are dead
    assert member_pass.points_balance == 20 and member_pass.entries.count() == 1  # the books still add up
    assert member_pass.till_transactions.count() == 1
    with pytest.raises(PassBlocked):
        award(merchant, member_pass, 1000, at=now, by=cashier, code=member_pass.card_number)


# --- The terms accepted and the consents given on joining ----------------------------------------------------------


def _current(code: str) -> PurposeVersion:
    return PurposeVersion.objects.filter(purpose__code=code).order_by("-version").first()


def _publish_new_text(code: str) -> PurposeVersion:
    """The collective publishes a changed text for the purpose (as from the admin)."""
    current = _current(code)
    texts = {
        f"{name}_{language}": getattr(current, f"{name}_{language}")
        for name in ("title", "text", "personal_data", "retention")
        for language in ("nl", "en")
    }
    texts["text_en"] += " We changed this."
    return privacy_services.publish_purpose_version(purpose_code=code, **texts)


def _boxes(page: str) -> dict[str, str]:
    """The consent boxes on a page: name → the whole <input> tag."""
    return {name: tag for tag, name in re.findall(r'(<input type="checkbox" name="(consent_[a-z_]+)"[^>]*>)', page)}


def test_joining_notes_the_version_and_hash_of_the_terms_accepted_and_when(area, now):
    terms = _current("operate_pass")
    member_pass = services.join_pass(user=UserFactory(), area=area, terms_version=terms.version, now=now)
    member_pass.refresh_from_db()
    assert (member_pass.terms_version, member_pass.terms_sha256) == (terms.version, terms.content_sha256)
    assert member_pass.terms_accepted_at == now


def test_terms_changed_after_the_page_showed_them_are_not_accepted_unseen(area):
    person = UserFactory()
    shown = _current("operate_pass").version
    _publish_new_text("operate_pass")
    with pytest.raises(JoinTextChanged):
        services.join_pass(user=person, area=area, terms_version=shown, consents={"marketing": 1})
    assert not Pass.objects.filter(member=person).exists()
    assert not ConsentEvent.objects.filter(subject=person).exists()


def test_the_consent_ticked_on_joining_is_given_in_that_area_only(area):
    person, other = UserFactory(), ShoppingAreaFactory()
    services.join_pass(user=person, area=area, consents={"analytics": 1}, language="en")
    event = ConsentEvent.objects.get(subject=person)
    assert (event.area, event.purpose.code, event.state, event.purpose_version) == (
        area,
        "analytics",
        ConsentState.GIVEN,
        _current("analytics"),
    )
    assert (event.method, event.language, event.recorded_by) == (CollectionMethod.JOIN, "en", person)
    assert has_consent(person, "analytics", area=area)
    assert not has_consent(person, "analytics", area=other)
    assert not has_consent(person, "marketing", area=area)


def test_joining_with_no_consent_records_none_and_the_pass_works(area, merchant, cashier, now):
    person = UserFactory()
    member_pass = services.join_pass(user=person, area=area, now=now)
    assert not ConsentEvent.objects.filter(subject=person).exists()
    award(merchant, member_pass, 1500, at=now, by=cashier)
    assert Pass.objects.get(pk=member_pass.pk).points_balance == 15


@pytest.mark.parametrize(
    ("refusal", "raised"),
    [
        ("closed area", ProgrammeClosed),
        ("invalid profile", InvalidProfile),
        ("already a member", None),  # the pass comes back unchanged
        ("a consent text changed", JoinTextChanged),  # marketing is given first, then analytics fails
        ("a purpose no longer offered", JoinTextChanged),
    ],
)
def test_a_join_that_does_not_happen_records_no_consent(area, now, refusal, raised):
    # given: someone about to join, ticking two boxes
    person = UserFactory()
    consents = {"marketing": 1, "analytics": 1}
    profile = {}
    if refusal == "closed area":
        area = ShoppingAreaFactory(is_active=False)
    elif refusal == "invalid profile":
        profile = {"postcode": "38"}
    elif refusal == "already a member":
        services.join_pass(user=person, area=area, now=now)
    elif refusal == "a consent text changed":
        _publish_new_text("analytics")
    else:
        Purpose.objects.filter(code="analytics").update(is_active=False)
    passes_before = Pass.objects.filter(member=person).count()
    # when
    if raised:
        with pytest.raises(raised):
            services.join_pass(user=person, area=area, consents=consents, now=now, **profile)
    else:
        services.join_pass(user=person, area=area, consents=consents, now=now, **profile)
    # then: no consent, and no pass that was not there before
    assert not ConsentEvent.objects.filter(subject=person).exists()
    assert not CurrentConsent.objects.filter(subject=person).exists()
    assert Pass.objects.filter(member=person).count() == passes_before


def test_the_export_shows_which_terms_were_accepted_and_when(area, now):
    person = UserFactory()
    services.join_pass(user=person, area=area, now=now)
    terms = _current("operate_pass")
    export = privacy_services.export_personal_data(subject=person, requested_by=person)
    [row] = export["data"]["loyalty.pass"]["rows"]
    assert (row["terms_version"], row["terms_sha256"]) == (terms.version, terms.content_sha256)
    assert datetime.fromisoformat(row["terms_accepted_at"]) == now


# --- The join page ---------------------------------------------------------------------------------------------------


@pytest.fixture
def account(db):
    """Someone with an account (made via the webshop, say) and no pass or consent in the area yet."""
    return UserFactory()


@pytest.mark.usefixtures("english")
def test_an_account_joining_a_second_area_is_offered_that_areas_consents_unticked(client, area, account):
    # given: a pass, and every consent, in another area (made after `area`, so the page serves `area`)
    other = ShoppingAreaFactory()
    services.join_pass(user=account, area=other, consents={"analytics": 1, "marketing": 1, "share_with_merchants": 1})
    client.force_login(account)
    # when
    page = client.get(reverse("loyalty:join")).content.decode()
    # then: this area's choices, each with its purpose's text, none ticked
    boxes = _boxes(page)
    assert set(boxes) == {"consent_analytics", "consent_marketing", "consent_share_with_merchants"}
    assert not any("checked" in tag for tag in boxes.values())
    for code in ("analytics", "marketing", "share_with_merchants"):
        version = _current(code)
        assert version.title_en in page and version.text_en in page
    assert "Consent given" not in page
    assert area.collective_name in page and reverse("privacy:consents") in page
    # the postcode and age group name their purpose, whose text is said once: with its choice
    assert page.count(escape(_current("analytics").text_en)) == 1
    assert f"used for one purpose only, “{_current('analytics').title_en}”" in page


@pytest.mark.usefixtures("english")
def test_a_consent_already_given_here_shows_as_given_and_is_left_alone(client, area, member):
    # `member` gave share_with_merchants in this area (conftest)
    client.force_login(member)
    page = client.get(reverse("loyalty:join")).content.decode()
    assert set(_boxes(page)) == {"consent_analytics", "consent_marketing"}
    assert "Consent given" in page and _current("share_with_merchants").title_en in page
    client.post(reverse("loyalty:join"), {"consent_analytics": "on", "consent_analytics_version": "1"})
    assert ConsentEvent.objects.filter(subject=member, purpose__code="share_with_merchants").count() == 1
    assert ConsentEvent.objects.filter(subject=member, purpose__code="analytics").count() == 1


@pytest.mark.usefixtures("english")
def test_joining_with_one_box_ticked_records_exactly_that_consent_and_the_terms(client, area, account):
    client.force_login(account)
    terms = _current("operate_pass")
    response = client.post(
        reverse("loyalty:join"),
        {"terms_version": str(terms.version), "consent_marketing": "on", "consent_marketing_version": "1"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("loyalty:pass")
    event = ConsentEvent.objects.get(subject=account)
    assert (event.area, event.purpose.code, event.state, event.method) == (area, "marketing", "given", "join")
    assert (event.language, event.recorded_by, event.purpose_version) == ("en", account, _current("marketing"))
    # the record the person can download shows it, with the text version and how it was given
    receipt = consent_receipt(account, area)
    [marketing] = [row for row in receipt["processing"] if row["purpose_id"] == "marketing"]
    [given] = marketing["events"]
    assert (given["notice_version"], given["collection_method"]) == (1, "join")
    assert Pass.objects.values_list("terms_version", "terms_sha256").get(member=account) == (
        terms.version,
        terms.content_sha256,
    )


@pytest.mark.usefixtures("english")
def test_joining_with_nothing_ticked_records_no_consent_and_shows_the_pass(client, area, account):
    client.force_login(account)
    response = client.post(reverse("loyalty:join"), {"terms_version": "1"})
    assert response["Location"] == reverse("loyalty:pass")
    assert not ConsentEvent.objects.filter(subject=account).exists()
    assert client.get(reverse("loyalty:pass")).status_code == 200


@pytest.mark.usefixtures("english")
def test_a_join_refused_on_the_page_records_no_consent_and_keeps_the_choice(client, area, account):
    client.force_login(account)
    response = client.post(
        reverse("loyalty:join"), {"postcode": "38", "consent_marketing": "on", "consent_marketing_version": "1"}
    )
    assert response.status_code == 200 and "Enter the four digits of your postcode" in response.content.decode()
    assert not Pass.objects.filter(member=account).exists()
    assert not ConsentEvent.objects.filter(subject=account).exists()
    assert "checked" in _boxes(response.content.decode())["consent_marketing"]  # the person's own tick, kept


@pytest.mark.usefixtures("english")
def test_a_text_changed_while_the_page_was_open_is_shown_again_with_nothing_ticked(client, area, account):
    client.force_login(account)
    _publish_new_text("marketing")
    response = client.post(
        reverse("loyalty:join"),
        {
            "postcode": "3811",
            "terms_version": "1",
            "consent_marketing": "on",
            "consent_marketing_version": "1",
            "consent_analytics": "on",
            "consent_analytics_version": "1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "A text on this page has just changed" in page
    assert not Pass.objects.filter(member=account).exists()
    assert not ConsentEvent.objects.filter(subject=account).exists()
    assert "We changed this." in page and "checked" not in _boxes(page)["consent_marketing"]
    assert 'name="consent_marketing_version" value="2"' in page
    assert 'value="3811"' in page  # what was typed stays
