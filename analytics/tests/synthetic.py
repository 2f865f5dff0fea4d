"""Synthetic shop days with a known effect: the estimator's validation data.

Two groups of merchants share the town's day (weekday, season, holidays, weather and a common AR(1) shock,
so days are autocorrelated as real ones are); the treated group has its own small AR(1) wobble and, in the
window, is multiplied by 1 + lift. Counts are negative binomial (over-dispersed), Sundays closed.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

WEEKDAY = np.array([0.7, 0.85, 0.95, 1.05, 1.2, 1.7, 0.0])


def synthetic_days(
    *,
    seed: int,
    first: date = date(2025, 1, 1),
    days: int = 240,
    window: tuple[date, date] | None = None,
    lift: float = 0.0,
    treated_level: float = 60.0,
    control_level: float = 120.0,
    dispersion: float = 30.0,
):
    """(daily, controls): `daily` has `treated`, `control` and spend columns; `controls` the calendar."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(first, periods=days, freq="D")
    doy = index.day_of_year.to_numpy()
    season = 1 + 0.2 * np.sin(2 * np.pi * (doy - 80) / 365.25)
    holiday = rng.random(days) < 0.02
    school = ((doy > 180) & (doy < 230)).astype(float)
    temp = 10 + 8 * np.sin(2 * np.pi * (doy - 100) / 365.25) + rng.normal(0, 3, days)
    rain = np.where(rng.random(days) < 0.4, rng.gamma(1.5, 3, days), 0.0)
    common = np.zeros(days)
    own = np.zeros(days)
    for t in range(1, days):
        common[t] = 0.6 * common[t - 1] + rng.normal(0, 0.08)
        own[t] = 0.5 * own[t - 1] + rng.normal(0, 0.03)
    base = WEEKDAY[index.day_of_week] * season * np.exp(common - 0.01 * rain) * np.where(holiday, 0.4, 1.0)
    effect = np.ones(days)
    if window:
        effect[(index >= pd.Timestamp(window[0])) & (index < pd.Timestamp(window[1]))] = 1 + lift
    mean_treated = treated_level * base * np.exp(own) * (1 + 0.1 * school) * effect
    mean_control = control_level * base

    def draw(mean):
        # Negative binomial as a gamma–Poisson mixture.
        return rng.poisson(rng.gamma(dispersion, mean / dispersion)) if mean.any() else mean

    treated = np.where(mean_treated > 0, draw(np.maximum(mean_treated, 1e-12)), 0)
    control = np.where(mean_control > 0, draw(np.maximum(mean_control, 1e-12)), 0)
    spend_per_visit = 2500
    daily = pd.DataFrame(
        {
            "treated": treated,
            "control": control,
            "treated_spend": treated * spend_per_visit * rng.lognormal(0, 0.1, days),
            "control_spend": control * spend_per_visit * rng.lognormal(0, 0.1, days),
        },
        index=index.date,
    )
    controls = pd.DataFrame(
        {
            "weekday": index.day_of_week,
            "month": index.month,
            "is_public_holiday": holiday,
            "holiday_name": np.where(holiday, "Feestdag", ""),
            "is_school_holiday": school.astype(bool),
            "temp_mean_c": temp,
            "precipitation_mm": rain,
            "sunshine_h": np.nan,
        },
        index=index.date,
    )
    return daily, controls


def window_at(first: date, offset: int, length: int) -> tuple[date, date]:
    return first + timedelta(days=offset), first + timedelta(days=offset + length)
