"""The services around the estimator: campaign windows, the loyalty segment resolver and its consent gate."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.extract import subject_of
from analytics.models import EffectStatus, SegmentAssignment, SegmentRun
from analytics.services_effects import _window_of
from analytics.tests.factories import member
from loyalty.segments import passes_in_segment
from privacy.services import give_consent

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def test_a_campaign_window_takes_the_days_whose_noon_it_covers(area):
    # 03:00 Monday to 03:00 four weeks later: 28 days, not 29
    first, end = _window_of(
        area, datetime(2026, 9, 7, 3, tzinfo=AMS), datetime(2026, 10, 5, 3, tzinfo=AMS), by_noon=True
    )
    assert (first, end) == (date(2026, 9, 7), date(2026, 10, 5))
    # 14:00 to 23:59 the next day: the first afternoon does not count, the last day does
    first, end = _window_of(
        area, datetime(2026, 9, 7, 14, tzinfo=AMS), datetime(2026, 9, 8, 23, 59, tzinfo=AMS), by_noon=True
    )
    assert (first, end) == (date(2026, 9, 8), date(2026, 9, 9))


def test_an_event_window_takes_every_day_it_touches(area):
    first, end = _window_of(
        area, datetime(2026, 9, 5, 14, tzinfo=AMS), datetime(2026, 9, 5, 22, tzinfo=AMS), by_noon=False
    )
    assert (first, end) == (date(2026, 9, 5), date(2026, 9, 6))


def test_an_rfm_segment_resolves_to_the_passes_of_members_who_also_consent_to_marketing(area):
    # given: two members in the area's latest run's "loyal" segment, one consenting to offers, and a third
    # member who consents to offers but is in another segment
    offers, offers_pass = member(area)
    give_consent(subject=offers, area=area, purpose_code="marketing", method="settings", language="nl")
    no_offers, _no_offers_pass = member(area)
    other, other_pass = member(area)
    give_consent(subject=other, area=area, purpose_code="marketing", method="settings", language="nl")
    run = SegmentRun.objects.create(
        area=area, as_of=date(2026, 11, 1), status=EffectStatus.DONE, computed_at=datetime(2026, 11, 1, 6, tzinfo=AMS)
    )
    for user, segment in ((offers, "rfm_loyal"), (no_offers, "rfm_loyal"), (other, "rfm_lapsed")):
        SegmentAssignment.objects.create(
            run=run, subject=subject_of(user.pseudonym), recency=5, frequency=5, monetary=5, segment=segment, cluster=0
        )

    # when: loyalty asks which passes are in the segment
    loyal = list(passes_in_segment(area, "rfm_loyal", now=datetime(2026, 11, 2, tzinfo=AMS)))
    lapsed = list(passes_in_segment(area, "rfm_lapsed", now=datetime(2026, 11, 2, tzinfo=AMS)))

    # then: only the consenting member's pass; analytics stored no pass id to find it
    assert loyal == [offers_pass]
    assert lapsed == [other_pass]
    assert list(passes_in_segment(area, "rfm_new", now=datetime(2026, 11, 2, tzinfo=AMS))) == []
