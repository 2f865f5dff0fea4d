"""The main-menu entry to the Wagtail admin (/cms/)."""

from __future__ import annotations

from accounts.permissions import can, is_platform_admin


def editor_entry_is_visible(request) -> bool:
    """The "Website editor" entry: for who may edit the site of the area being shown (its managers), and
    platform admins everywhere. Reads the memberships already loaded for the request."""
    user = request.user
    if not user.is_authenticated:
        return False  # before request.area: an anonymous visitor's page need not look the area up for this
    if is_platform_admin(user):
        return True
    area = getattr(request, "area", None)
    return bool(area) and can(user, "cms.edit_site", area)
