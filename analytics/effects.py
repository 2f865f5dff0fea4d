"""The effect of a campaign (loyalty) or an event (cms) on visits and spend, against a counterfactual.

The estimator works on daily series and knows nothing of Django (`estimate_lift`); `services_effects.py` builds
the series from the consented, pseudonymous visits (`analytics.extract`) and the area's calendar and weather
(`analytics.controls`). The method is written down in `docs/analytics-effects.md`.

Two designs, both fitted on the pre-period only and then predicting the window:
- **difference in differences** when a control group exists (merchants that did not take part, or the other
  area(s) for an area-wide campaign or an event). Poisson with a fixed effect per day and per group is, given
  the day's total, a binomial model of the treated group's share of the day: we fit that share on weekday,
  holidays and weather (a control group with a different week or a rainy-day habit is allowed). The
  counterfactual of a window day is the control group's visits times the fitted odds.
- **counterfactual regression** without a control group: a Poisson (quasi-likelihood) model of the treated
  series on the same controls plus the season.
The lift is Σ actual ÷ Σ counterfactual − 1 over the window.

The interval (95%, on the log of that ratio) adds two parts: the window's own noise, from the autocovariances of
the pre-period's standardised residuals (Bartlett weights, 7 daily lags: shop days are autocorrelated by weather
spells, paydays and the week's rhythm, so an interval assuming independent days is too narrow), and the fitted
model's uncertainty (delta method with its HAC covariance). Not a single fit with a window dummy and HAC
errors: the dummy absorbs the window's noise, its score sums to zero, and such intervals covered a known
effect only ~85% of the time in our simulations. Not a bootstrap: deterministic and cheap enough to repeat on
many placebo windows. The placebo check runs the same estimator on random windows of the same length before
the real one (each fitted only on the days before it); about 5% of them should come out "significant".
"""

from __future__ import annotations

import math
import random
import warnings
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

#: Newey–West lags (days): a week of autocorrelation.
HAC_LAGS = 7
#: The pre-period a report looks back over, and the least one it needs.
PRE_DAYS = 182
MIN_PRE_DAYS = 56
PLACEBO_RUNS = 40
METHOD = (
    "difference in differences on the treated group's daily share (binomial GLM on weekday, holidays, weather), "
    "or without a control group a Poisson regression with season; fitted on the pre-period, the window predicted; "
    "95% interval from the pre-period's autocorrelated residuals (Bartlett, 7 lags) plus the fit's HAC covariance"
)
CONTROL_COLUMNS = ("is_public_holiday", "is_school_holiday", "temp_mean_c", "precipitation_mm", "sunshine_h")


class NotEnoughData(ValueError):
    """Too few days or visits to estimate an effect."""


@dataclass(frozen=True)
class Estimate:
    """One metric's lift with its 95% interval, over the window's days."""

    metric: str
    design: str  # "did" (difference in differences) or "counterfactual"
    lift: float  # relative: 0.15 is +15%
    low: float
    high: float
    p_value: float
    actual: float  # the treated group's total over the window
    counterfactual: float  # what it would have been without the campaign
    incremental: float  # actual − counterfactual
    incremental_low: float
    incremental_high: float
    days_pre: int
    days_post: int
    series: list[tuple[str, float, float]] = field(default_factory=list)  # (ISO date, actual, counterfactual)

    @property
    def is_significant(self) -> bool:
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict:
        return asdict(self)


def _features(index: pd.DatetimeIndex | pd.Index, controls: pd.DataFrame | None, *, season: bool) -> pd.DataFrame:
    """Weekday, holidays and weather; the season only without a control group (with one, the control group's own
    day carries the season, and extrapolating a seasonal term into the window only adds noise). No trend: a
    trend fitted on a few months and extrapolated made placebo windows "significant" far too often."""
    days = pd.to_datetime(pd.Index(index))
    x = pd.DataFrame(index=index)
    weekday = days.day_of_week
    for day in range(1, 7):
        x[f"weekday_{day}"] = (weekday == day).astype(float)
    if season:
        # Season as one yearly harmonic: months would be collinear with a window that is a month of its own.
        angle = 2 * np.pi * days.day_of_year.to_numpy() / 365.25
        x["season_sin"], x["season_cos"] = np.sin(angle), np.cos(angle)
    if controls is not None:
        for column in controls.columns:
            if column.split("__")[-1] not in CONTROL_COLUMNS:
                continue
            values = pd.to_numeric(controls[column].reindex(index), errors="coerce").astype(float)
            if values.notna().sum() == 0:
                continue
            x[column] = values.fillna(values.mean())  # a missing weather day gets the period's mean
    x.insert(0, "const", 1.0)
    return x


def _fit(endog, x: pd.DataFrame, family):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perfect-fit and domain warnings on tiny groups; checked below
        result = sm.GLM(endog, x, family=family).fit(
            cov_type="HAC", cov_kwds={"maxlags": HAC_LAGS, "use_correction": True}
        )
    if not np.all(np.isfinite(result.params)) or not np.all(np.isfinite(result.cov_params().to_numpy())):
        raise NotEnoughData("The model could not be estimated on these days.")
    return result


def _window_sum_variance(standardised: np.ndarray, scale: np.ndarray, lags: int) -> float:
    """Var(Σ scale·z) over the window's days, with z's autocovariances estimated on the pre-period's standardised
    residuals (Bartlett weights up to `lags`, so the estimate stays positive)."""
    z = standardised - standardised.mean()
    n = len(z)
    gamma = [float(z @ z) / n] + [float(z[k:] @ z[:-k]) / n for k in range(1, min(lags, n - 1) + 1)]
    total = gamma[0] * float(scale @ scale)
    for k in range(1, len(gamma)):
        total += 2 * (1 - k / len(gamma)) * gamma[k] * float(scale[k:] @ scale[:-k])
    return max(total, 0.0)


def estimate_lift(
    daily: pd.DataFrame,
    *,
    start: date,
    end: date,
    controls: pd.DataFrame | None = None,
    metric: str = "visits",
    with_series: bool = True,
) -> Estimate:
    """The lift of `daily["treated"]` on the days in [start, end), against `daily["control"]` if that column is
    there (difference in differences), else against a counterfactual regression. `daily` is indexed by local
    date and holds the pre-period; days after `end` are ignored, closed days (no visits in any group) left out.
    `controls` is `analytics.controls.daily_controls`' frame (and the control area's, columns prefixed
    "control__"). Raises NotEnoughData."""
    import statsmodels.api as sm

    frame = daily.copy()
    frame.index = pd.to_datetime(frame.index)
    frame = frame[frame.index < pd.Timestamp(end)].sort_index()
    has_control = "control" in frame.columns
    total = frame["treated"] + (frame["control"] if has_control else 0)
    frame = frame[total > 0]
    post = np.asarray(frame.index >= pd.Timestamp(start))
    days_post, days_pre = int(post.sum()), int((~post).sum())
    if days_post == 0 or days_pre < 28:
        raise NotEnoughData("At least 28 open days before the window and one in it are needed.")
    if controls is not None:
        controls = controls.copy()
        controls.index = pd.to_datetime(controls.index)
    x = _features(frame.index, controls, season=not has_control)
    # Fit on the pre-period only; the window is predicted. (A window dummy in one fit would absorb the
    # window's own noise and leave a HAC interval far too narrow: its score sums to zero by construction.)
    x_pre = x[~post]
    x = x.loc[:, x_pre.std(ddof=0).gt(1e-9) | (x.columns == "const")]
    x_pre = x[~post]
    treated = frame["treated"].to_numpy(dtype=float)
    if has_control:
        control = frame["control"].to_numpy(dtype=float)
        if treated[post].sum() <= 0 or control[~post].sum() <= 0 or treated[~post].sum() <= 0:
            raise NotEnoughData("No visits in a group.")
        result = _fit(np.column_stack([treated[~post], control[~post]]), x_pre, sm.families.Binomial())
        odds = np.exp(x.to_numpy() @ result.params.to_numpy())
        counterfactual = control * odds  # the control group's day times the treated group's odds
        # Given the day's total n, treated − control·odds = (treated − n·p) / (1 − p): variance n·p / (1 − p).
        scale = (treated + control) * odds
        design = "did"
    else:
        if treated[post].sum() <= 0 or treated[~post].sum() <= 0:
            raise NotEnoughData("No visits in the window.")
        result = _fit(treated[~post], x_pre, sm.families.Poisson())
        counterfactual = np.exp(x.to_numpy() @ result.params.to_numpy())
        scale = counterfactual  # Poisson: variance μ (times the dispersion the residuals show)
        design = "counterfactual"
    actual_sum, cf_sum = float(treated[post].sum()), float(counterfactual[post].sum())
    if cf_sum <= 0 or actual_sum <= 0:
        raise NotEnoughData("No visits in the window.")
    log_ratio = math.log(actual_sum / cf_sum)
    # Variance of log(Σ actual / Σ counterfactual): the window's own noise (the pre-period's standardised
    # residuals, autocorrelated and over-dispersed as they are) plus the fitted model's (delta method, HAC).
    # Day-to-day variance grows faster than the count (busy days vary by a share, not by √n): v = m·(1 + κ·m),
    # κ ≥ 0 estimated from the pre-period by moments (the negative binomial's variance).
    residual = treated[~post] - counterfactual[~post]
    m_pre = scale[~post]
    kappa = max(0.0, float(((residual**2 - m_pre) * m_pre**2).sum() / max((m_pre**4).sum(), 1e-12)))
    scale = np.sqrt(np.maximum(scale * (1 + kappa * scale), 1e-9))
    standardised = residual / scale[~post]
    noise = _window_sum_variance(standardised, scale[post], HAC_LAGS) / cf_sum**2
    gradient = (counterfactual[post] @ x.to_numpy()[post]) / cf_sum
    fitted = gradient @ result.cov_params().to_numpy() @ gradient
    se = math.sqrt(noise + max(float(fitted), 0.0))
    if not math.isfinite(se) or se <= 0:
        raise NotEnoughData("The model could not be estimated on these days.")
    # Small-sample correction: autocorrelated days carry about one independent observation a week, so the
    # critical value is Student's t with (pre-period weeks − parameters) degrees of freedom, at least 4.
    df = max(days_pre / 7 - x.shape[1], 4.0)
    critical = float(scipy_stats.t.ppf(0.975, df))
    low, high = math.exp(log_ratio - critical * se) - 1, math.exp(log_ratio + critical * se) - 1
    p_value = float(2 * scipy_stats.t.sf(abs(log_ratio / se), df))
    series = (
        [
            (day.date().isoformat(), float(a), round(float(c), 3))
            for day, a, c in zip(frame.index, treated, counterfactual, strict=True)
        ]
        if with_series
        else []
    )
    return Estimate(
        metric=metric,
        design=design,
        lift=actual_sum / cf_sum - 1,
        low=low,
        high=high,
        p_value=p_value,
        actual=actual_sum,
        counterfactual=cf_sum,
        incremental=actual_sum - cf_sum,
        # The lift's interval carried over to the window's total: actual × (1 − 1 / (1 + lift)).
        incremental_low=actual_sum * (1 - 1 / (1 + low)),
        incremental_high=actual_sum * (1 - 1 / (1 + high)),
        days_pre=days_pre,
        days_post=days_post,
        series=series,
    )


@dataclass(frozen=True)
class PlaceboResult:
    runs: int
    significant: int

    @property
    def share(self) -> float:
        return self.significant / self.runs if self.runs else 0.0

    def as_dict(self) -> dict:
        return {"runs": self.runs, "significant": self.significant, "share": self.share}


def placebo_check(
    daily: pd.DataFrame,
    *,
    start: date,
    end: date,
    controls: pd.DataFrame | None = None,
    runs: int = PLACEBO_RUNS,
    seed: int = 0,
) -> PlaceboResult:
    """The estimator on `runs` random windows as long as [start, end) that end before `start`, each fitted only
    on the days before its own end: how often it finds an effect where there was none. Deterministic per seed."""
    length = (end - start).days
    index = pd.to_datetime(daily.index)
    first = index.min().date() + timedelta(days=MIN_PRE_DAYS)
    last = start - timedelta(days=length)  # the placebo window ends before the real one starts
    candidates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if not candidates:
        return PlaceboResult(0, 0)
    rng = random.Random(seed)
    chosen = rng.sample(candidates, min(runs, len(candidates))) if len(candidates) > runs else candidates
    done = significant = 0
    for placebo_start in chosen:
        try:
            estimate = estimate_lift(
                daily,
                start=placebo_start,
                end=placebo_start + timedelta(days=length),
                controls=controls,
                with_series=False,
            )
        except NotEnoughData:
            continue
        done += 1
        significant += estimate.is_significant
    return PlaceboResult(done, significant)


@dataclass(frozen=True)
class Roi:
    """Return on a campaign: incremental margin − cost, in cents, with the interval of the spend lift."""

    incremental_spend_cents: int
    margin_rate: float
    incremental_margin_cents: int
    cost_cents: int
    roi_cents: int
    roi_low_cents: int
    roi_high_cents: int

    def as_dict(self) -> dict:
        return asdict(self)


def roi(*, spend: Estimate, margin_rate: float, cost_cents: int) -> Roi:
    """ROI = incremental spend × margin rate − cost (cents, rounded half away from zero)."""
    if not 0 <= margin_rate <= 1:
        raise ValueError("The margin rate is a share between 0 and 1.")

    def margin(cents: float) -> int:
        return int(math.copysign(math.floor(abs(cents * margin_rate) + 0.5), cents))

    incremental_margin = margin(spend.incremental)
    return Roi(
        incremental_spend_cents=round(spend.incremental),
        margin_rate=margin_rate,
        incremental_margin_cents=incremental_margin,
        cost_cents=cost_cents,
        roi_cents=incremental_margin - cost_cents,
        roi_low_cents=margin(spend.incremental_low) - cost_cents,
        roi_high_cents=margin(spend.incremental_high) - cost_cents,
    )
