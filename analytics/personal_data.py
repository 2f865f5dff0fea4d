"""Registers the analytics app's personal data with the privacy registry.

Analytics stores aggregates only: `KpiValue` rows name no one (a subject count, never a subject). The one link
to a person is `KpiRun.requested_by`, the staff member who asked for a recomputation: exported, and unlinked
on erasure (the run itself is bookkeeping).
"""

from django.utils.translation import gettext_lazy as _

from privacy.registry import register

from .models import KpiRun

register(
    KpiRun,
    label=_("Analytics recomputations you asked for"),
    subject_path="requested_by",
    fields=["area", "requested_at", "status"],
    on_erase="anonymise",
    anonymise={"requested_by": None},
)
