"""Outcomes of executed recommendations and a playbook's running estimate (shrunk toward zero)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from livelens.knowledge.uplift import (
    BEFORE_AFTER,
    MIN_WORTHWHILE,
    PRIOR_SD,
    RETIRE_AFTER,
    SWITCHBACK,
    Outcome,
    estimate_uplift,
    measure_outcome,
)


def outcome(effect: float, se: float) -> Outcome:
    return Outcome(
        metric="gmv_per_minute",
        effect=effect,
        se=se,
        window_minutes=5,
        pre_minutes=10,
        design="test",
    )


def test_measure_outcome_is_the_relative_change_against_the_minutes_before() -> None:
    per_minute = [100.0, 110.0, 90.0, 100.0, 100.0, 120.0, 130.0, 110.0, 120.0, 120.0]
    measured = measure_outcome(per_minute, start=5, duration_minutes=5, pre_minutes=5)
    assert measured is not None
    assert measured.effect == pytest.approx(0.2)
    assert 0 < measured.se < 0.2
    assert (measured.window_minutes, measured.pre_minutes) == (5, 5)
    assert measure_outcome([0.0] * 10, 5, 5) is None  # nothing sold before: no ratio
    assert measure_outcome(per_minute, 0, 5) is None  # no minutes before


def test_the_estimate_is_shrunk_toward_zero_and_tightens_with_outcomes() -> None:
    one = estimate_uplift("p", [outcome(0.2, 0.1)])
    # normal–normal: precision 1/0.15² + 1/0.1², mean 0.2/0.1² over it
    precision = 1 / PRIOR_SD**2 + 1 / 0.1**2
    assert one.mean == pytest.approx((0.2 / 0.1**2) / precision)
    assert one.mean < 0.2
    assert one.high - one.low == pytest.approx(2 * 1.959963984540054 / math.sqrt(precision))
    many = estimate_uplift("p", [outcome(0.2, 0.1)] * 10)
    assert one.mean < many.mean < 0.2
    assert many.high - many.low < one.high - one.low
    none = estimate_uplift("p", [])
    assert (none.outcomes, none.mean) == (0, 0.0)


def test_a_playbook_that_hurts_is_flagged_for_retirement() -> None:
    assert not estimate_uplift("p", [outcome(-0.3, 0.05)] * 2).retire  # too few to judge
    hurts = estimate_uplift("p", [outcome(-0.3, 0.05)] * 3)
    assert hurts.retire
    assert hurts.retire_reason == "hurts"
    unclear = estimate_uplift("p", [outcome(-0.05, 0.2)] * 3)  # unclear, not harmful
    assert (unclear.retire, unclear.retire_reason) == (False, None)


def test_a_playbook_with_a_clearly_positive_effect_is_kept() -> None:
    kept = estimate_uplift("p", [outcome(0.15, 0.03)] * 4)
    assert kept.low > MIN_WORTHWHILE  # the whole interval is a worthwhile gain
    assert (kept.retire, kept.retire_reason) == (False, None)


def test_a_playbook_that_measurably_does_nothing_is_flagged_no_worthwhile_effect() -> None:
    # five outcomes around 0 with se 2%: precision 1/0.15² + 5/0.02² = 12544.4, so the interval
    # is 0 ± 1.96/√12544.4 = [-0.0175, +0.0175]: entirely below +2%, but not below zero
    flat = estimate_uplift("p", [outcome(e, 0.02) for e in (0.01, -0.01, 0.005, -0.005, 0.0)])
    assert flat.low < 0 < flat.high < MIN_WORTHWHILE
    assert flat.high == pytest.approx(1.959963984540054 / math.sqrt(1 / 0.15**2 + 5 / 0.02**2))
    assert (flat.retire, flat.retire_reason) == (True, "no worthwhile effect")
    # the smallest worthwhile gain is the caller's to set: at +1% this interval still reaches it
    lenient = estimate_uplift("p", [outcome(0.0, 0.02)] * 5, min_worthwhile=0.01)
    assert (lenient.retire, lenient.retire_reason) == (False, None)


def test_a_playbook_with_too_few_outcomes_is_never_flagged() -> None:
    for effect in (-0.5, 0.0):  # harmful or flat, measured precisely, but not often enough
        few = estimate_uplift("p", [outcome(effect, 0.01)] * (RETIRE_AFTER - 1))
        assert few.high < MIN_WORTHWHILE
        assert (few.retire, few.retire_reason) == (False, None)


def test_the_interval_covers_a_true_effect_in_simulated_outcomes() -> None:
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(400):
        true = rng.normal(0, PRIOR_SD)  # effects drawn from the prior: the interval is calibrated
        found = [outcome(float(true + rng.normal(0, 0.08)), 0.08) for _ in range(4)]
        estimate = estimate_uplift("p", found)
        covered += estimate.low <= true <= estimate.high
    assert 0.92 <= covered / 400 <= 0.98


def test_estimate_counts_its_outcomes_per_design() -> None:
    outcomes = [
        Outcome(
            metric="gmv_per_minute",
            effect=0.1,
            se=0.05,
            window_minutes=5,
            pre_minutes=10,
            design=design,
        )
        for design in (SWITCHBACK, BEFORE_AFTER, SWITCHBACK)
    ]
    estimate = estimate_uplift("p", outcomes)
    assert estimate.designs == {BEFORE_AFTER: 1, SWITCHBACK: 2}
    assert estimate_uplift("p", []).designs == {}
