"""RFM scores on a hand-made fixture, named segments, and reproducible k-means clusters."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics.segments import cluster, named_segment, quintile_score, rfm_table

AS_OF = date(2026, 6, 1)


def visits(rows):
    """rows: (subject, days before AS_OF, cents, merchant, sector)."""
    return pd.DataFrame(
        [
            {
                "subject": subject,
                "local_date": pd.Timestamp(AS_OF - timedelta(days=ago)),
                "amount_cents": cents,
                "merchant_id": merchant,
                "sector": sector,
            }
            for subject, ago, cents, merchant, sector in rows
        ]
    )


def test_quintile_scores_by_rank_with_ties_sharing_the_lowest():
    values = pd.Series([10, 20, 20, 30, 40, 50, 60, 70, 80, 90])
    # rank(min): 1,2,2,4,5,6,7,8,9,10 → 1 + ⌊5(rank−1)/10⌋
    assert list(quintile_score(values)) == [1, 1, 1, 2, 3, 3, 4, 4, 5, 5]
    # reversed, the two 20s share rank 8 of 10: ties get the lower score
    assert list(quintile_score(values, higher_is_better=False)) == [5, 4, 4, 4, 3, 3, 2, 2, 1, 1]


def test_rfm_on_a_hand_made_fixture():
    table = rfm_table(
        visits(
            [
                # 1: five visits, last 2 days ago, € 100 in all, first 300 days ago
                *[(1, ago, 2000, 10, "food") for ago in (2, 30, 60, 200, 300)],
                # 2: one visit 250 days ago
                (2, 250, 5000, 11, "fashion"),
                # 3: three visits, last 100 days ago, first 320 days ago
                (3, 100, 1000, 10, "food"),
                (3, 150, 1000, 12, "books"),
                (3, 320, 1000, 12, "books"),
                # 4: joined recently: two visits, 10 and 40 days ago
                (4, 10, 1500, 10, "food"),
                (4, 40, 1500, 10, "food"),
                # 5: € 200 yesterday, € 10 four months ago
                (5, 1, 20000, 11, "fashion"),
                (5, 120, 1000, 11, "fashion"),
            ]
        ),
        as_of=AS_OF,
    )

    assert list(table.index) == [1, 2, 3, 4, 5]
    assert list(table["recency_days"]) == [2, 250, 100, 10, 1]
    assert list(table["frequency"]) == [5, 1, 3, 2, 2]
    assert list(table["monetary_cents"]) == [10000, 5000, 3000, 3000, 21000]
    assert list(table["merchants"]) == [1, 1, 2, 1, 1]
    assert list(table["sectors"]) == [1, 1, 2, 1, 1]
    # recency ranks (most recent best): 5 (1 d) → 5, 1 (2 d) → 4, 4 (10 d) → 3, 3 (100 d) → 2, 2 (250 d) → 1
    assert list(table["r"]) == [4, 1, 2, 3, 5]
    # frequency 5,1,3,2,2 → ranks 5,1,4,2,2 → scores 5,1,4,2,2
    assert list(table["f"]) == [5, 1, 4, 2, 2]
    # monetary 10000,5000,3000,3000,21000 → ranks 4,3,1,1,5
    assert list(table["m"]) == [4, 3, 1, 1, 5]
    assert list(table["segment"]) == ["rfm_loyal", "rfm_lapsed", "rfm_at_risk", "rfm_new", "rfm_big_spender"]


@pytest.mark.parametrize(
    ("scores", "recency", "since_first", "expected"),
    [
        ((5, 5, 5), 1, 30, "rfm_new"),
        ((1, 5, 5), 181, 400, "rfm_lapsed"),
        ((2, 3, 1), 90, 400, "rfm_at_risk"),
        ((4, 4, 1), 5, 400, "rfm_loyal"),
        ((3, 1, 5), 40, 400, "rfm_big_spender"),
        ((3, 2, 2), 40, 400, "rfm_occasional"),
    ],
)
def test_named_segments_follow_their_written_rules(scores, recency, since_first, expected):
    r, f, m = scores
    assert named_segment(r=r, f=f, m=m, recency_days=recency, days_since_first=since_first) == expected


def _population(seed: int, members: int = 300) -> pd.DataFrame:
    """Three kinds of members: weekly regulars, monthly big spenders, and one-off visitors."""
    rng = np.random.default_rng(seed)
    rows = []
    for subject in range(members):
        kind = subject % 3
        count = (40, 8, 1)[kind] + rng.integers(0, 3)
        for _ in range(count):
            ago = int(rng.integers(0, (60, 200, 360)[kind]))
            cents = int(rng.lognormal(np.log((1500, 12000, 3000)[kind]), 0.3))
            rows.append((subject, ago, cents, int(rng.integers(1, 6)), ("food", "fashion", "books")[kind]))
    return rfm_table(visits(rows), as_of=AS_OF)


def test_clusters_are_reproducible_for_a_seed_and_report_a_silhouette():
    table = _population(seed=1)

    first = cluster(table, seed=42)
    second = cluster(table, seed=42)

    assert first.k == second.k
    assert (first.labels == second.labels).all()
    assert first.profiles == second.profiles
    assert 0.3 < first.silhouette <= 1  # three well-separated kinds
    assert set(first.silhouettes) == {2, 3, 4, 5, 6}
    assert (
        first.silhouette == max(first.silhouettes.values())
        or abs(first.silhouette - max(first.silhouettes.values())) < 1e-4
    )


def test_cluster_profiles_name_the_features_that_explain_them():
    table = _population(seed=2)

    result = cluster(table, seed=0, k=3)

    assert [profile["size"] for profile in result.profiles] == sorted(
        (profile["size"] for profile in result.profiles), reverse=True
    )
    assert sum(profile["size"] for profile in result.profiles) == len(table)
    regulars = max(result.profiles, key=lambda profile: profile["z"]["frequency"])
    assert regulars["z"]["frequency"] > 1
    assert "frequency" in regulars["explained_by"] or "recency_days" in regulars["explained_by"]
    # The regulars' cluster holds the weekly visitors (subjects 0, 3, 6, …).
    members = result.labels[result.labels == regulars["cluster"]].index
    assert {subject % 3 for subject in members} == {0}
