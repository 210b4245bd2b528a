"""Anomaly scoring benchmark: one minute of 1,000 concurrent rooms in ≤ 1 s of CPU (issue 8).

Each room has its own baseline (fitted once, before the live, from 5 past sessions) and its own
live session so far; scoring one minute means, per room, the band of each of the three metrics
(online viewers, GMV, conversion) from the minutes before it and the alert book's update. The
rooms' series come from 5 + 5 simulated sessions, each room's scaled by its own factor and with
its own Poisson noise, so no two rooms share arrays. CPU time by ``time.process_time``.

Run: ``.venv/bin/python bench/bench_anomaly.py [--rooms 1000] [--minute 45]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

import msgspec
import numpy as np

from livelens.events.columns import events_to_table
from livelens.information.compute import compute_session_metrics
from livelens.intelligence.alerts import AlertBook
from livelens.intelligence.anomaly import (
    METRICS,
    Baseline,
    MinuteHistory,
    band_at,
    fit_baseline,
    history_of,
)
from livelens.sources.simulation.config import DEFAULT_START, SimulationConfig
from livelens.sources.simulator import build_session


def simulate(seed: int) -> MinuteHistory:
    config = SimulationConfig(
        minutes=60,
        peak_viewers=400,
        seed=seed,
        session_id=f"s{seed}",
        start=DEFAULT_START + timedelta(days=seed),
    )
    events = list(build_session(config).events())
    return history_of(compute_session_metrics(events_to_table(events)))


def varied(session: MinuteHistory, rng: np.random.Generator, scale: float, n: int) -> MinuteHistory:
    def noisy(values: list[int]) -> list[int]:
        return rng.poisson(np.asarray(values, dtype=np.float64) * scale).astype(int).tolist()

    return msgspec.structs.replace(
        session,
        session_id=f"{session.session_id}-room{n}",
        online=noisy(session.online),
        gmv_minor=noisy(session.gmv_minor),
        buyers=noisy(session.buyers),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--minute", type=int, default=45)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    past = [simulate(seed) for seed in range(1, 6)]
    lives = [simulate(seed) for seed in range(11, 16)]
    rooms: list[tuple[Baseline | None, MinuteHistory]] = []
    fit_started = time.process_time()
    for n in range(args.rooms):
        scale = float(rng.uniform(0.5, 3.0))
        history = [varied(p, rng, scale, n) for p in past]
        rooms.append((fit_baseline(history), varied(lives[n % len(lives)], rng, scale, n)))
    fit_cpu = time.process_time() - fit_started
    timings = []
    for run in range(args.runs):
        book = AlertBook()
        minute = args.minute + run
        started = time.process_time()
        for n, (baseline, live) in enumerate(rooms):
            for metric in METRICS:
                band = band_at(live, minute, metric, baseline)
                if band is not None:
                    book.observe(f"room{n}", live.session_id, live.started_at, band)
        timings.append(time.process_time() - started)
    print(
        f"rooms {args.rooms}, metrics {len(METRICS)}, "
        f"minutes {args.minute}..{args.minute + args.runs - 1}"
    )
    print(
        f"one minute scored: median {statistics.median(timings):.3f} s CPU, "
        f"max {max(timings):.3f} s (goal ≤ 1 s)"
    )
    print(f"baselines fitted (5 past sessions per room, once before the live): {fit_cpu:.1f} s CPU")


if __name__ == "__main__":
    main()
