from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _forget_segments_on_withdrawal(sender, instance, created, raw=False, **kwargs) -> None:
    """The rule is the service's (`services_effects.forget_withdrawn_segments`)."""
    if created and not raw:
        from .services_effects import forget_withdrawn_segments

        forget_withdrawn_segments(instance)


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from accounts.navigation import register_entry
        from accounts.permissions import register_action
        from accounts.roles import Role

        from . import personal_data  # noqa: F401  (registers who asked for a recomputation)

        # On an area: the manager's dashboards (overview, trends, origin, comparison), their exports and the
        # recomputation on demand. Platform admins may do everything (and see unsuppressed figures).
        register_action("analytics.view_area_dashboard", roles={Role.AREA_MANAGER})
        # On a merchant: its own page (own customers who consented to sharing, as an index against sector/area).
        register_action("analytics.view_merchant_dashboard", roles={Role.MERCHANT_OWNER})

        from .navigation import register_dashboard_page
        from .views import analytics_entry_is_visible

        register_entry(_("Analytics"), "analytics:start", analytics_entry_is_visible)
        register_dashboard_page(_("Overview"), "analytics:overview", order=10)
        register_dashboard_page(_("Trends"), "analytics:trends", order=20)
        register_dashboard_page(_("Visitors"), "analytics:origin", order=40)
        register_dashboard_page(_("Other areas"), "analytics:comparison", order=80)

        # --- an-effects: segments, campaign and event effects, opening-hours advice ---------------------------
        # On an area: asking for a computation now (the pages themselves need analytics.view_area_dashboard).
        register_action("analytics.compute_effects", roles={Role.AREA_MANAGER})
        # On a merchant: its own opening-hours advice (its owner; the area's manager sees every merchant's).
        register_action("analytics.view_opening_advice", roles={Role.AREA_MANAGER, Role.MERCHANT_OWNER})
        register_dashboard_page(_("Segments"), "analytics_effects:segments", order=30)
        register_dashboard_page(_("Campaigns and events"), "analytics_effects:reports", order=50)
        register_dashboard_page(_("Opening hours"), "analytics_effects:opening_hours", order=60)

        # Campaigns may target the RFM segments; loyalty's registry adds the marketing-consent gate.
        from loyalty.segments import register_segment

        from . import services_effects, tasks_effects  # noqa: F401  (tasks_effects: registers the Celery tasks)
        from .segments import SEGMENT_DESCRIPTIONS, SEGMENT_GROUP, SEGMENTS

        for code, label in SEGMENTS.items():
            register_segment(
                code,
                label,
                services_effects.segment_resolver(code),
                group=SEGMENT_GROUP,
                description=SEGMENT_DESCRIPTIONS[code],
                purposes=("analytics",),  # a profile built under that consent: only while it is given
            )

        # Withdrawing (or refusing) the analytics consent deletes the member's stored segments at once, in the same
        # transaction as the decision (privacy has no hook of its own: a new ConsentEvent row is the moment).
        from django.db.models.signals import post_save

        from privacy.models import ConsentEvent

        post_save.connect(_forget_segments_on_withdrawal, sender=ConsentEvent, dispatch_uid="analytics.forget_segments")

        self._ready_sensors()

    def _ready_sensors(self) -> None:
        """Sensors, imports and open data (an-inputs)."""
        from accounts.permissions import register_action
        from accounts.roles import Role

        from . import admin_sensors  # noqa: F401  (counting points, sensors, imports in the admin)
        from .importers import tasks  # noqa: F401  (registers the import task with Celery)
        from .navigation import register_dashboard_page

        # On an area: seeing its counting points, sensors, counts, quality and imports.
        register_action("analytics.view_sensors", roles={Role.AREA_MANAGER})
        # On an area: uploading or pushing (API) counts and weather, managing counting points and sensors.
        register_action("analytics.import_sensor_data", roles={Role.AREA_MANAGER})
        register_dashboard_page(_("Sensors"), "analytics_sensors:dashboard", order=60)
