"""Expanding a recurring event into occurrences, on the wall clock of the area's time zone.

A weekly market at 08:00 stays at 08:00 local time on both sides of a daylight-saving change, so the
expansion works on local dates and times and only then attaches the zone (zoneinfo picks the offset).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _


class Recurrence(models.TextChoices):
    NONE = "none", _("Once")
    WEEKLY = "weekly", _("Every week")
    MONTHLY = "monthly", _("Every month (same day of the month)")


def _local(date: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    # A time in the gap of the spring change (02:30 on the last Sunday of March) has no wall-clock instant:
    # zoneinfo gives the offset before the change (fold=0), i.e. it is read as 03:30 summer time.
    return dt.datetime.combine(date, time, tzinfo=tz)


def _dates(first: dt.date, rule: str, until: dt.date | None) -> Iterator[dt.date]:
    if rule == Recurrence.NONE or until is None:
        yield first
        return
    if rule == Recurrence.WEEKLY:
        date = first
        while date <= until:
            yield date
            date += dt.timedelta(weeks=1)
        return
    # Monthly on the same day of the month; a month without that day (the 31st in April) is skipped.
    year, month = first.year, first.month
    while True:
        if first.day <= calendar.monthrange(year, month)[1]:
            date = dt.date(year, month, first.day)
            if date > until:
                return
            yield date
        elif dt.date(year, month, 1) > until:
            return
        month += 1
        if month == 13:
            year, month = year + 1, 1


def occurrences(
    *,
    first_date: dt.date,
    start_time: dt.time,
    end_date: dt.date | None,
    end_time: dt.time,
    rule: str,
    until: dt.date | None,
    tz: ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The (starts_at, ends_at) pairs, aware in `tz`, of the occurrences overlapping [start, end).

    `end_date` makes one occurrence span several days (a festival weekend); each repetition keeps that span.
    """
    if timezone_naive(start) or timezone_naive(end):
        raise ValueError("occurrences needs aware datetimes")
    span_days = ((end_date or first_date) - first_date).days
    found = []
    last_local_date = end.astimezone(tz).date()
    for date in _dates(first_date, rule, until):
        if date > last_local_date:
            break
        starts_at = _local(date, start_time, tz)
        ends_at = _local(date + dt.timedelta(days=span_days), end_time, tz)
        if starts_at < end and ends_at > start:
            found.append((starts_at, ends_at))
    return found


def timezone_naive(value: dt.datetime) -> bool:
    return value.tzinfo is None or value.tzinfo.utcoffset(value) is None
