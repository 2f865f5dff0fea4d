"""Platform admin for the consent registry. Evidence is read-only here: texts are published through
the service (never edited), and consent events, requests and audit entries are only looked at."""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import services
from .models import AuditEntry, ConsentEvent, CurrentConsent, DataSubjectRequest, Purpose, PurposeVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PurposeVersionInline(admin.TabularInline):
    model = PurposeVersion
    fields = ["version", "title_en", "published_at", "requires_reconsent", "content_sha256"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):
    list_display = ["code", "lawful_basis", "dpv_iri", "order", "is_active"]
    list_editable = ["order", "is_active"]
    inlines = [PurposeVersionInline]
    # Django 6 assumes https for scheme-less URLs; say so now (and DPV IRIs are https anyway).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None):
        # Other modules gate on the code, and the lawful basis is what people were told.
        return ["code", "lawful_basis"] if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PurposeVersion)
class PurposeVersionAdmin(admin.ModelAdmin):
    list_display = ["purpose", "version", "title_en", "published_at", "requires_reconsent"]
    list_filter = ["purpose", "requires_reconsent"]
    fields = [
        "purpose",
        "title_nl",
        "title_en",
        "text_nl",
        "text_en",
        "personal_data_nl",
        "personal_data_en",
        "retention_nl",
        "retention_en",
        "requires_reconsent",
    ]

    def get_fields(self, request, obj=None):
        return [*self.fields, "version", "published_at", "content_sha256"] if obj else self.fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # published texts are evidence: publish a new version instead

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        published = services.publish_purpose_version(
            purpose_code=obj.purpose.code,
            **{name: form.cleaned_data[name] for name in self.fields if name != "purpose"},
        )
        obj.pk, obj.version, obj.published_at = published.pk, published.version, published.published_at
        obj._state.adding = False


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "subject_pseudonym", "area", "purpose", "state", "method", "version_number"]
    list_filter = ["area", "purpose", "state", "method"]
    list_select_related = ["subject", "area", "purpose", "purpose_version"]
    date_hierarchy = "occurred_at"
    search_fields = ["record_id", "subject__pseudonym"]
    exclude = ["subject", "recorded_by"]
    readonly_fields = ["subject_pseudonym"]

    @admin.display(description=_("person (pseudonym)"))
    def subject_pseudonym(self, event) -> str:
        return str(event.subject.pseudonym)

    @admin.display(description=_("text version"))
    def version_number(self, event) -> int:
        return event.purpose_version.version


@admin.register(CurrentConsent)
class CurrentConsentAdmin(ReadOnlyAdmin):
    list_display = ["subject_id", "area", "purpose", "state", "updated_at"]
    list_filter = ["area", "purpose", "state"]
    exclude = ["subject", "event"]


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "kind", "subject_id", "completed_at"]
    list_filter = ["kind"]
    exclude = ["subject"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "action", "actor_id", "subject_id", "area", "object_type", "object_id", "via"]
    list_filter = ["action", "area", "via"]
    date_hierarchy = "occurred_at"
    exclude = ["actor", "subject"]
