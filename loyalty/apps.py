from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _forget_profile_on_withdrawal(sender, instance, created, raw=False, **kwargs) -> None:
    """Privacy has no hook of its own for a withdrawn consent: a new ConsentEvent row (consent events are only
    ever inserted, by `privacy.services.record_consent`) is the moment. The rule is the service's."""
    if created and not raw:
        from .services.passes import forget_withdrawn_profile

        forget_withdrawn_profile(instance)


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Loyalty")

    def ready(self) -> None:
        from accounts.navigation import register_entry
        from accounts.permissions import register_action
        from accounts.roles import Role
        from privacy.models import ConsentEvent

        from . import personal_data  # noqa: F401  (registers passes and the ledger with privacy)

        # Withdrawing (or refusing) the statistics consent empties the pass's postcode and age band, in the same
        # transaction as the decision.
        post_save.connect(_forget_profile_on_withdrawal, sender=ConsentEvent, dispatch_uid="loyalty.forget_profile")

        # On a pass: the member themselves, or the area's manager (a member's pass is personal data).
        register_action("loyalty.view_pass", roles={Role.AREA_MANAGER}, self_service=True)
        register_action("loyalty.block_pass", roles={Role.AREA_MANAGER}, self_service=True)
        # On a pass: manual corrections (above the area's threshold a second manager approves).
        register_action("loyalty.adjust_points", roles={Role.AREA_MANAGER})
        # On an area (LoyaltySettings) or a merchant's multiplier (MerchantLoyalty): the programme's rules.
        register_action("loyalty.change_settings", roles={Role.AREA_MANAGER})
        # On an area: campaigns, the rewards catalogue, vouchers handed out by the collective.
        register_action("loyalty.manage_campaigns", roles={Role.AREA_MANAGER})
        register_action("loyalty.manage_rewards", roles={Role.AREA_MANAGER})
        register_action("loyalty.issue_vouchers", roles={Role.AREA_MANAGER})
        # On an area: selling gift cards at the collective's desk (and looking a card up there).
        register_action("loyalty.sell_gift_cards", roles={Role.AREA_MANAGER})
        # On a merchant: its settlement statements (the merchant's owner, the area's manager);
        # on an area: the overview of every merchant's settlement.
        register_action("loyalty.view_settlement", roles={Role.AREA_MANAGER, Role.MERCHANT_OWNER})
        register_action("loyalty.view_settlement_overview", roles={Role.AREA_MANAGER})
        # On an area: issuing (storing for good) the statements of a closed period.
        register_action("loyalty.issue_settlement", roles={Role.AREA_MANAGER})
        # On an area: recording that an issued statement was paid (the bank transfer's day and reference).
        register_action("loyalty.record_settlement_payment", roles={Role.AREA_MANAGER})
        # The till itself uses areas' `merchant.operate_till` (merchant owner and staff, own merchant only).

        from .views import (
            desk_entry_is_visible,
            pass_entry_is_visible,
            settlement_entry_is_visible,
            till_entry_is_visible,
        )

        register_entry(_("My pass"), "loyalty:pass", pass_entry_is_visible, personal=True)
        register_entry(_("Till"), "loyalty:till_start", till_entry_is_visible)
        register_entry(_("Desk"), "loyalty:desk_start", desk_entry_is_visible)
        register_entry(_("Settlement"), "loyalty:settlement_start", settlement_entry_is_visible)

        from .views_campaigns import campaigns_entry_is_visible

        register_entry(_("Campaigns"), "loyalty:campaigns_start", campaigns_entry_is_visible)

        from .views_manage_rewards import rewards_entry_is_visible

        register_entry(_("Rewards"), "loyalty:manage_rewards_start", rewards_entry_is_visible)

        from .views_corrections import corrections_entry_is_visible

        register_entry(_("Corrections"), "loyalty:corrections_start", corrections_entry_is_visible)
