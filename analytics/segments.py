"""Profiles and segments: RFM scores, named segments and k-means clusters of the consenting members.

Pure functions on `analytics.extract.visits_frame` (one row per visit, a pseudonymous `subject`, never an id or
a name); the service in `services_effects.py` stores the result. Definitions: `docs/analytics-effects.md`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

#: Named segments, in the order they are tested: a member gets the first that fits.
SEGMENTS = {
    "rfm_new": _("New (first visit in the last 90 days)"),
    "rfm_lapsed": _("Lapsed (no visit in the last 180 days)"),
    "rfm_at_risk": _("At risk (used to come often, not lately)"),
    "rfm_loyal": _("Loyal (recent and frequent)"),
    "rfm_big_spender": _("Big spenders (top fifth of spend, still coming)"),
    "rfm_occasional": _("Occasional (the rest)"),
}
#: Who is in each, for the campaign form's "Who is in each group?" (the rules of `named_segment`).
SEGMENT_DESCRIPTIONS = {
    "rfm_new": _("Their first visit was less than 90 days ago."),
    "rfm_lapsed": _("They came before, but not in the last 180 days."),
    "rfm_at_risk": _("They came at least as often as most members, but their last visit is longer ago than for most."),
    "rfm_loyal": _("They came recently and more often than most members."),
    "rfm_big_spender": _("They spent more than four in five members, and still come."),
    "rfm_occasional": _("Everyone else with visits."),
}
#: Where they come from, on the campaign form.
SEGMENT_GROUP = _("From the analytics profiles of visits (one group per member, updated at each analytics run)")
NEW_DAYS = 90
LAPSED_DAYS = 180
FEATURES = (
    "recency_days",
    "frequency",
    "monetary_cents",
    "spend_per_visit_cents",
    "merchants",
    "sectors",
    "weekend_share",
)
FEATURE_LABELS = {
    "recency_days": _("days since the last visit"),
    "frequency": _("visits"),
    "monetary_cents": _("spend"),
    "spend_per_visit_cents": _("spend per visit"),
    "merchants": _("different merchants"),
    "sectors": _("different sectors"),
    "weekend_share": _("share of visits at the weekend"),
}
#: How a cluster differs from the average member in a feature, by the sign of its centroid's z-score (higher,
#: lower): "more visits", "fewer visits" (`directions`).
FEATURE_DIRECTIONS = {
    "recency_days": (_("last visit longer ago"), _("last visit more recent")),
    "frequency": (_("more visits"), _("fewer visits")),
    "monetary_cents": (_("higher spend"), _("lower spend")),
    "spend_per_visit_cents": (_("higher spend per visit"), _("lower spend per visit")),
    "merchants": (_("more different merchants"), _("fewer different merchants")),
    "sectors": (_("more different sectors"), _("fewer different sectors")),
    "weekend_share": (_("more often at the weekend"), _("less often at the weekend")),
}
K_CHOICES = range(2, 7)
#: Silhouette on a sample above this many members (its cost grows with the square of the members).
SILHOUETTE_SAMPLE = 5_000


def quintile_score(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """1–5 by rank: score = 1 + ⌊5 · (rank − 1) / n⌋, ties sharing their lowest rank (so equal values score the
    same). `higher_is_better=False` scores the smallest values 5 (recency: few days since the last visit)."""
    ranked = (values if higher_is_better else -values).rank(method="min")
    return (1 + np.floor(5 * (ranked - 1) / len(values))).astype(int)


def rfm_table(visits: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """Per subject: recency (days since the last visit, as of `as_of`), frequency (visits), monetary (cents), the
    day of the first visit, the profile features, the R, F and M scores and the named segment."""
    if visits.empty:
        return pd.DataFrame(columns=[*FEATURES, "first_visit", "r", "f", "m", "segment"])
    frame = visits.assign(local_date=pd.to_datetime(visits["local_date"]))
    frame["weekend"] = frame["local_date"].dt.day_of_week >= 5
    grouped = frame.groupby("subject", sort=True)
    table = pd.DataFrame(
        {
            "last_visit": grouped["local_date"].max(),
            "first_visit": grouped["local_date"].min(),
            "frequency": grouped.size(),
            "monetary_cents": grouped["amount_cents"].sum(),
            "merchants": grouped["merchant_id"].nunique(),
            "sectors": grouped["sector"].nunique(),
            "weekend_share": grouped["weekend"].mean(),
        }
    )
    table["recency_days"] = (pd.Timestamp(as_of) - table["last_visit"]).dt.days
    table["spend_per_visit_cents"] = table["monetary_cents"] / table["frequency"]
    table["first_visit"] = table["first_visit"].dt.date
    table["r"] = quintile_score(table["recency_days"], higher_is_better=False)
    table["f"] = quintile_score(table["frequency"])
    table["m"] = quintile_score(table["monetary_cents"])
    table["segment"] = [
        named_segment(r=r, f=f, m=m, recency_days=recency, days_since_first=(as_of - first).days)
        for r, f, m, recency, first in zip(
            table["r"], table["f"], table["m"], table["recency_days"], table["first_visit"], strict=True
        )
    ]
    return table.drop(columns=["last_visit"])


def named_segment(*, r: int, f: int, m: int, recency_days: int, days_since_first: int) -> str:
    """The first segment whose rule fits (rules in `docs/analytics-effects.md`)."""
    if days_since_first < NEW_DAYS:
        return "rfm_new"
    if recency_days > LAPSED_DAYS:
        return "rfm_lapsed"
    if r <= 2 and f >= 3:
        return "rfm_at_risk"
    if r >= 4 and f >= 4:
        return "rfm_loyal"
    if m == 5 and r >= 3:
        return "rfm_big_spender"
    return "rfm_occasional"


@dataclass(frozen=True)
class Clustering:
    k: int
    seed: int
    silhouette: float
    labels: pd.Series  # cluster per subject, 0 the largest
    profiles: list[dict]  # per cluster: size, centroid z-scores per feature, the features that explain it
    silhouettes: dict[int, float]  # per k tried


def _standardised(table: pd.DataFrame) -> pd.DataFrame:
    features = table[list(FEATURES)].astype(float)
    # Counts and money are skewed: log first, so one big spender does not make a cluster of their own.
    for column in ("recency_days", "frequency", "monetary_cents", "spend_per_visit_cents", "merchants", "sectors"):
        features[column] = np.log1p(features[column])
    spread = features.std(ddof=0).replace(0, 1.0)
    return (features - features.mean()) / spread


def cluster(table: pd.DataFrame, *, seed: int, k: int | None = None) -> Clustering:
    """k-means on the standardised (log) features; k chosen by the best silhouette in 2–6 unless given.
    The same table and seed give the same clusters, numbered by size (0 the largest)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    z = _standardised(table)
    n = len(z)
    if n < 3:
        raise ValueError("Clustering needs at least three members.")
    sample = min(n, SILHOUETTE_SAMPLE)
    tried: dict[int, tuple[float, np.ndarray]] = {}
    for candidate in [k] if k else [c for c in K_CHOICES if c < n]:
        model = KMeans(n_clusters=candidate, n_init=10, random_state=seed).fit(z.to_numpy())
        if len(set(model.labels_)) < 2:
            continue
        score = float(silhouette_score(z.to_numpy(), model.labels_, sample_size=sample, random_state=seed))
        tried[candidate] = (score, model.labels_)
    if not tried:
        raise ValueError("No clustering separates these members.")
    best = max(tried, key=lambda c: (tried[c][0], -c))
    silhouette, raw = tried[best]
    # Number clusters by size (then by their first member), so the numbering does not depend on KMeans' order.
    order = sorted(set(raw), key=lambda label: (-(raw == label).sum(), int(np.argmax(raw == label))))
    renumber = {old: new for new, old in enumerate(order)}
    labels = pd.Series([renumber[label] for label in raw], index=z.index, name="cluster")
    profiles = []
    for number in range(len(order)):
        members = labels == number
        centroid = z[members.to_numpy()].mean()
        explaining = sorted(FEATURES, key=lambda feature: -abs(centroid[feature]))[:3]
        profiles.append(
            {
                "cluster": number,
                "size": int(members.sum()),
                "z": {feature: round(float(centroid[feature]), 3) for feature in FEATURES},
                "median": {feature: _plain(table.loc[members, feature].median()) for feature in FEATURES},
                "explained_by": explaining,
            }
        )
    return Clustering(
        k=best,
        seed=seed,
        silhouette=silhouette,
        labels=labels,
        profiles=profiles,
        silhouettes={c: round(s, 4) for c, (s, _labels) in tried.items()},
    )


def directions(profile: dict) -> list[str]:
    """What sets a cluster apart, with its direction: the features that explain it (`explained_by`), each said as
    above or below the average member by the sign of its centroid's z-score ("more visits", "lower spend")."""
    return [
        str(FEATURE_DIRECTIONS[feature][0 if profile["z"][feature] >= 0 else 1]) for feature in profile["explained_by"]
    ]


def _plain(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else round(value, 3)
