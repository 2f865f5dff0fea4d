"""A parcel's last day as every page says it: the date of the last day it waits ("dinsdag 8 december 2026"), never
the midnight after it that `storage_until` holds (see `services.notices.last_day`)."""

from datetime import date

from django import template
from django.utils.formats import date_format

from ..services.notices import LAST_DAY_FORMAT, last_day

register = template.Library()


@register.filter("last_day")
def last_day_text(parcel_or_day) -> str:
    """The parcel's (or a day's) last day in the page's language; "" for a parcel without a storage limit."""
    day = parcel_or_day if isinstance(parcel_or_day, date) else last_day(parcel_or_day)
    return date_format(day, LAST_DAY_FORMAT) if day else ""
