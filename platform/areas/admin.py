"""The Django admin for areas, merchants and staff memberships (platform admins).

Every write goes through areas.services, like the staff pages and the API; the forms here check shape and
show the services' errors before anything is saved.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import ScopedInlineMixin, ScopedModelAdmin

from . import services
from .exceptions import InvalidInput
from .models import Merchant, MerchantStatus, OpeningException, OpeningHours, ShoppingArea, StaffMembership


def _as_validation_error(error: InvalidInput) -> ValidationError:
    return ValidationError({key if isinstance(key, str) else "__all__": msgs for key, msgs in error.errors.items()})


# --- Areas --------------------------------------------------------------------------------------------


class AreaExceptionInline(ScopedInlineMixin, admin.TabularInline):
    """Days that differ for every merchant of the area (holidays, late-night shopping)."""

    view_action = "area.view"
    change_action = "area.change"
    model = OpeningException
    fk_name = "area"
    fields = ("date", "kind", "opens_at", "closes_at", "label")
    extra = 0
    verbose_name = _("area-wide opening exception")
    verbose_name_plural = _("area-wide opening exceptions")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(merchant__isnull=True)


@admin.register(ShoppingArea)
class ShoppingAreaAdmin(ScopedModelAdmin):
    view_action = "area.view"
    change_action = "area.change"
    list_display = ("name", "slug", "country", "time_zone", "pass_name", "is_active")
    list_filter = ("country", "is_active")
    search_fields = ("name", "slug", "collective_name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [AreaExceptionInline]

    def get_readonly_fields(self, request, obj=None):
        # Merchants' KvK/KBO numbers and postcodes were checked against the country: it is fixed once set.
        return ("country", "created_at") if obj else ("created_at",)

    def save_model(self, request, obj, form, change):
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data if f in services.AREA_EDITABLE_FIELDS}
            saved = services.update_area(area=obj, by=request.user, **changes)
        else:
            saved = services.create_area(by=request.user, **form.cleaned_data)
        obj.pk = saved.pk

    def save_formset(self, request, form, formset, change):
        _bypass_formset_save(formset)
        _save_exceptions(formset, area=form.instance, merchant=None, by=request.user)


# --- Merchants ----------------------------------------------------------------------------------------


class OpeningHoursFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        try:
            services.check_week(_week_from(self))
        except InvalidInput as error:
            raise ValidationError([msg for msgs in error.errors.values() for msg in msgs]) from error


class OpeningHoursInline(ScopedInlineMixin, admin.TabularInline):
    view_action = "merchant.view"
    change_action = "merchant.change"
    model = OpeningHours
    formset = OpeningHoursFormSet
    fields = ("weekday", "opens_at", "closes_at")
    extra = 0


class MerchantExceptionInline(ScopedInlineMixin, admin.TabularInline):
    view_action = "merchant.view"
    change_action = "merchant.change"
    model = OpeningException
    fk_name = "merchant"
    fields = ("date", "kind", "opens_at", "closes_at", "label")
    extra = 0


@admin.register(Merchant)
class MerchantAdmin(ScopedModelAdmin):
    view_action = "merchant.view"
    change_action = "merchant.change"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("trade_name", "area", "sector", "city", "status", "joined_on")
    list_filter = ("area", "status", "sector")
    search_fields = ("trade_name", "legal_name", "registration_number", "slug")
    list_select_related = ("area",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [OpeningHoursInline, MerchantExceptionInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "slug" in form.base_fields:
            form.base_fields["slug"].required = False  # services.create_merchant makes one from the trade name
        return form

    def get_readonly_fields(self, request, obj=None):
        # A merchant stays in its area: its customers, points and orders belong to that area.
        return (*self.readonly_fields, "area") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        details = {f: data[f] for f in services.MERCHANT_EDITABLE_FIELDS if f in data}
        if change:
            changed = {f: v for f, v in details.items() if f in form.changed_data}
            saved = services.update_merchant(merchant=obj, by=request.user, **changed)
        else:
            saved = services.create_merchant(area=data["area"], by=request.user, **details)
        if {"status", "left_on"} & set(form.changed_data):
            status = data["status"]
            # Reactivating or pausing clears a leaving date left in the form.
            left_on = data.get("left_on") if status == MerchantStatus.LEFT else None
            saved = services.set_merchant_status(merchant=saved, status=status, left_on=left_on, by=request.user)
        obj.pk = saved.pk

    def save_formset(self, request, form, formset, change):
        _bypass_formset_save(formset)
        merchant = form.instance
        if formset.model is OpeningHours:
            services.set_opening_hours(merchant=merchant, week=_week_from(formset), by=request.user)
        else:
            _save_exceptions(formset, area=merchant.area, merchant=merchant, by=request.user)


def _bypass_formset_save(formset) -> None:
    # The services save these rows instead of formset.save(); the admin's change message still reads the
    # lists formset.save() would have filled.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def _week_from(formset) -> dict:
    week: dict[int, list] = {}
    deleted = set(formset.deleted_forms) if formset.can_delete else set()
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if form in deleted or not data or not (form.instance.pk or form.has_changed()):
            continue
        week.setdefault(int(data["weekday"]), []).append((data["opens_at"], data["closes_at"]))
    return week


def _save_exceptions(formset, *, area, merchant, by) -> None:
    for form in formset.deleted_forms:
        if form.instance.pk:
            services.remove_opening_exception(exception=form.instance, by=by)
    for form in formset.forms:
        if form in formset.deleted_forms or not form.has_changed():
            continue
        if form.instance.pk and "date" in form.changed_data:  # moved to another day: the old day is normal again
            services.remove_opening_exception(exception=form.instance, by=by)
        data = form.cleaned_data
        services.add_opening_exception(
            area=area,
            merchant=merchant,
            date=data["date"],
            kind=data["kind"],
            opens_at=data.get("opens_at"),
            closes_at=data.get("closes_at"),
            label=data.get("label", ""),
            by=by,
        )


# --- Staff memberships --------------------------------------------------------------------------------


class MembershipAddForm(forms.ModelForm):
    class Meta:
        model = StaffMembership
        fields = ("user", "role", "area", "merchant")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                cleaned["area"], cleaned["merchant"] = services.resolve_role_scope(
                    role=cleaned["role"], area=cleaned.get("area"), merchant=cleaned.get("merchant")
                )
            except InvalidInput as error:
                raise _as_validation_error(error) from error
        return cleaned


class ActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Active")), ("no", _("Ended"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(ended_at__isnull=False)
        return queryset


@admin.register(StaffMembership)
class StaffMembershipAdmin(ScopedModelAdmin):
    """Roles are granted here and ended with the action; a membership is never edited or deleted (history)."""

    view_action = "merchant.manage_staff"
    change_action = "merchant.manage_staff"
    list_display = ("user", "role", "area", "merchant", "created_at", "granted_by", "ended_at")
    list_filter = (ActiveFilter, "role", "area")
    search_fields = ("user__email", "merchant__trade_name", "area__name")
    list_select_related = ("user", "area", "merchant", "granted_by")
    autocomplete_fields = ("user", "merchant")
    actions = ["end_memberships"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "role", "area", "merchant")
        return ("user", "role", "area", "merchant", "created_at", "granted_by", "ended_at", "ended_by")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        saved = services.grant_role(
            user=data["user"], role=data["role"], area=data["area"], merchant=data["merchant"], granted_by=request.user
        )
        obj.pk = saved.pk

    @admin.action(description=_("End the selected memberships"))
    def end_memberships(self, request, queryset):
        ended = 0
        for membership in queryset.filter(ended_at__isnull=True):
            if can_end := self.has_change_permission(request, membership):
                services.end_role(membership=membership, by=request.user)
            ended += int(can_end)
        self.message_user(
            request,
            ngettext("%(count)d membership ended.", "%(count)d memberships ended.", ended) % {"count": ended},
            messages.SUCCESS,
        )
