"""Writes of the analytics app: recomputing an area's stored figures (the only thing pages read).

`recompute(area=…)` reads the consented, pseudonymous frames (`extract`), computes every KPI cell (`kpis`),
suppresses small groups with one relation system per purpose (`suppression`), and stores, in one transaction,
the figures of the periods that are due and not published yet (`publication`: a period comes out once, after its
month, and stays as it is; a quarter and a year add up their months as stored), replacing only the sensor counts
and whatever is not final: a reader sees the whole previous run or the whole new one. Consent is read when the run
starts, so a member who withdrew is in no figure computed afterwards, and published figures do not change.
"""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from agora.exceptions import ApplicationError

from . import extract, kpis, origin, selectors, selectors_sensors
from .kpis import DAY, MONTH, QUARTER, WEEK, YEAR
from .models import KpiRun, KpiValue, RunStatus, Scope
from .publication import HOURS, MAIN, ORDERS, PICKUPS, SENSOR_KPIS, Family, Publication, redemptions_family
from .quality import codes_of
from .suppression import SECONDARY, Relation, area_k, suppress, suppress_part

#: The version written into each figure's provenance when git cannot tell (an installed copy).
CODE_VERSION = "analytics-1"
#: How far back a run reads: this many whole calendar years before the current one (for "last year").
YEARS_BACK = 2
#: Period kinds per scope. Days only for the whole area: a merchant's day rests on too few people to publish.
AREA_KINDS = (DAY, WEEK, MONTH, QUARTER, YEAR)
DETAIL_KINDS = (WEEK, MONTH, QUARTER, YEAR)
BREAKDOWN_KINDS = (MONTH, QUARTER, YEAR)
#: Time relations: a parent period is the sum of its children (weeks and months of days, quarters of months…).
TIME_CHILDREN = {WEEK: DAY, MONTH: DAY, QUARTER: MONTH, YEAR: QUARTER}
BATCH = 5_000


class AnalyticsError(ApplicationError):
    """A recomputation cannot run as asked."""


@functools.cache
def code_version() -> str:
    """`git describe` of the code that computes, or CODE_VERSION outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return out.stdout.strip()[:80] or CODE_VERSION
    except (OSError, subprocess.SubprocessError):
        return CODE_VERSION


def request_recompute(*, area, by=None, trigger: str = "on_demand") -> KpiRun:
    """Queue a recomputation of the area's figures (after commit). One queued or running run per area at a
    time: asking again while one is pending returns that run."""
    from .tasks import recompute_area_task

    with transaction.atomic():
        pending = (
            KpiRun.objects.select_for_update()
            .filter(area=area, status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
            .first()
        )
        if pending:
            return pending
        run = KpiRun.objects.create(area=area, requested_by=by, trigger=trigger)
        transaction.on_commit(lambda: recompute_area_task.delay(run_id=run.pk))
    return run


@transaction.atomic
def reopen_periods(*, area, since) -> int:
    """Delete the area's published figures (not the sensor counts) of every period that ends after `since`, so
    that the next run computes them again from the members who consent then. For a platform admin correcting an
    error (`manage.py analytics_publish --reopen-from`): whoever kept the earlier figures can compare them with
    the new ones. Returns how many figures were deleted."""
    stored = (
        KpiValue.objects.filter(area=area)
        .exclude(kpi__in=SENSOR_KPIS)
        .values_list("period_kind", "period_start")
        .distinct()
    )
    reopened: dict[str, list] = {}
    for kind, start in stored:
        if kpis.period_end(pd.Timestamp(start), kind).date() > since:
            reopened.setdefault(kind, []).append(start)
    deleted = 0
    for kind, starts in reopened.items():
        rows = KpiValue.objects.filter(area=area, period_kind=kind, period_start__in=starts)
        deleted += rows.exclude(kpi__in=SENSOR_KPIS).delete()[0]
    return deleted


# --- The computation ------------------------------------------------------------------------------------------


def _window(area, today) -> tuple[datetime, datetime]:
    start = datetime.combine(today.replace(year=today.year - YEARS_BACK, month=1, day=1), time(), tzinfo=area.tz)
    end = datetime.combine(today, time(), tzinfo=area.tz)  # whole days only
    return start, end


def _cells_for(visits: pd.DataFrame, scope: str, kinds) -> pd.DataFrame:
    frames = []
    for kind in kinds:
        cells = kpis.visit_cells(visits, scope=scope, kind=kind)
        cells.insert(0, "period_kind", kind)
        cells.insert(0, "scope", scope)
        frames.append(cells)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _breakdown_cells(visits: pd.DataFrame, builder, kpi: str) -> pd.DataFrame:
    frames = []
    for kind in BREAKDOWN_KINDS:
        cells = builder(visits, scope="area", kind=kind)
        cells.insert(0, "period_kind", kind)
        cells.insert(0, "scope", Scope.AREA.value)
        cells["kpi"] = kpi
        frames.append(cells)
    return pd.concat(frames, ignore_index=True)


def _groups(frame: pd.DataFrame, keys: list[str]) -> dict:
    """{key tuple: array of positions} for the rows of `frame` (positions in the whole table: column `pos`)."""
    if frame.empty:
        return {}
    return {
        (key if isinstance(key, tuple) else (key,)): frame["pos"].to_numpy()[index]
        for key, index in frame.groupby(keys, sort=False).indices.items()
    }


def relations_for(table: pd.DataFrame, sector_of: dict[str, str], window: tuple | None = None) -> list[Relation]:
    """The linear relations between the cells a run publishes (see docs/analytics-kpis.md §Suppression):
    area = Σ sectors = Σ merchants, sector = Σ its merchants (same period); week, month = Σ days, quarter = Σ
    months, year = Σ quarters (same scope); where a scope has weeks and months but no days, the weeks and the
    months between two dates that start both (a Monday the 1st, the window's ends) have the same sum; a
    period's visits = Σ its weekday × hour cells, and a weekday's hour cells = Σ that weekday's days; its
    unique visitors = Σ its age groups. `table` has columns pos, kind ('cell', 'hour', 'age'), scope,
    scope_id, period_kind, period_start, breakdown; `window` is the [start, end) dates the cells cover."""
    relations: list[Relation] = []
    main = table[table["kind"] == "cell"]
    by_cell = {
        (row.scope, row.scope_id, row.period_kind, row.period_start): row.pos
        for row in main[["scope", "scope_id", "period_kind", "period_start", "pos"]].itertuples(index=False)
    }
    # Scope: area = Σ sectors, area = Σ merchants, sector = Σ its merchants.
    sectors = _groups(main[main["scope"] == Scope.SECTOR], ["period_kind", "period_start"])
    merchants = main[main["scope"] == Scope.MERCHANT].copy()
    merchants_by_period = _groups(merchants, ["period_kind", "period_start"])
    merchants["sector"] = merchants["scope_id"].map(sector_of)
    merchants_by_sector = _groups(merchants, ["period_kind", "period_start", "sector"])
    for (period_kind, start), children in sectors.items():
        parent = by_cell.get((Scope.AREA, "area", period_kind, start))
        if parent is not None:
            relations.append(Relation.parent(parent, children))
    for (period_kind, start), children in merchants_by_period.items():
        parent = by_cell.get((Scope.AREA, "area", period_kind, start))
        if parent is not None:
            relations.append(Relation.parent(parent, children))
    for (period_kind, start, sector), children in merchants_by_sector.items():
        parent = by_cell.get((Scope.SECTOR, sector, period_kind, start))
        if parent is not None:
            relations.append(Relation.parent(parent, children))
    # Time: parent period = Σ child periods, per scope (and per weekday × hour for the hour cells).
    for frame in (main, table[table["kind"] == "hour"]):
        keyed = {
            (row.scope, row.scope_id, row.period_kind, row.period_start, row.breakdown): row.pos
            for row in frame[["scope", "scope_id", "period_kind", "period_start", "breakdown", "pos"]].itertuples(
                index=False
            )
        }
        for parent_kind, child_kind in TIME_CHILDREN.items():
            children = frame[frame["period_kind"] == child_kind]
            if children.empty:
                continue
            children = children.assign(
                parent_start=kpis.period_start(pd.to_datetime(children["period_start"]), parent_kind).to_numpy()
            )
            for (scope, scope_id, parent_start, breakdown), positions in _groups(
                children, ["scope", "scope_id", "parent_start", "breakdown"]
            ).items():
                parent = keyed.get((scope, scope_id, parent_kind, pd.Timestamp(parent_start), breakdown))
                if parent is not None:
                    relations.append(Relation.parent(parent, positions))
    if window is not None:
        relations += _week_month_relations(main, window)
        relations += _hour_day_relations(table, by_cell)
    # Breakdowns: a period's cells add up to the period's own (main) cell.
    for kind_name in sorted(set(table["kind"]) - {"cell"}):
        frame = table[table["kind"] == kind_name]
        for (scope, scope_id, period_kind, start), positions in _groups(
            frame, ["scope", "scope_id", "period_kind", "period_start"]
        ).items():
            parent = by_cell.get((scope, scope_id, period_kind, start))
            if parent is not None:
                relations.append(Relation.parent(parent, positions))
    return relations


def _week_month_relations(main: pd.DataFrame, window: tuple) -> list[Relation]:
    """Weeks and months of a scope without day cells partition the same days: between two dates that start
    both a week and a month (and the window's ends) their sums are equal. `window` [start, end): the days that
    the weeks and the months both cover, whole or both cut at `end`; periods starting at `end` or later are left
    out (with a publication, the weeks stop earlier than the months: `Publication.weeks_meet_months`)."""
    start, end = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    if end <= start:
        return []
    months = pd.date_range(start.replace(day=1), end, freq="MS")
    boundaries = sorted({start, end, *(m for m in months if start < m < end and m.weekday() == 0)})
    detail = main[
        (main["scope"] != Scope.AREA)
        & main["period_kind"].isin([WEEK, MONTH])
        & (pd.to_datetime(main["period_start"]) < end)
    ]
    if detail.empty:
        return []
    # Per (scope, scope_id) in order of appearance, per segment in date order: its weeks, then its months
    # (each in table order).
    group = detail.groupby(["scope", "scope_id"], sort=False).ngroup().to_numpy()
    clipped = detail["period_start"].where(detail["period_start"] > start, start)
    segment = np.searchsorted(np.array(boundaries, dtype="datetime64[ns]"), clipped.to_numpy(), side="right")
    is_month = (detail["period_kind"] == MONTH).to_numpy()
    order = np.lexsort((np.arange(len(detail)), is_month, segment, group))
    positions, is_month = detail["pos"].to_numpy()[order], is_month[order]
    key = group[order] * (len(boundaries) + 1) + segment[order]
    runs = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    relations = []
    for first, last in zip(runs, np.r_[runs[1:], len(key)], strict=True):
        weeks = positions[first:last][~is_month[first:last]]
        months_ = positions[first:last][is_month[first:last]]
        if len(weeks) and len(months_):
            relations.append(Relation((*weeks, *months_), (*(1.0,) * len(weeks), *(-1.0,) * len(months_))))
    return relations


def _hour_day_relations(table: pd.DataFrame, by_cell: dict) -> list[Relation]:
    """A weekday's hour cells in a period add up to the area's days of that weekday in the period."""
    hours = table[table["kind"] == "hour"]
    days = table[(table["kind"] == "cell") & (table["scope"] == Scope.AREA) & (table["period_kind"] == DAY)]
    if hours.empty or days.empty:
        return []
    day_starts = pd.to_datetime(days["period_start"])
    day_positions: dict[tuple, list[int]] = {}
    for kind in BREAKDOWN_KINDS:
        parents = kpis.period_start(day_starts, kind).to_numpy()
        for pos, parent, weekday in zip(days["pos"], parents, day_starts.dt.day_of_week, strict=True):
            day_positions.setdefault((kind, pd.Timestamp(parent), str(weekday)), []).append(int(pos))
    relations = []
    keyed = hours.assign(weekday=hours["breakdown"].str[1])
    for (period_kind, start, weekday), index in keyed.groupby(
        ["period_kind", "period_start", "weekday"], sort=False
    ).indices.items():
        hour_pos = hours["pos"].to_numpy()[index]
        day_pos = day_positions.get((period_kind, pd.Timestamp(start), weekday), [])
        relations.append(Relation((*hour_pos, *day_pos), (*(1.0,) * len(hour_pos), *(-1.0,) * len(day_pos))))
    return relations


def _main_table(visits: pd.DataFrame, *, with_area_detail: bool) -> pd.DataFrame:
    if with_area_detail:
        parts = [
            _cells_for(visits, Scope.AREA, AREA_KINDS),
            _cells_for(visits, Scope.SECTOR, DETAIL_KINDS),
            _cells_for(visits, Scope.MERCHANT, DETAIL_KINDS),
        ]
    else:
        parts = [_cells_for(visits, Scope.MERCHANT, DETAIL_KINDS)]
    table = (
        pd.concat([p for p in parts if not p.empty], ignore_index=True)
        if any(not p.empty for p in parts)
        else pd.DataFrame(columns=["scope", "period_kind", "scope_id", "period_start", "visits", "n"])
    )
    table["kind"] = "cell"
    table["breakdown"] = ""
    return table


#: Breakdowns of a period's unique visitors by a profile column: (table kind, column, breakdown prefix, KPI).
PROFILE_BREAKDOWNS = (
    ("age", "age_band", "", "visitors_by_age"),
    ("band", "band", "", "visitors_by_band"),
    ("mun", "municipality", "", "visitors_by_municipality"),
    ("catchment", "catchment", "", "visitors_by_catchment"),
)


def _suppressed_table(
    visits: pd.DataFrame,
    *,
    k: int,
    sector_of: dict,
    with_area_detail: bool,
    window=None,
    publication: Publication | None = None,
    purpose: str = extract.ANALYTICS,
):
    """All cells of one purpose (main cells, and for `analytics` the weekday × hour breakdown of visits and the
    profile breakdowns of unique visitors) with their raw and suppressed values, suppressed as one system. With a
    `publication`, only the cells it publishes, suppressed together with the published hidden cells they relate
    to (`analytics.publication`)."""
    table = _main_table(visits, with_area_detail=with_area_detail)
    if with_area_detail and not visits.empty:
        parts = [table, _breakdown_cells(visits, kpis.hour_cells, "visits_by_hour").assign(kind="hour")]
        for kind_name, column, prefix, kpi in PROFILE_BREAKDOWNS:
            if column not in visits.columns:
                continue

            # An open list (municipalities) names a place only with K people in it; the rest are counted together.
            other_below = k if kpi == "visitors_by_municipality" else None

            def builder(frame, *, scope, kind, column=column, prefix=prefix, other_below=other_below):
                return kpis.profile_cells(
                    frame, scope=scope, kind=kind, column=column, prefix=prefix, other_below=other_below
                )

            parts.append(_breakdown_cells(visits, builder, kpi).assign(kind=kind_name))
        table = pd.concat(parts, ignore_index=True)
    if table.empty:
        return table, table
    table["period_start"] = pd.to_datetime(table["period_start"])
    if publication is not None:
        families = (MAIN, HOURS) if with_area_detail else (MAIN,)
        table = publication.prepare(table, purpose=purpose, families=families)
        if table.empty:
            return table, table
        if window is not None:
            # The due months run to the month under way, the due weeks only to the last one ending before it: past
            # the last Monday the 1st, "these weeks = these months" is false (it would pin the days between down).
            window = (window[0], min(window[1], publication.weeks_meet_months()))
    table, shown = _without_shown(table)
    if table.empty:
        return table, table
    table["pos"] = np.arange(len(table))
    if "spend_cents_top" not in table.columns:
        table["spend_cents_top"] = np.nan
    relations = _new_relations(table, relations_for(table, sector_of, window))
    table["order"] = _order(table)
    published = suppress(table, k=k, count_col="n", value_cols=["spend_cents"], relations=relations, order_col="order")
    # The parts (first-time visitors, …) with the published ones they relate to, hidden or known as published.
    table, published = _with_shown(table, published, shown)
    published = kpis.suppress_parts(
        table, published, k=k, relations_of=lambda rows: _new_relations(table, relations_for(rows, {}, window))
    )
    table, published = _without_final(table, published)
    numeric = [
        c
        for c in ("visits", "first_time_visitors", "repeat_visitors", "combination_days", "member_days", "value")
        if c in published.columns
    ]
    for column in numeric:
        published[column] = published[column].astype(float)
        published.loc[published["is_suppressed"], column] = np.nan
    return table, published


def _new_relations(table: pd.DataFrame, relations: list[Relation]) -> list[Relation]:
    """The relations holding a cell published now: among cells published before, nothing is left to protect."""
    if "is_final" not in table.columns or not table["is_final"].any():
        return relations
    final = table["is_final"].to_numpy(dtype=bool)
    return [r for r in relations if not final[list(r.cells)].all()]


def _without_shown(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A prepared table without, and the rows of, the stored cells that were shown but have a part hidden
    (`Publication.prepare`): known in the cells' suppression, they stand only in the parts' (`_with_shown`)."""
    if "is_shown" not in table.columns:
        return table, table.iloc[:0]
    shown = table["is_shown"].eq(True).to_numpy()
    return (
        table[~shown].drop(columns="is_shown").reset_index(drop=True),
        table[shown].drop(columns="is_shown").reset_index(drop=True),
    )


def _with_shown(table: pd.DataFrame, published: pd.DataFrame, shown: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The suppressed table with the stored shown cells whose part is hidden appended (as shown, after the
    others: positions `pos` go on), for the suppression of the parts. `_without_final` drops them again."""
    if shown.empty:
        return table, published
    shown = shown.assign(pos=np.arange(len(table), len(table) + len(shown)), order=_order(shown))
    return (
        pd.concat([table, shown], ignore_index=True),
        pd.concat([published, shown.assign(suppressed_reason="", is_suppressed=False)], ignore_index=True),
    )


def _new_only(table: pd.DataFrame) -> np.ndarray:
    """Which rows of a prepared table are published now (not the published hidden cells it carries)."""
    if "is_final" not in table.columns:
        return np.ones(len(table), dtype=bool)
    return ~table["is_final"].to_numpy(dtype=bool)


def _without_final(table: pd.DataFrame, published: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table and its suppressed copy without the cells published before (they are stored already)."""
    keep = _new_only(table)
    if keep.all():
        return table, published
    return table[keep].reset_index(drop=True), published[keep].reset_index(drop=True)


KIND_RANK = {DAY: 0, WEEK: 1, MONTH: 2, QUARTER: 3, YEAR: 4}
SCOPE_RANK = {Scope.MERCHANT: 0, Scope.SECTOR: 1, Scope.AREA: 2}


def _order(table: pd.DataFrame) -> np.ndarray:
    """Which visible cell secondary suppression hides first: the one resting on fewest people; between equals,
    the finer one (a day before its month, a merchant before its sector, a breakdown before its total)."""
    coarse = table["period_kind"].map(KIND_RANK).fillna(0) + table["scope"].map(SCOPE_RANK).fillna(0)
    coarse = coarse + (table["kind"] == "cell") * 0.5
    return table["n"].fillna(0).to_numpy(dtype=float) + coarse.to_numpy(dtype=float) / 10


def _provenance(
    kpi: str, *, purpose: str, kind: str, start: pd.Timestamp, k: int, reason: str, quality: str = ""
) -> dict:
    end = kpis.period_end(start, kind)
    extra = {"quality": quality.split(",")} if quality else {}
    return {
        **extra,
        "source": kpis.CATALOGUE[kpi].source,
        "purpose": purpose,
        "method": f"analytics.kpis {kpi} v{kpis.METHOD_VERSION}",
        "window": f"{start:%Y-%m-%d}/{end:%Y-%m-%d}",
        "suppression": {"k": k, "applied": reason or None},
        "code_version": code_version(),
    }


def _value_rows(raw: pd.DataFrame, published: pd.DataFrame, *, purpose: str) -> pd.DataFrame:
    """Long rows (scope, scope_id, kpi, breakdown, period_kind, period_start, value, raw_value, n, reason)."""
    frames = []
    main = published["kind"] == "cell"
    if main.any():
        raw_main, pub_main = raw[main.to_numpy()], published[main]
        raw_kpis, pub_kpis = kpis.derive(raw_main), kpis.derive(pub_main)
        base = pub_main[["scope", "scope_id", "period_kind", "period_start", "suppressed_reason"]]
        for code in kpis.CELL_KPIS:
            reasons = pub_main.get(kpis.reason_column(code), pub_main["suppressed_reason"])
            frames.append(
                base.assign(
                    suppressed_reason=reasons.to_numpy(),
                    kpi=code,
                    breakdown="",
                    value=pub_kpis[code].to_numpy(),
                    raw_value=raw_kpis[code].to_numpy(),
                    n=raw_main["n"].to_numpy(),
                )
            )
    for kind_name in sorted(set(published["kind"]) - {"cell"}):
        mask = (published["kind"] == kind_name).to_numpy()
        if mask.any():
            pub = published[mask]
            frames.append(
                pub[
                    ["scope", "scope_id", "period_kind", "period_start", "suppressed_reason", "kpi", "breakdown"]
                ].assign(
                    value=pub["value"].to_numpy(), raw_value=raw[mask]["value"].to_numpy(), n=raw[mask]["n"].to_numpy()
                )
            )
    if not frames:
        return pd.DataFrame()
    rows = pd.concat(frames, ignore_index=True)
    rows["purpose"] = purpose
    return rows


def _simple_rows(frame: pd.DataFrame, *, kpi: str, kind: str, k: int, purpose: str, scope: str) -> pd.DataFrame:
    """Rows of a KPI with primary suppression only (no published relations: rolling windows)."""
    if frame.empty:
        return pd.DataFrame()
    published = suppress(frame.assign(value=frame["value"].astype(float)), k=k, count_col="n")
    published.loc[published["is_suppressed"], "value"] = np.nan
    return pd.DataFrame(
        {
            "scope": scope,
            "scope_id": frame["scope_id"].to_numpy(),
            "period_kind": kind,
            "period_start": pd.to_datetime(frame["period_start"]).to_numpy(),
            "suppressed_reason": published["suppressed_reason"].to_numpy(),
            "kpi": kpi,
            "breakdown": "",
            "value": published["value"].to_numpy(),
            "raw_value": frame["value"].astype(float).to_numpy(),
            "n": frame["n"].to_numpy(),
            "purpose": purpose,
        }
    )


def _pickup_rows(
    pickups: pd.DataFrame, visits: pd.DataFrame, *, k: int, window: tuple, publication: Publication | None = None
) -> pd.DataFrame:
    frames = []
    cells = []
    for kind in AREA_KINDS:
        part = kpis.pickup_cells(pickups, visits, kind=kind)
        part.insert(0, "period_kind", kind)
        cells.append(part)
    table = pd.concat(cells, ignore_index=True)
    if table.empty:
        return pd.DataFrame()
    table["period_start"] = pd.to_datetime(table["period_start"])
    table["scope"], table["breakdown"], table["kind"] = Scope.AREA.value, "", "cell"
    if publication is not None:
        table = publication.prepare(table, purpose=extract.ANALYTICS, families=(PICKUPS,))
    table, shown = _without_shown(table)
    if table.empty:
        return pd.DataFrame()
    table["pos"] = np.arange(len(table))
    relations = _new_relations(table, relations_for(table, {}, window))
    table["order"] = _order(table)
    published = suppress(table, k=k, count_col="n", relations=relations, order_col="order")
    conversion = table["converted"].astype(float) / table["pickups"].astype(float)
    # The conversion with the published ones it relates to: hidden or known as published (`_with_shown`).
    parts, parts_published = _with_shown(table, published, shown)
    conversion_reasons = suppress_part(
        parts_published["suppressed_reason"].to_numpy(),
        k=k,
        part_people=parts["converting_people"].to_numpy(dtype=float),
        rest_people=parts["other_pickup_people"].to_numpy(dtype=float),
        relations=relations if shown.empty else _new_relations(parts, relations_for(parts, {}, window)),
    )[: len(table)]
    new = _new_only(table)
    table, published, conversion_reasons = table[new], published[new], conversion_reasons[new]
    conversion = conversion[new]
    for kpi, raw, reasons in (
        ("pickups", table["pickups"].astype(float), published["suppressed_reason"].to_numpy()),
        ("pickup_conversion", conversion, conversion_reasons),
    ):
        hidden = reasons != ""
        frames.append(
            pd.DataFrame(
                {
                    "scope": Scope.AREA.value,
                    "scope_id": "area",
                    "period_kind": table["period_kind"].to_numpy(),
                    "period_start": table["period_start"].to_numpy(),
                    "suppressed_reason": reasons,
                    "kpi": kpi,
                    "breakdown": "",
                    "value": np.where(hidden, np.nan, raw.to_numpy()),
                    "raw_value": raw.to_numpy(),
                    "n": table["n"].to_numpy(),
                    "purpose": extract.ANALYTICS,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _area_cell_rows(
    cells_of,
    *,
    k: int,
    window: tuple,
    outputs: dict,
    money: str | None = None,
    publication: Publication | None = None,
    family: Family | None = None,
) -> pd.DataFrame:
    """Rows of area-level KPIs whose cells add up in time (`cells_of(kind)`: rows scope_id, period_start, …, n
    with n the distinct members), suppressed as one system: primary, dominance on `money` (with its `_top`
    column) and secondary over the time relations (week, month = Σ days, …). `outputs`: {kpi: the raw
    figure as a function of the cells}. A hidden cell is hidden whole: every KPI of it."""
    parts = []
    for kind in AREA_KINDS:
        part = cells_of(kind)
        part.insert(0, "period_kind", kind)
        parts.append(part)
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    table["period_start"] = pd.to_datetime(table["period_start"])
    table["scope"], table["breakdown"], table["kind"] = Scope.AREA.value, "", "cell"
    if publication is not None:
        table = publication.prepare(table, purpose=extract.ANALYTICS, families=(family,) if family else ())
        if table.empty:
            return pd.DataFrame()
    table["pos"] = np.arange(len(table))
    relations = _new_relations(table, relations_for(table, {}, window))
    table["order"] = _order(table)
    published = suppress(
        table, k=k, count_col="n", value_cols=[money] if money else [], relations=relations, order_col="order"
    )
    table, published = _without_final(table, published)
    hidden = published["is_suppressed"].to_numpy()
    frames = []
    for kpi, raw_of in outputs.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = raw_of(table).astype(float)
        frames.append(
            pd.DataFrame(
                {
                    "scope": Scope.AREA.value,
                    "scope_id": "area",
                    "period_kind": table["period_kind"].to_numpy(),
                    "period_start": table["period_start"].to_numpy(),
                    "suppressed_reason": published["suppressed_reason"].to_numpy(),
                    "kpi": kpi,
                    "breakdown": "",
                    "value": np.where(hidden, np.nan, raw.to_numpy()),
                    "raw_value": raw.to_numpy(),
                    "n": table["n"].to_numpy(),
                    "purpose": extract.ANALYTICS,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _shop_and_voucher_rows(
    *, area, start, end, at, visits: pd.DataFrame, k: int, window: tuple, publication: Publication | None = None
) -> list:
    """The webshop's and the vouchers' KPIs of the area (docs/analytics-kpis.md): online orders, spend and spend
    per order; the share of members who bought both online and in a shop; vouchers and rewards used (count,
    value)."""
    orders = extract.orders_frame(area=area, start=start, end=end, purpose=extract.ANALYTICS, at=at)
    redemptions = extract.redemptions_frame(area=area, start=start, end=end, purpose=extract.ANALYTICS, at=at)
    frames = [
        _area_cell_rows(
            lambda kind: kpis.order_cells(orders, kind=kind),
            k=k,
            window=window,
            money="spend_cents",
            publication=publication,
            family=ORDERS,
            outputs={
                "online_orders": lambda t: t["orders"],
                "online_spend_cents": lambda t: t["spend_cents"],
                "online_spend_per_order_cents": lambda t: t["spend_cents"].astype(float) / t["orders"].astype(float),
            },
        )
    ]
    for redemption_kind in ("voucher", "reward"):
        frames.append(
            _area_cell_rows(
                lambda kind, redemption_kind=redemption_kind: kpis.redemption_cells(
                    redemptions, kind=kind, redemption_kind=redemption_kind
                ),
                k=k,
                window=window,
                money="value_cents",
                publication=publication,
                family=redemptions_family(redemption_kind),
                outputs={
                    f"{redemption_kind}_redemptions": lambda t: t["redemptions"],
                    f"{redemption_kind}_redemption_cents": lambda t: t["value_cents"],
                },
            )
        )
    # A share of distinct members: not additive in time, so primary suppression only (like active members).
    for kind in AREA_KINDS:
        cells = kpis.omnichannel_cells(orders, visits, kind=kind)
        rows = _simple_rows(cells, kpi="omnichannel_share", kind=kind, k=k, purpose=extract.ANALYTICS, scope=Scope.AREA)
        frames.append(_published_only(rows, publication, extract.ANALYTICS))
    return frames


def _published_only(rows: pd.DataFrame, publication: Publication | None, purpose: str) -> pd.DataFrame:
    """The rows of the periods `publication` publishes (all of them without one)."""
    if publication is None or rows.empty:
        return rows
    return rows[publication.mask(rows, purpose)].reset_index(drop=True)


def _sensor_rows(*, area, window: tuple, published: pd.DataFrame) -> pd.DataFrame:
    """Counting points: passers-by and store entrants per counting point and period (counts of people passing
    a sensor, not of members: no small-group rule applies), and per area the capture rate (entrants ÷
    passers-by) and entrants' conversion (member visits ÷ entrants; hidden when the visits are). Each figure
    carries the quality flags of the days it rests on."""
    from .models import ObservedProperty

    start, end = window
    frames = []
    totals: dict[str, pd.DataFrame] = {}
    for prop, kpi in ((ObservedProperty.PERSONS, "footfall"), (ObservedProperty.STORE_ENTRANTS, "store_entrants")):
        daily = selectors_sensors.counts(area=area, start=start, end=end, observed_property=prop, interval="day")
        for kind in AREA_KINDS:
            cells = kpis.sensor_cells(daily, kind=kind)
            if cells.empty:
                continue
            quality = [",".join(codes_of(int(bits))) for bits in cells["flags"]]
            frames.append(
                pd.DataFrame(
                    {
                        "scope": Scope.COUNTING_POINT.value,
                        "scope_id": cells["scope_id"].to_numpy(),
                        "period_kind": kind,
                        "period_start": pd.to_datetime(cells["period_start"]).to_numpy(),
                        "suppressed_reason": "",
                        "kpi": kpi,
                        "breakdown": "",
                        "value": cells["value"].to_numpy(),
                        "raw_value": cells["value"].to_numpy(),
                        "n": None,
                        "purpose": extract.ANALYTICS,
                        "quality": quality,
                    }
                )
            )
            area_total = cells.groupby("period_start").agg(
                value=("value", "sum"), flags=("flags", lambda bits: int(np.bitwise_or.reduce(bits.to_numpy())))
            )
            totals[f"{kpi}:{kind}"] = area_total
    visits = {}
    if not published.empty:
        mask = (published["kind"] == "cell") & (published["scope"] == Scope.AREA)
        for row in published[mask][["period_kind", "period_start", "visits"]].itertuples(index=False):
            visits[(row.period_kind, pd.Timestamp(row.period_start))] = row.visits
    ratios = []
    for kind in AREA_KINDS:
        passers, entrants = totals.get(f"footfall:{kind}"), totals.get(f"store_entrants:{kind}")
        if passers is None or entrants is None:
            continue
        joined = entrants.join(passers, lsuffix="_in", rsuffix="_by", how="inner")
        for start_, row in zip(joined.index, joined.itertuples(index=False), strict=True):
            stamp = pd.Timestamp(start_)
            capture = row.value_in / row.value_by if row.value_by else np.nan
            member_visits = visits.get((kind, stamp), np.nan)
            conversion = member_visits / row.value_in if row.value_in else np.nan
            quality = ",".join(codes_of(int(row.flags_in) | int(row.flags_by)))
            ratios.append((kind, stamp, "capture_rate", capture, "", quality))
            reason = SECONDARY if np.isnan(member_visits) else ""
            ratios.append((kind, stamp, "entrant_conversion", conversion, reason, quality))
    if ratios:
        kinds, stamps, codes, values, reasons, qualities = zip(*ratios, strict=True)
        frames.append(
            pd.DataFrame(
                {
                    "scope": Scope.AREA.value,
                    "scope_id": "area",
                    "period_kind": kinds,
                    "period_start": stamps,
                    "suppressed_reason": reasons,
                    "kpi": codes,
                    "breakdown": "",
                    "value": values,
                    "raw_value": values,
                    "n": None,
                    "purpose": extract.ANALYTICS,
                    "quality": qualities,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def compute_rows(
    *,
    area,
    start: datetime,
    end: datetime,
    at: datetime | None = None,
    progress=None,
    publication: Publication | None = None,
) -> pd.DataFrame:
    """Every figure of the area as long rows (no database writes): the heart of `recompute`, also for tests.
    With a `publication`, only the figures it publishes (and the sensor counts of every period)."""
    progress = progress or (lambda percent, step: None)
    k = area_k(area)
    merchants = extract.merchants_frame(area=area)
    sector_of = dict(zip(merchants["merchant_id"].astype(str), merchants["sector"].astype(str), strict=True))
    progress(5, "extract")
    visits = extract.visits_frame(area=area, start=start, end=end, purpose=extract.ANALYTICS, at=at)
    pairs = visits[["country", "postcode4"]].dropna().drop_duplicates().itertuples(index=False, name=None)
    visits = kpis.with_origin(visits, origin.origins_frame(area=area, pairs=pairs))
    progress(20, "cells")
    window = (start.date(), end.date())
    raw, published = _suppressed_table(
        visits, k=k, sector_of=sector_of, with_area_detail=True, window=window, publication=publication
    )
    frames = [_value_rows(raw, published, purpose=extract.ANALYTICS)] if not raw.empty else []
    progress(50, "active members")
    hidden_cells = set()
    if not published.empty:
        mask = (published["kind"] == "cell") & published["is_suppressed"]
        hidden_cells = set(
            published.loc[mask, ["scope", "scope_id", "period_kind", "period_start"]].itertuples(index=False, name=None)
        )
    for scope, kinds in ((Scope.AREA, AREA_KINDS), (Scope.SECTOR, DETAIL_KINDS), (Scope.MERCHANT, DETAIL_KINDS)):
        for kind in kinds:
            active = kpis.active_members(visits, scope=scope.value, kind=kind)
            rows = _simple_rows(active, kpi="active_members", kind=kind, k=k, purpose=extract.ANALYTICS, scope=scope)
            if not rows.empty and hidden_cells:
                # A cell hidden for its visits is hidden whole: its active members too.
                keys = zip(rows["scope"], rows["scope_id"], rows["period_kind"], rows["period_start"], strict=True)
                also = np.array([(s_, i, pk, pd.Timestamp(ps)) in hidden_cells for s_, i, pk, ps in keys])
                also &= rows["suppressed_reason"].to_numpy() == ""
                rows.loc[also, "suppressed_reason"] = SECONDARY
                rows.loc[also, "value"] = np.nan
            frames.append(_published_only(rows, publication, extract.ANALYTICS))
    progress(60, "pickups")
    pickups = extract.pickups_frame(area=area, start=start, end=end, purpose=extract.ANALYTICS, at=at)
    frames.append(_pickup_rows(pickups, visits, k=k, window=window, publication=publication))
    progress(62, "online orders and vouchers")
    frames += _shop_and_voucher_rows(
        area=area, start=start, end=end, at=at, visits=visits, k=k, window=window, publication=publication
    )
    progress(65, "counting points")
    sensors = _sensor_rows(area=area, window=window, published=published)
    if publication is not None and not sensors.empty:
        # Entrants' conversion divides members' visits: published with them, once. The counts: every period.
        divides = (sensors["kpi"] == "entrant_conversion").to_numpy()
        conversion = _published_only(sensors[divides].reset_index(drop=True), publication, extract.ANALYTICS)
        sensors = pd.concat([sensors[~divides], conversion], ignore_index=True)
    frames.append(sensors)
    del visits, raw, published
    progress(70, "merchants' own figures")
    shared = extract.visits_frame(area=area, start=start, end=end, purpose=extract.SHARE_WITH_MERCHANTS, at=at)
    raw, published = _suppressed_table(
        shared,
        k=k,
        sector_of=sector_of,
        with_area_detail=False,
        window=window,
        publication=publication,
        purpose=extract.SHARE_WITH_MERCHANTS,
    )
    if not raw.empty:
        frames.append(_value_rows(raw, published, purpose=extract.SHARE_WITH_MERCHANTS))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    rows = pd.concat(frames, ignore_index=True)
    rows["quality"] = rows["quality"].fillna("") if "quality" in rows.columns else ""
    rows["scope"] = rows["scope"].astype(str)
    rows["period_start"] = pd.to_datetime(rows["period_start"])
    progress(80, "comparisons")
    if publication is not None:
        # A new figure compares with the previous period and last year as they were published.
        rows["is_new"] = True
        earlier = publication.comparison_rows(rows)
        if not earlier.empty:
            rows = pd.concat([rows, earlier.assign(is_new=False)], ignore_index=True)
    compared = []
    for (_purpose, _kpi, kind), group in rows.groupby(["purpose", "kpi", "period_kind"], sort=False):
        compared.append(kpis.with_comparisons(group.reset_index(drop=True), kind))
    rows = pd.concat(compared, ignore_index=True)
    if "is_new" in rows.columns:
        rows = rows[rows["is_new"].astype(bool)].drop(columns="is_new").reset_index(drop=True)
    return rows


def _none(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


def recompute(
    *,
    area,
    run: KpiRun | None = None,
    at: datetime | None = None,
    today=None,
    progress: Callable[[int, str], None] | None = None,
) -> KpiRun:
    """Recompute and store every figure of the area (see the module docstring). Returns the finished run.
    Progress goes to the run row (and to `progress`, if given), so the page can show it."""
    today = today or timezone.localdate(timezone=area.tz)
    run = run or KpiRun.objects.create(area=area, trigger="direct")
    k = area_k(area)
    KpiRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), code_version=code_version(), k=k, progress=1
    )

    def report(percent: int, step: str) -> None:
        KpiRun.objects.filter(pk=run.pk).update(progress=percent, step=step)
        if progress:
            progress(percent, step)

    try:
        start, end = _window(area, today)
        publication = Publication.for_area(area, today)
        rows = compute_rows(area=area, start=start, end=end, at=at, progress=report, publication=publication)
        report(90, "store")
        written = _store(area=area, run=run, rows=rows, k=k, publication=publication, window_start=start.date())
    except Exception as error:
        KpiRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=repr(error)[:2000]
        )
        raise
    KpiRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE, finished_at=timezone.now(), progress=100, step="", rows_written=written
    )
    run.refresh_from_db()
    return run


def _drop_replaced(area, publication: Publication, window_start) -> None:
    """Delete what a run replaces: the sensor counts, any figure that is not final (stored before the rule while
    its period was under way), and figures of periods that ended before the run's window (later runs no longer
    read their days, as before)."""
    KpiValue.objects.filter(area=area, kpi__in=SENSOR_KPIS).delete()
    stored = (
        KpiValue.objects.filter(area=area)
        .exclude(kpi__in=SENSOR_KPIS)
        .values_list("purpose", "period_kind", "period_start")
        .distinct()
    )
    replaced: dict[tuple[str, str], list] = {}
    for purpose, kind, start in stored:
        if (purpose, kind, pd.Timestamp(start)) not in publication.final:
            replaced.setdefault((purpose, kind), []).append(start)
    for (purpose, kind), starts in replaced.items():
        KpiValue.objects.filter(area=area, purpose=purpose, period_kind=kind, period_start__in=starts).delete()
    if window_start is not None:
        # A week that starts before the window but ends in it is the window's first week: it stays.
        KpiValue.objects.filter(area=area, period_start__lt=window_start).exclude(
            period_kind=WEEK, period_start__gt=window_start - timedelta(days=7)
        ).delete()


STORED_FIELDS = ("run_id", "area_id", *selectors.FIELDS, "computed_at")  # the rows as written; read as FIELDS


def _records(*, area, run: KpiRun, rows: pd.DataFrame, k: int):
    """One tuple of STORED_FIELDS per row (provenance as a dict)."""
    computed_at = timezone.now()
    columns = [
        "purpose",
        "scope",
        "scope_id",
        "kpi",
        "breakdown",
        "period_kind",
        "period_start",
        "value",
        "previous_value",
        "last_year_value",
        "raw_value",
        "n",
        "suppressed_reason",
        "quality",
    ]
    version = code_version()
    for r in rows[columns].itertuples(index=False):
        start = pd.Timestamp(r.period_start)
        reason = r.suppressed_reason or ""
        provenance = _provenance(
            r.kpi, purpose=r.purpose, kind=r.period_kind, start=start, k=k, reason=reason, quality=r.quality
        )
        provenance["code_version"] = version
        yield (
            run.pk,
            area.pk,
            r.purpose,
            r.scope,
            str(r.scope_id),
            r.kpi,
            r.breakdown or "",
            r.period_kind,
            start.date(),
            _none(r.value),
            _none(r.previous_value),
            _none(r.last_year_value),
            _none(r.raw_value),
            None if pd.isna(r.n) else int(r.n),
            bool(reason),
            reason,
            provenance,
            computed_at,
        )


@transaction.atomic
def _store(
    *, area, run: KpiRun, rows: pd.DataFrame, k: int, publication: Publication | None = None, window_start=None
) -> int:
    """Store `rows` in one transaction (PostgreSQL: COPY, a few hundred thousand rows in seconds; elsewhere one
    executemany). Without a `publication` they replace all the area's figures; with one, the figures published
    for good stay (`analytics.publication`) and the rest is replaced (`_drop_replaced`)."""
    if publication is None:
        KpiValue.objects.filter(area=area).delete()
    else:
        _drop_replaced(area, publication, window_start)
    if rows.empty:
        return 0
    records = _records(area=area, run=run, rows=rows, k=k)
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(KpiValue._meta.db_table)
        fields = ", ".join(connection.ops.quote_name(KpiValue._meta.get_field(f).column) for f in STORED_FIELDS)
        written = 0
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({fields}) FROM STDIN") as copy:
            for record in records:
                copy.write_row((*record[:-2], json.dumps(record[-2]), record[-1]))
                written += 1
        return written
    # Elsewhere (SQLite in development and tests): one executemany, values adapted as the ORM would.
    table = connection.ops.quote_name(KpiValue._meta.db_table)
    fields = [KpiValue._meta.get_field(f) for f in STORED_FIELDS]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    ops = connection.ops
    adapted = [
        (
            *record[:8],
            ops.adapt_datefield_value(record[8]),
            *record[9:16],
            json.dumps(record[16]),
            ops.adapt_datetimefield_value(record[17]),
        )
        for record in records
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(adapted), BATCH):
            cursor.executemany(sql, adapted[start : start + BATCH])
    return len(adapted)
