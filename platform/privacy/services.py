"""Every state change of the privacy app: purpose texts, consent decisions, export, erasure, retention, audit.

Consent events, purpose versions and audit entries are only ever inserted. Erasure and export walk
the personal-data registry (`privacy.registry`), so they reach every app that registered its data.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Coalesce, Greatest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.permissions import scope_of
from agora.money import format_euros
from areas.models import ShoppingArea, StaffMembership

from .exceptions import (
    ConsentNotApplicable,
    ConsentTextChanged,
    ErasureBlocked,
    LossesNotAccepted,
    PurposeNotOffered,
    UnknownPurpose,
)
from .models import (
    AuditAction,
    AuditEntry,
    CollectionMethod,
    ConsentEvent,
    ConsentState,
    CurrentConsent,
    DataSubjectRequest,
    Purpose,
    PurposeVersion,
    RequestKind,
)
from .registry import PersonalDataSpec, is_money, registered
from .selectors import erasure_check

EXPORT_SCHEMA = "agora.personal-data-export/1"


# --- Purpose texts ------------------------------------------------------------------------------


@transaction.atomic
def publish_purpose_version(
    *,
    purpose_code: str,
    title_nl: str,
    title_en: str,
    text_nl: str,
    text_en: str,
    personal_data_nl: str,
    personal_data_en: str,
    retention_nl: str,
    retention_en: str,
    requires_reconsent: bool = False,
    published_at: dt.datetime | None = None,
) -> PurposeVersion:
    """Publish the next text version of a purpose. Publishing the latest text again returns that version.

    `requires_reconsent` makes earlier consents stop counting (selectors.has_consent). Raises UnknownPurpose.
    """
    # The purpose row lock serialises numbering; the unique (purpose, version) constraint backs it.
    purpose = Purpose.objects.select_for_update().filter(code=purpose_code).first()
    if purpose is None:
        raise UnknownPurpose(f"No purpose with code {purpose_code!r}.")
    candidate = PurposeVersion(
        purpose=purpose,
        title_nl=title_nl,
        title_en=title_en,
        text_nl=text_nl,
        text_en=text_en,
        personal_data_nl=personal_data_nl,
        personal_data_en=personal_data_en,
        retention_nl=retention_nl,
        retention_en=retention_en,
        requires_reconsent=requires_reconsent,
        published_at=published_at or timezone.now(),
    )
    latest = purpose.versions.order_by("-version").first()
    if latest and latest.content_sha256 == candidate.compute_hash():
        return latest  # a retried or double-submitted publication
    candidate.version = latest.version + 1 if latest else 1
    candidate.save()
    return candidate


# --- Consent ------------------------------------------------------------------------------------


@transaction.atomic
def record_consent(
    *,
    subject,
    area: ShoppingArea,
    purpose_code: str,
    state: str,
    method: str,
    language: str,
    recorded_by=None,
    at: dt.datetime | None = None,
    shown_version: int | None = None,
) -> ConsentEvent:
    """Append a decision (given/withdrawn/refused) about the purpose's current text and update the projection.

    Raises UnknownPurpose, ConsentNotApplicable (contract or legitimate-interest purposes), PurposeNotOffered
    (giving consent to a retired purpose), or ConsentTextChanged (consent given to a `shown_version` that
    is no longer current). Withdrawing always works.
    """
    state = ConsentState(state)
    method = CollectionMethod(method)
    purpose = Purpose.objects.filter(code=purpose_code).first()
    if purpose is None:
        raise UnknownPurpose(f"No purpose with code {purpose_code!r}.")
    if not purpose.needs_consent:
        raise ConsentNotApplicable(f"{purpose.code} rests on {purpose.lawful_basis}, not on consent.")
    if state == ConsentState.GIVEN and not purpose.is_active:
        raise PurposeNotOffered(f"{purpose.code} is no longer offered.")
    occurred_at = at or timezone.now()
    # The text the person was shown: the latest version published by then.
    version = purpose.versions.filter(published_at__lte=occurred_at).order_by("-version").first()
    if version is None:
        raise UnknownPurpose(f"{purpose.code} has no published text yet.")
    # Consent counts only for the text the person read (GDPR art. 7(1)): a text published between
    # showing the page and pressing the button must be shown first.
    if state == ConsentState.GIVEN and shown_version is not None and shown_version != version.version:
        raise ConsentTextChanged(f"{purpose.code} is at version {version.version}, not {shown_version}.")
    event = ConsentEvent.objects.create(
        subject=subject,
        area=area,
        purpose=purpose,
        purpose_version=version,
        state=state,
        method=method,
        language=(language or "nl")[:8],
        occurred_at=occurred_at,
        recorded_by=recorded_by,
    )
    _project(event)
    return event


def give_consent(*, subject, area: ShoppingArea, purpose_code: str, method: str, language: str, **extra):
    """Record that the person agrees to the purpose's current text."""
    return record_consent(
        subject=subject,
        area=area,
        purpose_code=purpose_code,
        state=ConsentState.GIVEN,
        method=method,
        language=language,
        **extra,
    )


def withdraw_consent(*, subject, area: ShoppingArea, purpose_code: str, method: str, language: str, **extra):
    """Record that the person withdraws consent (GDPR art. 7(3): as easy as giving it)."""
    return record_consent(
        subject=subject,
        area=area,
        purpose_code=purpose_code,
        state=ConsentState.WITHDRAWN,
        method=method,
        language=language,
        **extra,
    )


def refuse_consent(*, subject, area: ShoppingArea, purpose_code: str, method: str, language: str, **extra):
    """Record an explicit "no" when asked (for example at sign-up)."""
    return record_consent(
        subject=subject,
        area=area,
        purpose_code=purpose_code,
        state=ConsentState.REFUSED,
        method=method,
        language=language,
        **extra,
    )


def _is_later(event: ConsentEvent, current: CurrentConsent) -> bool:
    return (event.occurred_at, event.pk) >= (current.updated_at, current.event_id)


def _project(event: ConsentEvent) -> None:
    """Point the projection at `event` unless a later decision is already there."""
    key = {"subject_id": event.subject_id, "area_id": event.area_id, "purpose_id": event.purpose_id}
    # The row lock serialises concurrent clicks of one person on one purpose; comparing times
    # (not arrival order) keeps the latest decision even when a back-dated event arrives last.
    current = CurrentConsent.objects.select_for_update().filter(**key).first()
    if current is None:
        try:
            with transaction.atomic():  # savepoint: a concurrent first decision may insert first
                CurrentConsent.objects.create(**key, state=event.state, event=event, updated_at=event.occurred_at)
            return
        except IntegrityError:
            current = CurrentConsent.objects.select_for_update().get(**key)
    if _is_later(event, current):
        CurrentConsent.objects.filter(pk=current.pk).update(
            state=event.state, event=event, updated_at=event.occurred_at
        )


@transaction.atomic
def rebuild_current_consents() -> int:
    """Recompute the projection from the events; returns how many rows had to be created, fixed or removed."""
    events = ConsentEvent.objects.order_by("subject_id", "area_id", "purpose_id", "occurred_at", "pk")
    latest: dict[tuple[int, int, int], ConsentEvent] = {}
    for event in events.only("pk", "subject_id", "area_id", "purpose_id", "state", "occurred_at").iterator():
        latest[(event.subject_id, event.area_id, event.purpose_id)] = event
    changed = 0
    existing = {
        (row.subject_id, row.area_id, row.purpose_id): row for row in CurrentConsent.objects.select_for_update()
    }
    for key, row in existing.items():
        if key not in latest:
            row.delete()
            changed += 1
    for key, event in latest.items():
        row = existing.get(key)
        if row is None:
            CurrentConsent.objects.create(
                subject_id=key[0],
                area_id=key[1],
                purpose_id=key[2],
                state=event.state,
                event=event,
                updated_at=event.occurred_at,
            )
            changed += 1
        elif (row.event_id, row.state, row.updated_at) != (event.pk, event.state, event.occurred_at):
            CurrentConsent.objects.filter(pk=row.pk).update(
                state=event.state, event=event, updated_at=event.occurred_at
            )
            changed += 1
    return changed


# --- Audit log ----------------------------------------------------------------------------------


@transaction.atomic
def log_access(
    *,
    actor,
    action: str,
    subject=None,
    obj: models.Model | None = None,
    fields: list[str] | tuple[str, ...] = (),
    via: str = "web",
    area: ShoppingArea | None = None,
) -> AuditEntry:
    """Note who looked at or changed whose personal data. Stores ids and field names only, never values of personal
    data. (`fields` may carry a setting's old and new value where the object holds none, as the pass rules'
    admin does: `loyalty.admin.RuleChangesAudited`.)

    The area is taken from `obj`'s permission scope unless given, so area managers see the entry.
    """
    action = AuditAction(action)
    area_id = area.pk if area else _area_of(obj)
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    elif subject is not None:
        object_type, object_id = subject._meta.label_lower, str(subject.pk)
    else:
        raise ValueError("log_access needs a subject or an object.")
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        subject=subject,
        area_id=area_id,
        object_type=object_type,
        object_id=object_id,
        fields=[str(name) for name in fields],
        via=via,
    )


def _area_of(obj) -> int | None:
    if obj is None:
        return None
    try:
        return scope_of(obj).area_id
    except ImproperlyConfigured:  # a model without a permission scope: the entry is platform-wide
        return None


# --- Export -------------------------------------------------------------------------------------


def _json_value(value: Any, *, subject) -> Any:
    """A JSON-friendly value. Other people appear by nothing but "another person"; files by name."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or None
    if isinstance(value, get_user_model()):
        return str(value.pseudonym) if value.pk == subject.pk else "another person"
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def _readable_value(spec: PersonalDataSpec, row, name: str, *, subject) -> Any:
    """What the export page shows a person: a choice's label, Yes/No, a time in the current time zone, the name of a
    related row. The JSON download keeps the stored values (`_json_value`)."""
    if name in spec.display:
        return spec.display[name](row)
    value = getattr(row, name)
    if value is None or value == "":
        return value
    if is_money(name) and isinstance(value, int):
        return format_euros(value)
    if spec.model._meta.get_field(name).choices:
        return str(getattr(row, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, get_user_model()):
        return str(value.pseudonym) if value.pk == subject.pk else _("another person")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return _json_value(value, subject=subject)


def _export_section(spec: PersonalDataSpec, subject, *, readable: bool) -> dict:
    relations = [
        name
        for name in spec.fields
        if spec.model._meta.get_field(name).is_relation and spec.model._meta.get_field(name).many_to_one
    ]
    rows = spec.rows_of(subject).select_related(*relations, *spec.related)
    if not readable:
        return {
            "label": str(spec.label),
            "fields": {name: spec.field_label(name) for name in spec.fields},
            "rows": [{name: _json_value(getattr(row, name), subject=subject) for name in spec.fields} for row in rows],
        }
    values = [{name: _readable_value(spec, row, name, subject=subject) for name in spec.fields} for row in rows]
    # A field its `display` says applies to none of the rows (a percentage, with fixed-amount vouchers only) is left
    # out of the page; where it applies to some, the others show a dash.
    shown = [name for name in spec.fields if name not in spec.display or any(row[name] is not None for row in values)]
    return {
        "label": str(spec.label),
        "fields": {name: spec.field_label(name, readable=True) for name in shown},
        "rows": [{name: row[name] for name in shown} for row in values],
    }


def _consent_history(subject, *, readable: bool) -> list[dict]:
    events = ConsentEvent.objects.filter(subject=subject).select_related("area", "purpose", "purpose_version")
    return [
        {
            "record_id": str(event.record_id),
            "area": event.area.slug,
            "area_name": event.area.name,
            "purpose": event.purpose.code,
            "lawful_basis": event.purpose.lawful_basis,
            "state": event.state,
            "state_label": str(ConsentState(event.state).label),
            "method": event.method,
            "occurred_at": formats.date_format(timezone.localtime(event.occurred_at), "DATETIME_FORMAT")
            if readable
            else event.occurred_at.isoformat(),
            "recorded_by_you": event.recorded_by_id in (None, event.subject_id),
            "language_shown": event.language,
            "text_version": event.purpose_version.version,
            "text_hash": event.purpose_version.content_sha256,
            # The exact text as shown, in the language shown (GDPR art. 7(1)).
            "title_shown": event.purpose_version.localised("title", event.language),
            "text_shown": event.purpose_version.localised("text", event.language),
            "personal_data_shown": event.purpose_version.localised("personal_data", event.language),
        }
        for event in events.order_by("occurred_at", "pk")
    ]


@transaction.atomic
def export_personal_data(*, subject, requested_by, via: str = "web", readable: bool = False) -> dict:
    """Everything held about the person (every registered spec, and the consent history with texts).

    Records a completed export request and an audit entry. The result is JSON-serialisable: values as stored, or
    with `readable`, as the export page shows them in the active language and time zone (column names always are).
    """
    now = timezone.now()
    # The account first, then the rest: the reverse of erasure order reads best.
    specs = sorted(registered(), key=lambda spec: (-spec.order, spec.key))
    data = {spec.key: _export_section(spec, subject, readable=readable) for spec in specs}
    export = {
        "schema": EXPORT_SCHEMA,
        "generated_at": now.isoformat(),
        "pseudonym": str(subject.pseudonym),
        "data": data,
        "consent_history": _consent_history(subject, readable=readable),
    }
    DataSubjectRequest.objects.create(
        subject=subject,
        kind=RequestKind.EXPORT,
        requested_at=now,
        completed_at=now,
        summary={"rows": {key: len(section["rows"]) for key, section in data.items()}},
    )
    log_access(actor=requested_by, action=AuditAction.EXPORT, subject=subject, fields=sorted(data), via=via)
    return export


# --- Erasure and retention ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    request: str
    audit: str


_KINDS = {
    "erasure": _Kind(RequestKind.ERASURE, AuditAction.ERASE),
    "retention": _Kind(RequestKind.RETENTION, AuditAction.ANONYMISE),
}


@transaction.atomic
def erase_person(*, subject, requested_by, reason: str = "erasure", via: str = "web") -> dict:
    """Delete or anonymise everything registered about the person; keep bookkeeping, unlinked from any name.

    Idempotent: an already-erased person is left alone and gets the summary of the first erasure.
    Records a DataSubjectRequest and an AuditEntry. `reason` is "erasure" or "retention".
    """
    if reason not in _KINDS:
        raise ValueError(f"reason must be one of {sorted(_KINDS)}")
    # The account lock serialises a double-clicked erasure with itself and with the retention job.
    person = get_user_model().objects.select_for_update().get(pk=subject.pk)
    if person.erased_at is not None:
        return _previous_erasure(person)
    summary = _erase(person, requested_by=requested_by, kind=_KINDS[reason], via=via)
    subject.refresh_from_db()
    return summary


@transaction.atomic
def request_erasure(*, subject, requested_by, losses_accepted: str = "", via: str = "web") -> dict:
    """The person's own request to be erased (the erasure page): refused while an app still needs their details to
    finish something (`ErasureBlocked`: an order being prepared, a parcel waiting), or while it would end money,
    vouchers or points they did not accept to lose as listed (`LossesNotAccepted`; `losses_accepted` is the
    `ErasureCheck.losses_digest` of the page they ticked the box on). Then `erase_person`.

    Why these rules (GDPR art. 17, art. 6(1)(b)): details still needed to deliver what the person bought are not yet
    "no longer necessary", so the erasure waits and the person is told how to settle it; a gift-card balance, a
    voucher or points are the person's to give up, so they are told the amounts and decide.
    """
    # The account lock serialises this with a double-clicked erasure and the retention job, as erase_person does.
    person = get_user_model().objects.select_for_update().get(pk=subject.pk)
    if person.erased_at is None:
        check = erasure_check(person)
        if check.blocking:
            raise ErasureBlocked(items=check.blocking)
        if check.losses and losses_accepted != check.losses_digest:
            raise LossesNotAccepted(items=check.losses)
    return erase_person(subject=subject, requested_by=requested_by, via=via)


def _previous_erasure(person) -> dict:
    previous = (
        DataSubjectRequest.objects.filter(subject=person, kind__in=[RequestKind.ERASURE, RequestKind.RETENTION])
        .order_by("-requested_at")
        .first()
    )
    summary = dict(previous.summary) if previous else {}
    summary["already_erased"] = True
    return summary


def _erase(person, *, requested_by, kind: _Kind, via: str) -> dict:
    now = timezone.now()
    handled: dict[str, dict] = {}
    for spec in registered():
        rows = spec.rows_of(person)
        if spec.on_erase == "delete":
            count = _delete_rows(spec, rows)
        elif spec.on_erase == "anonymise":
            count = _anonymise_rows(spec, rows)
        else:
            count = rows.count()
        handled[spec.key] = {"action": spec.on_erase, "rows": count}
    summary = {"reason": kind.request, "erased_at": now.isoformat(), "models": handled}
    DataSubjectRequest.objects.create(
        subject=person, kind=kind.request, requested_at=now, completed_at=now, summary=summary
    )
    log_access(actor=requested_by, action=kind.audit, subject=person, fields=sorted(handled), via=via)
    return summary


def _delete_rows(spec: PersonalDataSpec, rows) -> int:
    file_fields = [f.name for f in spec.model._meta.concrete_fields if isinstance(f, models.FileField)]
    if file_fields:
        files = [(getattr(row, name).storage, getattr(row, name).name) for row in rows for name in file_fields]
        # Files cannot be rolled back: remove them only once the erasure is committed.
        transaction.on_commit(partial(_delete_files, [(storage, name) for storage, name in files if name]))
    _total, per_model = rows.delete()
    return per_model.get(spec.model._meta.label, 0)


def _delete_files(files) -> None:
    for storage, name in files:
        storage.delete(name)


def _anonymise_rows(spec: PersonalDataSpec, rows) -> int:
    count = 0
    for row in rows:
        values = {name: value(row) if callable(value) else value for name, value in spec.anonymise.items()}
        # update(), not save(): no model save() logic or signal may re-derive what we blank out.
        spec.model._base_manager.filter(pk=row.pk).update(**values)
        count += 1
    return count


def _last_activity():
    # Coalesce first: SQLite's MAX(a, b) is NULL when any argument is NULL (PostgreSQL's GREATEST
    # skips NULLs), and date_joined is never NULL.
    return Greatest(
        Coalesce("last_login", "date_joined"),
        Coalesce("last_seen_at", "date_joined"),
        "date_joined",
    )


def _inactive_accounts(cutoff: dt.datetime):
    role_holders = StaffMembership.objects.active().values("user_id")
    return (
        get_user_model()
        .objects.filter(erased_at__isnull=True, is_superuser=False, is_staff=False)
        .exclude(pk__in=role_holders)
        .annotate(last_activity=_last_activity())
        .filter(last_activity__lt=cutoff)
    )


def anonymise_inactive_accounts(*, now: dt.datetime | None = None) -> int:
    """Anonymise accounts idle longer than AGORA_RETENTION_INACTIVE_DAYS; returns how many.

    Never staff (role holders, is_staff, superusers). One transaction per account, so one failure
    does not undo the others and a rerun picks up where it stopped.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.AGORA_RETENTION_INACTIVE_DAYS)
    anonymised = 0
    for user_id in list(_inactive_accounts(cutoff).values_list("pk", flat=True).order_by("pk")):
        with transaction.atomic():
            # Checked again under the lock: the person may have logged in since the list was read.
            person = _inactive_accounts(cutoff).select_for_update(of=("self",)).filter(pk=user_id).first()
            if person is None:
                continue
            _erase(person, requested_by=None, kind=_KINDS["retention"], via="retention")
            anonymised += 1
    return anonymised
