from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from accounts.navigation import for_signed_in, register_entry
        from accounts.permissions import register_action
        from accounts.roles import Role

        from . import personal_data  # noqa: F401  (registers consent records and audit entries)

        # On a person: their own data. Staff see a member's personal data only through these.
        register_action("person.view", self_service=True)
        register_action("person.export", self_service=True)
        register_action("person.erase", self_service=True)
        register_action("person.manage_consent", self_service=True)
        # On an area: the audit log of staff access in that area.
        register_action("privacy.view_audit_log", roles={Role.AREA_MANAGER})

        from .views import audit_log_is_visible

        register_entry(_("My privacy"), "privacy:consents", for_signed_in, personal=True)
        register_entry(_("Audit log"), "privacy:audit_log", audit_log_is_visible)
