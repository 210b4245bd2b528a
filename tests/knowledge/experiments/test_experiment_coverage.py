"""The switchback analysis on simulated sessions: 95 % intervals cover the truth, nulls stay null.

Each seed designs a switchback (40 minutes, 5-minute slices, 2 washout minutes, pairs), simulates
a session in which the treatment slices multiply conversion by ``LIFT`` (on top of the default
persona and discount lifts), and analyses orders per measured minute. The true effect is the
simulator's own: ``truth.treatment.conversion_ratio - 1``, the expected-conversion ratio with the
treatment on vs off (exactly ``LIFT - 1`` unless a step rate is capped). Sessions run funnel-only
(no comments, likes, gifts: they never feed orders), since the full simulator takes ~1 s a session
here.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from typing import Final

import numpy as np
import pytest

from livelens.knowledge.experiments.analysis import analyze_switchback
from livelens.knowledge.experiments.switchback import design_switchback
from livelens.sources.simulator import SimulationConfig, Treatment, build_session

SEEDS: Final = 200
MINUTES: Final = 40
VIEWERS: Final = 400
LIFT: Final = 1.5


def _one(seed: int, lift: float) -> tuple[bool, bool, float]:
    """Whether the 95 % interval holds the truth, whether p < 0.05, and the interval's width."""
    schedule = design_switchback(MINUTES, 5, 2, seed=seed)
    session = build_session(
        SimulationConfig(
            minutes=MINUTES,
            peak_viewers=VIEWERS,
            seed=seed,
            treatment=Treatment(windows_s=schedule.treated_windows_s(), lift=lift),
        )
    )
    run = session.run(funnel_only=True)
    run.simulate_outcomes()
    per_minute = run.orders_by_second.reshape(MINUTES, 60).sum(axis=1)
    estimate = analyze_switchback(schedule, per_minute)
    assert session.truth.treatment is not None
    assert estimate.relative_ci is not None
    truth = session.truth.treatment.conversion_ratio - 1
    low, high = estimate.relative_ci
    return low <= truth <= high, estimate.p_value < 0.05, high - low


def _effect(seed: int) -> tuple[bool, bool, float]:
    return _one(seed, LIFT)


def _null(seed: int) -> tuple[bool, bool, float]:
    return _one(10_000 + seed, 1.0)


@pytest.mark.slow
def test_intervals_cover_the_true_effect_and_nulls_rarely_reject() -> None:
    started = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        effect = np.array(list(pool.map(_effect, range(SEEDS), chunksize=10)), dtype=float)
        null = np.array(list(pool.map(_null, range(SEEDS), chunksize=10)), dtype=float)
    coverage = effect[:, 0].mean()
    power = effect[:, 1].mean()
    false_positive_rate = null[:, 1].mean()
    print(
        f"\nswitchback over {SEEDS}+{SEEDS} seeds: coverage {coverage:.3f}, "
        f"false-positive rate {false_positive_rate:.3f}, null coverage {null[:, 0].mean():.3f}, "
        f"mean relative interval width {effect[:, 2].mean():.3f} (null {null[:, 2].mean():.3f}), "
        f"power at lift {LIFT} {power:.3f}, {time.perf_counter() - started:.0f} s"
    )
    assert coverage >= 0.93
    assert false_positive_rate <= 0.06
