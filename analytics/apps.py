from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        self._ready_sensors()

    def _ready_sensors(self) -> None:
        """Sensors, imports and open data (an-inputs)."""
        from accounts.navigation import register_entry
        from accounts.permissions import register_action
        from accounts.roles import Role

        from .importers import tasks  # noqa: F401  (registers the import task with Celery)

        # On an area: seeing its counting points, sensors, counts, quality and imports.
        register_action("analytics.view_sensors", roles={Role.AREA_MANAGER})
        # On an area: uploading or pushing (API) counts and weather, managing counting points and sensors.
        register_action("analytics.import_sensor_data", roles={Role.AREA_MANAGER})

        from .views_sensors import sensors_entry_is_visible

        register_entry(_("Footfall sensors"), "analytics_sensors:dashboard", sensors_entry_is_visible)
