"""Registers this app's personal data with the privacy registry.

Everything here is kept on erasure: it is the proof the collective must be able to show
(GDPR art. 7(1) for consent, art. 5(2) for handled requests and access), and it holds no name or
e-mail address — only ids, codes and times, linked to the anonymised account.
"""

from django.utils.translation import get_language_info, ngettext
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, ConsentEvent, CurrentConsent, DataSubjectRequest
from .registry import register

register(
    ConsentEvent,
    label=_("Your consent decisions"),
    subject_path="subject",
    fields=["record_id", "area", "purpose", "purpose_version", "state", "method", "language", "occurred_at"],
    on_erase="keep",
    labels={"record_id": _("record number"), "purpose_version": _("text version")},
    # The purpose by the title the person read (in the language the page is in), not by its code.
    display={
        "purpose": lambda event: event.purpose_version.title,
        "purpose_version": lambda event: event.purpose_version.version,
        "language": lambda event: get_language_info(event.language)["name_translated"],
    },
)
register(
    CurrentConsent,
    label=_("Your current consent choices"),
    subject_path="subject",
    fields=["area", "purpose", "state", "updated_at"],
    on_erase="keep",
    labels={"state": _("state"), "updated_at": _("updated at")},
    display={"purpose": lambda current: current.event.purpose_version.title},
)
register(
    DataSubjectRequest,
    label=_("Your privacy requests"),
    subject_path="subject",
    fields=["kind", "requested_at", "completed_at", "summary"],
    on_erase="keep",
    # What an export or erasure covered, in words ("12 kinds of data, 110 rows"), not the stored counts per table.
    display={"summary": lambda request: _request_summary(request.summary)},
)
register(
    AuditEntry,
    label=_("Who looked at or changed your data"),
    subject_path="subject",
    fields=["action", "area", "object_type", "object_id", "fields", "via", "occurred_at"],
    on_erase="keep",
    # The record and its fields as the audit log names them ("city pass", "points balance"), not the database's.
    display={
        "object_type": lambda entry: _audit_line(entry).record.rsplit(" ", 1)[0],
        "fields": lambda entry: ", ".join(_audit_line(entry).fields),
    },
)


def _audit_line(entry):
    from .selectors import audit_lines

    return audit_lines([entry])[0]


def _request_summary(summary) -> str:
    rows = (summary or {}).get("rows") if isinstance(summary, dict) else None
    if not isinstance(rows, dict):
        return ""
    kinds = sum(1 for count in rows.values() if count)
    total = sum(count for count in rows.values() if isinstance(count, int))
    return (
        ngettext("%(kinds)s kind of data", "%(kinds)s kinds of data", kinds) % {"kinds": kinds}
        + ", "
        + ngettext("%(rows)s row", "%(rows)s rows", total) % {"rows": total}
    )
