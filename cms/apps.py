"""The Wagtail website of each shopping area."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Website")

    def ready(self) -> None:
        from accounts.navigation import register_entry
        from accounts.permissions import register_action
        from accounts.roles import Role
        from areas.public_pages import register_merchant_page
        from areas.services import on_role_change

        from .navigation import editor_entry_is_visible
        from .selectors import merchant_page_url
        from .services import sync_editor_groups

        # On an area: edit its website. Wagtail's own check agrees through the area's editor group, whose
        # members sync_editor_groups keeps equal to the area's managers.
        register_action("cms.edit_site", roles={Role.AREA_MANAGER})
        # On an area: the feedback survey's results (suppressed below K answers) at /<lang>/enquete/resultaten/.
        register_action("cms.view_survey_results", roles={Role.AREA_MANAGER})
        on_role_change(sync_editor_groups)
        register_merchant_page(merchant_page_url)  # the staff page's link to the merchant's page in the directory
        register_entry(_("Website editor"), "wagtailadmin_home", editor_entry_is_visible)
