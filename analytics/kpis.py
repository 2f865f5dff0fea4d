"""The KPIs: definitions (`CATALOGUE`) and their computation on the extract's frames (pandas, no database).

Every definition is written out in `docs/analytics-kpis.md`; the code below follows it. The functions take the
frames of `analytics.extract` and return one row per cell (scope × period, optionally × breakdown) with the raw
figures and `n`, the number of distinct subjects behind the cell. Suppression and storage happen in
`analytics.services`; comparisons (previous period, same period last year) in `with_comparisons`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

#: Bump when a definition changes: it is written into every figure's provenance.
METHOD_VERSION = "1"

COUNT = "count"
CENTS = "cents"
RATIO = "ratio"
SHARE = "share"

DAY, WEEK, MONTH, QUARTER, YEAR = "day", "week", "month", "quarter", "year"
PERIOD_KINDS = (DAY, WEEK, MONTH, QUARTER, YEAR)

#: A visit counts as "after a pickup" when the same member scans their pass within this many hours.
PICKUP_WINDOW_HOURS = 24
#: Active members: at least one visit in the twelve calendar months ending with the period's last month.
ACTIVE_MONTHS = 12


@dataclass(frozen=True)
class Kpi:
    code: str
    label: str
    unit: str
    definition: str
    source: str = "loyalty.selectors.visits"
    #: published cells of this KPI add up along the scope and time hierarchies (so differencing applies)
    additive: bool = False


CATALOGUE: dict[str, Kpi] = {
    kpi.code: kpi
    for kpi in (
        Kpi(
            "visits",
            _("Visits"),
            COUNT,
            _("Pass scans (purchases) in the period; undone scans excluded."),
            additive=True,
        ),
        Kpi("unique_visitors", _("Unique visitors"), COUNT, _("Distinct members with at least one visit.")),
        Kpi(
            "first_time_visitors",
            _("First-time visitors"),
            COUNT,
            _("Visitors whose first visit in this scope (since the data begin) falls in the period."),
        ),
        Kpi(
            "repeat_visitors", _("Repeat visitors"), COUNT, _("Visitors who had visited this scope before the period.")
        ),
        Kpi("visit_frequency", _("Visits per visitor"), RATIO, _("Visits divided by unique visitors.")),
        Kpi("spend_cents", _("Spend"), CENTS, _("Sum of the purchase amounts scanned."), additive=True),
        Kpi("spend_per_visit_cents", _("Average spend per visit"), CENTS, _("Spend divided by visits.")),
        Kpi("spend_per_visitor_cents", _("Average spend per visitor"), CENTS, _("Spend divided by unique visitors.")),
        Kpi(
            "combination_share",
            _("Combination visits"),
            SHARE,
            _("Share of member-days in this scope on which the member visited two or more merchants of the area."),
        ),
        Kpi(
            "active_members",
            _("Active members"),
            COUNT,
            _("Members with at least one visit in the twelve months ending with the period."),
        ),
        Kpi(
            "pickups",
            _("Parcel pickups"),
            COUNT,
            _("Parcels picked up by members at the area's parcel points."),
            source="parcels.selectors.pickups",
        ),
        Kpi(
            "pickup_conversion",
            _("Pickups followed by a shop visit"),
            SHARE,
            _("Share of pickups followed by a visit of the same member within 24 hours."),
            source="parcels.selectors.pickups + loyalty.selectors.visits",
        ),
        Kpi(
            "visits_by_hour",
            _("Visits by weekday and hour"),
            COUNT,
            _("Visits per weekday (Monday = 0) and hour of the day, local time."),
        ),
        Kpi(
            "visitors_by_age",
            _("Visitors by age group"),
            COUNT,
            _("Unique visitors per age group given for analytics ('unknown' when not given)."),
        ),
        Kpi(
            "visitors_by_band",
            _("Visitors by distance"),
            COUNT,
            _("Unique visitors per distance band from their postcode's centre to the area's centre."),
            source="loyalty.selectors.visits + analytics.origin",
        ),
        Kpi(
            "visitors_by_municipality",
            _("Visitors by municipality"),
            COUNT,
            _("Unique visitors per municipality of their postcode."),
            source="loyalty.selectors.visits + analytics.origin",
        ),
        Kpi(
            "visitors_by_catchment",
            _("Visitors from outside the region"),
            COUNT,
            _("Unique visitors living inside or outside the area's catchment radius ('unknown': no postcode)."),
            source="loyalty.selectors.visits + analytics.origin",
        ),
        Kpi(
            "footfall",
            _("Passers-by"),
            COUNT,
            _("Persons counted at the counting point (sensors)."),
            source="analytics.selectors_sensors.counts (persons)",
        ),
        Kpi(
            "store_entrants",
            _("Store entrants"),
            COUNT,
            _("Persons counted entering stores (sensors)."),
            source="analytics.selectors_sensors.counts (store_entrants)",
        ),
        Kpi(
            "capture_rate",
            _("Capture rate"),
            SHARE,
            _("Store entrants divided by passers-by, area totals."),
            source="analytics.selectors_sensors.counts",
        ),
        Kpi(
            "entrant_conversion",
            _("Buying members per entrant"),
            SHARE,
            _("Visits of consenting members divided by store entrants (a lower bound: other buyers are not counted)."),
            source="analytics.selectors_sensors.counts + loyalty.selectors.visits",
        ),
        # Webshop and vouchers (area level): `order_cells`, `omnichannel_cells`, `redemption_cells`.
        Kpi(
            "online_orders",
            _("Online orders"),
            COUNT,
            _("Webshop orders paid in the period by members (parts refunded in full left out)."),
            source="shop.selectors.paid_order_parts",
            additive=True,
        ),
        Kpi(
            "online_spend_cents",
            _("Online spend"),
            CENTS,
            _("Goods of those orders after refunds (delivery fees left out)."),
            source="shop.selectors.paid_order_parts",
            additive=True,
        ),
        Kpi(
            "online_spend_per_order_cents",
            _("Online spend per order"),
            CENTS,
            _("Online spend divided by online orders."),
            source="shop.selectors.paid_order_parts",
        ),
        Kpi(
            "omnichannel_share",
            _("Bought online and in a shop"),
            SHARE,
            _("Of the members who bought online or in a shop in the period, the share who did both."),
            source="shop.selectors.paid_order_parts + loyalty.selectors.visits",
        ),
        Kpi(
            "voucher_redemptions",
            _("Vouchers used"),
            COUNT,
            _("Vouchers used by members at a till or in the webshop (undone purchases left out)."),
            source="loyalty.selectors.till_redemptions + online_redemptions",
            additive=True,
        ),
        Kpi(
            "voucher_redemption_cents",
            _("Value of vouchers used"),
            CENTS,
            _("What those vouchers paid of the purchases and orders."),
            source="loyalty.selectors.till_redemptions + online_redemptions + shop.selectors.voucher_orders",
            additive=True,
        ),
        Kpi(
            "reward_redemptions",
            _("Rewards redeemed"),
            COUNT,
            _("Rewards redeemed by members for points, at a till or in the webshop."),
            source="loyalty.selectors.till_redemptions + online_redemptions",
            additive=True,
        ),
        Kpi(
            "reward_redemption_cents",
            _("Value of rewards redeemed"),
            CENTS,
            _("What those rewards paid of the purchases and orders."),
            source="loyalty.selectors.till_redemptions + online_redemptions + shop.selectors.voucher_orders",
            additive=True,
        ),
    )
}

#: KPIs derived from a scope × period cell of visits (the cell's n is its unique visitors).
CELL_KPIS = (
    "visits",
    "unique_visitors",
    "first_time_visitors",
    "repeat_visitors",
    "visit_frequency",
    "spend_cents",
    "spend_per_visit_cents",
    "spend_per_visitor_cents",
    "combination_share",
)


# --- Periods ----------------------------------------------------------------------------------------------------


def period_start(dates: pd.Series, kind: str) -> pd.Series:
    """The first day of the period containing each (naive, midnight) date: weeks start on Monday (ISO)."""
    if kind == DAY:
        return dates
    if kind == WEEK:
        return dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")
    if kind == MONTH:
        return _month_start(dates)
    if kind == QUARTER:
        return _quarter_start(dates)
    if kind == YEAR:
        return pd.Series(dates.values.astype("datetime64[Y]").astype("datetime64[ns]"), index=dates.index)
    raise ValueError(f"Unknown period kind {kind!r}")


def _month_start(dates: pd.Series) -> pd.Series:
    return pd.Series(dates.values.astype("datetime64[M]").astype("datetime64[ns]"), index=dates.index)


def _quarter_start(dates: pd.Series) -> pd.Series:
    months = dates.values.astype("datetime64[M]")
    month_number = months.astype(int) % 12  # 0 = January
    starts = months - (month_number % 3).astype("timedelta64[M]")
    return pd.Series(starts.astype("datetime64[ns]"), index=dates.index)


def shift(start: pd.Timestamp, kind: str, periods: int = 1) -> pd.Timestamp:
    """The start of the period `periods` before `start` (of the same kind)."""
    if kind == DAY:
        return start - timedelta(days=periods)
    if kind == WEEK:
        return start - timedelta(weeks=periods)
    months = {MONTH: 1, QUARTER: 3, YEAR: 12}[kind] * periods
    return start - pd.DateOffset(months=months)


def last_year(start: pd.Timestamp, kind: str) -> pd.Timestamp:
    """The same period last year: the same weekday 52 weeks back for days and weeks (as Springboard and
    Melbourne compare), the calendar period a year back otherwise."""
    if kind in (DAY, WEEK):
        return start - timedelta(weeks=52)
    return start - pd.DateOffset(years=1)


def period_end(start, kind: str) -> pd.Timestamp:
    return _period_end(pd.Timestamp(start), kind)


@functools.lru_cache(maxsize=4096)
def _period_end(start: pd.Timestamp, kind: str) -> pd.Timestamp:
    return shift(start, kind, -1)


# --- Cells ------------------------------------------------------------------------------------------------------
# The cells are grouped on integer keys (a sort and numpy reductions) instead of on text and timestamps in pandas:
# the same groups, in the same order, many times faster on a million visits (docs/benchmarks.md).


def _scope_column(frame: pd.DataFrame, scope: str) -> pd.Series:
    if scope == "area":
        return pd.Series("area", index=frame.index)
    if scope == "sector":
        return frame["sector"].astype(str)
    if scope == "merchant":
        return frame["merchant_id"].astype(str)
    raise ValueError(f"Unknown scope {scope!r}")


def _scope_codes(frame: pd.DataFrame, scope: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes, names): each row's scope id as an integer, and the scope ids as text in sorted order (code i is
    names[i]), so that sorting on the codes sorts on the ids as `_scope_column` gives them."""
    if scope == "area":
        return np.zeros(len(frame), dtype=np.int64), np.array(["area"], dtype=object)
    if scope not in ("sector", "merchant"):
        raise ValueError(f"Unknown scope {scope!r}")
    codes, uniques = pd.factorize(frame["sector" if scope == "sector" else "merchant_id"], use_na_sentinel=False)
    names, renumber = np.unique(np.array([str(u) for u in uniques], dtype=object), return_inverse=True)
    return renumber[codes].astype(np.int64), names


def _codes(values) -> tuple[np.ndarray, int]:
    """Each value as an integer code (0…size-1) and the number of distinct values."""
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), max(len(uniques), 1)


def _day_numbers(frame: pd.DataFrame) -> np.ndarray:
    """Each row's local date as days since 1970-01-01."""
    return frame["local_date"].to_numpy().astype("datetime64[D]").astype(np.int64)


def _periods(frame: pd.DataFrame, days: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(period, starts, of_day): each row's period as an index into `starts` (the sorted period starts, as
    `period_start` gives them) and, per day since the first day, its period's index."""
    first = int(days.min())
    span = np.arange(first, int(days.max()) + 1).astype("datetime64[D]").astype(frame["local_date"].dtype)
    starts, of_day = np.unique(period_start(pd.Series(span), kind).to_numpy(), return_inverse=True)
    return of_day[days - first], starts, of_day


def _key(*parts: tuple[np.ndarray, int]) -> np.ndarray:
    """One int64 per row from (codes, size) pairs, most significant first: sorting it sorts on the codes in turn."""
    if math.prod(int(size) for _codes, size in parts) >= 2**62:
        raise OverflowError("Too many distinct keys for one 64-bit key.")
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    for codes, size in parts:
        key = key * int(size) + codes
    return key


def _runs(ordered: np.ndarray) -> np.ndarray:
    """The start positions of the runs of equal values in a sorted array."""
    if len(ordered) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (np.unique, without its slower hashing path for large integer arrays)."""
    ordered = np.sort(values)
    return ordered[_runs(ordered)]


def _lengths(starts: np.ndarray, total: int) -> np.ndarray:
    return np.diff(np.r_[starts, total]).astype(np.int64)


def visit_cells(visits: pd.DataFrame, *, scope: str, kind: str) -> pd.DataFrame:
    """One row per (scope_id, period_start) with visits, n (= unique visitors), spend_cents, spend_cents_top
    (the largest single subject's spend), first_time_visitors, repeat_visitors, combination_days and
    member_days, and the people of the combination part (`CELL_PARTS`): combination_people (members with a
    combination day in the cell) and single_day_people (members with a day at one merchant). `visits` is an
    `extract.visits_frame` (its whole history: first visits are found in it)."""
    columns = [
        "scope_id",
        "period_start",
        "visits",
        "n",
        "spend_cents",
        "spend_cents_top",
        "first_time_visitors",
        "repeat_visitors",
        "combination_days",
        "member_days",
        "combination_people",
        "single_day_people",
    ]
    if visits.empty:
        return pd.DataFrame(columns=columns)
    scope_code, names = _scope_codes(visits, scope)
    days = _day_numbers(visits)
    period, starts, period_of_day = _periods(visits, days, kind)
    subject, n_subjects = _codes(visits["subject"])
    n_periods = len(starts)
    # Per (scope, period, subject): visits and spend; then per (scope, period) cell.
    key = _key((scope_code, len(names)), (period, n_periods), (subject, n_subjects))
    order = np.argsort(key)  # sums and maxima do not depend on the order within a group
    key = key[order]
    group = _runs(key)
    group_visits = _lengths(group, len(key))
    group_spend = np.add.reduceat(visits["amount_cents"].to_numpy(dtype=np.int64)[order], group)
    group_cell = key[group] // n_subjects
    cell = _runs(group_cell)
    cell_key = group_cell[cell]
    n = _lengths(cell, len(group_cell))
    cell_at = np.full(len(names) * n_periods, -1, dtype=np.int64)  # cell key → row of the result
    cell_at[cell_key] = np.arange(len(cell_key))
    # First-time visitors: per (scope, subject) the earliest period with a visit, counted in that period's cell.
    earliest = np.full(len(names) * n_subjects, n_periods, dtype=np.int64)
    np.minimum.at(earliest, (group_cell // n_periods) * n_subjects + key[group] % n_subjects, group_cell % n_periods)
    seen = np.flatnonzero(earliest < n_periods)
    first_cells = (seen // n_subjects) * n_periods + earliest[seen]
    first_time = np.bincount(cell_at[first_cells], minlength=len(cell)).astype(np.int64)
    # Combination visits: member-days on which the member visited two or more merchants of the area.
    merchant, n_merchants = _codes(visits["merchant_id"])
    day = days - days.min()
    n_days = int(day.max()) + 1
    member_day = _key((subject, n_subjects), (day, n_days))
    with_merchant = _distinct(member_day * n_merchants + merchant) // n_merchants
    runs = _runs(with_merchant)
    combination_day = np.zeros(n_subjects * n_days, dtype=bool)  # one byte per member-day
    combination_day[with_merchant[runs][_lengths(runs, len(with_merchant)) >= 2]] = True
    scoped = _distinct(_key((scope_code, len(names)), (member_day, n_subjects * n_days)))
    scoped_member_day = scoped % (n_subjects * n_days)
    is_combination = combination_day[scoped_member_day]
    at = cell_at[(scoped // (n_subjects * n_days)) * n_periods + period_of_day[scoped_member_day % n_days]]
    day_subject = scoped_member_day // n_days

    def people(mask: np.ndarray) -> np.ndarray:
        """Per cell, the distinct members with a member-day in `mask`."""
        pairs = _distinct(at[mask] * n_subjects + day_subject[mask])
        return np.bincount(pairs // n_subjects, minlength=len(cell)).astype(np.int64)

    cells = pd.DataFrame(
        {
            "scope_id": names[cell_key // n_periods],
            "period_start": starts[cell_key % n_periods],
            "visits": np.add.reduceat(group_visits, cell),
            "n": n,
            "spend_cents": np.add.reduceat(group_spend, cell),
            "spend_cents_top": np.maximum.reduceat(group_spend, cell),
            "first_time_visitors": first_time,
            "repeat_visitors": n - first_time,
            "combination_days": np.bincount(at[is_combination], minlength=len(cell)).astype(np.int64),
            "member_days": np.bincount(at, minlength=len(cell)).astype(np.int64),
            "combination_people": people(is_combination),
            "single_day_people": people(~is_combination),
        }
    )
    return cells[columns]


def derive(cells: pd.DataFrame) -> dict[str, pd.Series]:
    """The cell KPIs (CELL_KPIS) from the sums of `visit_cells` (or of their suppressed copy: NaN stays NaN)."""
    visits = cells["visits"].astype(float)
    n = cells["n"].astype(float)
    spend = cells["spend_cents"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "visits": visits,
            "unique_visitors": n,
            "first_time_visitors": cells["first_time_visitors"].astype(float),
            "repeat_visitors": cells["repeat_visitors"].astype(float),
            "visit_frequency": visits / n,
            "spend_cents": spend,
            "spend_per_visit_cents": spend / visits,
            "spend_per_visitor_cents": spend / n,
            "combination_share": cells["combination_days"].astype(float) / cells["member_days"].astype(float),
        }


@dataclass(frozen=True)
class Part:
    """KPIs of a cell that rest on a part of its people, not on all its visitors: they are published only when
    the part (`part_people`) and the rest of the cell (`rest_people`) each hold at least K people, and the
    part's `count`, which adds up in time as the visits do, gets secondary suppression of its own
    (`suppression.suppress_part`). The KPIs of one part are hidden together: one gives the other away against
    the cell's unique visitors (repeat = unique − first-time)."""

    kpis: tuple[str, ...]
    count: str
    part_people: str
    rest_people: str


CELL_PARTS = (
    Part(
        ("first_time_visitors", "repeat_visitors"),
        count="first_time_visitors",
        part_people="first_time_visitors",
        rest_people="repeat_visitors",
    ),
    Part(
        ("combination_share",),
        count="combination_days",
        part_people="combination_people",
        rest_people="single_day_people",
    ),
)


def reason_column(kpi: str) -> str:
    """The column of a suppressed cell table holding the reasons of a part's KPI (`suppress_parts`)."""
    return f"suppressed_reason:{kpi}"


def known_column(kpi: str) -> str:
    """The column of a cell table marking the stored cells whose part KPI `kpi` is published: known constants in
    that part's relations (`publication.Publication.prepare`)."""
    return f"is_known:{kpi}"


def suppress_parts(table: pd.DataFrame, published: pd.DataFrame, *, k: int, relations_of) -> pd.DataFrame:
    """`published` (the suppressed copy of `table`, rows in the same order) with the rules of `CELL_PARTS`: a
    `reason_column` per part KPI (the cell's reason, `small_group` or `secondary`), and the part's columns
    emptied where it is hidden. Only the main cells (`kind == "cell"`) have parts. `relations_of(rows)` gives
    the time relations of the rows of one scope (cells of one scope as `services.relations_for` takes them;
    positions are `table["pos"]`): parts do not add up over scopes (a first visit to the area is not a first
    visit to each of its sectors), but they do in time."""
    from .suppression import Relation, suppress_part

    published = published.copy()
    for part in CELL_PARTS:
        for kpi in part.kpis:
            published[reason_column(kpi)] = published["suppressed_reason"]
    main = np.flatnonzero((table["kind"] == "cell").to_numpy())
    if len(main) == 0 or CELL_PARTS[-1].part_people not in table.columns:
        return published
    local = {int(pos): i for i, pos in enumerate(table["pos"].to_numpy()[main])}
    relations = []
    for _scope, rows in table.iloc[main].groupby("scope", sort=False):
        for relation in relations_of(rows):
            if all(int(c) in local for c in relation.cells):
                relations.append(Relation(tuple(local[int(c)] for c in relation.cells), relation.coefficients))
    cell_reasons = published["suppressed_reason"].to_numpy()[main]
    tie = (table["order"] - table["n"]).to_numpy(dtype=float)[main] if "order" in table.columns else 0.0
    for part in CELL_PARTS:
        part_people = table[part.part_people].to_numpy(dtype=float)[main]
        rest_people = table[part.rest_people].to_numpy(dtype=float)[main]
        known_col = known_column(part.kpis[0])
        reasons = suppress_part(
            cell_reasons,
            k=k,
            part_people=part_people,
            rest_people=rest_people,
            relations=relations,
            order=np.minimum(part_people, rest_people) + tie,
            known=table[known_col].eq(True).to_numpy()[main] if known_col in table.columns else None,
        )
        hidden_rows = main[reasons != ""]
        for kpi in part.kpis:
            published.iloc[main, published.columns.get_loc(reason_column(kpi))] = reasons
        for column in {part.count, *part.kpis} & set(published.columns):
            published[column] = published[column].astype(float)
            published.iloc[hidden_rows, published.columns.get_loc(column)] = np.nan
    return published


def active_members(visits: pd.DataFrame, *, scope: str, kind: str) -> pd.DataFrame:
    """Active members per (scope_id, period_start) for month, quarter and year periods: distinct subjects
    with a visit in the `ACTIVE_MONTHS` calendar months ending with the period's last month. value = n."""
    if kind not in (MONTH, QUARTER, YEAR) or visits.empty:
        return pd.DataFrame(columns=["scope_id", "period_start", "value", "n"])
    scope_code, scope_names = _scope_codes(visits, scope)
    subject, n_subjects = _codes(visits["subject"])
    months = visits["local_date"].to_numpy().astype("datetime64[M]").astype(np.int64)
    first_month = int(months.min())
    n_months = int(months.max()) - first_month + 1
    # The distinct (scope, subject, month) with a visit, sorted by scope, subject and month.
    presence = _distinct(_key((scope_code, len(scope_names)), (subject, n_subjects), (months - first_month, n_months)))
    owner = presence // n_months
    months_ = presence % n_months + first_month
    # A month with a visit makes the subject active in that month and the eleven after it. Per (scope, subject)
    # the covered months form runs (a gap of more than 12 months starts a new run); counting +1 at a run's
    # start and -1 after its end, a running sum over the months gives the active members of every month.
    new_run = np.ones(len(presence), dtype=bool)
    new_run[1:] = (owner[1:] != owner[:-1]) | ((months_[1:] - months_[:-1]) > ACTIVE_MONTHS)
    starts_idx = np.flatnonzero(new_run)
    ends_idx = np.r_[starts_idx[1:] - 1, len(presence) - 1]
    scope_codes = owner // n_subjects
    width = int(months_.max()) - first_month + ACTIVE_MONTHS + 2
    counts = np.zeros((len(scope_names), width), dtype=np.int64)
    np.add.at(counts, (scope_codes[starts_idx], months_[starts_idx] - first_month), 1)
    np.add.at(counts, (scope_codes[starts_idx], months_[ends_idx] - first_month + ACTIVE_MONTHS), -1)
    active = np.cumsum(counts, axis=1)
    # The periods with a visit, and per period the active members of its last month, per scope (nonzero only).
    days = _distinct(_day_numbers(visits)).astype("datetime64[D]").astype(visits["local_date"].dtype)
    starts = np.unique(period_start(pd.Series(days), kind).to_numpy())
    span = {MONTH: 1, QUARTER: 3, YEAR: 12}[kind]
    columns = starts.astype("datetime64[M]").astype(np.int64) + span - 1 - first_month
    table = active[:, columns].T  # one row per period, one column per scope
    period, code = np.nonzero(table)
    values = table[period, code]
    return pd.DataFrame(
        {
            "scope_id": scope_names[code],
            "period_start": starts[period],
            "value": values,
            "n": values,
        }
    )


def pickup_cells(pickups: pd.DataFrame, visits: pd.DataFrame, *, kind: str, hours: int = PICKUP_WINDOW_HOURS):
    """Area-level pickups and their conversion per period: rows (scope_id, period_start, pickups, converted, n,
    converting_people, other_pickup_people) where `converted` counts pickups followed by a visit of the same
    subject within `hours`; the conversion rests on the members with such a pickup (`converting_people`) and on
    those with a pickup not followed by a visit (`other_pickup_people`): `suppression.suppress_part`."""
    columns = ["scope_id", "period_start", "pickups", "converted", "n", "converting_people", "other_pickup_people"]
    if pickups.empty:
        return pd.DataFrame(columns=columns)
    left = pickups[["subject", "picked_up_at", "local_date"]].sort_values("picked_up_at").copy()
    left["picked_up_at"] = left["picked_up_at"].dt.tz_convert("UTC")
    right = visits[["subject", "occurred_at"]].copy()
    right["occurred_at"] = right["occurred_at"].dt.tz_convert("UTC")
    right = right.sort_values("occurred_at")
    matched = pd.merge_asof(
        left,
        right,
        left_on="picked_up_at",
        right_on="occurred_at",
        by="subject",
        direction="forward",
        tolerance=pd.Timedelta(hours=hours),
        allow_exact_matches=True,
    )
    matched["converted"] = matched["occurred_at"].notna()
    matched["period_start"] = period_start(matched["local_date"], kind)
    matched["converted_subject"] = matched["subject"].where(matched["converted"])
    matched["other_subject"] = matched["subject"].where(~matched["converted"])
    cells = matched.groupby("period_start").agg(
        pickups=("subject", "size"),
        converted=("converted", "sum"),
        n=("subject", "nunique"),
        converting_people=("converted_subject", "nunique"),
        other_pickup_people=("other_subject", "nunique"),
    )
    cells = cells.reset_index()
    cells.insert(0, "scope_id", "area")
    return cells[columns]


def hour_cells(visits: pd.DataFrame, *, scope: str, kind: str) -> pd.DataFrame:
    """Visits per (scope_id, period_start, weekday, hour): rows with breakdown `d<weekday>h<hour>`, value, n."""
    columns = ["scope_id", "period_start", "breakdown", "value", "n"]
    if visits.empty:
        return pd.DataFrame(columns=columns)
    slot = (visits["occurred_at"].dt.day_of_week * 24 + visits["occurred_at"].dt.hour).to_numpy(dtype=np.int64)
    labels = np.array([f"d{day}h{hour:02d}" for day in range(7) for hour in range(24)], dtype=object)
    return _distinct_subject_cells(visits, scope=scope, kind=kind, breakdown=slot, labels=labels, count_rows=True)


def _distinct_subject_cells(
    visits: pd.DataFrame, *, scope: str, kind: str, breakdown: np.ndarray, labels: np.ndarray, count_rows: bool
) -> pd.DataFrame:
    """Rows (scope_id, period_start, breakdown, value, n) per (scope, period, breakdown code) with visits, in
    that order (`labels` sorted as the breakdowns are: code i is labels[i]): n = distinct subjects, value =
    visits (`count_rows`) or n."""
    scope_code, names = _scope_codes(visits, scope)
    period, starts, _of_day = _periods(visits, _day_numbers(visits), kind)
    subject, n_subjects = _codes(visits["subject"])
    key = np.sort(
        _key((scope_code, len(names)), (period, len(starts)), (breakdown, len(labels)), (subject, n_subjects))
    )
    cell_of_row = key // n_subjects
    row_runs = _runs(cell_of_row)
    distinct = key[_runs(key)] // n_subjects
    cell_key = cell_of_row[row_runs]
    n = _lengths(_runs(distinct), len(distinct))
    period_code = cell_key // len(labels)
    return pd.DataFrame(
        {
            "scope_id": names[period_code // len(starts)],
            "period_start": starts[period_code % len(starts)],
            "breakdown": labels[cell_key % len(labels)],
            "value": _lengths(row_runs, len(key)) if count_rows else n,
            "n": n,
        }
    )


def age_cells(visits: pd.DataFrame, *, scope: str, kind: str) -> pd.DataFrame:
    """Unique visitors per (scope_id, period_start, age band); 'unknown' where none was given."""
    return profile_cells(visits, scope=scope, kind=kind, column="age_band")


#: The breakdown of the values under `profile_cells(other_below=…)`, counted together ("other municipalities").
OTHER = "other"


def profile_cells(
    visits: pd.DataFrame, *, scope: str, kind: str, column: str, prefix: str = "", other_below: int | None = None
) -> pd.DataFrame:
    """Unique visitors per (scope_id, period_start, value of a profile column): breakdown `<prefix><value>`,
    'unknown' where the column is empty. A subject has one value, so the cells add up to the unique visitors.
    With `other_below` (K, for open lists such as municipalities), the values with fewer subjects than that in a
    cell's period are counted together as `<prefix>other`: a place is named only where K of its people are in
    the figure, so a hidden count never says "someone from here came" (the fixed categories of age and
    distance need no such merging)."""
    columns = ["scope_id", "period_start", "breakdown", "value", "n"]
    if visits.empty:
        return pd.DataFrame(columns=columns)
    codes, uniques = pd.factorize(visits[column], use_na_sentinel=False)
    raw = pd.Series(np.asarray(uniques, dtype=object), dtype="object")
    values = raw.where(raw.notna() & (raw != ""), "unknown").astype(str)
    labels, renumber = np.unique((prefix + values).to_numpy(dtype=object), return_inverse=True)
    breakdown = renumber[codes].astype(np.int64)
    cells = _distinct_subject_cells(
        visits, scope=scope, kind=kind, breakdown=breakdown, labels=labels, count_rows=False
    )
    if other_below is None:
        return cells
    small = (cells["n"] < other_below) & (cells["breakdown"] != prefix + "unknown")
    if not small.any():
        return cells
    cells.loc[small, "breakdown"] = prefix + OTHER
    # A subject has one value: the merged cell's subjects are the sum of its parts'.
    merged = cells.groupby(["scope_id", "period_start", "breakdown"], sort=True, as_index=False)[["value", "n"]].sum()
    return merged[columns]


def with_origin(visits: pd.DataFrame, origins: pd.DataFrame) -> pd.DataFrame:
    """The visits with `band`, `municipality` and `catchment` (inside/outside) of their postcode, from
    `analytics.origin.origins_frame` (one row per (country, postcode4)); unknown postcodes stay empty."""
    if visits.empty or origins.empty:
        return visits.assign(band=None, municipality=None, catchment=None)
    joined = visits.merge(
        origins[["country", "postcode4", "band", "municipality", "inside_catchment"]],
        on=["country", "postcode4"],
        how="left",
    )
    inside = joined["inside_catchment"]
    joined["catchment"] = [None if v is None or v != v else ("inside" if v else "outside") for v in inside]
    return joined.drop(columns=["inside_catchment"])


def sensor_cells(daily: pd.DataFrame, *, kind: str) -> pd.DataFrame:
    """Counts per (counting point, period) from daily counts (selectors_sensors.counts, interval="day"):
    rows (scope_id, period_start, value, flags) where flags ORs the days' quality bits."""
    columns = ["scope_id", "period_start", "value", "flags"]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    days = daily["phenomenon_start"].dt.tz_localize(None).dt.normalize()
    frame = pd.DataFrame(
        {
            "scope_id": daily["counting_point"].astype(str).to_numpy(),
            "period_start": period_start(days, kind).to_numpy(),
            "value": daily["value"].astype(float).to_numpy(),
            "flags": daily["flags"].astype("int64").to_numpy(),
        }
    )
    return (
        frame.groupby(["scope_id", "period_start"])
        .agg(value=("value", "sum"), flags=("flags", lambda bits: int(np.bitwise_or.reduce(bits.to_numpy()))))
        .reset_index()[columns]
    )


def with_comparisons(values: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Add `previous_value` and `last_year_value` to rows (scope_id, breakdown, period_start, value) of one
    KPI and period kind, looked up in the same (already suppressed) rows: a hidden cell compares as nothing."""
    if values.empty:
        values = values.copy()
        values["previous_value"] = []
        values["last_year_value"] = []
        return values
    # Rows are looked up by an integer key: (scope_id, breakdown) group × period start (first row of a key wins).
    group = values.groupby(["scope_id", "breakdown"], sort=False, dropna=False).ngroup().to_numpy()
    starts = pd.to_datetime(values["period_start"]).to_numpy()
    start_codes, distinct = pd.factorize(starts)  # a few hundred distinct starts
    stamps = [pd.Timestamp(s) for s in distinct]
    previous = pd.DatetimeIndex([shift(s, kind) for s in stamps]).to_numpy()[start_codes]
    year_ago = pd.DatetimeIndex([last_year(s, kind) for s in stamps]).to_numpy()[start_codes]
    n = len(values)
    moments, moment_values = pd.factorize(np.concatenate([starts, previous, year_ago]))
    keys = pd.Index(group * len(moment_values) + moments[:n])
    first = ~keys.duplicated()
    index = keys[first]
    found = values["value"].to_numpy()[first]

    def lookup(targets):
        where = index.get_indexer(group * len(moment_values) + targets)
        return np.where(where >= 0, found[np.maximum(where, 0)], np.nan)

    result = values.copy()
    result["previous_value"] = lookup(moments[n : 2 * n])
    result["last_year_value"] = lookup(moments[2 * n :])
    return result


# --- Webshop and vouchers (area level) ----------------------------------------------------------------------------


def order_cells(orders: pd.DataFrame, *, kind: str) -> pd.DataFrame:
    """Area-level online orders per period from an `extract.orders_frame`: rows (scope_id, period_start, orders,
    spend_cents, spend_cents_top, n) with `orders` the distinct orders, `spend_cents` their goods after refunds,
    `spend_cents_top` the largest single subject's part and `n` the distinct buyers."""
    columns = ["scope_id", "period_start", "orders", "spend_cents", "spend_cents_top", "n"]
    if orders.empty:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(
        {
            "period_start": period_start(orders["local_date"], kind).to_numpy(),
            "subject": orders["subject"].to_numpy(),
            "order_key": orders["order_key"].to_numpy(),
            "goods_cents": orders["goods_cents"].to_numpy(),
        }
    )
    per_subject = frame.groupby(["period_start", "subject"]).agg(
        orders=("order_key", "nunique"), spend_cents=("goods_cents", "sum")
    )
    cells = per_subject.groupby(level="period_start").agg(
        orders=("orders", "sum"),
        spend_cents=("spend_cents", "sum"),
        spend_cents_top=("spend_cents", "max"),
        n=("orders", "size"),
    )
    cells = cells.reset_index()
    cells.insert(0, "scope_id", "area")
    return cells[columns]


def omnichannel_cells(orders: pd.DataFrame, visits: pd.DataFrame, *, kind: str) -> pd.DataFrame:
    """Members who bought both online and in a shop of the area per period: rows (scope_id, period_start, both,
    buyers, value, n) with `buyers` the members who bought in either channel (the share's base), value = both ÷
    buyers, and `n` the smaller of the two groups the share tells apart (did both; did only one), so that the
    K rule hides a share that would single out a small group on either side."""
    columns = ["scope_id", "period_start", "both", "buyers", "value", "n"]
    parts = []
    for channel, frame in (("online", orders), ("shop", visits)):
        if not frame.empty:
            parts.append(
                pd.DataFrame(
                    {
                        "period_start": period_start(frame["local_date"], kind).to_numpy(),
                        "subject": frame["subject"].to_numpy(),
                        "channel": channel,
                    }
                ).drop_duplicates()
            )
    if not parts:
        return pd.DataFrame(columns=columns)
    channels = pd.concat(parts, ignore_index=True).groupby(["period_start", "subject"])["channel"].nunique()
    cells = (channels == 2).groupby(level="period_start").agg(both="sum", buyers="size").reset_index()
    cells["value"] = cells["both"] / cells["buyers"]
    cells["n"] = np.minimum(cells["both"], cells["buyers"] - cells["both"])
    cells.insert(0, "scope_id", "area")
    return cells[columns]


def redemption_cells(redemptions: pd.DataFrame, *, kind: str, redemption_kind: str) -> pd.DataFrame:
    """Area-level uses of vouchers or rewards (`redemption_kind`: "voucher" or "reward") per period from an
    `extract.redemptions_frame`: rows (scope_id, period_start, redemptions, value_cents, value_cents_top, n)."""
    columns = ["scope_id", "period_start", "redemptions", "value_cents", "value_cents_top", "n"]
    rows = redemptions[redemptions["kind"] == redemption_kind] if not redemptions.empty else redemptions
    if rows.empty:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(
        {
            "period_start": period_start(rows["local_date"], kind).to_numpy(),
            "subject": rows["subject"].to_numpy(),
            "value_cents": rows["value_cents"].to_numpy(),
        }
    )
    per_subject = frame.groupby(["period_start", "subject"]).agg(
        redemptions=("value_cents", "size"), value_cents=("value_cents", "sum")
    )
    cells = per_subject.groupby(level="period_start").agg(
        redemptions=("redemptions", "sum"),
        value_cents=("value_cents", "sum"),
        value_cents_top=("value_cents", "max"),
        n=("redemptions", "size"),
    )
    cells = cells.reset_index()
    cells.insert(0, "scope_id", "area")
    return cells[columns]
