"""The Django admin for the parcel point (platform admins; area managers see their own area).

Points, slots and carrier agreements (with their fees) are settings. Pre-announcements, parcels and their
events are read-only here: a parcel changes only through the services (a scan at the desk), and is never
deleted.
"""

from django.contrib import admin

from accounts.admin import ScopedInlineMixin, ScopedModelAdmin
from accounts.permissions import areas_where, is_platform_admin
from areas.models import ShoppingArea

from .models import (
    Announcement,
    Carrier,
    CarrierAgreement,
    LearnedCarrierPrefix,
    Parcel,
    ParcelEvent,
    ParcelPoint,
    StorageLocation,
)


class AreaSettingsAdmin(ScopedModelAdmin):
    """Area managers add and change these in their own areas; the area and point choices are narrowed."""

    view_action = "parcels.manage_points"
    change_action = "parcels.manage_points"

    def has_view_permission(self, request, obj=None):
        if obj is None and areas_where(request.user, self.view_action):
            return True
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_platform_admin(request.user) or bool(areas_where(request.user, self.change_action))

    def _areas(self, request):
        if is_platform_admin(request.user):
            return ShoppingArea.objects.all()
        return ShoppingArea.objects.filter(pk__in=areas_where(request.user, self.change_action))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            kwargs["queryset"] = self._areas(request)
        elif db_field.remote_field.model is ParcelPoint:
            kwargs["queryset"] = ParcelPoint.objects.filter(area__in=self._areas(request)).select_related("area")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CarrierAgreementInline(ScopedInlineMixin, admin.TabularInline):
    view_action = "parcels.manage_points"
    change_action = "parcels.manage_points"
    model = CarrierAgreement
    fields = (
        "carrier",
        "is_active",
        "storage_days",
        "requires_id_check",
        "max_size_class",
        "max_weight_grams",
        "accept_oversize",
        "intake_fee_cents",
        "pickup_fee_cents",
        "return_fee_cents",
        "handover_fee_cents",
    )
    extra = 0

    def has_delete_permission(self, request, obj=None):
        return False  # an agreement ends by deactivating it: its fees explain past events


@admin.register(ParcelPoint)
class ParcelPointAdmin(AreaSettingsAdmin):
    list_display = ("name", "area", "storage_days", "reminder_days", "recipient_retention_days", "is_active")
    list_filter = ("area", "is_active")
    list_select_related = ("area",)
    search_fields = ("name", "city")
    inlines = [CarrierAgreementInline]


@admin.register(StorageLocation)
class StorageLocationAdmin(AreaSettingsAdmin):
    list_display = ("name", "point", "size_class", "capacity", "label_code", "is_active")
    list_filter = ("point", "size_class", "is_active")
    list_select_related = ("point",)
    search_fields = ("=label_code", "zone")


@admin.register(CarrierAgreement)
class CarrierAgreementAdmin(AreaSettingsAdmin):
    list_display = (
        "point",
        "carrier",
        "is_active",
        "requires_id_check",
        "intake_fee_cents",
        "pickup_fee_cents",
        "return_fee_cents",
        "handover_fee_cents",
    )
    list_filter = ("carrier", "is_active")
    list_select_related = ("point", "carrier")


@admin.register(LearnedCarrierPrefix)
class LearnedCarrierPrefixAdmin(AreaSettingsAdmin):
    list_display = ("prefix", "carrier", "point", "learned_at")
    list_select_related = ("point", "carrier")
    search_fields = ("prefix",)


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    """The carriers are seeded and shared by every area: platform admins only."""

    list_display = ("code", "name")

    def has_module_permission(self, request):
        return is_platform_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_platform_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_platform_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ScopedModelAdmin):
    view_action = "parcels.view_parcels"
    change_action = "parcels.view_parcels"

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    list_display = ("tracking_code", "carrier", "point", "source", "expected_on", "created_at")
    list_filter = ("carrier", "source")
    list_select_related = ("carrier", "point")
    search_fields = ("=tracking_code", "external_reference")
    date_hierarchy = "created_at"


class ParcelEventInline(ScopedInlineMixin, admin.TabularInline):
    view_action = "parcels.view_parcels"
    change_action = "parcels.view_parcels"
    model = ParcelEvent
    fields = ("at", "kind", "from_state", "to_state", "by", "device", "location", "billable", "fee_cents", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "pk")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Parcel)
class ParcelAdmin(ReadOnlyAdmin):
    list_display = ("tracking_code", "carrier", "point", "state", "location", "received_at", "storage_until")
    list_filter = ("state", "carrier", "direction")
    list_select_related = ("carrier", "point", "location")
    search_fields = ("=tracking_code", "=pickup_code")
    date_hierarchy = "received_at"
    inlines = [ParcelEventInline]
    fields = (
        "point",
        "carrier",
        "tracking_code",
        "direction",
        "state",
        "location",
        "size_class",
        "weight_grams",
        "is_oversize",
        "refused_reason",
        "recipient_name",
        "recipient_email",
        "announcement",
        "received_at",
        "storage_until",
        "handed_out_at",
        "picked_up_by_proxy",
        "id_checked",
        "left_at",
        "recipient_erased_at",
    )
    readonly_fields = fields
