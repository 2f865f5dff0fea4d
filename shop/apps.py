from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = _("Shop")

    def ready(self) -> None:
        from accounts.permissions import register_action
        from accounts.roles import Role

        # On a merchant (or its products): the catalogue, photos, CSV import and export.
        register_action("shop.manage_products", roles={Role.MERCHANT_OWNER, Role.MERCHANT_STAFF})
        # On a merchant (or its order parts): the order queue, the pick list, accepting, handing over, lines
        # unavailable (which refunds them).
        register_action("shop.fulfil_orders", roles={Role.MERCHANT_OWNER, Role.MERCHANT_STAFF})
        # On a merchant: the webshop statements (sales, VAT, commission, refunds, transfers); the area's manager too.
        register_action("shop.view_shop_statements", roles={Role.MERCHANT_OWNER, Role.AREA_MANAGER})
        # On a merchant: the Stripe Connect onboarding for payouts (the owner signs for the business).
        register_action("shop.manage_payouts", roles={Role.MERCHANT_OWNER})
        # On an area (its shop settings, categories, courier zones, local boxes, merchants' shops): the admin.
        register_action("shop.manage_shop", roles={Role.AREA_MANAGER})
        # On an area's orders and their money (payments, refunds, transfers): read-only in the admin.
        register_action("shop.view_orders", roles={Role.AREA_MANAGER})

        from accounts.navigation import register_entry

        from .views_merchant import merchant_entry_is_visible

        register_entry(_("Webshop management"), "shop_merchant:start", merchant_entry_is_visible)

        from . import personal_data  # noqa: F401  (registers the customers' contact details with privacy)
        from .views_shop import my_orders_entry_is_visible, shop_entry_is_visible

        register_entry(_("Shop"), "shop:home", shop_entry_is_visible)
        register_entry(_("My orders"), "shop:my_orders", my_orders_entry_is_visible, personal=True)

        from loyalty.selectors import register_gift_card_holder

        from .selectors import unpaid_order_refs

        # The pass shows the gift-card value an unpaid order took as reserved for it, not as spent.
        register_gift_card_holder(unpaid_order_refs)
