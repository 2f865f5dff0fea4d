"""Reads about shopping areas and merchants."""

from __future__ import annotations

from wagtail.models import Site

from .models import ShoppingArea


def area_for_request(request) -> ShoppingArea | None:
    """The area whose Wagtail Site serves this host; the default site's area otherwise."""
    site = Site.find_for_request(request)
    areas = ShoppingArea.objects.filter(is_active=True)
    if site is not None:
        found = areas.filter(site=site).first()
        if found:
            return found
    return areas.filter(site__is_default_site=True).first() or areas.order_by("pk").first()
