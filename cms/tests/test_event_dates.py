"""An event page says when the event is: a one-off its day, a multi-day event its first and last day, an event far
ahead its dates (not "over"); the agenda shows a multi-day event's last day too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import formats, timezone, translation

from cms.models import EventCategory, EventPage

from .conftest import publish

pytestmark = pytest.mark.django_db

HOST = "amersfoort.localhost"


def _event(site_pages, *, slug: str, first: dt.date, last: dt.date | None = None, **fields) -> EventPage:
    return publish(
        site_pages["events"],
        EventPage(
            title=slug.capitalize(),
            slug=slug,
            category=EventCategory.FESTIVAL,
            starts_on=first,
            ends_on=last,
            start_time=dt.time(10),
            end_time=dt.time(17),
            place="Hof",
            **fields,
        ),
    )


def _dutch(day: dt.date, format: str) -> str:
    with translation.override("nl"):
        return formats.date_format(day, format)


def _page(url: str) -> str:
    response = Client(HTTP_HOST=HOST).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_event_half_a_year_ahead_shows_its_days_and_is_not_over(site_pages):
    # given: a book market on two days, 200 days from now (beyond any look-ahead of a few months)
    first = timezone.localdate() + dt.timedelta(days=200)
    _event(site_pages, slug="boekenmarkt", first=first, last=first + dt.timedelta(days=1))

    # when
    html = _page("/nl/agenda/boekenmarkt/")

    # then: "When" names the first and the last day, with the times; nothing says it is over
    assert "Dit evenement is voorbij." not in html
    assert f"{_dutch(first, 'l j F Y')}</time> – " in html
    assert f"{_dutch(first + dt.timedelta(days=1), 'l j F Y')}</time>," in html
    assert "10:00–17:00" in html
    assert '"startDate"' in html  # the structured data has the event too


def test_a_past_one_off_event_says_its_day_and_that_it_is_over(site_pages):
    day = timezone.localdate() - dt.timedelta(days=10)
    _event(site_pages, slug="kinderdag", first=day)

    html = _page("/nl/agenda/kinderdag/")

    assert "Dit evenement is voorbij." in html
    assert f'<time datetime="{day:%Y-%m-%d}">{_dutch(day, "l j F Y")}</time>' in html


def test_a_recurring_event_lists_its_next_dates_beyond_four_months(site_pages):
    # given: a monthly market that starts in five months
    first = timezone.localdate() + dt.timedelta(days=150)
    _event(
        site_pages, slug="vlooienmarkt", first=first, recurrence="monthly", repeat_until=first + dt.timedelta(days=70)
    )

    html = _page("/nl/agenda/vlooienmarkt/")

    assert "Dit evenement is voorbij." not in html and "Volgende data" in html
    assert _dutch(first, "l j F Y") in html


def test_the_agenda_shows_a_multi_day_events_first_and_last_day(site_pages):
    first = timezone.localdate() + dt.timedelta(days=3)
    last = first + dt.timedelta(days=1)
    _event(site_pages, slug="festival", first=first, last=last)

    html = _page("/nl/agenda/")

    def day(date):
        return f"{_dutch(date, 'D')} {_dutch(date, 'MONTH_DAY_FORMAT')}"

    assert f"{day(first)} – {day(last)}" in html
