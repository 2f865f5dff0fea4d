"""Segments: the built-in ones from till purchases, the registry, and the marketing-consent gate."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from loyalty import services
from loyalty.exceptions import UnknownSegment
from loyalty.segments import is_in_segment, passes_in_segment, register_segment, segment_choices

from .factories import PassFactory, award
from .rewards_helpers import consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_pass(area, now):
    """A member who joined a year ago and consents to marketing."""
    member_pass = PassFactory(area=area, now=now - timedelta(days=365))
    consent(member_pass)
    return member_pass


def shop(merchant, member_pass, cashier, *days_ago, now):
    """One purchase on each of the given days before `now` (oldest first, as the till's codes require)."""
    results = []
    for days in sorted(days_ago, reverse=True):
        results.append(award(merchant, member_pass, 1500, at=now - timedelta(days=days), by=cashier))
    return results


def members(area, code, now) -> set[int]:
    return set(passes_in_segment(area, code, now=now).values_list("pk", flat=True))


def test_new_members_joined_in_the_last_90_days(area, now):
    fresh = PassFactory(area=area, now=now - timedelta(days=10))
    old = PassFactory(area=area, now=now - timedelta(days=100))
    consent(fresh)
    consent(old)

    assert members(area, "new", now) == {fresh.pk}
    assert is_in_segment(fresh, "new", now=now) and not is_in_segment(old, "new", now=now)


def test_regulars_shopped_on_four_different_days_in_90_days(area, merchant, cashier, old_pass, now):
    shop(merchant, old_pass, cashier, 80, 40, 20, now=now)
    assert not is_in_segment(old_pass, "regular", now=now)

    shop(merchant, old_pass, cashier, 5, now=now)

    assert is_in_segment(old_pass, "regular", now=now)
    assert members(area, "regular", now) == {old_pass.pk}


def test_two_purchases_on_one_day_count_as_one_day(area, merchant, cashier, old_pass, now):
    shop(merchant, old_pass, cashier, 80, 40, 20, now=now)
    award(merchant, old_pass, 1500, at=now - timedelta(days=20, hours=-1), by=cashier)

    assert not is_in_segment(old_pass, "regular", now=now)


def test_at_risk_bought_3_to_6_months_ago_and_not_in_the_last_2(area, merchant, cashier, old_pass, now):
    shop(merchant, old_pass, cashier, 120, now=now)
    assert is_in_segment(old_pass, "at_risk", now=now)
    assert not is_in_segment(old_pass, "lapsed", now=now)

    shop(merchant, old_pass, cashier, 30, now=now)

    assert not is_in_segment(old_pass, "at_risk", now=now)


def test_lapsed_nothing_in_180_days_but_something_before(area, merchant, cashier, old_pass, now):
    never = PassFactory(area=area, now=now - timedelta(days=365))
    consent(never)
    shop(merchant, old_pass, cashier, 200, now=now)

    assert members(area, "lapsed", now) == {old_pass.pk}
    assert not is_in_segment(old_pass, "at_risk", now=now)


def test_an_undone_purchase_does_not_count(area, merchant, cashier, old_pass, now):
    (purchase,) = shop(merchant, old_pass, cashier, 200, now=now)
    services.undo_till_transaction(
        merchant=merchant,
        transaction_id=purchase.transaction_id,
        request_key=uuid.uuid4(),
        by=cashier,
        now=now - timedelta(days=200, minutes=-1),
    )

    assert not is_in_segment(old_pass, "lapsed", now=now)


def test_the_consent_gate_give_withdraw_give_again(area, now):
    member_pass = PassFactory(area=area, now=now - timedelta(days=10))
    # given: no decision yet, so not in any segment
    assert not is_in_segment(member_pass, "new", now=now)
    assert members(area, "new", now) == set()

    consent(member_pass)
    assert is_in_segment(member_pass, "new", now=now)
    assert members(area, "new", now) == {member_pass.pk}

    consent(member_pass, given=False)
    assert not is_in_segment(member_pass, "new", now=now)
    assert members(area, "new", now) == set()

    consent(member_pass)
    assert is_in_segment(member_pass, "new", now=now)
    assert members(area, "new", now) == {member_pass.pk}


def test_consent_in_another_area_does_not_count(area, flemish_area, now):
    member_pass = PassFactory(area=area, now=now - timedelta(days=10))
    other = PassFactory(area=flemish_area, member=member_pass.member, now=now - timedelta(days=10))
    consent(other)

    assert not is_in_segment(member_pass, "new", now=now)
    assert members(area, "new", now) == set()


def test_blocked_passes_are_never_in_a_segment(area, now):
    member_pass = PassFactory(area=area, now=now - timedelta(days=10))
    consent(member_pass)
    member_pass.status = "blocked"
    member_pass.save(update_fields=["status"])

    assert not is_in_segment(member_pass, "new", now=now)
    assert members(area, "new", now) == set()


def test_other_modules_register_segments_and_the_gate_still_applies(area, now):
    def everyone(passes, *, area, now):
        return passes

    register_segment("test_everyone", "Everyone (test)", everyone)
    with_consent, without = PassFactory(area=area, now=now), PassFactory(area=area, now=now)
    consent(with_consent)

    assert ("test_everyone", "Everyone (test)") in segment_choices()
    assert members(area, "test_everyone", now) == {with_consent.pk}
    assert not is_in_segment(without, "test_everyone", now=now)


def test_an_unknown_segment_fails_loudly(area, now):
    member_pass = PassFactory(area=area, now=now)
    with pytest.raises(UnknownSegment):
        passes_in_segment(area, "nope", now=now)
    with pytest.raises(UnknownSegment):
        is_in_segment(member_pass, "nope", now=now)


def test_is_in_segment_takes_two_queries(area, now, django_assert_num_queries):
    member_pass = PassFactory(area=area, now=now - timedelta(days=10))
    consent(member_pass)
    member_pass.area  # noqa: B018  (loaded, as the till's pass is)
    with django_assert_num_queries(2):
        assert is_in_segment(member_pass, "new", now=now)
