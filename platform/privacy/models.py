"""The consent registry, data-subject requests and the audit log.

Consent events, purpose texts and audit entries are evidence: they are append-only. The ORM
refuses to update or delete them (AppendOnlyModel); on PostgreSQL a trigger refuses it too.
"""

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .exceptions import AppendOnlyViolation


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyViolation(f"{self.model.__name__} rows are append-only: they cannot be updated.")

    def delete(self):
        raise AppendOnlyViolation(f"{self.model.__name__} rows are append-only: they cannot be deleted.")

    # bulk_update goes through update(); bulk_create (inserts) stays allowed.


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyViolation(f"{type(self).__name__} rows are append-only: they cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation(f"{type(self).__name__} rows are append-only: they cannot be deleted.")


class LawfulBasis(models.TextChoices):
    CONTRACT = "contract", _("Contract (GDPR art. 6(1)(b))")
    CONSENT = "consent", _("Consent (GDPR art. 6(1)(a))")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest (GDPR art. 6(1)(f))")


class Purpose(models.Model):
    """Why personal data is processed. Codes are stable: other modules gate on them."""

    OPERATE_PASS = "operate_pass"
    ANALYTICS = "analytics"
    MARKETING = "marketing"
    SHARE_WITH_MERCHANTS = "share_with_merchants"

    code = models.SlugField(_("code"), max_length=60, unique=True)
    lawful_basis = models.CharField(_("lawful basis"), max_length=24, choices=LawfulBasis.choices)
    dpv_iri = models.URLField(_("W3C DPV purpose"), help_text=_("For example https://w3id.org/dpv#ServiceProvision"))
    order = models.PositiveSmallIntegerField(pgettext_lazy("sequence", "order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def needs_consent(self) -> bool:
        return self.lawful_basis == LawfulBasis.CONSENT


class PurposeVersion(AppendOnlyModel):
    """The exact text shown for a purpose, in Dutch and English. Never edited: publish a new version."""

    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    title_nl = models.CharField(_("title (Dutch)"), max_length=160)
    title_en = models.CharField(_("title (English)"), max_length=160)
    text_nl = models.TextField(_("text (Dutch)"))
    text_en = models.TextField(_("text (English)"))
    personal_data_nl = models.TextField(_("personal data used (Dutch)"))
    personal_data_en = models.TextField(_("personal data used (English)"))
    retention_nl = models.CharField(_("retention (Dutch)"), max_length=250)
    retention_en = models.CharField(_("retention (English)"), max_length=250)
    content_sha256 = models.CharField(_("content hash"), max_length=64, editable=False)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    requires_reconsent = models.BooleanField(
        _("asks again"), default=False, help_text=_("Consent given to earlier versions no longer counts.")
    )

    class Meta:
        verbose_name = _("purpose text version")
        verbose_name_plural = _("purpose text versions")
        ordering = ["purpose", "-version"]
        constraints = [models.UniqueConstraint(fields=["purpose", "version"], name="one_purpose_version_number")]

    def __str__(self) -> str:
        return f"{self.purpose.code} v{self.version}"

    def compute_hash(self) -> str:
        parts = [
            self.title_nl,
            self.title_en,
            self.text_nl,
            self.text_en,
            self.personal_data_nl,
            self.personal_data_en,
            self.retention_nl,
            self.retention_en,
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def save(self, *args, **kwargs):
        self.content_sha256 = self.compute_hash()
        super().save(*args, **kwargs)

    def localised(self, field: str, language: str | None = None) -> str:
        language = (language or get_language() or "nl")[:2]
        return getattr(self, f"{field}_{'en' if language == 'en' else 'nl'}")

    @property
    def title(self) -> str:
        return self.localised("title")

    @property
    def text(self) -> str:
        return self.localised("text")

    @property
    def personal_data(self) -> str:
        return self.localised("personal_data")

    @property
    def retention(self) -> str:
        return self.localised("retention")


class ConsentState(models.TextChoices):
    # DPV consent statuses (https://w3id.org/dpv#ConsentStatus)
    GIVEN = "given", _("Given")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REFUSED = "refused", _("Refused")


DPV_STATUS = {
    ConsentState.GIVEN: "https://w3id.org/dpv#ConsentGiven",
    ConsentState.WITHDRAWN: "https://w3id.org/dpv#ConsentWithdrawn",
    ConsentState.REFUSED: "https://w3id.org/dpv#ConsentRefused",
}


class CollectionMethod(models.TextChoices):
    SIGNUP = "signup", _("Sign-up form")
    JOIN = "join", _("Joining the pass")
    SETTINGS = "settings", _("Privacy settings page")
    API = "api", _("API (app)")
    IN_STORE = "in_store", _("In store, on the member's own device")
    DEMO = "demo", _("Demo data")


class ConsentEvent(AppendOnlyModel):
    """One decision of a person about one purpose of one area's collective, as it was shown."""

    record_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consent_events")
    area = models.ForeignKey("areas.ShoppingArea", on_delete=models.PROTECT, related_name="consent_events")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="events")
    purpose_version = models.ForeignKey(PurposeVersion, on_delete=models.PROTECT, related_name="events")
    state = models.CharField(_("state"), max_length=10, choices=ConsentState.choices)
    method = models.CharField(_("collection method"), max_length=10, choices=CollectionMethod.choices)
    language = models.CharField(_("language shown"), max_length=8)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # Who pressed the button: the person, or a staff member on the person's request.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Permission scope (see accounts.permissions): the area's collective, and the person.
    scope_area_path = "area"
    scope_merchant_path = None
    scope_owner_path = "subject"

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["subject", "area", "purpose", "occurred_at"], name="consent_event_lookup")]

    def __str__(self) -> str:
        return f"{self.purpose_id} {self.state} {self.occurred_at:%Y-%m-%d %H:%M}"


class CurrentConsent(models.Model):
    """Projection: the latest consent event per person, area and purpose (rebuilt from the events)."""

    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="current_consents")
    area = models.ForeignKey("areas.ShoppingArea", on_delete=models.CASCADE, related_name="+")
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=ConsentState.choices)
    event = models.ForeignKey(ConsentEvent, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    scope_area_path = "area"
    scope_merchant_path = None
    scope_owner_path = "subject"

    class Meta:
        verbose_name = _("current consent")
        verbose_name_plural = _("current consents")
        constraints = [
            models.UniqueConstraint(fields=["subject", "area", "purpose"], name="one_current_consent"),
        ]
        indexes = [models.Index(fields=["area", "purpose", "state"], name="current_consent_gate")]

    def __str__(self) -> str:
        return f"{self.purpose_id} {self.state}"


class RequestKind(models.TextChoices):
    EXPORT = "export", _("Export my data")
    ERASURE = "erasure", _("Erase me")
    RETENTION = "retention", _("Retention (inactive account anonymised)")


class DataSubjectRequest(models.Model):
    """Bookkeeping of a data-subject request: proof that it was handled, and when."""

    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="privacy_requests")
    kind = models.CharField(_("kind"), max_length=10, choices=RequestKind.choices)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    # A request concerns the whole account, in every area.
    scope_area_path = None
    scope_merchant_path = None
    scope_owner_path = "subject"

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.requested_at:%Y-%m-%d}"


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CHANGE = "change", _("Changed")
    EXPORT = "export", _("Exported")
    ERASE = "erase", _("Erased")
    ANONYMISE = "anonymise", _("Anonymised (retention)")


class AuditEntry(AppendOnlyModel):
    """Who looked at or changed whose personal data, when. Never names or e-mails: ids only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey("areas.ShoppingArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    via = models.CharField(_("via"), max_length=20, default="web")
    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    # Area managers read the entries of their area (privacy.view_audit_log); entries without an
    # area (a person's own export or erasure) are for platform admins only.
    scope_area_path = "area"
    scope_merchant_path = None
    scope_owner_path = "subject"

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["subject", "occurred_at"], name="audit_subject_time")]
        constraints = [models.CheckConstraint(condition=~Q(object_type=""), name="audit_object_type_set")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_type} {self.object_id}"
