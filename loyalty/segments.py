"""Segments: groups of members a campaign or a voucher batch may be aimed at.

A segment is a code, a label and a resolver. The resolver narrows a queryset of passes (one area's)
to the segment's members: `resolver(passes, *, area, now) -> QuerySet[Pass]`. Other modules register
their own (analytics' RFM segments) with `register_segment`.

Forms offer them by source (`grouped_segment_choices`, `segment_help`): the built-in ones here read the till
purchases at the moment they are asked; another module's are its own (analytics' are computed from visits at its
last run, one group per member). Some sound alike ("new", "lapsed") but are not the same members, so a manager
must see which is which: each source is a group of its own, named, and each segment may say who is in it.

The consent gate lives here, not in the resolvers: `passes_in_segment` and `is_in_segment` only ever
return active passes whose member has *current* consent to the "marketing" purpose, whose text tells
members that offers may be chosen from the merchants they visit, and to every purpose the segment itself rests on
(`Segment.purposes`: analytics' RFM segments are a profile built under the "analytics" consent, so a member who
withdrew that one is in none of them, whatever a stored profile says). The gate reads the current decision
(not one as of `now`), so a withdrawal counts from the moment it is made, also for a job that runs later
with an earlier `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
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
    #: the source it comes from, as forms group it ("" : the registering app's name)
    group: str = ""
    #: who is in it, in a sentence (optional)
    description: str = ""
    #: the consents, besides marketing, a member must give to be in it (the purposes it is computed under)
    purposes: tuple[str, ...] = ()


_SEGMENTS: dict[str, Segment] = {}


def register_segment(
    code: str, label, resolver: Resolver, *, group="", description="", purposes: tuple[str, ...] = ()
) -> None:
    """Add a segment: `resolver(passes, *, area, now)` narrows `passes` (never widens it) to its members. `group`
    names where it comes from (default: the app of the resolver, "Groups from Analytics"); `description` says who
    is in it; `purposes` are the consents it is computed under, which its members must give as well as marketing."""
    if not code or len(code) > 40:
        raise ValueError("A segment code has 1 to 40 characters (Campaign.segment).")
    existing = _SEGMENTS.get(code)
    if existing is not None and existing.resolver is not resolver:
        raise ValueError(f"Segment {code!r} is registered already.")
    _SEGMENTS[code] = Segment(
        code=code, label=label, resolver=resolver, group=group, description=description, purposes=tuple(purposes)
    )


def segment_choices() -> list[tuple[str, str]]:
    """(code, label) of every registered segment, to name a stored one."""
    return [(segment.code, segment.label) for segment in _SEGMENTS.values()]


def _group_of(segment: Segment) -> str:
    if segment.group:
        return str(segment.group)
    app = apps.get_containing_app_config(segment.resolver.__module__)
    return _("Groups from %(source)s") % {"source": app.verbose_name if app else segment.resolver.__module__}


def _by_group() -> dict[str, list[Segment]]:
    groups: dict[str, list[Segment]] = {}
    for segment in _SEGMENTS.values():
        groups.setdefault(_group_of(segment), []).append(segment)
    return groups


def grouped_segment_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The segments as a form's choices, grouped by where they come from (a select's optgroups), so that two that
    sound alike ("New members …" here, "New …" from the analytics) are told apart."""
    return [(group, [(segment.code, segment.label) for segment in segments]) for group, segments in _by_group().items()]


def segment_help() -> list[tuple[str, list[tuple[str, str]]]]:
    """Per group of `grouped_segment_choices`: (label, who is in it) of each segment, for the help under the
    field ("" where its module says nothing more than the label)."""
    return [
        (group, [(segment.label, segment.description) for segment in segments])
        for group, segments in _by_group().items()
    ]


def get_segment(code: str) -> Segment:
    try:
        return _SEGMENTS[code]
    except KeyError as error:
        raise UnknownSegment(_("Unknown segment: %(code)s") % {"code": code}) from error


def _gated(passes: QuerySet, area, segment: Segment) -> QuerySet:
    """Active passes whose member consents now to marketing and to the purposes the segment rests on: the only
    ones the segment may include."""
    passes = passes.filter(status=PassStatus.ACTIVE)
    for purpose in (SEGMENT_PURPOSE, *segment.purposes):
        passes = passes.filter(member_id__in=consented_subject_ids(area, purpose))
    return passes


def passes_in_segment(area, code: str, *, now: datetime) -> QuerySet:
    """The area's active passes in the segment whose member consents to marketing. Raises UnknownSegment."""
    segment = get_segment(code)
    return segment.resolver(_gated(Pass.objects.filter(area=area), area, segment), area=area, now=now)


def is_in_segment(member_pass: Pass, code: str, *, now: datetime) -> bool:
    """Is this pass in the segment (and its member consenting to marketing)? Two queries. Raises UnknownSegment."""
    segment = get_segment(code)
    if not member_pass.is_active:
        return False
    area = member_pass.area
    return segment.resolver(_gated(Pass.objects.filter(pk=member_pass.pk), area, segment), area=area, now=now).exists()


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


#: The built-in ones: till purchases, read when a purchase or a voucher run asks (always up to date).
TILL_PURCHASES = _("From purchases at the tills (up to date at every purchase)")

register_segment(
    "new",
    _("New members (joined in the last 90 days)"),
    new_members,
    group=TILL_PURCHASES,
    description=_("Their pass is at most 90 days old, whether they bought something yet or not."),
)
register_segment(
    "regular",
    _("Regulars (4 or more shopping days in the last 90 days)"),
    regular_members,
    group=TILL_PURCHASES,
    description=_("They bought something on at least 4 different days in the last 90 days."),
)
register_segment(
    "at_risk",
    _("At risk (shopped 3 to 6 months ago, not in the last 2 months)"),
    at_risk_members,
    group=TILL_PURCHASES,
    description=_("They bought something 3 to 6 months ago, and nothing in the last 2 months."),
)
register_segment(
    "lapsed",
    _("Lapsed (no purchase in the last 6 months)"),
    lapsed_members,
    group=TILL_PURCHASES,
    description=_("They bought something once, but nothing in the last 6 months."),
)
