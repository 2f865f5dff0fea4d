"""The sensors dashboard of an area's managers (/<lang>/analytics/sensors/)."""

from accounts.permissions import can


def sensors_entry_is_visible(request) -> bool:
    area = getattr(request, "area", None)
    return bool(request.user.is_authenticated and area and can(request.user, "analytics.view_sensors", area))
