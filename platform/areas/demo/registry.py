"""The seed-step registry and the context every step receives.

A module adds demo data by registering a step in its own ``demo.py`` (found like ``admin.py``):

    from areas.demo import DemoContext, WipeScope, demo_step, demo_wipe

    @demo_step(order=100)
    def passes(ctx: DemoContext) -> None:
        rng = ctx.rng("loyalty.passes")            # its own stream: other steps' data stays put
        for batch in ctx.member_batches():         # profiles made by the members step
            ...bulk_create(...)

    @demo_wipe(order=100)
    def wipe_passes(scope: WipeScope) -> None:    # rows that PROTECT areas, merchants or users
        Pass.objects.filter(area_id__in=scope.area_ids).delete()

Steps run in ascending `order` (areas 10, merchants 20, hours 30, staff 40, members 50,
consents 60; loyalty from 100, parcels 200, shop 300, cms 400, analytics 500); wipes in
descending `order`, before the areas' own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

if TYPE_CHECKING:
    from areas.geo import DistanceBand
    from areas.models import ShoppingArea


class DemoSeedError(Exception):
    """The demo cannot be seeded as asked (data already there, purposes missing, production)."""


@dataclass(frozen=True)
class DemoSize:
    name: str
    members: int  # in total, across the areas
    batch_size: int = 5_000
    #: How often members shop compared with the small demos: the `large` town is the benchmarks' load (at least
    #: 3 million visits a year over its two areas, as the analytics figures are specified), so its members are
    #: its city's regulars.
    visit_factor: float = 1.0


SIZES: dict[str, DemoSize] = {
    size.name: size
    for size in (
        DemoSize("tiny", 100),
        DemoSize("small", 400),
        DemoSize("medium", 5_000),
        DemoSize("large", 100_000, visit_factor=2.2),
    )
}


@dataclass(slots=True)
class MemberProfile:
    """What a member's pass will know about them: generated here, persisted by the loyalty module.

    Nothing here is stored yet (the pass model arrives with loyalty); later steps of the same run
    read it from `ctx.members`. `visits_per_month` is the generator's own propensity, never shown.
    """

    user_id: int
    area_slug: str
    country: str  # where they live, which may differ from the area's
    postcode: str  # PC4 (NL) or the Belgian postcode: an area, not an address
    distance_km: float  # from the postcode's centroid to the area's centre
    band: DistanceBand
    age_band: str
    language: str
    joined_at: datetime
    visits_per_month: float


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str  # a Role value, or "member"
    scope: str
    url: str
    has_totp: bool


@dataclass
class DemoContext:
    """Shared state of one seed run. Deterministic: everything follows from seed, size and today."""

    seed: int
    size: DemoSize
    today: date
    log: Callable[[str], None] = print
    areas: dict[str, ShoppingArea] = field(default_factory=dict)  # by slug, in creation order
    merchant_ids: dict[str, list[int]] = field(default_factory=dict)  # by area slug
    members: list[MemberProfile] = field(default_factory=list)
    logins: list[DemoLogin] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # rows made, for the summary
    extra: dict[str, Any] = field(default_factory=dict)  # for steps to hand things to later steps

    def rng(self, stream: str) -> random.Random:
        """A random generator of its own per stream: a new step never shifts another step's data."""
        return random.Random(f"agora-demo/{self.seed}/{stream}")

    def at(self, area: ShoppingArea, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        """An aware time on a day in the area's zone (hours 3–23 never fall in a DST gap)."""
        return datetime.combine(day, time(hour, minute, second), tzinfo=ZoneInfo(area.time_zone))

    def member_batches(self, area_slug: str | None = None) -> Iterator[list[MemberProfile]]:
        members = [m for m in self.members if area_slug in (None, m.area_slug)]
        for start in range(0, len(members), self.size.batch_size):
            yield members[start : start + self.size.batch_size]

    def count(self, what: str, n: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


@dataclass(frozen=True)
class WipeScope:
    """What `--reset` removes: the demo areas (and all that hangs off them) and the demo people."""

    area_ids: list[int]
    users: QuerySet  # the demo accounts (staff logins and generated members)


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    func: Callable[[DemoContext], None]


@dataclass(frozen=True)
class DemoWipe:
    name: str
    order: int
    func: Callable[[WipeScope], None]


_STEPS: dict[str, DemoStep] = {}
_WIPES: dict[str, DemoWipe] = {}


def _name_of(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def demo_step(*, order: int, name: str | None = None) -> Callable:
    """Register a function taking a `DemoContext` as a seed step, run in ascending `order`."""

    def register(func: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
        step = DemoStep(name or _name_of(func), order, func)
        _STEPS[step.name] = step  # a re-import replaces, never duplicates
        return func

    return register


def demo_wipe(*, order: int, name: str | None = None) -> Callable:
    """Register a function taking a `WipeScope`, run by `--reset` in descending `order`."""

    def register(func: Callable[[WipeScope], None]) -> Callable[[WipeScope], None]:
        wipe = DemoWipe(name or _name_of(func), order, func)
        _WIPES[wipe.name] = wipe
        return func

    return register


def registered_steps() -> list[DemoStep]:
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


def registered_wipes() -> list[DemoWipe]:
    return sorted(_WIPES.values(), key=lambda w: (-w.order, w.name))
