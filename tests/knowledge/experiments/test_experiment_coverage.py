"""The switchback analysis on simulated sessions: 95 % intervals cover the truth, nulls stay null.

Each seed designs a switchback (20 minutes, 2-minute slices, 1 washout minute, pairs) and runs a
real action in the treatment slices, through the simulator's own mechanisms:

* persona: the persona with the highest lift (p-xiaoxue, 1.5) hosts the treatment slices and
  the one with the lowest (p-lingling, 0.8) the control slices, switched by
  ``host.persona_switch``; the random persona rotation is suppressed;
* discount: a 20 % flash discount on every product in each treatment slice (``promo.start`` /
  ``promo.end``, the session's discount lift of 1.8, the lower price paid); the random flash
  promos are suppressed;
* zero effect: a persona experiment between two personas with the same lift.

The true effect is the simulator's own (``truth.treatment``): the expected-orders ratio of the
treatment over the control arm for orders per minute, the expected-GMV ratio for GMV per minute
(a discount lowers the price paid, so its GMV ratio is below its orders ratio). Persona sessions
are analysed on orders, discount sessions on both orders and GMV, null sessions on both.
Sessions run funnel-only (no comments, likes, gifts: they never feed orders), since the full
simulator takes ~1 s a session here. A washout of one minute covers the funnel's carry-over
(click to paid order takes 9-81 s, and each step's rate is the one of the second it happens in).
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from typing import Final, Literal

import numpy as np
import pytest

from livelens.knowledge.experiments.analysis import analyze_switchback
from livelens.knowledge.experiments.switchback import SwitchbackSchedule, design_switchback
from livelens.sources.simulation.truth import TreatmentTruth
from livelens.sources.simulator import SimulationConfig, Treatment, build_session

SEEDS: Final = 200
MINUTES: Final = 20
SLICE_MINUTES: Final = 2
WASHOUT_MINUTES: Final = 1
VIEWERS: Final = 1000
NULL_LIFTS: Final = {"p-xiaoxue": 1.2, "p-aqiang": 1.2, "p-lingling": 0.8}

Kind = Literal["persona", "discount", "null"]
SEED_BASE: Final[dict[Kind, int]] = {"persona": 0, "discount": 20_000, "null": 10_000}


def _config(kind: Kind, seed: int, schedule: SwitchbackSchedule) -> SimulationConfig:
    windows = schedule.treated_windows_s()
    if kind == "persona":
        treatment = Treatment(windows_s=windows, kind="persona")
    elif kind == "discount":
        treatment = Treatment(windows_s=windows, kind="discount", discount_pct=20)
    else:
        treatment = Treatment(
            windows_s=windows,
            kind="persona",
            persona_id="p-xiaoxue",
            control_persona_id="p-aqiang",
        )
    lifts = NULL_LIFTS if kind == "null" else None
    return SimulationConfig(
        minutes=MINUTES, peak_viewers=VIEWERS, seed=seed, persona_lift=lifts, treatment=treatment
    )


def _one(job: tuple[Kind, int]) -> tuple[float, ...]:
    """Per metric (orders, GMV): whether the 95 % interval holds the truth, whether p < 0.05,
    the interval's width; then the true orders and GMV ratios."""
    kind, offset = job
    seed = SEED_BASE[kind] + offset
    schedule = design_switchback(MINUTES, SLICE_MINUTES, WASHOUT_MINUTES, seed=seed)
    session = build_session(_config(kind, seed, schedule))
    run = session.run(funnel_only=True)
    run.simulate_outcomes()
    truth = session.truth.treatment
    assert isinstance(truth, TreatmentTruth)
    assert truth.kind == ("discount" if kind == "discount" else "persona")
    row: list[float] = []
    for by_second, ratio in (
        (run.orders_by_second, truth.conversion_ratio),
        (run.gmv_minor_by_second, truth.gmv_ratio),
    ):
        per_minute = by_second.reshape(MINUTES, 60).sum(axis=1)
        estimate = analyze_switchback(schedule, per_minute)
        assert estimate.relative_ci is not None
        low, high = estimate.relative_ci
        row += [low <= ratio - 1 <= high, estimate.p_value < 0.05, high - low]
    return (*row, truth.conversion_ratio, truth.gmv_ratio)


@pytest.mark.slow
def test_intervals_cover_the_true_effect_and_nulls_rarely_reject() -> None:
    started = time.perf_counter()
    kinds: tuple[Kind, ...] = ("persona", "discount", "null")
    jobs = [(kind, seed) for kind in kinds for seed in range(SEEDS)]
    with ProcessPoolExecutor(2) as pool:
        rows = np.array(list(pool.map(_one, jobs, chunksize=20)), dtype=float)
    results = dict(zip(kinds, np.split(rows, len(kinds)), strict=True))
    lines = []
    for kind, found in results.items():
        for metric, first in (("orders", 0), ("gmv", 3)):
            covered, rejected, width = found[:, first : first + 3].mean(axis=0)
            true = found[:, 6 if metric == "orders" else 7].mean() - 1
            lines.append(
                f"{kind:>8} {metric:<6}: true effect {true:+.3f}, coverage {covered:.3f}, "
                f"{'false-positive rate' if kind == 'null' else 'power'} {rejected:.3f}, "
                f"mean relative interval width {width:.3f}"
            )
    print(
        f"\nswitchback over {SEEDS} seeds per kind ({MINUTES} min, {SLICE_MINUTES}-min slices, "
        f"{WASHOUT_MINUTES} washout), {time.perf_counter() - started:.0f} s\n" + "\n".join(lines)
    )
    persona, discount, null = results["persona"], results["discount"], results["null"]
    assert persona[:, 0].mean() >= 0.93  # orders
    assert discount[:, 3].mean() >= 0.93  # GMV: a discount's true metric
    assert discount[:, 0].mean() >= 0.93  # orders
    assert null[:, 0].mean() >= 0.93
    assert null[:, 1].mean() <= 0.06  # orders
    assert null[:, 4].mean() <= 0.06  # GMV
    assert np.allclose(null[:, 6:8], 1.0)  # equal lifts: no effect to find
    assert persona[:, 6].mean() > 1.5
    assert discount[:, 7].mean() < discount[:, 6].mean()  # the price paid is lower
