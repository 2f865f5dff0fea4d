"""The Django admin for the pass programme (platform admins; area managers see their own area).

Rules and multipliers are plain settings; a change of them is audited with old and new values
(`RuleChangesAudited`). Passes, the ledger and till transactions are read-only here:
points change only through the services (a correction is `services.adjust_points`, never an edit).
"""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import ScopedModelAdmin
from accounts.permissions import areas_where, is_platform_admin
from agora.exceptions import ApplicationError
from areas.models import Merchant, ShoppingArea
from areas.sectors import Sector
from privacy.models import AuditAction
from privacy.services import log_access

from . import services
from .exceptions import InvalidCampaign, InvalidReward
from .forms import ServiceErrorsMixin
from .forms_campaigns import CampaignVoucherForm
from .models import (
    Campaign,
    GiftCard,
    GiftCardChange,
    GiftCardEntry,
    LedgerEntry,
    LoyaltySettings,
    MerchantLoyalty,
    OnlinePointsShare,
    Pass,
    Reward,
    TillTransaction,
    Voucher,
)
from .segments import segment_choices
from .services.campaigns import CAMPAIGN_FIELDS, CHANGEABLE_AFTER_START, has_started
from .services.rewards import REWARD_FIELDS
from .services.vouchers import group_voucher_code, normalise_voucher_code


class RuleChangesAudited:
    """A change of an area's or a merchant's pass rules is written to the audit log with each changed field's old and
    new value ("adjustment_approval_threshold: 200 → 1000"). Django's admin log names only the fields, and these rules
    are the programme's integrity limits (the threshold for a second manager, the caps, the notice period), which
    one manager may change alone. They are no personal data, so their values may be in the log."""

    def save_model(self, request, obj, form, change):
        # The admin's change view is one transaction: the row is read, locked, as it was just before this save.
        before = type(obj).objects.select_for_update().filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        changed = []
        for name in form.fields:
            field = obj._meta.get_field(name)
            old = field.value_from_object(before) if before is not None else None
            new = field.value_from_object(obj)
            if old != new:
                changed.append(f"{name}: {'—' if old is None else old} → {new}")
        if changed:
            log_access(actor=request.user, action=AuditAction.CHANGE, obj=obj, fields=changed, via="admin")


@admin.register(LoyaltySettings)
class LoyaltySettingsAdmin(RuleChangesAudited, ScopedModelAdmin):
    view_action = "loyalty.change_settings"
    change_action = "loyalty.change_settings"
    list_display = ("area", "points_per_euro", "welcome_bonus_points", "expiry_months", "undo_window_minutes")
    readonly_fields = ("updated_at",)


@admin.register(MerchantLoyalty)
class MerchantLoyaltyAdmin(RuleChangesAudited, ScopedModelAdmin):
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


@admin.register(OnlinePointsShare)
class OnlinePointsShareAdmin(ReadOnlyAdmin):
    """Which merchant's webshop sales the webshop's points belong to: what their settlement statements charge."""

    view_action = "merchant.view"
    change_action = "merchant.operate_till"
    list_display = ("occurred_at", "merchant", "member_pass", "points", "campaign", "campaign_points")
    list_select_related = ("entry", "entry__member_pass", "merchant", "campaign")
    search_fields = ("=entry__member_pass__card_number",)
    date_hierarchy = "entry__occurred_at"

    @admin.display(description=_("time"), ordering="entry__occurred_at")
    def occurred_at(self, share):
        return share.entry.occurred_at

    @admin.display(description=_("pass"))
    def member_pass(self, share):
        return share.entry.member_pass


# --- Campaigns, rewards, vouchers --------------------------------------------------------------------------


class AreaViewMixin:
    """The list opens for anyone who may do the action in some area, even while it is still empty there."""

    def has_view_permission(self, request, obj=None):
        if obj is None and areas_where(request.user, self.view_action):
            return True
        return super().has_view_permission(request, obj)


class AreaScopedAddMixin(AreaViewMixin):
    """Area managers add rows in their own areas: the area and merchant choices are narrowed to those."""

    def has_add_permission(self, request, *args):
        return is_platform_admin(request.user) or bool(areas_where(request.user, self.change_action))

    def _areas(self, request):
        if is_platform_admin(request.user):
            return ShoppingArea.objects.all()
        return ShoppingArea.objects.filter(pk__in=areas_where(request.user, self.change_action))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            kwargs["queryset"] = self._areas(request)
        elif db_field.remote_field.model is Merchant:
            kwargs["queryset"] = Merchant.objects.filter(area__in=self._areas(request)).select_related("area")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.remote_field.model is Merchant:
            kwargs["queryset"] = Merchant.objects.filter(area__in=self._areas(request)).select_related("area")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class CampaignForm(ServiceErrorsMixin, forms.ModelForm):
    """The admin's campaign form: shape here, the rules in `services.check_campaign` (as on the campaign pages)."""

    segment = forms.ChoiceField(
        label=_("segment"),
        required=False,
        help_text=_("Empty: every member. A segment only includes members who consented to personal offers."),
    )
    sectors = forms.MultipleChoiceField(
        label=_("sectors"),
        choices=Sector.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Merchants of these sectors take part as well."),
    )

    class Meta:
        model = Campaign
        fields = [
            "area",
            "name",
            "description",
            "name_en",
            "description_en",
            "starts_at",
            "ends_at",
            "kind",
            "multiplier_permille",
            "bonus_points",
            "min_amount_cents",
            "merchants",
            "sectors",
            "segment",
            "funded_by",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "segment" in self.fields:
            self.fields["segment"].choices = [("", _("Every member")), *segment_choices()]

    def service_fields(self) -> dict:
        """The fields `services.save_campaign` takes that this form edits (a started campaign's terms are
        read-only in the admin, so they are not in the form)."""
        return {
            name: self.cleaned_data[name]
            for name in CAMPAIGN_FIELDS
            if name in self.fields and name in self.cleaned_data
        }

    @property
    def campaign_area(self):
        return self.instance.area if self.instance.pk else self.cleaned_data.get("area")

    def clean(self):
        data = super().clean()
        if self.campaign_area is None:
            return data
        try:
            services.check_campaign(
                area=self.campaign_area, campaign=self.instance if self.instance.pk else None, **self.service_fields()
            )
        except InvalidCampaign as error:
            # A field that did not clean is missing here: its own error says more than the rules' would.
            error.extra["errors"] = {
                name: messages for name, messages in error.extra["errors"].items() if name not in self.errors
            }
            if error.extra["errors"]:
                self.add_service_error(error)
        return data


@admin.register(Campaign)
class CampaignAdmin(AreaScopedAddMixin, ScopedModelAdmin):
    view_action = "loyalty.manage_campaigns"
    change_action = "loyalty.manage_campaigns"
    form = CampaignForm
    actions = ["issue_vouchers", "end_now"]
    list_display = ("name", "area", "kind", "starts_at", "ends_at", "segment", "is_active")
    list_filter = ("kind", "is_active", "area")
    list_select_related = ("area",)
    search_fields = ("name",)
    date_hierarchy = "starts_at"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # A campaign stays in its area; once started, its terms are fixed (`services.campaigns`).
        if has_started(obj, now=timezone.now()):
            return [name for name in CampaignForm.Meta.fields if name not in CHANGEABLE_AFTER_START]
        return ["area"]

    def save_model(self, request, obj, form, change):
        saved = services.save_campaign(
            area=form.campaign_area, by=request.user, campaign=obj if change else None, **form.service_fields()
        )
        # The admin goes on with its own instance (the change message, the redirect): give it the saved row's id.
        obj.pk, obj._state.adding, obj._state.db = saved.pk, False, saved._state.db

    def save_related(self, request, form, formsets, change):
        # The service saved the campaign's merchants with it: only inline formsets (none today) are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("End the selected campaigns now"))
    def end_now(self, request, queryset):
        """A running campaign ends now; one that has not started is switched off (`services.end_campaign`)."""
        for campaign in queryset.select_related("area"):
            try:
                services.end_campaign(campaign=campaign, by=request.user)
            except ApplicationError as error:
                self.message_user(request, f"{campaign.name}: {error.message}", messages.ERROR)
        self.message_user(request, _("Done. The tills see the change within a minute."), messages.SUCCESS)

    @admin.action(description=_("Issue vouchers to the campaign's members"))
    def issue_vouchers(self, request, queryset):
        """A voucher for every member the campaign aims at (its segment's, who consented to it), after a page that
        asks what the voucher is worth and for how long."""
        if queryset.count() != 1:
            self.message_user(request, _("Choose one campaign to issue its vouchers."), messages.WARNING)
            return None
        campaign = queryset.select_related("area").get()
        form = CampaignVoucherForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                issued = services.issue_campaign_vouchers(campaign=campaign, by=request.user, **form.service_fields())
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request, ngettext("%d voucher issued.", "%d vouchers issued.", issued) % issued, messages.SUCCESS
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Issue vouchers: %(campaign)s") % {"campaign": campaign.name},
            "opts": self.model._meta,
            "campaign": campaign,
            "segment": dict(segment_choices()).get(campaign.segment, campaign.segment),
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/loyalty/campaign/issue_vouchers.html", context)


class RewardForm(ServiceErrorsMixin, forms.ModelForm):
    """The admin's reward form: shape here, the rules in `services.check_reward` (as on the rewards pages)."""

    class Meta:
        model = Reward
        fields = [
            "area",
            "title",
            "description",
            "title_en",
            "description_en",
            "merchant",
            "cost_points",
            "value_cents",
            "stock",
            "valid_from",
            "valid_until",
            "voucher_valid_days",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "stock" in self.fields:
            # Changed or not is judged against the stock the page showed (members may have chosen some since).
            self.fields["stock"].show_hidden_initial = True

    @property
    def reward_area(self):
        return self.instance.area if self.instance.pk else self.cleaned_data.get("area")

    def service_fields(self) -> dict:
        """The fields `services.save_reward` takes: all of them for a new reward, only those changed for an existing
        one (a stock left alone is not written back over members' choices made since the page was drawn)."""
        names = REWARD_FIELDS if not self.instance.pk else [name for name in REWARD_FIELDS if name in self.changed_data]
        return {name: self.cleaned_data[name] for name in names if name in self.fields and name in self.cleaned_data}

    def clean(self):
        data = super().clean()
        if self.reward_area is None:
            return data
        try:
            services.check_reward(
                area=self.reward_area, reward=self.instance if self.instance.pk else None, **self.service_fields()
            )
        except InvalidReward as error:
            # A field that did not clean is missing here: its own error says more than the rules' would.
            error.extra["errors"] = {
                name: messages for name, messages in error.extra["errors"].items() if name not in self.errors
            }
            if error.extra["errors"]:
                self.add_service_error(error)
        return data


@admin.register(Reward)
class RewardAdmin(AreaScopedAddMixin, ScopedModelAdmin):
    view_action = "loyalty.manage_rewards"
    change_action = "loyalty.manage_rewards"
    form = RewardForm
    list_display = ("title", "area", "merchant", "cost_points", "value_cents", "stock", "is_active")
    list_filter = ("is_active", "area")
    list_select_related = ("area", "merchant")
    search_fields = ("title",)

    def get_readonly_fields(self, request, obj=None):
        # A reward stays in its area (`services.check_reward`).
        return () if obj is None else ("area",)

    def save_model(self, request, obj, form, change):
        saved = services.save_reward(
            area=form.reward_area, by=request.user, reward=obj if change else None, **form.service_fields()
        )
        # The admin goes on with its own instance (the change message, the redirect): give it the saved row's id.
        obj.pk, obj._state.adding, obj._state.db = saved.pk, False, saved._state.db


@admin.register(Voucher)
class VoucherAdmin(AreaViewMixin, ReadOnlyAdmin):
    """Read-only: vouchers are issued by `services.vouchers.issue_voucher` (or chosen as rewards), never typed in."""

    view_action = "loyalty.issue_vouchers"
    change_action = "loyalty.issue_vouchers"
    list_display = ("grouped_code", "area", "kind", "value_cents", "percent", "expires_at", "redeemed_at")
    list_filter = ("kind", "area")
    list_select_related = ("area",)
    search_fields = ("=code",)
    readonly_fields = (
        "area",
        "code",
        "member_pass",
        "kind",
        "value_cents",
        "percent",
        "max_discount_cents",
        "merchants",
        "funded_by_merchant",
        "reward",
        "campaign",
        "valid_from",
        "expires_at",
        "issued_at",
        "issued_by",
        "redeemed_at",
    )
    fields = readonly_fields

    @admin.display(description=_("code"), ordering="code")
    def grouped_code(self, obj):
        return group_voucher_code(obj.code)

    def get_search_results(self, request, queryset, search_term):
        # Staff type codes as printed (grouped, any case): search the stored form.
        return super().get_search_results(request, queryset, normalise_voucher_code(search_term))


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


@admin.register(GiftCardChange)
class GiftCardChangeAdmin(ReadOnlyAdmin):
    """Blocks, unblocks and cleared PIN locks, as the desk made them (`services.giftcards.block_gift_card`, …)."""

    view_action = "loyalty.sell_gift_cards"
    change_action = "loyalty.sell_gift_cards"
    list_display = ("occurred_at", "card", "kind", "reason", "by")
    list_filter = ("kind",)
    list_select_related = ("card", "by")
    search_fields = ("=card__number",)
    date_hierarchy = "occurred_at"
    fields = ("card", "kind", "reason", "occurred_at", "by")
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
