"""Joining an area's pass, the optional profile, and what export and erasure do to a pass."""

import json
from datetime import datetime

import pytest

from areas.tests.factories import ShoppingAreaFactory, UserFactory
from loyalty import services
from loyalty.codes import is_valid_card_number
from loyalty.exceptions import InvalidProfile, NotAllowed, PassBlocked, ProgrammeClosed
from loyalty.models import WELCOME_REASON, EntryKind, LedgerEntry, LoyaltySettings, Pass, PassStatus, PointLot
from privacy import services as privacy_services

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
