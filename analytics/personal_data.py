"""Registers the analytics app's personal data with the privacy registry.

Analytics stores aggregates only: `KpiValue` rows name no one (a subject count, never a subject). The one link
to a person is `KpiRun.requested_by`, the staff member who asked for a recomputation: exported, and unlinked
on erasure (the run itself is bookkeeping).
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from privacy.registry import register

from .models import ImportRun, KpiRun, SegmentAssignment

register(
    KpiRun,
    label=_("Analytics recomputations you asked for"),
    subject_path="requested_by",
    fields=["area", "requested_at", "status"],
    on_erase="anonymise",
    anonymise={"requested_by": None},
)

# Sensor imports: the person who uploaded or pushed counts; the import itself names no one.

register(
    ImportRun,
    label=_("Sensor data imports you started"),
    subject_path="created_by",
    fields=["area", "created_at", "source", "file_name", "status"],
    on_erase="anonymise",
    anonymise={"created_by": None},
)


# Segment assignments are keyed by the person's pseudonymous subject number (a keyed hash of User.pseudonym), not
# by an id: pseudonymised personal data all the same. Export shows the person their scores and segment; erasure
# deletes them (the next run leaves them out anyway, as their consent ends with the account).


def _segment_name(code: str) -> str:
    from .segments import SEGMENTS

    return str(SEGMENTS.get(code, code))


def _segment_rows_of(person):
    from .extract import subject_of

    return Q(subject=subject_of(person.pseudonym))


register(
    SegmentAssignment,
    label=_("Your customer segment (from your visits, if you allowed analytics)"),
    subject_path=_segment_rows_of,
    fields=["segment", "cluster", "recency", "frequency", "monetary"],
    # The segment by its name, as the campaign pages name it ("New (first visit in the last 90 days)", not rfm_new).
    display={"segment": lambda assignment: _segment_name(assignment.segment)},
    on_erase="delete",
)
