"""The Django admin for the webshop (platform admins; area managers see their own area).

Shop settings, categories, courier zones, local boxes (with their items) and the merchants' shops are settings,
edited by the area's manager (`shop.manage_shop`). Orders, payments, refunds, transfers and webhook events are
read-only: money moves only through the services (Stripe calls with idempotency keys), never by an edit here.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import ScopedInlineMixin, ScopedModelAdmin
from accounts.permissions import areas_where, is_platform_admin
from areas.models import Merchant, ShoppingArea

from .exceptions import DisputeNotSettleable
from .models import (
    Category,
    CourierZone,
    Dispute,
    DisputeSettlement,
    LocalBox,
    LocalBoxItem,
    MerchantOrder,
    MerchantShop,
    Order,
    OrderLine,
    Payment,
    Refund,
    RefundLine,
    ShopSettings,
    Transfer,
    TransferReversal,
    Variant,
    WebhookEvent,
)
from .services import disputes

MANAGE = "shop.manage_shop"
VIEW = "shop.view_orders"


class AreaSettingsAdmin(ScopedModelAdmin):
    """Area managers add and change these in their own areas; the area and merchant choices are narrowed."""

    view_action = MANAGE
    change_action = MANAGE

    def has_view_permission(self, request, obj=None):
        if obj is None and areas_where(request.user, self.view_action):
            return True
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_platform_admin(request.user) or bool(areas_where(request.user, self.change_action))

    def has_delete_permission(self, request, obj=None):
        return False  # switched off (active), never deleted: orders refer to them

    def _areas(self, request):
        if is_platform_admin(request.user):
            return ShoppingArea.objects.all()
        return ShoppingArea.objects.filter(pk__in=areas_where(request.user, self.change_action))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            kwargs["queryset"] = self._areas(request)
        elif db_field.remote_field.model is Merchant:
            kwargs["queryset"] = Merchant.objects.filter(area__in=self._areas(request)).select_related("area")
        elif db_field.remote_field.model is Variant:
            kwargs["queryset"] = Variant.objects.filter(
                product__merchant__area__in=self._areas(request)
            ).select_related("product")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ShopSettings)
class ShopSettingsAdmin(AreaSettingsAdmin):
    list_display = ("area", "is_open", "commission_bps", "reservation_minutes", "parcel_point")
    list_select_related = ("area", "parcel_point")


@admin.register(Category)
class CategoryAdmin(AreaSettingsAdmin):
    list_display = ("name_nl", "name_en", "slug", "area", "position")
    list_filter = ("area",)
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name_nl",)}
    search_fields = ("name_nl", "name_en", "slug")


@admin.register(CourierZone)
class CourierZoneAdmin(AreaSettingsAdmin):
    list_display = ("name", "area", "fee_cents", "is_active")
    list_filter = ("area", "is_active")


class LocalBoxItemInline(ScopedInlineMixin, admin.TabularInline):
    view_action = MANAGE
    change_action = MANAGE
    model = LocalBoxItem
    raw_id_fields = ("variant",)
    extra = 1


@admin.register(LocalBox)
class LocalBoxAdmin(AreaSettingsAdmin):
    list_display = ("title_nl", "area", "is_active")
    list_filter = ("area", "is_active")
    prepopulated_fields = {"slug": ("title_nl",)}
    inlines = [LocalBoxItemInline]


@admin.register(MerchantShop)
class MerchantShopAdmin(AreaSettingsAdmin):
    list_display = ("merchant", "is_selling", "charges_enabled", "payouts_enabled", "commission_bps")
    list_filter = ("is_selling", "charges_enabled", "payouts_enabled")
    list_select_related = ("merchant",)
    search_fields = ("merchant__trade_name",)
    # Stripe says whether charges and payouts are enabled (onboarding.refresh_account), not a person
    readonly_fields = ("stripe_account_id", "charges_enabled", "payouts_enabled", "updated_at")


class ReadOnlyAdmin(ScopedModelAdmin):
    view_action = VIEW
    change_action = VIEW

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ScopedInlineMixin, admin.TabularInline):
    view_action = VIEW
    change_action = VIEW
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MerchantOrderInline(ReadOnlyInline):
    model = MerchantOrder
    fields = ("merchant", "status", "fulfilment", "goods_cents", "delivery_cents", "commission_bps", "handed_over_at")
    readonly_fields = fields


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fields = ("provider_dispute_id", "status", "amount_cents", "reason", "opened_at", "closed_at", "settlement")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "area", "status", "dispute_status", "total_cents", "created_at", "paid_at")
    list_filter = ("status", "dispute_status", "area")
    search_fields = ("=public_id", "email")
    date_hierarchy = "created_at"
    inlines = [MerchantOrderInline, DisputeInline]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = (
        "provider_dispute_id",
        "order",
        "status",
        "amount_cents",
        "reason",
        "opened_at",
        "closed_at",
        "settlement",
        "settled_by",
    )
    list_filter = ("status", "settlement")
    list_select_related = ("order", "settled_by")
    search_fields = ("=provider_dispute_id", "=order__public_id")
    actions = ["settle_paying_merchants", "settle_without_paying_merchants"]

    def has_settle_permission(self, request) -> bool:
        """Settling a lost dispute is a money decision: the area's manager (`shop.manage_shop`) or a platform admin."""
        return is_platform_admin(request.user) or bool(areas_where(request.user, MANAGE))

    def _settle(self, request, queryset, settlement: str) -> None:
        if not is_platform_admin(request.user):
            queryset = queryset.filter(order__area_id__in=areas_where(request.user, MANAGE))
        settled, refused = 0, []
        for dispute in queryset:
            try:
                disputes.settle_lost_dispute(dispute_id=dispute.pk, settlement=settlement, by=request.user)
            except DisputeNotSettleable as error:
                refused.append(f"{dispute.provider_dispute_id}: {error.message}")
            else:
                settled += 1
        if settled:
            self.message_user(
                request,
                ngettext("%(count)d dispute settled.", "%(count)d disputes settled.", settled) % {"count": settled},
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(
        description=_("Lost: pay the merchants their held parts (the collective bears the loss)"),
        permissions=["settle"],
    )
    def settle_paying_merchants(self, request, queryset):
        self._settle(request, queryset, DisputeSettlement.PAY_OUT)

    @admin.action(
        description=_("Lost: do not pay the merchants their held parts (they bear the loss)"), permissions=["settle"]
    )
    def settle_without_paying_merchants(self, request, queryset):
        self._settle(request, queryset, DisputeSettlement.WITHHOLD)


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "title",
        "quantity",
        "unit_price_cents",
        "vat_rate_bps",
        "gross_cents",
        "vat_cents",
        "unavailable_quantity",
    )
    readonly_fields = fields


@admin.register(MerchantOrder)
class MerchantOrderAdmin(ReadOnlyAdmin):
    list_display = ("order", "merchant", "status", "fulfilment", "goods_cents")
    list_filter = ("status", "fulfilment")
    list_select_related = ("order", "merchant")
    search_fields = ("=order__public_id",)
    inlines = [OrderLineInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("intent_id", "order", "status", "amount_cents", "method_type", "updated_at")
    list_filter = ("status", "method_type")
    search_fields = ("=intent_id", "=order__public_id")
    exclude = ("client_secret",)


class RefundLineInline(ReadOnlyInline):
    model = RefundLine
    fields = ("line", "quantity", "amount_cents")
    readonly_fields = fields


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = (
        "idempotency_key",
        "order",
        "part",
        "amount_cents",
        "card_cents",
        "provider_refund_id",
        "created_at",
    )
    search_fields = ("=order__public_id", "=idempotency_key")
    inlines = [RefundLineInline]


class TransferReversalInline(ReadOnlyInline):
    model = TransferReversal
    fields = ("refund", "amount_cents", "collective_cents", "commission_cents", "provider_reversal_id", "created_at")
    readonly_fields = fields


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = (
        "idempotency_key",
        "part",
        "amount_cents",
        "collective_cents",
        "commission_cents",
        "destination",
        "provider_transfer_id",
    )
    search_fields = ("=idempotency_key", "=destination")
    inlines = [TransferReversalInline]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    """Not in any area: platform admins only (the permission helper gives area roles nothing unscoped)."""

    list_display = ("event_id", "type", "received_at", "processed_at", "attempts")
    list_filter = ("type",)
    search_fields = ("=event_id",)
