from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreasConfig(AppConfig):
    name = "areas"
    verbose_name = _("Shopping areas")

    def ready(self) -> None:
        from accounts.navigation import for_role_holder, register_entry
        from accounts.permissions import register_action
        from accounts.roles import Role

        from . import personal_data  # noqa: F401  (registers staff memberships with privacy)

        register_action("area.view", roles={Role.AREA_MANAGER, Role.PARCEL_STAFF})
        register_action("area.change", roles={Role.AREA_MANAGER})
        register_action("area.manage_staff", roles={Role.AREA_MANAGER})
        register_action("merchant.create", roles={Role.AREA_MANAGER})  # on an area
        register_action("merchant.view", roles={Role.AREA_MANAGER, Role.MERCHANT_OWNER, Role.MERCHANT_STAFF})
        register_action("merchant.change", roles={Role.AREA_MANAGER, Role.MERCHANT_OWNER})
        register_action("merchant.manage_staff", roles={Role.AREA_MANAGER, Role.MERCHANT_OWNER})
        register_action("merchant.operate_till", roles={Role.MERCHANT_OWNER, Role.MERCHANT_STAFF})
        register_action("parcels.operate_desk", roles={Role.PARCEL_STAFF, Role.AREA_MANAGER})  # on an area

        register_entry(_("Staff"), "areas:dashboard", for_role_holder)
