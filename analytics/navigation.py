"""The dashboard's side navigation: each analytics page registers itself once (in an AppConfig.ready()).

    register_dashboard_page(_("Segments"), "analytics:segments", action="analytics.view_area_dashboard", order=30)

The url name takes the area's slug as its one keyword argument (`area`). The base dashboard template shows
the pages the person may open for that area (`{% dashboard_nav %}`), in `order`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from accounts.permissions import can


@dataclass(frozen=True)
class DashboardPage:
    label: str | Promise
    url_name: str
    action: str
    order: int


_PAGES: dict[str, DashboardPage] = {}


def register_dashboard_page(label, url_name: str, *, action: str = "analytics.view_area_dashboard", order: int = 100):
    _PAGES[url_name] = DashboardPage(label, url_name, action, order)


def dashboard_pages(request, area) -> list[dict]:
    items = []
    for page in sorted(_PAGES.values(), key=lambda p: (p.order, p.url_name)):
        if not can(request.user, page.action, area):
            continue
        try:
            url = reverse(page.url_name, kwargs={"area": area.slug})
        except NoReverseMatch:
            continue
        items.append({"label": page.label, "url": url, "active": request.path == url})
    return items
