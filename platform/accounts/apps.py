from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from . import personal_data  # noqa: F401  (registers the user's personal data with privacy)
        from .middleware import mark_logged_out
        from .navigation import for_platform_admin, for_signed_in, register_entry
        from .permissions import register_action

        # A person sees their own account; only platform admins see or change other people's.
        register_action("account.view", self_service=True)
        register_action("account.change")

        register_entry(_("Account"), "account_email", for_signed_in, personal=True)
        # "Website editor" (/cms/) is registered by the cms app, which owns who may edit a site.
        register_entry(_("Platform admin"), "admin:index", for_platform_admin)

        # The response that logs someone out clears the member app's pass key and cached pages.
        user_logged_out.connect(mark_logged_out, dispatch_uid="accounts.mark_logged_out")
