from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParcelsConfig(AppConfig):
    name = "parcels"
    verbose_name = _("Parcels")

    def ready(self) -> None:
        from accounts.permissions import register_action
        from accounts.roles import Role

        from . import personal_data  # noqa: F401  (registers recipients' data with privacy)

        # The desk itself (intake, shelving, pickup) is areas' `parcels.operate_desk` (parcel staff, area manager).
        # On a parcel (or an area): seeing parcels and their history; a recipient sees their own.
        register_action("parcels.view_parcels", roles={Role.PARCEL_STAFF, Role.AREA_MANAGER}, self_service=True)
        # On a parcel: writing it off as lost, with a reason.
        register_action("parcels.declare_lost", roles={Role.AREA_MANAGER})
        # On an area (its points, slots, carrier agreements and fees): configuration.
        register_action("parcels.manage_points", roles={Role.AREA_MANAGER})
        # On a point: the carriers' monthly statements (fees per billable scan).
        register_action("parcels.view_statements", roles={Role.AREA_MANAGER})

        from accounts.navigation import register_entry

        from .views_dashboard import dashboard_entry_is_visible
        from .views_desk import desk_entry_is_visible
        from .views_member import parcels_entry_is_visible

        register_entry(_("My parcels"), "parcels:my_parcels", parcels_entry_is_visible, personal=True)
        register_entry(_("Parcel point"), "parcels:desk_start", desk_entry_is_visible)
        register_entry(_("Parcel point overview"), "parcels:dashboard_start", dashboard_entry_is_visible)
