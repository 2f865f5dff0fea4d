"""Recurring events expanded on the area's wall clock, and the event calendar analytics reads."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from cms.models import EventCategory, EventPage
from cms.recurrence import Recurrence, occurrences
from cms.selectors import list_events

from .conftest import publish

AMS = ZoneInfo("Europe/Amsterdam")
BRU = ZoneInfo("Europe/Brussels")
UTC = dt.UTC


def test_weekly_market_stays_at_eight_local_across_the_spring_change():
    # given a Saturday market at 08:00, the clocks go forward on Sunday 29 March 2026
    found = occurrences(
        first_date=dt.date(2026, 3, 21),
        start_time=dt.time(8),
        end_date=None,
        end_time=dt.time(13),
        rule=Recurrence.WEEKLY,
        until=dt.date(2026, 4, 30),
        tz=AMS,
        start=dt.datetime(2026, 3, 20, tzinfo=UTC),
        end=dt.datetime(2026, 4, 5, tzinfo=UTC),
    )
    # then every Saturday starts at 08:00 local: 07:00 UTC in winter (21 and 28 March), 06:00 UTC in summer
    assert [start.astimezone(UTC).hour for start, _end in found] == [7, 7, 6]
    assert all(start.astimezone(AMS).hour == 8 for start, _end in found)


def test_autumn_change_in_brussels_and_the_end_date():
    found = occurrences(
        first_date=dt.date(2026, 10, 17),
        start_time=dt.time(18),
        end_date=None,
        end_time=dt.time(21),
        rule=Recurrence.WEEKLY,
        until=dt.date(2026, 10, 31),
        tz=BRU,
        start=dt.datetime(2026, 10, 1, tzinfo=UTC),
        end=dt.datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert [start.date() for start, _end in found] == [
        dt.date(2026, 10, 17),
        dt.date(2026, 10, 24),
        dt.date(2026, 10, 31),
    ]
    assert [start.astimezone(UTC).hour for start, _end in found] == [16, 16, 17]  # summer, summer, winter


def test_monthly_skips_months_without_the_day_and_multi_day_spans_are_kept():
    found = occurrences(
        first_date=dt.date(2026, 1, 31),
        start_time=dt.time(10),
        end_date=dt.date(2026, 2, 1),
        end_time=dt.time(17),
        rule=Recurrence.MONTHLY,
        until=dt.date(2026, 6, 30),
        tz=AMS,
        start=dt.datetime(2026, 1, 1, tzinfo=UTC),
        end=dt.datetime(2026, 7, 1, tzinfo=UTC),
    )
    assert [start.date() for start, _end in found] == [dt.date(2026, 1, 31), dt.date(2026, 3, 31), dt.date(2026, 5, 31)]
    assert all((end - start) == dt.timedelta(days=1, hours=7) for start, end in found[:1])


def test_naive_bounds_are_refused():
    with pytest.raises(ValueError):
        occurrences(
            first_date=dt.date(2026, 1, 1),
            start_time=dt.time(10),
            end_date=None,
            end_time=dt.time(11),
            rule=Recurrence.NONE,
            until=None,
            tz=AMS,
            start=dt.datetime(2026, 1, 1),
            end=dt.datetime(2026, 2, 1),
        )


@pytest.mark.django_db
def test_a_recurring_event_needs_an_end_date():
    event = EventPage(
        title="Markt",
        slug="markt",
        category=EventCategory.MARKET,
        starts_on=dt.date(2026, 1, 3),
        start_time=dt.time(8),
        end_time=dt.time(13),
        place="Hof",
        recurrence=Recurrence.WEEKLY,
    )
    with pytest.raises(ValidationError) as error:
        event.clean()
    assert "repeat_until" in error.value.message_dict


@pytest.mark.django_db
def test_list_events_gives_published_public_occurrences_of_the_area_only(site_pages, flemish_site_pages):
    # given a one-off street works event, a draft, and another area's market
    works = publish(
        site_pages["events"],
        EventPage(
            title="Werk aan de Langestraat",
            slug="werk",
            category=EventCategory.STREET_WORKS,
            starts_on=dt.date(2026, 6, 8),
            start_time=dt.time(7),
            ends_on=dt.date(2026, 6, 12),
            end_time=dt.time(16),
            place="Langestraat",
        ),
    )
    draft = EventPage(
        title="Concept",
        slug="concept",
        category=EventCategory.FESTIVAL,
        starts_on=dt.date(2026, 6, 9),
        start_time=dt.time(12),
        end_time=dt.time(13),
        place="Hof",
    )
    site_pages["events"].add_child(instance=draft)
    draft.unpublish()
    area = site_pages["site"].shopping_area
    # when analytics reads a week in June
    events = list_events(area=area, start=dt.datetime(2026, 6, 8, tzinfo=AMS), end=dt.datetime(2026, 6, 15, tzinfo=AMS))
    # then the Saturday market and the street works, nothing else
    assert [(e.title, e.category) for e in events] == [
        ("Werk aan de Langestraat", "street_works"),
        ("Weekmarkt", "market"),
    ]
    market = events[1]
    assert market.starts_at == dt.datetime(2026, 6, 13, 8, tzinfo=AMS)
    assert market.ends_at == dt.datetime(2026, 6, 13, 13, tzinfo=AMS)
    assert market.place == "Hof" and market.page_id == site_pages["market"].pk
    assert market.id == f"{market.page_id}:20260613T0600Z"
    assert events[0].ends_at == dt.datetime(2026, 6, 12, 16, tzinfo=AMS) and events[0].page_id == works.pk
    # and a private event is left out
    site_pages["market"].view_restrictions.create(restriction_type="login")
    assert [
        e.title
        for e in list_events(
            area=area, start=dt.datetime(2026, 6, 8, tzinfo=AMS), end=dt.datetime(2026, 6, 15, tzinfo=AMS)
        )
    ] == ["Werk aan de Langestraat"]
