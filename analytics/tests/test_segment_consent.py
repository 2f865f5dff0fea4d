"""A member's segments (a profile of their visits) live only while they consent to analytics: withdrawing deletes
them at once, and campaign targeting never picks a member by them without that consent."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.extract import subject_of
from analytics.models import EffectStatus, SegmentAssignment, SegmentRun
from analytics.services_effects import compute_segments
from loyalty.segments import get_segment, is_in_segment, passes_in_segment
from privacy.services import give_consent

from .factories import member, withdraw

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 2, tzinfo=AMS)


def assignments_of(user, area):
    return SegmentAssignment.objects.filter(run__area=area, subject=subject_of(user.pseudonym))


def test_withdrawing_analytics_deletes_the_members_segments_at_once(area, world):
    run = compute_segments(area_id=area.pk)  # now: the year back holds March and April 2026
    assert run.status == EffectStatus.DONE and run.members == 12
    leaving, _pass = world["members"][0]
    staying, _pass = world["members"][1]
    assert assignments_of(leaving, area).count() == 1
    # when: the member withdraws (one click on the consents page), before any new run
    withdraw(leaving, area, "analytics")
    # then: their profile is gone from the store (and from "my data"), the others' stay
    assert not assignments_of(leaving, area).exists()
    assert assignments_of(staying, area).count() == 1
    # withdrawing another consent touches nothing
    withdraw(staying, area, "share_with_merchants")
    assert assignments_of(staying, area).count() == 1


def test_campaigns_pick_a_member_by_an_analytics_segment_only_with_the_analytics_consent(area):
    # given: two members who accept offers and sit in the latest run's "loyal" segment; one of them never gave (or
    # has since withdrawn) the analytics consent the segment was built under, and a stale row still names them
    both, both_pass = member(area)
    offers_only, offers_only_pass = member(area, analytics=False, joined_at=datetime(2026, 10, 1, tzinfo=AMS))
    for user in (both, offers_only):
        give_consent(subject=user, area=area, purpose_code="marketing", method="settings", language="nl")
    run = SegmentRun.objects.create(area=area, as_of=date(2026, 11, 1), status=EffectStatus.DONE, computed_at=NOW)
    for user in (both, offers_only):
        SegmentAssignment.objects.create(
            run=run,
            subject=subject_of(user.pseudonym),
            recency=5,
            frequency=5,
            monetary=5,
            segment="rfm_loyal",
            cluster=0,
        )
    # then: only the member who consents to both is targeted, by the batch and by the till's check
    assert get_segment("rfm_loyal").purposes == ("analytics",)
    assert list(passes_in_segment(area, "rfm_loyal", now=NOW)) == [both_pass]
    assert is_in_segment(both_pass, "rfm_loyal", now=NOW)
    assert not is_in_segment(offers_only_pass, "rfm_loyal", now=NOW)
    # the till's own segments rest on marketing alone, as before
    assert offers_only_pass in passes_in_segment(area, "new", now=NOW)
