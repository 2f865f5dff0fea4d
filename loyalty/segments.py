"""Segments: groups of members a campaign or a voucher batch may be aimed at.

A segment is a code, a label and a resolver. The resolver narrows a queryset of passes (one area's)
to the segment's members: `resolver(passes, *, area, now) -> QuerySet[Pass]`. Other modules register
their own (analytics' RFM segments) with `register_segment`.

The consent gate lives here, not in the resolvers: `passes_in_segment` and `is_in_segment` only ever
return active passes whose member has *current* consent to the "marketing" purpose, whose text tells
members that offers may be chosen from the merchants they visit. The gate reads the current decision
(not one as of `now`), so a withdrawal counts from the moment it is made, also for a job that runs later
with an earlier `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from privacy.selectors import consented_subject_ids

from .exceptions import UnknownSegment
from .models import Pass, PassStatus, TillKind, TillTransaction

#: The purpose a member must have consented to before any segment includes them.
SEGMENT_PURPOSE = "marketing"

Resolver = Callable[..., QuerySet]


@dataclass(frozen=True)
class Segment:
    code: str
    label: str
    resolver: Resolver


_SEGMENTS: dict[str, Segment] = {}


def register_segment(code: str, label, resolver: Resolver) -> None:
    """Add a segment: `resolver(passes, *, area, now)` narrows `passes` (never widens it) to its members."""
    if not code or len(code) > 40:
        raise ValueError("A segment code has 1 to 40 characters (Campaign.segment).")
    existing = _SEGMENTS.get(code)
    if existing is not None and existing.resolver is not resolver:
        raise ValueError(f"Segment {code!r} is registered already.")
    _SEGMENTS[code] = Segment(code=code, label=label, resolver=resolver)


def segment_choices() -> list[tuple[str, str]]:
    """(code, label) of every registered segment, for forms."""
    return [(segment.code, segment.label) for segment in _SEGMENTS.values()]


def get_segment(code: str) -> Segment:
    try:
        return _SEGMENTS[code]
    except KeyError as error:
        raise UnknownSegment(_("Unknown segment: %(code)s") % {"code": code}) from error


def _gated(passes: QuerySet, area) -> QuerySet:
    """Active passes whose member consents to marketing now: the only ones any segment may include."""
    return passes.filter(status=PassStatus.ACTIVE, member_id__in=consented_subject_ids(area, SEGMENT_PURPOSE))


def passes_in_segment(area, code: str, *, now: datetime) -> QuerySet:
    """The area's active passes in the segment whose member consents to marketing. Raises UnknownSegment."""
    segment = get_segment(code)
    return segment.resolver(_gated(Pass.objects.filter(area=area), area), area=area, now=now)


def is_in_segment(member_pass: Pass, code: str, *, now: datetime) -> bool:
    """Is this pass in the segment (and its member consenting to marketing)? Two queries. Raises UnknownSegment."""
    segment = get_segment(code)
    if not member_pass.is_active:
        return False
    area = member_pass.area
    return segment.resolver(_gated(Pass.objects.filter(pk=member_pass.pk), area), area=area, now=now).exists()


# --- Built-in segments, from till purchases that were not undone ------------------------------------------


def _purchases(area, start: datetime | None, end: datetime) -> QuerySet:
    """Purchases in the area in [start, end) that were not undone (a refund does not undo a visit)."""
    undone = TillTransaction.objects.filter(reverses=OuterRef("pk"), kind=TillKind.UNDO)
    rows = TillTransaction.objects.filter(member_pass__area=area, kind=TillKind.PURCHASE, occurred_at__lt=end).filter(
        ~Exists(undone)
    )
    if start is not None:
        rows = rows.filter(occurred_at__gte=start)
    return rows


def _buyers(area, start: datetime | None, end: datetime) -> QuerySet:
    return _purchases(area, start, end).values("member_pass_id")


def new_members(passes: QuerySet, *, area, now: datetime) -> QuerySet:
    """Joined in the last 90 days."""
    return passes.filter(joined_at__gt=now - timedelta(days=90), joined_at__lte=now)


def regular_members(passes: QuerySet, *, area, now: datetime) -> QuerySet:
    """Purchases on at least 4 different days (in the area's zone) in the last 90 days."""
    days = (
        _purchases(area, now - timedelta(days=90), now)
        .annotate(day=TruncDate("occurred_at", tzinfo=area.tz))
        .values("member_pass_id")
        .annotate(days=Count("day", distinct=True))
        .filter(days__gte=4)
        .values("member_pass_id")
    )
    return passes.filter(pk__in=days)


def at_risk_members(passes: QuerySet, *, area, now: datetime) -> QuerySet:
    """Bought in the 90 to 180 days before now, but not in the last 60."""
    earlier = _buyers(area, now - timedelta(days=180), now - timedelta(days=90))
    recent = _buyers(area, now - timedelta(days=60), now)
    return passes.filter(pk__in=earlier).exclude(pk__in=recent)


def lapsed_members(passes: QuerySet, *, area, now: datetime) -> QuerySet:
    """Nothing in the last 180 days, but at least one purchase before that."""
    before = _buyers(area, None, now - timedelta(days=180))
    recent = _buyers(area, now - timedelta(days=180), now)
    return passes.filter(pk__in=before).exclude(pk__in=recent)


register_segment("new", _("New members (joined in the last 90 days)"), new_members)
register_segment("regular", _("Regulars (4 or more shopping days in the last 90 days)"), regular_members)
register_segment("at_risk", _("At risk (shopped 3 to 6 months ago, not in the last 2 months)"), at_risk_members)
register_segment("lapsed", _("Lapsed (no purchase in the last 6 months)"), lapsed_members)
