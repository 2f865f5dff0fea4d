from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = _("Shop")

    def ready(self) -> None:
        from accounts.navigation import register_entry

        from . import personal_data  # noqa: F401  (registers the customers' contact details with privacy)
        from .views_shop import my_orders_entry_is_visible, shop_entry_is_visible

        register_entry(_("Shop"), "shop:home", shop_entry_is_visible)
        register_entry(_("My orders"), "shop:my_orders", my_orders_entry_is_visible)
