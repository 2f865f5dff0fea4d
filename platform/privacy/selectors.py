"""Reads about consent: the gate other modules call (`has_consent`), the settings page, receipts; and what an
erasure would cut off (`erasure_check`).

The consent rule, in one place:

- A person counts only while they hold an account: active and not erased. An erased or
  deactivated account has no valid consent and no contract, for any time (its data is gone).
- Contract and legitimate-interest purposes need no consent: they hold for every account.
  (Objection to legitimate interest is not modelled yet; no purpose rests on it today.)
- A consent purpose holds when the person's latest decision for that area is "given", the
  purpose is still offered, and no version with `requires_reconsent` was published after the
  version they agreed to (a changed text that asks again invalidates older consent).
- With `at`, the same rule is applied to the decisions and versions as they stood at `at`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from areas.models import ShoppingArea

from .exceptions import UnknownPurpose
from .models import (
    DPV_STATUS,
    AuditEntry,
    ConsentEvent,
    ConsentState,
    CurrentConsent,
    LawfulBasis,
    Purpose,
    PurposeVersion,
)
from .registry import BLOCKS, LOST, NOTE, OPEN_EFFECTS, OpenItem, consent_note_hooks, open_item_hooks

RECEIPT_SCHEMA_VERSION = "ISO/IEC TS 27560:2023"
#: Namespace for the stable consent-record id of a person in an area (UUIDv5 of pseudonym + area).
RECORD_NAMESPACE = uuid.UUID("6f1c2a9e-4b1d-5c3e-9a7f-2d8e0b4c6a10")
DPV = "https://w3id.org/dpv#"
GDPR = "https://w3id.org/dpv/legal/eu/gdpr#"
LAWFUL_BASIS_IRI = {
    LawfulBasis.CONSENT: f"{GDPR}A6-1-a",
    LawfulBasis.CONTRACT: f"{GDPR}A6-1-b",
    LawfulBasis.LEGITIMATE_INTEREST: f"{GDPR}A6-1-f",
}
#: Where the data is stored (ISO 27560 "storage location"): the platform runs in the EU only.
STORAGE_LOCATION = "EU"
EXPIRED = "expired"  # a "given" decision that a newer, re-consent version no longer honours


def holds_account(person) -> bool:
    return bool(person and person.is_authenticated and person.is_active and person.erased_at is None)


def _purpose_with_floor(purpose_code: str, at: datetime) -> Purpose:
    """The purpose, annotated with the lowest version number whose consent still counts at `at`."""
    purpose = (
        Purpose.objects.filter(code=purpose_code)
        .annotate(
            reconsent_floor=Max(
                "versions__version",
                filter=Q(versions__requires_reconsent=True, versions__published_at__lte=at),
            )
        )
        .first()
    )
    if purpose is None:
        # A typo in a gate must fail loudly, never read as "no consent" (or worse, as "yes").
        raise UnknownPurpose(f"No purpose with code {purpose_code!r}.")
    purpose.reconsent_floor = purpose.reconsent_floor or 0
    return purpose


def has_consent(person, purpose_code: str, *, area: ShoppingArea, at: datetime | None = None) -> bool:
    """May the person's data be used for this purpose in this area (now, or at `at`)? See the module rule.

    Without `at` it reads the CurrentConsent projection; with `at`, the latest event at or before `at`.
    Raises UnknownPurpose for an unknown code.
    """
    purpose = _purpose_with_floor(purpose_code, at or timezone.now())
    if not holds_account(person):
        return False
    if not purpose.needs_consent:
        return True
    if not purpose.is_active:
        return False
    if at is None:
        current = (
            CurrentConsent.objects.filter(subject=person, area=area, purpose=purpose)
            .select_related("event__purpose_version")
            .first()
        )
        event = current.event if current else None
    else:
        event = (
            ConsentEvent.objects.filter(subject=person, area=area, purpose=purpose, occurred_at__lte=at)
            .select_related("purpose_version")
            .order_by("-occurred_at", "-pk")
            .first()
        )
    return bool(
        event and event.state == ConsentState.GIVEN and event.purpose_version.version >= purpose.reconsent_floor
    )


def withdrawn_for_good(event: ConsentEvent, purpose_code: str) -> bool:
    """Whether `event` is a decision against `purpose_code` (withdrawn or refused) that no later "given" of the same
    person, area and purpose overrides: what data kept only for that purpose is forgotten on (a back-dated decision
    older than a later "given" changes nothing)."""
    if event.state == ConsentState.GIVEN or event.purpose.code != purpose_code:
        return False
    return not ConsentEvent.objects.filter(
        subject_id=event.subject_id,
        area_id=event.area_id,
        purpose_id=event.purpose_id,
        state=ConsentState.GIVEN,
        occurred_at__gt=event.occurred_at,
    ).exists()


def consent_exists(purpose_code: str, *, subject_column: str, area_id: int) -> RawSQL:
    """`has_consent` (now) as an SQL expression, for a consent-based purpose: to annotate rows of
    another query (`subject_column`, e.g. `'"loyalty_pass"."member_id"'`, names the person's id in that query)
    instead of asking per row. An unknown code is False.

    Counts as has_consent does: the current decision is "given", for a version at or above the latest one that
    requires re-consent, of an offered purpose. Whether the account is active and not erased is the caller's
    to check on the subject it already has.

    Plain SQL rather than ORM lookups: it rides in the till's pass lock on every scan, where compiling the
    equivalent lookups cost more than PostgreSQL takes to run them. `test_consent_exists_agrees_with_has_consent`
    keeps the two forms of the rule equal.
    """
    tables = (CurrentConsent, Purpose, ConsentEvent, PurposeVersion)
    table = {model: connection.ops.quote_name(model._meta.db_table) for model in tables}
    at_value = ConsentEvent._meta.get_field("occurred_at").get_db_prep_value(timezone.now(), connection)
    sql = f"""EXISTS (
        SELECT 1 FROM {table[CurrentConsent]} cc
        JOIN {table[Purpose]} pp ON pp.id = cc.purpose_id
        JOIN {table[ConsentEvent]} ce ON ce.id = cc.event_id
        JOIN {table[PurposeVersion]} pv ON pv.id = ce.purpose_version_id
        WHERE cc.subject_id = {subject_column} AND cc.area_id = %s AND pp.code = %s AND pp.is_active
          AND cc.state = %s
          AND pv.version >= COALESCE((
              SELECT MAX(fv.version) FROM {table[PurposeVersion]} fv
              WHERE fv.purpose_id = pp.id AND fv.requires_reconsent AND fv.published_at <= %s
          ), 0)
    )"""
    return RawSQL(sql, (area_id, purpose_code, ConsentState.GIVEN.value, at_value), output_field=BooleanField())


def consented_subject_ids(area: ShoppingArea, purpose_code: str, at: datetime | None = None) -> QuerySet:
    """Ids of the people for whom `has_consent` holds in this area: a values queryset, to filter or join on."""
    purpose = _purpose_with_floor(purpose_code, at or timezone.now())
    accounts = get_user_model().objects.filter(is_active=True, erased_at__isnull=True)
    if not purpose.needs_consent:
        return accounts.values_list("pk", flat=True)
    if not purpose.is_active:
        return accounts.none().values_list("pk", flat=True)
    if at is None:
        decisions = CurrentConsent.objects.filter(area=area, purpose=purpose).values("subject_id")
        valid = Q(state=ConsentState.GIVEN, event__purpose_version__version__gte=purpose.reconsent_floor)
        return accounts.filter(pk__in=decisions.filter(valid)).values_list("pk", flat=True)
    events = ConsentEvent.objects.filter(area=area, purpose=purpose, occurred_at__lte=at)
    latest = events.filter(subject=OuterRef("subject")).order_by("-occurred_at", "-pk").values("pk")[:1]
    latest_given = events.filter(
        pk=Subquery(latest),
        state=ConsentState.GIVEN,
        purpose_version__version__gte=purpose.reconsent_floor,
    ).values("subject_id")
    return accounts.filter(pk__in=latest_given).values_list("pk", flat=True)


@dataclass(frozen=True)
class PurposeChoice:
    """One purpose as a person sees it on the settings page."""

    purpose: Purpose
    version: PurposeVersion  # the text shown now
    status: str  # a ConsentState, EXPIRED, "" (no decision yet) or "contract"
    decided_at: datetime | None
    decided_version: PurposeVersion | None

    @property
    def is_given(self) -> bool:
        return self.status == ConsentState.GIVEN

    @property
    def needs_consent(self) -> bool:
        return self.purpose.needs_consent


def _published_versions(at: datetime) -> Prefetch:
    return Prefetch(
        "versions",
        queryset=PurposeVersion.objects.filter(published_at__lte=at).order_by("-version"),
        to_attr="published_versions",
    )


def published_purposes(*, include_inactive: bool = False) -> list[tuple[Purpose, PurposeVersion]]:
    """Purposes offered now with their current text (for the public privacy page)."""
    purposes = Purpose.objects.prefetch_related(_published_versions(timezone.now()))
    if not include_inactive:
        purposes = purposes.filter(is_active=True)
    return [(purpose, purpose.published_versions[0]) for purpose in purposes if purpose.published_versions]


def _status(purpose: Purpose, event: ConsentEvent | None, versions: list[PurposeVersion]) -> str:
    if not purpose.needs_consent:
        return "contract"
    if event is None:
        return ""
    floor = max((v.version for v in versions if v.requires_reconsent), default=0)
    if event.state == ConsentState.GIVEN and event.purpose_version.version < floor:
        return EXPIRED
    return event.state


def consents_for(person, area: ShoppingArea) -> list[PurposeChoice]:
    """Every offered purpose with the person's current decision in this area and the text shown now."""
    now = timezone.now()
    purposes = Purpose.objects.filter(is_active=True).prefetch_related(_published_versions(now))
    current = {
        row.purpose_id: row.event
        for row in CurrentConsent.objects.filter(subject=person, area=area).select_related("event__purpose_version")
    }
    choices = []
    for purpose in purposes:
        if not purpose.published_versions:
            continue
        event = current.get(purpose.pk)
        choices.append(
            PurposeChoice(
                purpose=purpose,
                version=purpose.published_versions[0],
                status=_status(purpose, event, purpose.published_versions),
                decided_at=event.occurred_at if event else None,
                decided_version=event.purpose_version if event else None,
            )
        )
    return choices


def _absolute(area: ShoppingArea, url_name: str, language: str) -> str:
    """A full URL on the area's own site (receipts leave the platform)."""
    from areas.selectors import site_url  # areas' services import ours: not at module level

    with translation.override(language):
        return site_url(area, reverse(url_name))


def consent_receipt(person, area: ShoppingArea, *, language: str | None = None) -> dict:
    """The person's consent record for this area as an ISO/IEC TS 27560 receipt with W3C DPV terms.

    Identifies the person by pseudonym only (never by e-mail or name); JSON-serialisable.
    """
    language = (language or person.preferred_language or "nl")[:2]
    now = timezone.now()
    events = list(
        ConsentEvent.objects.filter(subject=person, area=area)
        .select_related("purpose", "purpose_version")
        .order_by("occurred_at", "pk")
    )
    purpose_ids_with_events = {event.purpose_id for event in events}
    purposes = Purpose.objects.filter(Q(is_active=True) | Q(pk__in=purpose_ids_with_events)).prefetch_related(
        _published_versions(now)
    )
    pseudonym = str(person.pseudonym)
    controller = {
        "party_id": f"area:{area.slug}",
        "party_name": area.collective_name,
        "party_address": area.collective_address,
        "party_contact": area.privacy_email,
        "party_email": area.privacy_email,
        "party_type": f"{DPV}Organisation",
        "party_role": f"{DPV}DataController",
    }
    if area.site_id:
        controller["party_url"] = area.site.root_url
    withdrawal_url = _absolute(area, "privacy:consents", language)

    processing = []
    for purpose in purposes:
        if not purpose.published_versions:
            continue
        version = purpose.published_versions[0]
        own_events = [event for event in events if event.purpose_id == purpose.pk]
        status = _status(purpose, own_events[-1] if own_events else None, purpose.published_versions)
        reconsent_at = [v.published_at for v in purpose.published_versions if v.requires_reconsent]
        processing.append(
            {
                "purpose_id": purpose.code,
                "purpose": version.localised("title", language),
                "purpose_description": version.localised("text", language),
                "purpose_type": purpose.dpv_iri,
                "lawful_basis": LAWFUL_BASIS_IRI[purpose.lawful_basis],
                "notice_version": version.version,
                "notice_hash": version.content_sha256,
                "pii_information": [{"pii_type": version.localised("personal_data", language)}],
                "retention_period": version.localised("retention", language),
                "recipient_third_parties": _recipients(purpose, area, language),
                "consent_status": _status_iri(status),
                "events": _receipt_events(own_events, pseudonym, reconsent_at),
            }
        )

    return {
        "schema_version": RECEIPT_SCHEMA_VERSION,
        "receipt_id": str(uuid.uuid4()),
        "record_id": str(uuid.uuid5(RECORD_NAMESPACE, f"{pseudonym}:{area.pk}")),
        "receipt_time": now.isoformat(),
        "pii_principal_id": pseudonym,
        "language": language,
        "privacy_notice": _absolute(area, "privacy:overview", language),
        "jurisdiction": area.country,
        "applicable_law": f"{GDPR}GDPR",
        "pii_controllers": [controller],
        "storage_locations": [STORAGE_LOCATION],
        "withdrawal_method": {"method": f"{DPV}ConsentManagement", "url": withdrawal_url},
        "collection_methods": sorted({event.method for event in events}),
        "processing": processing,
    }


def _status_iri(status: str) -> str | None:
    if status == "contract":
        return None  # no consent involved: the lawful basis says why
    if status == EXPIRED:
        return f"{DPV}ConsentExpired"
    if not status:
        return f"{DPV}ConsentUnknown"
    return DPV_STATUS[ConsentState(status)]


def _recipients(purpose: Purpose, area: ShoppingArea, language: str) -> list[dict]:
    # Only sharing with merchants discloses anything outside the collective; hosting and e-mail
    # providers are processors under the collective's instructions, not third parties.
    if purpose.code != Purpose.SHARE_WITH_MERCHANTS:
        return []
    with translation.override(language):
        name = gettext("The merchants of %(area)s where you use your pass") % {"area": area.name}
    return [{"party_name": name, "party_type": f"{DPV}DataController"}]


def _receipt_events(events: list[ConsentEvent], pseudonym: str, reconsent_at: list[datetime]) -> list[dict]:
    """Each decision with its validity: from its time until the next decision or a text that asks again."""
    rows = []
    for index, event in enumerate(events):
        ends = [later.occurred_at for later in events[index + 1 : index + 2]]
        if event.state == ConsentState.GIVEN:
            ends += [at for at in reconsent_at if at > event.occurred_at]
        valid_until = min(ends) if ends else None
        by_self = event.recorded_by_id in (None, event.subject_id)
        rows.append(
            {
                "event_id": str(event.record_id),
                "event_time": event.occurred_at.isoformat(),
                "event_type": f"{DPV}ExpressedConsent",
                "event_state": DPV_STATUS[ConsentState(event.state)],
                "entity_id": pseudonym if by_self else "collective-staff",
                "notice_version": event.purpose_version.version,
                "notice_hash": event.purpose_version.content_sha256,
                "collection_method": event.method,
                "language": event.language,
                "validity_duration": "until-withdrawn" if event.state == ConsentState.GIVEN else None,
                "valid_from": event.occurred_at.isoformat(),
                "valid_until": valid_until.isoformat() if valid_until else None,
            }
        )
    return rows


# --- The audit log, as a manager reads it ----------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    """An audit entry with its record and fields named as the admin names them ("stadspas 12", "puntensaldo"), in
    the language of the moment; a note that is no field name (a correction's step) is shown as written."""

    entry: AuditEntry
    record: str
    fields: list[str]


def _field_name(fields: dict, name) -> str:
    """A field by its verbose name; a model's label (an export lists what it covered: "loyalty.pass") by its plural
    name; anything else (a correction's step) as written."""
    if hasattr(fields.get(name), "verbose_name"):
        return str(fields[name].verbose_name)
    if isinstance(name, str) and name.count(".") == 1:
        try:
            return str(apps.get_model(name)._meta.verbose_name_plural)
        except (LookupError, ValueError):
            pass
    return str(name)


def audit_lines(entries) -> list[AuditLine]:
    """`entries` (AuditEntry rows) as `AuditLine`s. No query: the models are Django's registry."""
    lines = []
    for entry in entries:
        try:
            model = apps.get_model(entry.object_type)
        except (LookupError, ValueError):
            model = None
        names = {field.name: field for field in model._meta.get_fields()} if model else {}
        fields = [_field_name(names, name) for name in entry.fields]
        record = f"{model._meta.verbose_name} {entry.object_id}" if model else f"{entry.object_type} {entry.object_id}"
        lines.append(AuditLine(entry=entry, record=record, fields=fields))
    return lines


# --- Erasure: what the person still has open, and what a consent decision did ---------------------------------


@dataclass(frozen=True)
class ErasureCheck:
    """What erasing the person would cut off, from every app's hook (`registry.register_open_items`), grouped by
    what the erasure page does with it."""

    blocking: list[OpenItem]  # settle first: erasure is refused while any is open
    losses: list[OpenItem]  # lost with the account: the person ticks that they accept them
    notes: list[OpenItem]  # told

    @property
    def can_erase(self) -> bool:
        return not self.blocking

    @property
    def losses_digest(self) -> str:
        """What the person accepts when they tick the box: the losses as listed (ids and amounts), "" for none.
        A balance that changed after the page was shown gives another digest, and the person is asked again."""
        if not self.losses:
            return ""
        refs = "\n".join(sorted(item.ref for item in self.losses))
        return hashlib.sha256(refs.encode()).hexdigest()


def erasure_check(person) -> ErasureCheck:
    """Ask each app what the person still has open (one call per registered hook)."""
    items = [item for find in open_item_hooks() for item in find(person)]
    unknown = {item.effect for item in items} - set(OPEN_EFFECTS)
    if unknown:
        raise ValueError(f"Open items with an unknown effect: {sorted(unknown)}")
    return ErasureCheck(
        blocking=[item for item in items if item.effect == BLOCKS],
        losses=[item for item in items if item.effect == LOST],
        notes=[item for item in items if item.effect == NOTE],
    )


def consent_notes(person, area: ShoppingArea, purpose_code: str, state: str) -> list:
    """What the apps say about a decision just recorded (`registry.register_consent_note`): e.g. that withdrawing
    the statistics consent removed the postcode and age group from the pass."""
    notes = (note(person, area, state) for note in consent_note_hooks(purpose_code))
    return [note for note in notes if note]
