"""Small-group suppression: no published cell rests on fewer than K people, and none can be worked back.

Three rules, applied in this order (CBS practice, `docs/analytics-kpis.md` §Suppression):

1. **Primary**: a cell whose count of distinct subjects is below K is hidden (`"small_group"`).
2. **Dominance**: a money cell in which one subject holds more than `dominance_share` (30%) of the sum is
   hidden (`"dominance"`); the table says who the top subject is through a `<value>_top` column (the largest
   single subject's part of that cell).
3. **Secondary** (`"secondary"`): the published table comes with linear relations between cells (a row or
   column total, a parent = sum of its children: the area is the sum of its sectors, a month the sum of its
   days). Where a relation has exactly one hidden cell, the smallest visible cell of that relation is hidden
   too; then an exact audit solves the relations for the hidden cells (null space of the relation matrix,
   per connected group of relations) and, while any hidden cell is still determined, hides one more cell next
   to it. A hidden cell is never determined by the published cells and relations (`test_suppression.py`
   attacks it with an independent exact solver over many overlapping groupings). Nor is a small group: where
   the hidden cells of a relation all stand on the same side of it (the parts of a published total), the
   relation publishes their sum, so they must together rest on at least K subjects; otherwise the smallest
   visible part is hidden too (or, with no part left, the total).

A figure that rests on a part of a cell's subjects (the first-time visitors among its visitors, the pickups
followed by a visit) has rules of its own (`suppress_part`): it is hidden with its cell, when the part or the
rest of the cell is below K, and where its counts would give a hidden one away along the same relations.

Hidden cells keep their row; their values become NaN and `suppressed_reason` says why. The platform admin may
see unsuppressed figures; every other viewer sees only suppressed ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

DEFAULT_K = 30
MINIMUM_K = 10
DOMINANCE_SHARE = 0.30

SMALL_GROUP = "small_group"
DOMINANCE = "dominance"
SECONDARY = "secondary"
REASONS = (SMALL_GROUP, DOMINANCE, SECONDARY)


def area_k(area) -> int:
    """The area's K (ShoppingArea.suppression_k, default 30), never below 10 whatever is stored."""
    k = getattr(area, "suppression_k", None) or DEFAULT_K
    return max(int(k), MINIMUM_K)


@dataclass(frozen=True)
class Relation:
    """Σ coefficient·cell = a published constant: cells are row positions in the table.

    A margin (a published row total outside the table) is all coefficients +1; a parent inside the table is
    `parent: -1, children: +1`.
    """

    cells: tuple[int, ...]
    coefficients: tuple[float, ...]

    @classmethod
    def total(cls, cells: Iterable[int]) -> Relation:
        cells = tuple(cells)
        return cls(cells, (1.0,) * len(cells))

    @classmethod
    def parent(cls, parent: int, children: Iterable[int]) -> Relation:
        children = tuple(children)
        return cls((parent, *children), (-1.0, *(1.0,) * len(children)))


def relations_from_totals(table: pd.DataFrame, totals: Sequence[Sequence[str]]) -> list[Relation]:
    """One relation per group of rows sharing the values of each tuple of columns in `totals` (the group's sum
    is published elsewhere, e.g. the row totals of a two-way table are `totals=[("row",), ("column",)]`)."""
    relations = []
    positions = pd.RangeIndex(len(table))
    for columns in totals:
        columns = list(columns)
        if not columns:
            relations.append(Relation.total(positions))
            continue
        for _key, index in table.reset_index(drop=True).groupby(columns, sort=False, dropna=False).indices.items():
            # A group of one cell equals its published total: that cell rests on the same people as the total
            # and is hidden exactly when the total is, so the group adds nothing to protect.
            if len(index) > 1:
                relations.append(Relation.total(positions[index]))
    return relations


def suppress(
    table: pd.DataFrame,
    *,
    k: int,
    count_col: str,
    value_cols: Sequence[str] = (),
    dominance_share: float = DOMINANCE_SHARE,
    totals: Sequence[Sequence[str]] = (),
    relations: Sequence[Relation] = (),
    order_col: str | None = None,
) -> pd.DataFrame:
    """A copy of `table` with primary, dominance and secondary suppression applied.

    `count_col` holds each cell's number of distinct subjects. For each money column `v` in `value_cols` with a
    `v_top` column (its largest single subject's part), the dominance rule applies. `totals` and `relations`
    declare what else is published (see `Relation`). `order_col` (default `count_col`) decides which visible
    cell is hidden next: the smallest. Hidden cells get NaN in `count_col`, `value_cols` and the `*_top`
    columns, and a `suppressed_reason`; `is_suppressed` is added. K below 10 is refused.
    """
    if k < MINIMUM_K:
        raise ValueError(f"K must be at least {MINIMUM_K}, not {k}.")
    result = table.reset_index(drop=True).copy()
    counts = result[count_col].fillna(0).to_numpy(dtype=float)
    reasons = np.full(len(result), "", dtype=object)
    reasons[counts < k] = SMALL_GROUP
    for column in value_cols:
        top = f"{column}_top"
        if top not in result.columns:
            continue
        values = result[column].to_numpy(dtype=float)
        tops = result[top].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            dominant = (np.abs(tops) > dominance_share * np.abs(values)) & (values != 0)
        reasons[(reasons == "") & dominant] = DOMINANCE
    all_relations = [*relations_from_totals(result, totals), *relations]
    order = result[order_col or count_col].fillna(0).to_numpy(dtype=float)
    hidden = protect(reasons != "", all_relations, order=order, counts=counts, k=k)
    reasons[hidden & (reasons == "")] = SECONDARY
    result["suppressed_reason"] = reasons
    result["is_suppressed"] = hidden
    blank = [count_col, *value_cols, *(f"{c}_top" for c in value_cols if f"{c}_top" in result.columns)]
    for column in blank:
        result[column] = result[column].astype(float)
        result.loc[hidden, column] = np.nan
    return result


def protect(
    hidden: np.ndarray,
    relations: Sequence[Relation],
    *,
    order: np.ndarray,
    counts: np.ndarray | None = None,
    k: int | None = None,
) -> np.ndarray:
    """The hidden cells after secondary suppression: no relation holds exactly one hidden cell; with `counts`
    (each cell's subjects) and `k`, no relation publishes the sum of hidden cells resting on fewer than K
    subjects; and no hidden cell is determined by the relations (exact audit). `order`: hide the smallest
    visible cell first."""
    hidden = np.asarray(hidden, dtype=bool).copy()
    relations = [r for r in relations if len(r.cells) > 0]
    while True:
        _single_hidden_pass(hidden, relations, order)
        if counts is not None and k is not None and _small_sum_pass(hidden, relations, order, counts, k):
            continue
        determined = determined_cells(hidden, relations)
        if not determined:
            return hidden
        for cell in determined:
            if not _hide_neighbour(cell, hidden, relations, order):
                # A relation of a single cell publishes that cell: nothing else to hide, keep it hidden
                # by hiding the relation's own published constant is impossible here — refuse loudly.
                raise ValueError(f"Cell {cell} is published by a relation of its own and cannot be hidden.")


def _single_hidden_pass(hidden: np.ndarray, relations: Sequence[Relation], order: np.ndarray) -> None:
    changed = True
    while changed:
        changed = False
        for relation in relations:
            cells = np.fromiter(relation.cells, dtype=int)
            n_hidden = int(hidden[cells].sum())
            if n_hidden == 1:
                visible = cells[~hidden[cells]]
                if len(visible) == 0:
                    continue
                hidden[visible[np.argmin(order[visible])]] = True
                changed = True


def _small_sum_pass(
    hidden: np.ndarray, relations: Sequence[Relation], order: np.ndarray, counts: np.ndarray, k: int
) -> bool:
    """Where the hidden cells of a relation have coefficients of one sign, the relation gives their sum (a total
    minus its visible parts: "7 of the 98 visitors live outside the region"). Such a group must rest on at least
    K subjects: else hide the smallest visible cell of the same sign (the group grows), or, when none is left,
    of the other sign (the total: then only a difference is published). The subjects of a group are counted as
    the sum of its cells' counts: exact for a breakdown (everyone is in one part), an upper bound where one
    subject can be in several cells (visitors on several days). Returns whether it hid anything."""
    counts = np.nan_to_num(np.asarray(counts, dtype=float))
    changed_any, changed = False, True
    while changed:
        changed = False
        for relation in relations:
            cells = np.fromiter(relation.cells, dtype=int)
            coefficients = np.fromiter(relation.coefficients, dtype=float)
            shut = hidden[cells]
            if not shut.any() or shut.all():
                continue
            signs = np.sign(coefficients[shut])
            if (signs != signs[0]).any() or counts[cells[shut]].sum() >= k:
                continue
            visible = ~shut
            same = visible & (np.sign(coefficients) == signs[0])
            pool = cells[same] if same.any() else cells[visible]
            hidden[pool[np.argmin(order[pool])]] = True
            changed = changed_any = True
    return changed_any


def _hide_neighbour(cell: int, hidden: np.ndarray, relations: Sequence[Relation], order: np.ndarray) -> bool:
    """Hide the smallest visible cell of the relation around `cell` with the fewest hidden cells."""
    best = None
    for relation in relations:
        if cell not in relation.cells:
            continue
        cells = np.fromiter(relation.cells, dtype=int)
        visible = cells[~hidden[cells]]
        if len(visible) == 0:
            continue
        candidate = visible[np.argmin(order[visible])]
        key = (int(hidden[cells].sum()), order[candidate])
        if best is None or key < best[0]:
            best = (key, candidate)
    if best is None:
        best = _farther_neighbour(cell, hidden, relations, order)
        if best is None:
            return False
    hidden[best[1]] = True
    return True


def _farther_neighbour(cell: int, hidden: np.ndarray, relations: Sequence[Relation], order: np.ndarray):
    """When every relation around `cell` is hidden whole, the cell is pinned down through relations further
    away: walk the relations linked by hidden cells and hide the smallest visible cell of the nearest one."""
    seen_cells, frontier = {cell}, [cell]
    while frontier:
        candidates = []
        reached = []
        for relation in relations:
            if not seen_cells.intersection(relation.cells):
                continue
            cells = np.fromiter(relation.cells, dtype=int)
            visible = cells[~hidden[cells]]
            if len(visible):
                candidate = visible[np.argmin(order[visible])]
                candidates.append(((int(hidden[cells].sum()), order[candidate]), candidate))
            reached.extend(int(c) for c in cells if hidden[c] and int(c) not in seen_cells)
        if candidates:
            return min(candidates, key=lambda pair: pair[0])
        frontier = list(dict.fromkeys(reached))
        seen_cells.update(frontier)
    return None


def determined_cells(hidden: np.ndarray, relations: Sequence[Relation], *, tolerance: float = 1e-9) -> list[int]:
    """Hidden cells whose value the relations pin down (a row of the null space that is all zero), per
    connected group of relations so that the linear algebra stays small.

    The linear algebra runs on one BLAS thread: its vectors are small, and OpenBLAS's threads on a busy
    2-core machine made each LSQR step 60 times slower (docs/benchmarks.md)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _determined_cells(hidden, relations, tolerance=tolerance)


def _determined_cells(hidden: np.ndarray, relations: Sequence[Relation], *, tolerance: float) -> list[int]:
    hidden_cells = np.flatnonzero(hidden)
    if len(hidden_cells) == 0:
        return []
    position = {int(cell): i for i, cell in enumerate(hidden_cells)}
    rows = []
    for relation in relations:
        row = {
            position[c]: coef for c, coef in zip(relation.cells, relation.coefficients, strict=True) if c in position
        }
        if row:
            rows.append(row)
    if not rows:
        return []
    # Connected components of unknowns linked by a shared relation (union-find).
    parent = list(range(len(hidden_cells)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in rows:
        first, *rest = row
        for other in rest:
            parent[find(other)] = find(first)
    groups: dict[int, list[int]] = {}
    for unknown in range(len(hidden_cells)):
        groups.setdefault(find(unknown), []).append(unknown)
    rows_by_group: dict[int, list[dict]] = {}
    for row in rows:
        rows_by_group.setdefault(find(next(iter(row))), []).append(row)
    determined = []
    for root, unknowns in groups.items():
        group_rows = rows_by_group.get(root, [])
        if not group_rows:
            continue
        local = {u: j for j, u in enumerate(unknowns)}
        if len(unknowns) <= DENSE_LIMIT:
            free = _free_dense(group_rows, local, tolerance)
        else:
            free = _free_sparse(group_rows, local)
        determined.extend(int(hidden_cells[u]) for u, j in local.items() if not free[j])
    return determined


#: Components up to this many hidden cells are solved with a dense SVD; larger ones by projection (sparse).
DENSE_LIMIT = 400


def _matrix(group_rows, local) -> tuple[list, list, list]:
    data, row_index, col_index = [], [], []
    for i, row in enumerate(group_rows):
        for u, coef in row.items():
            data.append(coef)
            row_index.append(i)
            col_index.append(local[u])
    return data, row_index, col_index


def _free_dense(group_rows, local, tolerance: float) -> np.ndarray:
    """Which unknowns the null space reaches (nonzero in some null-space vector): exact up to rounding."""
    data, rows, cols = _matrix(group_rows, local)
    matrix = np.zeros((len(group_rows), len(local)))
    matrix[rows, cols] = data
    _u, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > tolerance * max(matrix.shape) * (singular[0] if len(singular) else 0)).sum())
    null = vt[rank:].T
    if null.shape[1] == 0:
        return np.zeros(len(local), dtype=bool)
    return np.abs(null).max(axis=1) > 1e-8


def _free_sparse(group_rows, local, *, tries: int = 2) -> np.ndarray:
    """The same for a large component: project random vectors onto the null space (r − Aᵀw, w the least-squares
    solution of Aᵀw = r, by LSQR on the sparse matrix). A random null-space vector is nonzero, with probability 1,
    at every unknown the null space reaches; an unknown counts as free only if every projection reaches it, and
    a projection that did not converge marks nothing free (so doubt means "determined": hide more)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import lsqr

    data, rows, cols = _matrix(group_rows, local)
    matrix = csr_matrix((data, (rows, cols)), shape=(len(group_rows), len(local)))
    rng = np.random.default_rng(len(local))
    free = np.ones(len(local), dtype=bool)
    for _ in range(tries):
        r = rng.standard_normal(len(local))
        w = lsqr(matrix.T, r, atol=1e-14, btol=1e-14, iter_lim=20 * len(local))[0]
        v = r - matrix.T @ w
        scale = np.abs(v).max() or 1.0
        if np.abs(matrix @ v).max() > 1e-7 * scale:
            return np.zeros(len(local), dtype=bool)
        free &= np.abs(v) > 1e-6 * scale
    return free


def suppress_part(
    cell_reasons: np.ndarray,
    *,
    k: int,
    part_people: np.ndarray,
    rest_people: np.ndarray,
    relations: Sequence[Relation] = (),
    order: np.ndarray | None = None,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """The reasons ("" = shown) for a figure resting on a part of each cell's subjects: the first-time visitors
    among a cell's visitors, the pickups followed by a visit. Hidden with its cell (the cell's own reason); as
    a `small_group` when the part or the rest of the cell (`part_people`, `rest_people`: distinct subjects) is
    below K, since against the cell's published total a figure of the one gives the other away; `secondary`
    where the part's counts, which add up along `relations` (a month's first-time visitors are its days'),
    would give a hidden one or a small group away (`protect`; a group's subjects: the smaller side where the
    cell is shown, the part where the cell is hidden and its rest therefore unknown). `known`: cells whose part
    was published before (a stored cell shown with its part): constants in the relations, never hidden now."""
    if known is not None and np.any(known):
        relations = without_known(relations, np.asarray(known, dtype=bool))
    reasons = np.asarray(cell_reasons, dtype=object).copy()
    part_people = np.nan_to_num(np.asarray(part_people, dtype=float))
    smaller = np.minimum(part_people, np.nan_to_num(np.asarray(rest_people, dtype=float)))
    cell_hidden = reasons != ""
    reasons[~cell_hidden & (smaller < k)] = SMALL_GROUP
    counts = np.where(cell_hidden, part_people, smaller)
    order = smaller if order is None else np.asarray(order, dtype=float)
    hidden = protect(reasons != "", list(relations), order=order, counts=counts, k=k)
    reasons[hidden & (reasons == "")] = SECONDARY
    return reasons


def without_known(relations: Iterable[Relation], known: np.ndarray) -> list[Relation]:
    """The relations with the `known` cells taken out (a published value moves into the relation's constant). A
    relation left with one cell or none is dropped: what it pins down follows from published figures alone."""
    kept = []
    for relation in relations:
        pairs = [(c, coef) for c, coef in zip(relation.cells, relation.coefficients, strict=True) if not known[c]]
        if len(pairs) > 1:
            kept.append(Relation(tuple(c for c, _ in pairs), tuple(coef for _, coef in pairs)))
    return kept


def percentage_allowed(denominator: float | None, *, k: int) -> bool:
    """A share is published only when its denominator rests on at least K subjects."""
    return denominator is not None and not np.isnan(denominator) and denominator >= k
