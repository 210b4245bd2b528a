"""Sequential monitoring: peeking after every slice keeps false positives at or below alpha."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from livelens.errors import InvalidInput
from livelens.knowledge.experiments.sequential import always_valid_p_values, monitor_switchback
from livelens.knowledge.experiments.switchback import design_switchback

LOOKS = 30
RUNS = 2000


def _null_paths(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Running difference in means after each pair of N(0, 1) slices, and its variance."""
    rng = np.random.default_rng(seed)
    treated = rng.normal(0, 1, (RUNS, LOOKS)).cumsum(axis=1)
    control = rng.normal(0, 1, (RUNS, LOOKS)).cumsum(axis=1)
    n = np.arange(1, LOOKS + 1)
    return (treated - control) / n, 2.0 / n


def test_peeking_at_every_look_keeps_msprt_false_positives_under_alpha() -> None:
    estimates, variance = _null_paths(seed=0)
    rejected = 0
    for path in estimates:
        p_values = always_valid_p_values(path.tolist(), variance.tolist(), tau=0.5)
        rejected += min(p_values) <= 0.05
    rate = rejected / RUNS
    print(f"mSPRT false-positive rate peeking at all {LOOKS} looks: {rate:.3f}")
    assert rate <= 0.05


def test_naive_peeking_inflates_false_positives() -> None:
    """The problem the mSPRT solves: a fixed-horizon z-test at every look rejects too often."""
    estimates, variance = _null_paths(seed=0)
    z = np.abs(estimates) / np.sqrt(variance)
    rate = float((z.max(axis=1) > stats.norm.ppf(0.975)).mean())
    print(f"naive z-test false-positive rate peeking at all {LOOKS} looks: {rate:.3f}")
    assert rate > 0.15


def test_always_valid_p_falls_under_a_real_effect() -> None:
    n = np.arange(1, LOOKS + 1)
    p_values = always_valid_p_values((np.ones(LOOKS) * 1.5).tolist(), (2.0 / n).tolist(), 0.5)
    assert p_values == sorted(p_values, reverse=True)
    assert p_values[-1] < 0.01


def test_monitor_looks_once_per_block_after_two_slices_per_arm() -> None:
    schedule = design_switchback(120, 10, 2, seed=1)
    per_minute = np.random.default_rng(0).poisson(5.0, 120).astype(float)
    status = monitor_switchback(schedule, per_minute)
    assert status.looks == 5  # blocks 2 to 6
    partial = per_minute.copy()
    partial[60:] = np.nan  # a session still in progress: three blocks done
    assert monitor_switchback(schedule, partial).looks == 2


def test_tau_must_be_positive() -> None:
    with pytest.raises(InvalidInput, match="tau"):
        always_valid_p_values([0.1], [1.0], tau=0.0)
