#!/usr/bin/env python
"""A digest of every figure the in-memory part of a recomputation gives for a fixed synthetic input.

    python bench/analytics_digest.py [--visits 200000] [--members 8000] [--merchants 60] [--save rows.pkl]
                                     [--compare rows.pkl]

For changes to the computation that must not change its results (speed work): run it before the change with
`--save`, after it with `--compare`; the digest (and, with `--compare`, the first differing rows) must match.
It runs what `services.compute_rows` runs after reading the database — the analytics cells with the weekday ×
hour and profile breakdowns, suppression with its audit, active members (hidden whole with their cell), pickups,
the merchants' own figures (share_with_merchants), comparisons — on generated frames (see
`analytics_compute_synthetic.py`). Sensor figures need the database and are not in it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")

KEY = ["purpose", "kpi", "scope", "scope_id", "breakdown", "period_kind", "period_start"]
VALUES = ["value", "raw_value", "previous_value", "last_year_value", "n", "suppressed_reason"]


def figures(frame, pickups, *, sector_of, window, k=30):
    """The long rows compute_rows would return for these frames (without the sensor rows)."""
    import numpy as np
    import pandas as pd

    from analytics import kpis, services
    from analytics.models import Scope
    from analytics.suppression import SECONDARY

    raw, published = services._suppressed_table(frame, k=k, sector_of=sector_of, with_area_detail=True, window=window)
    frames = [services._value_rows(raw, published, purpose="analytics")]
    mask = (published["kind"] == "cell") & published["is_suppressed"]
    hidden_cells = set(
        published.loc[mask, ["scope", "scope_id", "period_kind", "period_start"]].itertuples(index=False, name=None)
    )
    for scope, kinds in (
        (Scope.AREA, services.AREA_KINDS),
        (Scope.SECTOR, services.DETAIL_KINDS),
        (Scope.MERCHANT, services.DETAIL_KINDS),
    ):
        for kind in kinds:
            active = kpis.active_members(frame, scope=scope.value, kind=kind)
            rows = services._simple_rows(active, kpi="active_members", kind=kind, k=k, purpose="analytics", scope=scope)
            if not rows.empty and hidden_cells:
                keys = zip(rows["scope"], rows["scope_id"], rows["period_kind"], rows["period_start"], strict=True)
                also = np.array([(s_, i, pk, pd.Timestamp(ps)) in hidden_cells for s_, i, pk, ps in keys])
                also &= rows["suppressed_reason"].to_numpy() == ""
                rows.loc[also, "suppressed_reason"] = SECONDARY
                rows.loc[also, "value"] = np.nan
            frames.append(rows)
    frames.append(services._pickup_rows(pickups, frame, k=k, window=window))
    shared = frame[frame["subject"] % 3 != 0].reset_index(drop=True)  # consent to sharing: two in three
    raw, published = services._suppressed_table(shared, k=k, sector_of=sector_of, with_area_detail=False, window=window)
    frames.append(services._value_rows(raw, published, purpose="share_with_merchants"))
    rows = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    rows["scope"] = rows["scope"].astype(str)
    rows["period_start"] = pd.to_datetime(rows["period_start"])
    compared = [
        kpis.with_comparisons(group.reset_index(drop=True), kind)
        for (_purpose, _kpi, kind), group in rows.groupby(["purpose", "kpi", "period_kind"], sort=False)
    ]
    return pd.concat(compared, ignore_index=True)


def canonical(rows):
    """Rows sorted by their key, values as exact text (NaN as 'nan'), for hashing and comparing."""
    import numpy as np

    out = rows[KEY + VALUES].copy()
    out["period_start"] = out["period_start"].dt.strftime("%Y-%m-%d")
    for column in ("scope_id", "breakdown", "suppressed_reason"):
        out[column] = out[column].fillna("").astype(str)
    for column in ("value", "raw_value", "previous_value", "last_year_value", "n"):
        values = out[column].to_numpy(dtype=float)
        out[column] = [("nan" if np.isnan(v) else repr(float(v))) for v in values]
    return out.sort_values(KEY, kind="stable").reset_index(drop=True)


def digest(frame) -> str:
    text = frame.to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=8_000)
    parser.add_argument("--merchants", type=int, default=60)
    parser.add_argument("--save")
    parser.add_argument("--compare")
    args = parser.parse_args()
    import django

    django.setup()
    import numpy as np
    import pandas as pd
    from analytics_compute_synthetic import synthetic_visits

    frame, sector_of, window = synthetic_visits(args.visits, args.members, args.merchants)
    rng = np.random.default_rng(2)
    # Profile columns as kpis.with_origin gives them (a few unknowns).
    frame["band"] = rng.choice(["0-5", "5-15", "15-30", None], len(frame))
    frame["municipality"] = rng.choice(["Utrecht", "Zeist", "Houten", "De Bilt", None], len(frame))
    frame["catchment"] = rng.choice(["inside", "outside", None], len(frame))
    sample = frame.sample(n=min(len(frame) // 20, 20_000), random_state=3)
    pickups = pd.DataFrame(
        {
            "subject": sample["subject"].to_numpy(),
            "picked_up_at": (sample["occurred_at"] - pd.Timedelta(hours=2)).to_numpy(),
            "local_date": sample["local_date"].to_numpy(),
        }
    )
    pickups["picked_up_at"] = pd.DatetimeIndex(pickups["picked_up_at"]).tz_convert("Europe/Amsterdam")
    pickups.loc[::3, "subject"] += 1  # a third of them are followed by no visit of theirs
    started = time.perf_counter()
    rows = figures(frame, pickups, sector_of=sector_of, window=window)
    seconds = time.perf_counter() - started
    table = canonical(rows)
    print(f"{len(table):,} figures in {seconds:.1f} s; hidden: {(table['suppressed_reason'] != '').sum():,}")
    for kpi, group in table.groupby("kpi"):
        print(f"  {kpi:28} {len(group):8,}  {digest(group)[:16]}")
    print(f"digest {digest(table)}")
    if args.save:
        table.to_pickle(args.save)
    if args.compare:
        before = pd.read_pickle(args.compare)
        if before.equals(table):
            print("identical to", args.compare)
        else:
            merged = before.merge(table, on=KEY, how="outer", suffixes=("_before", "_after"), indicator=True)
            differ = merged["_merge"] != "both"
            for column in VALUES:
                differ |= merged[f"{column}_before"] != merged[f"{column}_after"]
            print(f"DIFFERENT: {int(differ.sum()):,} rows of {len(merged):,}")
            with pd.option_context("display.width", 250, "display.max_columns", 30):
                print(merged[differ].head(20))
            sys.exit(1)


if __name__ == "__main__":
    main()
