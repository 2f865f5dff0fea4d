"""When a figure is published, and that it then stays as it is (docs/analytics-kpis.md §Publication).

A figure computed from members' visits is published **once**: the first run after the month in which its
period ends stores it, and no later run replaces it. A day and a week come out with the month in which they end,
a month the night after it ends, a quarter or a year with its last month. The month under way is not published.

Why: a run reads only the members who consent when it runs. If a run recomputed a period already published, the
old and the new figure would differ by exactly what the members who withdrew in between did (finding: one
withdrawal, one click on "Recompute", and a downloaded CSV gave away one member's 7 visits and € 213.38). And if
the month under way were published next to its days as they were published earlier, the same difference would
stand in a single download. So published figures are final, and a new figure that adds up published ones (a
quarter of its months, a year of its quarters) adds up the figures **as they were published** (`Publication.derive`):
the quarter's visits equal the sum of its three months' visits on the page, whoever withdrew since. Distinct
people (unique visitors, first-timers, active members) cannot be added up and are counted afresh.

What stays open: a week that spans two months comes out with the second; its days in the first month came out a
month earlier. The week and those days then differ by what members who withdrew in between did on those days
(at most six days), which is exactly recoverable only when every one of those figures is shown. Closing that would
need each merchant's days kept for good, which we do not keep.

Sensor counts (people passing a counter, not members) are no one's data: they are recomputed at every run, for
every period (`SENSOR_KPIS`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from django.db.models import Min
from django.utils import timezone

from . import kpis
from .kpis import MONTH, QUARTER, YEAR

#: KPIs that count people passing a sensor, not members: recomputed for every period at every run.
SENSOR_KPIS = frozenset({"footfall", "store_entrants", "capture_rate"})
#: Parent periods whose additive figures are the sums of their months as published.
DERIVED_KINDS = (QUARTER, YEAR)


def release_date(start, kind: str) -> date:
    """The first day on which a period's figures may be published: the 1st of the month after the month in
    which the period ends (a day or a week comes out with its month; a month, quarter or year the day after it
    ends)."""
    last_day = kpis.period_end(pd.Timestamp(start), kind) - pd.Timedelta(days=1)
    return (last_day.normalize().replace(day=1) + pd.DateOffset(months=1)).date()


def next_release(today: date) -> date:
    """The day the month under way comes out (the 1st of the next month)."""
    return release_date(pd.Timestamp(today).replace(day=1), MONTH)


@dataclass(frozen=True)
class Family:
    """How one kind of cell table is stored: `key_kpi`'s stored rows stand for its cells (which are hidden), and
    `additive(stored)` gives its additive columns from the stored raw values of `kpis` (one column per KPI).
    `parts`: the KPIs resting on a part of a cell's people, per part (hidden together; `kpis.CELL_PARTS`)."""

    kind: str  # the table's `kind` column
    key_kpi: str
    kpis: tuple[str, ...]
    additive: Callable[[pd.DataFrame], dict[str, pd.Series]]
    parts: tuple[tuple[str, ...], ...] = ()


MAIN = Family(
    "cell",
    "visits",
    ("visits", "spend_cents"),
    lambda s: {"visits": s["visits"], "spend_cents": s["spend_cents"]},
    parts=tuple(part.kpis for part in kpis.CELL_PARTS),
)
HOURS = Family("hour", "visits_by_hour", ("visits_by_hour",), lambda s: {"value": s["visits_by_hour"]})
PICKUPS = Family(
    "cell",
    "pickups",
    ("pickups", "pickup_conversion"),
    # The share is stored, not the count: converted = share × pickups (a whole number again).
    lambda s: {"pickups": s["pickups"], "converted": (s["pickup_conversion"] * s["pickups"]).round()},
    parts=(("pickup_conversion",),),
)
ORDERS = Family(
    "cell",
    "online_orders",
    ("online_orders", "online_spend_cents"),
    lambda s: {"orders": s["online_orders"], "spend_cents": s["online_spend_cents"]},
)


def redemptions_family(redemption_kind: str) -> Family:
    count, value = f"{redemption_kind}_redemptions", f"{redemption_kind}_redemption_cents"
    return Family("cell", count, (count, value), lambda s: {"redemptions": s[count], "value_cents": s[value]})


KEYS = ["scope", "scope_id", "breakdown", "period_kind", "period_start"]


@dataclass
class Publication:
    """What one run of an area may publish: periods that are due (`release_date` ≤ `today`) and not published
    yet (`final`: (purpose, period kind, start) with stored figures that were due when computed)."""

    area: object
    today: date
    final: frozenset = frozenset()
    _stored: dict = field(default_factory=dict, repr=False)

    @classmethod
    def for_area(cls, area, today: date) -> Publication:
        """The area's final periods, read once (a few thousand groups, one query)."""
        from .models import KpiValue

        groups = (
            KpiValue.objects.filter(area=area)
            .exclude(kpi__in=SENSOR_KPIS)
            .values("purpose", "period_kind", "period_start")
            .annotate(first=Min("computed_at"))
        )
        final = set()
        for group in groups:
            computed_on = timezone.localtime(group["first"], area.tz).date()
            # Figures stored before this rule existed were recomputed at every run, the month under way too: only
            # those computed when their period was due are final; the others are published afresh once.
            if release_date(group["period_start"], group["period_kind"]) <= computed_on:
                final.add((group["purpose"], group["period_kind"], pd.Timestamp(group["period_start"])))
        return cls(area=area, today=today, final=frozenset(final))

    # --- which periods ------------------------------------------------------------------------------------------

    def is_due(self, kind: str, start) -> bool:
        return release_date(start, kind) <= self.today

    def publishes(self, purpose: str, kind: str, start) -> bool:
        return self.is_due(kind, start) and (purpose, kind, pd.Timestamp(start)) not in self.final

    def weeks_meet_months(self) -> date:
        """The day up to which the due weeks and the due months cover the same days: the latest 1st of a month
        that is a Monday, no later than the 1st of the month under way. The months before the month under way are
        due; the week that holds the last day of the latest of them is not (it ends in the month under way)
        unless that month starts on a Monday, so after that date a scope's due weeks and due months no longer
        add up to the same visits (`services._week_month_relations`)."""
        day = self.today.replace(day=1)
        while day.weekday() != 0:  # every year has a Monday the 1st: at most 11 steps back
            day = (pd.Timestamp(day) - pd.DateOffset(months=1)).date()
        return day

    def mask(self, frame: pd.DataFrame, purpose: str) -> np.ndarray:
        """Which rows of `frame` (columns period_kind, period_start) this run publishes."""
        if frame.empty:
            return np.zeros(0, dtype=bool)
        starts = pd.to_datetime(frame["period_start"])
        pairs = pd.MultiIndex.from_arrays([frame["period_kind"].to_numpy(), starts.to_numpy()])
        decided = {pair: self.publishes(purpose, pair[0], pair[1]) for pair in pairs.unique()}
        return np.fromiter((decided[pair] for pair in pairs), dtype=bool, count=len(frame))

    # --- what is stored ----------------------------------------------------------------------------------------

    def stored(self, purpose: str, kpi_codes: Iterable[str]) -> pd.DataFrame:
        """The final stored rows of these KPIs: KEYS, kpi, value, raw_value, is_suppressed (read once per set)."""
        from .models import KpiValue

        kpi_codes = tuple(sorted(kpi_codes))
        cache_key = (purpose, kpi_codes)
        if cache_key not in self._stored:
            rows = KpiValue.objects.filter(area=self.area, purpose=purpose, kpi__in=kpi_codes).values_list(
                *KEYS, "kpi", "value", "raw_value", "is_suppressed"
            )
            frame = pd.DataFrame(list(rows), columns=[*KEYS, "kpi", "value", "raw_value", "is_suppressed"])
            frame["period_start"] = pd.to_datetime(frame["period_start"])
            if not frame.empty:
                final = np.fromiter(
                    (
                        (purpose, kind, start) in self.final
                        for kind, start in zip(frame["period_kind"], frame["period_start"], strict=True)
                    ),
                    dtype=bool,
                    count=len(frame),
                )
                frame = frame[final].reset_index(drop=True)
            self._stored[cache_key] = frame
        return self._stored[cache_key]

    def _pivot(self, purpose: str, family: Family) -> pd.DataFrame:
        """Per stored cell of the family: its KEYS, `is_suppressed` and one column of raw values per KPI."""
        stored = self.stored(purpose, family.kpis)
        if stored.empty:
            return pd.DataFrame(columns=[*KEYS, "is_suppressed", *family.kpis])
        wide = stored.pivot_table(index=KEYS, columns="kpi", values="raw_value", aggfunc="first").reset_index()
        for code in family.kpis:
            if code not in wide.columns:
                wide[code] = np.nan
        hidden = stored[stored["kpi"] == family.key_kpi].set_index(KEYS)["is_suppressed"]
        wide["is_suppressed"] = hidden.reindex(pd.MultiIndex.from_frame(wide[KEYS])).fillna(True).to_numpy()
        return wide

    # --- the table a run suppresses -----------------------------------------------------------------------------

    def prepare(self, table: pd.DataFrame, *, purpose: str, families: Iterable[Family]) -> pd.DataFrame:
        """The cells of `table` (columns KEYS, kind, n and the families' columns) this run publishes, with the
        quarters and years made the sums of their months as published (`derive`), followed by the stored hidden
        cells of the same families (`is_final` True, n = 0 so they stay hidden): the new cells are suppressed as
        one system with them, so a relation between new and published cells cannot reveal a hidden one.

        Then the stored cells that are shown but have a part hidden (a month's first-time visitors, say):
        `is_final` and `is_shown` True. They are known in the cells' suppression (leave them out of it) and stand
        only in the suppression of the parts, hidden where the part was hidden (n = 0) and known where it was
        shown (`kpis.known_column`), so that a quarter's first-time visitors cannot give a month's hidden ones
        away. A stored cell shown with all its parts is known throughout and is not carried."""
        fresh = table[self.mask(table, purpose)].copy()
        fresh["scope_id"] = fresh["scope_id"].astype(str)
        fresh["is_final"] = False
        hidden_parts = []
        for family in families:
            stored = self._pivot(purpose, family)
            fresh = self.derive(fresh, stored, purpose=purpose, family=family)
            hidden = stored[stored["is_suppressed"].astype(bool)]
            extra = {"kpi": family.key_kpi} if family.kind != MAIN.kind else {}
            if not hidden.empty:
                hidden_parts.append(
                    hidden[KEYS].assign(kind=family.kind, n=0, is_final=True, **extra, **family.additive(hidden))
                )
            shown = self._shown_with_hidden_parts(purpose, family)
            if not shown.empty:
                hidden_parts.append(shown.assign(kind=family.kind, n=0, is_final=True, is_shown=True, **extra))
        return pd.concat([fresh, *hidden_parts], ignore_index=True) if hidden_parts else fresh.reset_index(drop=True)

    def _shown_with_hidden_parts(self, purpose: str, family: Family) -> pd.DataFrame:
        """The family's stored cells that are shown but have a part hidden: KEYS and, per part, its
        `kpis.known_column` (the part was shown too). A part not stored at all was not published: hidden."""
        if not family.parts:
            return pd.DataFrame()
        stored = self.stored(purpose, (family.key_kpi, *(kpi for part in family.parts for kpi in part)))
        if stored.empty:
            return pd.DataFrame()
        hidden = stored.pivot_table(index=KEYS, columns="kpi", values="is_suppressed", aggfunc="max")
        hidden = hidden[hidden[family.key_kpi].eq(False)] if family.key_kpi in hidden.columns else hidden.iloc[:0]
        known = {
            kpis.known_column(part[0]): hidden.reindex(columns=list(part)).eq(False).all(axis=1).to_numpy()
            for part in family.parts
        }
        frame = hidden.reset_index()[KEYS].assign(**known)
        return frame[~np.logical_and.reduce(list(known.values()))].reset_index(drop=True)

    def derive(self, fresh: pd.DataFrame, stored: pd.DataFrame, *, purpose: str, family: Family) -> pd.DataFrame:
        """The family's quarters and years published now get the sums of their months' additive figures: the
        months published now (fresh) and those published before (as stored). A parent with stored months but no
        fresh cell gets one (n = 0: hidden), so that it stands in the relations with its months."""
        columns = list(family.additive(pd.DataFrame(columns=list(family.kpis), dtype=float)))
        own = (fresh["kind"] == family.kind).to_numpy()
        stored_months = stored[stored["period_kind"] == MONTH]
        months = pd.concat(
            [
                fresh.loc[own & (fresh["period_kind"] == MONTH).to_numpy(), [*KEYS, *columns]],
                stored_months[KEYS].assign(**{c: v.to_numpy() for c, v in family.additive(stored_months).items()}),
            ],
            ignore_index=True,
        )
        if months.empty:
            return fresh
        months[columns] = months[columns].astype(float)
        by = ["scope", "scope_id", "breakdown", "parent_start"]
        for parent_kind in DERIVED_KINDS:
            months["parent_start"] = kpis.period_start(pd.to_datetime(months["period_start"]), parent_kind)
            sums = months.groupby(by, sort=False)[columns].sum()
            sums = sums[[self.publishes(purpose, parent_kind, key[3]) for key in sums.index]]
            if sums.empty:
                continue
            is_parent = own & (fresh["period_kind"] == parent_kind).to_numpy()
            parents = fresh[is_parent]
            index = pd.MultiIndex.from_arrays(
                [parents["scope"], parents["scope_id"], parents["breakdown"], pd.to_datetime(parents["period_start"])],
                names=by,
            )
            found = sums.reindex(index)
            for column in columns:
                fresh.loc[is_parent, column] = found[column].fillna(0).to_numpy()
            missing = sums.index.difference(index)
            if len(missing):
                extra = sums.loc[missing].reset_index().rename(columns={"parent_start": "period_start"})
                extra = extra.assign(period_kind=parent_kind, kind=family.kind, n=0, is_final=False)
                if family.kind != MAIN.kind:
                    extra["kpi"] = family.key_kpi
                fresh = pd.concat([fresh, extra], ignore_index=True)
                own = (fresh["kind"] == family.kind).to_numpy()
        return fresh

    # --- comparisons ----------------------------------------------------------------------------------------------

    def comparison_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The final stored rows (purpose, scope, scope_id, kpi, breakdown, period_kind, period_start, value) of
        the periods the new `rows` compare with (the previous period, the same period last year): a new figure's
        comparison is with the figure as published."""
        from .models import KpiValue

        member = rows[~rows["kpi"].isin(SENSOR_KPIS)]
        if member.empty:
            return pd.DataFrame()
        wanted: dict[tuple[str, str], set] = {}
        for purpose, kind, start in (
            member[["purpose", "period_kind", "period_start"]].drop_duplicates().itertuples(index=False)
        ):
            stamp = pd.Timestamp(start)
            for other in (kpis.shift(stamp, kind), kpis.last_year(stamp, kind)):
                if (purpose, kind, pd.Timestamp(other)) in self.final:
                    wanted.setdefault((purpose, kind), set()).add(pd.Timestamp(other).date())
        frames = []
        fields = ["purpose", "scope", "scope_id", "kpi", "breakdown", "period_kind", "period_start", "value"]
        for (purpose, kind), starts in wanted.items():
            found = (
                KpiValue.objects.filter(area=self.area, purpose=purpose, period_kind=kind, period_start__in=starts)
                .exclude(kpi__in=SENSOR_KPIS)
                .values_list(*fields)
            )
            frames.append(pd.DataFrame(list(found), columns=fields))
        frames = [f for f in frames if not f.empty]
        if not frames:
            return pd.DataFrame()
        stored = pd.concat(frames, ignore_index=True)
        stored["period_start"] = pd.to_datetime(stored["period_start"])
        return stored


def is_behind(area, latest_run, today: date) -> bool:
    """No run has finished since the 1st of this month, so the figures due then have not come out (the nightly
    run failed, or none has run yet): the only case in which asking for a run now publishes anything."""
    if latest_run is None or latest_run.finished_at is None:
        return True
    return timezone.localtime(latest_run.finished_at, area.tz).date() < today.replace(day=1)
