"""schema.org structured data (JSON-LD) for merchant and event pages, escaped for an inline <script>."""

from __future__ import annotations

import json

from django.utils.safestring import SafeString, mark_safe

# As django.utils.html.json_script: the JSON cannot close the <script> element or open a comment.
_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _script_safe(data: dict) -> SafeString:
    return mark_safe(json.dumps(data, ensure_ascii=False, default=str).translate(_ESCAPES))


def local_business_json_ld(merchant, week) -> SafeString:
    """A LocalBusiness with its address and regular opening hours (`week`: [(label, [(opens, closes)])] from
    Monday)."""
    data = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "name": merchant.trade_name,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": merchant.street,
            "postalCode": merchant.postcode,
            "addressLocality": merchant.city,
            "addressCountry": merchant.area.country,
        },
        "openingHoursSpecification": [
            {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": f"https://schema.org/{_DAYS[index]}",
                "opens": f"{opens:%H:%M}",
                "closes": f"{closes:%H:%M}",
            }
            for index, (_label, periods) in enumerate(week)
            for opens, closes in periods
        ],
    }
    if merchant.shown_description:
        data["description"] = merchant.shown_description
    if merchant.phone:
        data["telephone"] = merchant.phone
    if merchant.website:
        data["url"] = merchant.website
    if merchant.latitude is not None and merchant.longitude is not None:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": str(merchant.latitude),
            "longitude": str(merchant.longitude),
        }
    return _script_safe(data)


def event_json_ld(event, occurrences) -> SafeString:
    """An Event per upcoming occurrence (a recurring market is one Event per date, as schema.org suggests)."""
    items = [
        {
            "@context": "https://schema.org",
            "@type": "Event",
            "name": event.title,
            "description": event.search_description or event.intro,
            "startDate": starts_at.isoformat(),
            "endDate": ends_at.isoformat(),
            "eventStatus": "https://schema.org/EventScheduled",
            "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
            "location": {"@type": "Place", "name": event.place, "address": event.place},
        }
        for starts_at, ends_at in occurrences
    ]
    return _script_safe(items[0] if len(items) == 1 else items)
