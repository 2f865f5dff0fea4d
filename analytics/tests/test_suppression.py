"""Small-group suppression: primary, dominance, secondary, and an attack that tries to work hidden cells back.

The attack (`Attacker`) is written independently of `analytics.suppression`: it knows what every published
cell counts (which merchants, which days, which weekday-hours: "atoms") and solves the published figures as
a linear system by exact elimination modulo a large prime. A hidden cell leaks when its atom vector lies in
the span of the published cells' vectors (then a combination of published figures — totals minus parts,
overlapping periods, other groupings — gives its exact value). Empty cells are published as zero.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import kpis, services
from analytics.suppression import (
    DOMINANCE,
    SECONDARY,
    SMALL_GROUP,
    Relation,
    area_k,
    determined_cells,
    protect,
    suppress,
)

AMS = ZoneInfo("Europe/Amsterdam")


def test_area_k_defaults_to_30_and_never_goes_below_10():
    assert area_k(SimpleNamespace(suppression_k=None)) == 30
    assert area_k(SimpleNamespace(suppression_k=50)) == 50
    assert area_k(SimpleNamespace(suppression_k=3)) == 10
    with pytest.raises(ValueError):
        suppress(pd.DataFrame({"n": [1]}), k=9, count_col="n")


def test_primary_hides_cells_below_k():
    table = pd.DataFrame({"cell": ["a", "b", "c"], "n": [9, 10, 40], "visits": [20, 25, 90]})
    result = suppress(table, k=10, count_col="n", value_cols=["visits"])
    assert result["suppressed_reason"].tolist() == [SMALL_GROUP, "", ""]
    assert np.isnan(result.loc[0, "visits"]) and np.isnan(result.loc[0, "n"])
    assert result.loc[1, "visits"] == 25


def test_dominance_hides_a_money_cell_where_one_person_has_more_than_30_percent():
    table = pd.DataFrame({"n": [40, 40], "spend_cents": [10_000, 10_000], "spend_cents_top": [3_001, 3_000]})
    result = suppress(table, k=10, count_col="n", value_cols=["spend_cents"])
    assert result["suppressed_reason"].tolist() == [DOMINANCE, ""]
    assert np.isnan(result.loc[0, "spend_cents"]) and np.isnan(result.loc[0, "spend_cents_top"])


def test_secondary_hides_a_second_cell_in_every_row_and_column_with_a_hidden_one():
    # A 3 × 3 table whose row and column totals are published elsewhere; only (r1, c1) is small.
    rows, cols = np.meshgrid(["r0", "r1", "r2"], ["c0", "c1", "c2"], indexing="ij")
    n = np.array([[50, 60, 70], [40, 5, 80], [90, 45, 55]])
    table = pd.DataFrame({"row": rows.ravel(), "col": cols.ravel(), "n": n.ravel(), "v": n.ravel() * 3})
    result = suppress(table, k=10, count_col="n", value_cols=["v"], totals=[("row",), ("col",)])
    hidden = result.pivot(index="row", columns="col", values="is_suppressed")
    assert hidden.loc["r1", "c1"]
    for line in [*hidden.to_numpy(), *hidden.to_numpy().T]:
        assert line.sum() != 1
    # The smallest neighbours are chosen: (r1, c0) = 40 in the row, (r2, c1) = 45 in the column.
    assert hidden.loc["r1", "c0"] and hidden.loc["r2", "c1"]
    assert set(result.loc[result["is_suppressed"], "suppressed_reason"]) == {SMALL_GROUP, SECONDARY}


def test_the_audit_catches_a_cell_that_every_line_protects_but_the_system_still_determines():
    # Two 2 × 2 blocks of hidden cells joined by one hidden "bridge" cell (1, 2): every row and column holds
    # 0 or at least 2 hidden cells, yet rows 0+1 minus columns 0+1 give the bridge exactly.
    size = 4
    pos = {(r, c): r * size + c for r in range(size) for c in range(size)}
    hidden = np.zeros(size * size, dtype=bool)
    for cell in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (1, 2)]:
        hidden[pos[cell]] = True
    relations = [Relation.total(pos[(r, c)] for c in range(size)) for r in range(size)]
    relations += [Relation.total(pos[(r, c)] for r in range(size)) for c in range(size)]
    assert determined_cells(hidden, relations) == [pos[(1, 2)]]
    protected = protect(hidden, relations, order=np.arange(size * size, dtype=float))
    assert protected[hidden].all() and protected.sum() > hidden.sum()
    assert determined_cells(protected, relations) == []


# --- The attack -----------------------------------------------------------------------------------------------

PRIME = 2_147_483_647
HOURS = (10, 15)
WINDOW = (date(2026, 2, 1), date(2026, 4, 1))  # 1 Feb 2026 is a Sunday: the first week is cut off


class Attacker:
    """Knows the published table and what each cell counts; solves for the hidden cells."""

    def __init__(self, published: pd.DataFrame, sector_of: dict[str, str]):
        self.sector_of = sector_of
        days = pd.date_range(WINDOW[0], WINDOW[1] - timedelta(days=1), freq="D")
        merchants = sorted(sector_of)
        self.atoms = {
            (m, d, h): i for i, (m, d, h) in enumerate((m, d, h) for m in merchants for d in days for h in HOURS)
        }
        self.published = published[published["kind"].isin(["cell", "hour"])]

    def vector(self, row) -> np.ndarray:
        vector = np.zeros(len(self.atoms), dtype=np.int64)
        start = pd.Timestamp(row.period_start)
        end = kpis.period_end(start, row.period_kind)
        for (merchant, day, hour), index in self.atoms.items():
            if not (start <= day < end):
                continue
            if row.scope == "sector" and self.sector_of[merchant] != row.scope_id:
                continue
            if row.scope == "merchant" and merchant != row.scope_id:
                continue
            if row.kind == "hour" and (f"d{day.weekday()}h{hour:02d}" != row.breakdown):
                continue
            vector[index] = 1
        return vector

    def absent_cells(self) -> list:
        """Cells a reader knows to be zero: every scope × period of the window with no row."""
        present = {
            (r.kind, r.scope, r.scope_id, r.period_kind, pd.Timestamp(r.period_start), r.breakdown)
            for r in self.published.itertuples()
        }
        days = pd.Series(pd.date_range(WINDOW[0], WINDOW[1] - timedelta(days=1), freq="D"))
        scopes = (
            [("area", "area")]
            + [("sector", s) for s in sorted(set(self.sector_of.values()))]
            + [("merchant", m) for m in sorted(self.sector_of)]
        )
        absent = []
        for scope, scope_id in scopes:
            kinds = services.AREA_KINDS if scope == "area" else services.DETAIL_KINDS
            for kind in kinds:
                for start in sorted(set(kpis.period_start(days, kind))):
                    key = ("cell", scope, scope_id, kind, pd.Timestamp(start), "")
                    if key not in present:
                        absent.append(
                            SimpleNamespace(
                                kind="cell",
                                scope=scope,
                                scope_id=scope_id,
                                period_kind=kind,
                                period_start=start,
                                breakdown="",
                            )
                        )
        for kind in services.BREAKDOWN_KINDS:
            for start in sorted(set(kpis.period_start(days, kind))):
                for weekday in range(7):
                    for hour in HOURS:
                        breakdown = f"d{weekday}h{hour:02d}"
                        if ("hour", "area", "area", kind, pd.Timestamp(start), breakdown) not in present:
                            absent.append(
                                SimpleNamespace(
                                    kind="hour",
                                    scope="area",
                                    scope_id="area",
                                    period_kind=kind,
                                    period_start=start,
                                    breakdown=breakdown,
                                )
                            )
        return absent

    def leaked(self) -> list:
        """The hidden cells whose exact value follows from the published ones."""
        known = [self.vector(r) for r in self.published.itertuples() if not r.is_suppressed]
        known += [self.vector(r) for r in self.absent_cells()]
        basis = _echelon(np.array(known, dtype=np.int64) % PRIME)
        return [r for r in self.published.itertuples() if r.is_suppressed and _in_span(basis, self.vector(r))]


def _echelon(matrix: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Row echelon form over GF(PRIME): a list of (pivot column, row with 1 at the pivot)."""
    rows = [row for row in matrix if row.any()]
    basis: list[tuple[int, np.ndarray]] = []
    for row in rows:
        row = _reduce(basis, row.copy())
        nonzero = np.flatnonzero(row)
        if len(nonzero) == 0:
            continue
        pivot = int(nonzero[0])
        inverse = pow(int(row[pivot]), PRIME - 2, PRIME)
        row = (row * inverse) % PRIME
        basis.append((pivot, row))
    return basis


def _reduce(basis, row: np.ndarray) -> np.ndarray:
    for pivot, base in basis:
        factor = int(row[pivot])
        if factor:
            row = (row - factor * base) % PRIME
    return row


def _in_span(basis, vector: np.ndarray) -> bool:
    return not _reduce(basis, vector % PRIME).any()


visit = st.tuples(
    st.integers(0, 59),  # subject
    st.integers(0, 4),  # merchant
    st.integers(0, (WINDOW[1] - WINDOW[0]).days - 1),  # day in the window
    st.sampled_from(HOURS),
    st.integers(100, 20_000),  # cents
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    visits=st.lists(visit, min_size=40, max_size=400),
    sectors=st.lists(st.sampled_from(["fashion", "food", "services"]), min_size=5, max_size=5),
)
def test_no_hidden_cell_can_be_worked_back_from_the_published_tables(visits, sectors):
    # given: visits at 5 merchants in 3 sectors over two months, published per area/sector/merchant ×
    # day/week/month/quarter/year and per weekday × hour, K = 10
    sector_of = {str(m): sectors[m] for m in range(5)}
    frame = pd.DataFrame(
        [
            (
                subject,
                merchant,
                datetime.combine(WINDOW[0] + timedelta(days=day), datetime.min.time(), AMS) + timedelta(hours=hour),
                cents,
            )
            for subject, merchant, day, hour, cents in visits
        ],
        columns=["subject", "merchant_id", "occurred_at", "amount_cents"],
    )
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"]).dt.tz_convert(AMS)
    frame["local_date"] = frame["occurred_at"].dt.tz_localize(None).dt.normalize()
    frame["sector"] = frame["merchant_id"].astype(str).map(sector_of)
    frame["age_band"] = None
    raw, published = services._suppressed_table(frame, k=10, sector_of=sector_of, with_area_detail=True, window=WINDOW)
    # then: every cell under K is hidden, and no hidden cell follows from the published ones
    assert published.loc[raw["n"] < 10, "is_suppressed"].all()
    leaks = Attacker(published, sector_of).leaked()
    assert leaks == [], [(r.kind, r.scope, r.scope_id, r.period_kind, r.period_start, r.breakdown) for r in leaks]
