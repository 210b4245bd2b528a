"""Slice-level analysis: Welch on slice outcomes (checked against scipy), washout, bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from livelens.errors import InvalidInput
from livelens.knowledge.experiments.analysis import (
    analyze_switchback,
    per_minute_totals,
    slice_outcomes,
)
from livelens.knowledge.experiments.report import report_switchback
from livelens.knowledge.experiments.switchback import design_switchback


def test_per_minute_totals_bins_by_offset_and_drops_outside() -> None:
    totals = per_minute_totals([0, 59.9, 60, 179, -1, 180], [1, 2, 3, 4, 5, 6], minutes=3)
    assert totals.tolist() == [3.0, 3.0, 4.0]


def test_slice_outcomes_leave_out_washout_minutes() -> None:
    schedule = design_switchback(20, 5, 2, seed=0)
    per_minute = np.zeros(20)
    per_minute[[0, 1, 5, 6, 10, 11, 15, 16]] = 100.0  # only washout minutes are busy
    per_minute[[2, 3, 4]] = [1.0, 2.0, 3.0]
    outcomes, treated = slice_outcomes(schedule, per_minute)
    assert outcomes.tolist() == [2.0, 0.0, 0.0, 0.0]
    assert treated.tolist() == [s.arm == "treatment" for s in schedule.slices]


def test_welch_error_matches_scipy_with_hsu_df_and_relative_effect_is_ratio_minus_one() -> None:
    schedule = design_switchback(120, 10, 2, seed=4)
    rng = np.random.default_rng(1)
    per_minute = rng.poisson(5.0, 120).astype(float)
    for item in schedule.slices:
        if item.arm == "treatment":
            per_minute[item.start_minute : item.end_minute] *= 1.5
    estimate = analyze_switchback(schedule, per_minute)
    outcomes, treated = slice_outcomes(schedule, per_minute)
    reference = stats.ttest_ind(outcomes[treated], outcomes[~treated], equal_var=False)
    assert estimate.absolute_effect / estimate.standard_error == pytest.approx(reference.statistic)
    df = 5  # Hsu: min(6, 6) - 1, more conservative than Welch-Satterthwaite
    assert reference.df > df
    assert estimate.p_value == pytest.approx(2 * stats.t.sf(abs(reference.statistic), df))
    assert estimate.p_value > reference.pvalue
    half = stats.t.ppf(0.975, df) * estimate.standard_error
    assert estimate.absolute_ci == pytest.approx(
        (estimate.absolute_effect - half, estimate.absolute_effect + half)
    )
    assert estimate.relative_effect == pytest.approx(
        estimate.mean_treatment / estimate.mean_control - 1
    )
    assert estimate.relative_ci is not None
    assert estimate.relative_ci[0] < 0.5 < estimate.relative_ci[1]
    assert estimate.slices_treatment == estimate.slices_control == 6


def test_block_bootstrap_interval_surrounds_the_estimate() -> None:
    schedule = design_switchback(120, 10, 2, seed=4)
    per_minute = np.random.default_rng(2).poisson(5.0, 120).astype(float)
    estimate = analyze_switchback(schedule, per_minute, bootstrap=500, seed=3)
    assert estimate.method == "block-bootstrap"
    low, high = estimate.absolute_ci
    assert low < estimate.absolute_effect < high
    assert 0.0 < estimate.p_value <= 1.0


def test_cuped_with_a_correlated_pre_period_narrows_the_interval() -> None:
    schedule = design_switchback(120, 10, 2, seed=5)
    rng = np.random.default_rng(3)
    level = np.repeat(rng.gamma(4.0, 2.0, 12), 10)  # slow swings shared with the pre-period
    pre = level + rng.normal(0, 0.3, 120)
    now = level + rng.normal(0, 0.3, 120)
    plain = analyze_switchback(schedule, now)
    adjusted = analyze_switchback(schedule, now, pre_period=pre)
    assert adjusted.cuped is not None
    assert adjusted.cuped.variance_reduction > 0.8
    assert adjusted.standard_error < plain.standard_error / 2


def test_too_few_slices_per_arm_is_an_error() -> None:
    schedule = design_switchback(20, 10, 2, seed=0)
    with pytest.raises(InvalidInput, match="at least 2 slices per arm"):
        analyze_switchback(schedule, np.ones(20))


def test_report_flags_missing_data_in_one_arm() -> None:
    schedule = design_switchback(120, 10, 2, seed=6)
    per_minute = np.full(120, 4.0)
    has_data = np.ones(120, dtype=bool)
    for item in schedule.slices:
        if item.arm == "treatment" and item.block < 4:
            has_data[item.start_minute : item.end_minute] = False  # an ingest outage
    report = report_switchback(schedule, per_minute + np.arange(120) % 3, has_data)
    assert report.sample_ratio.mismatch
    assert any("SAMPLE RATIO MISMATCH" in w for w in report.warnings)
    clean = report_switchback(schedule, per_minute + np.arange(120) % 3, np.ones(120, bool))
    assert not clean.sample_ratio.mismatch
