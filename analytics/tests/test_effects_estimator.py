"""The effect estimator on synthetic days with a known injected effect, and on placebo windows."""

from datetime import date, timedelta

import pytest

from analytics.effects import NotEnoughData, estimate_lift, placebo_check, roi
from analytics.tests.synthetic import synthetic_days, window_at

FIRST = date(2025, 1, 1)
WINDOW = window_at(FIRST, 200, 28)


def test_the_interval_contains_an_injected_lift_of_15_percent():
    daily, controls = synthetic_days(seed=7, window=WINDOW, lift=0.15)

    estimate = estimate_lift(daily, start=WINDOW[0], end=WINDOW[1], controls=controls)

    assert estimate.design == "did"
    assert estimate.low <= 0.15 <= estimate.high
    assert estimate.days_post == 24  # four weeks, Sundays closed
    assert estimate.incremental == pytest.approx(estimate.actual - estimate.counterfactual)


def test_the_interval_covers_the_injected_lift_in_most_replications():
    # 40 data sets with a +15% window: a 95% interval that covers it far less often than 95% is too narrow.
    covered = 0
    for seed in range(40):
        daily, controls = synthetic_days(seed=1000 + seed, window=WINDOW, lift=0.15)
        estimate = estimate_lift(daily, start=WINDOW[0], end=WINDOW[1], controls=controls, with_series=False)
        covered += estimate.low <= 0.15 <= estimate.high
    assert covered >= 34  # ≥ 85%; measured 91% over 200 replications


def test_placebo_windows_are_significant_at_most_one_time_in_ten():
    runs = significant = 0
    for seed in range(6):
        daily, controls = synthetic_days(seed=200 + seed)
        result = placebo_check(daily, start=WINDOW[0], end=WINDOW[1], controls=controls, runs=15, seed=seed)
        runs, significant = runs + result.runs, significant + result.significant
    assert runs == 90
    assert significant / runs <= 0.10


def test_the_placebo_check_of_a_report_uses_only_days_before_the_window():
    daily, controls = synthetic_days(seed=3, window=WINDOW, lift=0.5)
    # A huge effect in the window must not leak into the placebo windows, which end before it starts.
    result = placebo_check(daily, start=WINDOW[0], end=WINDOW[1], controls=controls, runs=10, seed=1)
    assert result.runs == 10
    assert result.share <= 0.2


def test_without_a_control_group_the_counterfactual_regression_finds_the_lift():
    daily, controls = synthetic_days(seed=11, window=WINDOW, lift=0.3)

    estimate = estimate_lift(daily[["treated"]], start=WINDOW[0], end=WINDOW[1], controls=controls)

    assert estimate.design == "counterfactual"
    assert estimate.low <= 0.3 <= estimate.high


def test_a_window_without_enough_history_is_refused():
    daily, controls = synthetic_days(seed=1, days=40)
    with pytest.raises(NotEnoughData):
        estimate_lift(daily, start=FIRST + timedelta(days=20), end=FIRST + timedelta(days=30), controls=controls)


def test_roi_is_incremental_margin_minus_cost():
    daily, controls = synthetic_days(seed=7, window=WINDOW, lift=0.15)
    spend = daily[["treated_spend", "control_spend"]].rename(
        columns={"treated_spend": "treated", "control_spend": "control"}
    )
    estimate = estimate_lift(spend, start=WINDOW[0], end=WINDOW[1], controls=controls, metric="spend_cents")

    result = roi(spend=estimate, margin_rate=0.3, cost_cents=50_000)

    assert result.incremental_margin_cents == round(estimate.incremental * 0.3)
    assert result.roi_cents == result.incremental_margin_cents - 50_000
    assert result.roi_low_cents <= result.roi_cents <= result.roi_high_cents


def test_roi_arithmetic_by_hand():
    from analytics.effects import Estimate

    spend = Estimate("spend_cents", "did", 0.1, 0.05, 0.15, 0.01, 110_000, 100_000, 10_000, 5_238, 14_348, 100, 20)
    result = roi(spend=spend, margin_rate=0.25, cost_cents=1_000)
    assert (result.incremental_margin_cents, result.roi_cents) == (2_500, 1_500)
    assert (result.roi_low_cents, result.roi_high_cents) == (310, 2_587)  # 5238 × 0.25 = 1309.5 → 1310
    with pytest.raises(ValueError):
        roi(spend=spend, margin_rate=1.5, cost_cents=0)
