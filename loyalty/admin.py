"""The Django admin for the pass programme (platform admins; area managers see their own area).

Rules and multipliers are plain settings. Passes, the ledger and till transactions are read-only here:
points change only through the services (a correction is `services.adjust_points`, never an edit).
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import ScopedModelAdmin
from agora.exceptions import ApplicationError
from privacy.models import AuditAction
from privacy.services import log_access

from . import services
from .models import GiftCard, GiftCardEntry, LedgerEntry, LoyaltySettings, MerchantLoyalty, Pass, TillTransaction


@admin.register(LoyaltySettings)
class LoyaltySettingsAdmin(ScopedModelAdmin):
    view_action = "loyalty.change_settings"
    change_action = "loyalty.change_settings"
    list_display = ("area", "points_per_euro", "welcome_bonus_points", "expiry_months", "undo_window_minutes")
    readonly_fields = ("updated_at",)


@admin.register(MerchantLoyalty)
class MerchantLoyaltyAdmin(ScopedModelAdmin):
    view_action = "loyalty.change_settings"
    change_action = "loyalty.change_settings"
    list_display = ("merchant", "multiplier_permille")
    list_select_related = ("merchant",)
    search_fields = ("merchant__trade_name",)
    autocomplete_fields = ("merchant",)


class ReadOnlyAdmin(ScopedModelAdmin):
    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Pass)
class PassAdmin(ReadOnlyAdmin):
    view_action = "loyalty.view_pass"
    change_action = "loyalty.block_pass"
    list_display = ("card_number_display", "area", "status", "points_balance", "joined_at")
    list_filter = ("area", "status")
    list_select_related = ("area",)
    search_fields = ("=card_number",)
    fields = ("area", "member", "card_number", "status", "points_balance", "postcode", "age_band", "joined_at")
    readonly_fields = fields
    actions = ["block_selected"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", None) == 200:
            member_pass = self.get_object(request, object_id)
            if member_pass is not None and member_pass.member_id != request.user.pk:
                log_access(
                    actor=request.user,
                    action=AuditAction.VIEW,
                    subject=member_pass.member,
                    obj=member_pass,
                    fields=["card_number", "postcode", "age_band", "points_balance"],
                    via="admin",
                )
        return response

    @admin.action(description=_("Block the selected passes"))
    def block_selected(self, request, queryset):
        blocked = 0
        for pass_id in queryset.values_list("pk", flat=True):
            try:
                services.block_pass(pass_id=pass_id, by=request.user)
                blocked += 1
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
        self.message_user(request, ngettext("%d pass blocked.", "%d passes blocked.", blocked) % blocked)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    view_action = "loyalty.view_pass"
    change_action = "loyalty.adjust_points"
    list_display = ("occurred_at", "member_pass", "kind", "points", "merchant", "reason")
    list_filter = ("kind",)
    list_select_related = ("member_pass", "merchant")
    search_fields = ("=member_pass__card_number",)
    date_hierarchy = "occurred_at"


@admin.register(TillTransaction)
class TillTransactionAdmin(ReadOnlyAdmin):
    view_action = "merchant.view"
    change_action = "merchant.operate_till"
    list_display = ("occurred_at", "merchant", "member_pass", "kind", "amount_cents", "points", "receipt_number")
    list_filter = ("kind",)
    list_select_related = ("merchant", "member_pass")
    search_fields = ("=member_pass__card_number", "receipt_number")
    date_hierarchy = "occurred_at"


# Gift cards: read-only here as well. Value changes only through the services (sold at the desk, spent at a till,
# expired by the nightly job); the PIN's hash is never shown.


@admin.register(GiftCard)
class GiftCardAdmin(ReadOnlyAdmin):
    view_action = "loyalty.sell_gift_cards"
    change_action = "loyalty.sell_gift_cards"
    list_display = ("__str__", "area", "status", "balance_cents", "issued_at", "expires_at")
    list_filter = ("area", "status")
    list_select_related = ("area",)
    search_fields = ("=number",)
    fields = (
        "area",
        "number",
        "member_pass",
        "status",
        "balance_cents",
        "issued_at",
        "expires_at",
        "sold_by",
        "sold_via",
        "failed_pin_attempts",
    )
    readonly_fields = fields


@admin.register(GiftCardEntry)
class GiftCardEntryAdmin(ReadOnlyAdmin):
    view_action = "loyalty.sell_gift_cards"
    change_action = "loyalty.sell_gift_cards"
    list_display = ("occurred_at", "card", "kind", "amount_cents", "merchant", "reason")
    list_filter = ("kind",)
    list_select_related = ("card", "merchant")
    search_fields = ("=card__number",)
    date_hierarchy = "occurred_at"
