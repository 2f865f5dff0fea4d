#!/usr/bin/env python
"""Benchmark: the in-memory part of an analytics recomputation on synthetic visits (no database).

    python bench/analytics_compute_synthetic.py [--visits 1500000] [--members 50000] [--merchants 150]

For when the `large` demo is not seeded: builds one area's visits frame (the shape `extract.visits_frame`
gives: subjects, merchants in 10 sectors, local times over two years, amounts, age groups), then runs what
`services.compute_rows` runs on it — every cell, the weekday × hour and age breakdowns, suppression with its
audit, active members, comparisons — and reports time and peak memory. Reading the frame from PostgreSQL and
writing the figures (COPY) are not in it. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")


def synthetic_visits(visits: int, members: int, merchants: int, seed: int = 1):
    """(frame, sector_of, window): one area's visits frame as `extract.visits_frame` gives it (subjects,
    merchants in 10 sectors with Pareto popularity, local times 9–19 h over 2024-01-01…2026-11-30, amounts,
    age groups), its merchants' sectors and the [start, end) dates. The same for the same arguments."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    start, end = date(2024, 1, 1), date(2026, 11, 30)
    days = (end - start).days
    sector_names = [f"sector{i}" for i in range(10)]
    sector_of = {str(m): sector_names[m % 10] for m in range(merchants)}
    popularity = rng.pareto(1.2, merchants) + 1
    merchant = rng.choice(merchants, size=visits, p=popularity / popularity.sum())
    local = (
        pd.Timestamp(start)
        + pd.to_timedelta(rng.integers(0, days, visits), unit="D")
        + pd.to_timedelta(rng.integers(9, 19, visits), unit="h")
    )
    frame = pd.DataFrame(
        {
            "subject": rng.integers(0, members, visits).astype("int64") * 7919,
            "merchant_id": merchant.astype("int64"),
            "occurred_at": pd.DatetimeIndex(local).tz_localize(
                "Europe/Amsterdam", nonexistent="shift_forward", ambiguous="NaT"
            ),
            "amount_cents": rng.lognormal(7.5, 0.8, visits).astype("int64"),
        }
    ).dropna()
    frame["local_date"] = frame["occurred_at"].dt.tz_localize(None).dt.normalize()
    frame["sector"] = frame["merchant_id"].astype(str).map(sector_of)
    frame["age_band"] = rng.choice(["<25", "25-34", "35-44", "45-54", "55-64", "65+", None], len(frame))
    frame = frame.sort_values("occurred_at").reset_index(drop=True)
    return frame, sector_of, (start, end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=1_500_000)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--merchants", type=int, default=150)
    args = parser.parse_args()
    import django

    django.setup()
    import pandas as pd

    from analytics import kpis, services

    frame, sector_of, (start, end) = synthetic_visits(args.visits, args.members, args.merchants)
    print(f"{len(frame):,} visits, {args.members:,} members, {args.merchants} merchants")

    started = time.perf_counter()
    steps = {}
    t = time.perf_counter()
    raw, published = services._suppressed_table(
        frame, k=30, sector_of=sector_of, with_area_detail=True, window=(start, end)
    )
    steps["cells_and_suppression"] = time.perf_counter() - t
    t = time.perf_counter()
    rows = [services._value_rows(raw, published, purpose="analytics")]
    for scope, kinds in (
        ("area", services.AREA_KINDS),
        ("sector", services.DETAIL_KINDS),
        ("merchant", services.DETAIL_KINDS),
    ):
        for kind in kinds:
            active = kpis.active_members(frame, scope=scope, kind=kind)
            rows.append(
                services._simple_rows(active, kpi="active_members", kind=kind, k=30, purpose="analytics", scope=scope)
            )
    steps["active_members"] = time.perf_counter() - t
    t = time.perf_counter()
    allrows = pd.concat([r for r in rows if not r.empty], ignore_index=True)
    compared = [
        kpis.with_comparisons(g.reset_index(drop=True), kind)
        for (_k, kind), g in allrows.groupby(["kpi", "period_kind"], sort=False)
    ]
    steps["comparisons"] = time.perf_counter() - t
    seconds = time.perf_counter() - started
    figures = sum(len(c) for c in compared)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hidden = int(published["is_suppressed"].sum())
    for name, value in steps.items():
        print(f"{name:24} {value:7.1f} s")
    print(
        f"total {seconds:.1f} s, {figures:,} figures, {hidden:,} of {len(published):,} cells hidden, "
        f"peak {peak:.0f} MiB"
    )
    print(
        json.dumps(
            {
                "benchmark": "analytics_compute_synthetic",
                "date": date.today().isoformat(),
                "visits": len(frame),
                "members": args.members,
                "merchants": args.merchants,
                "seconds": round(seconds, 1),
                "steps": {k: round(v, 1) for k, v in steps.items()},
                "figures": figures,
                "cells": len(published),
                "hidden_cells": hidden,
                "peak_rss_mib": round(peak, 1),
                "load_average": os.getloadavg(),
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
