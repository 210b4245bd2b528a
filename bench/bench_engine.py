"""Benchmark: the live engine and its full metric set (issue 3) — throughput, latency, state size.

On simulator events (default 60 min x 20,000 peak viewers, ~1.7M events; generated once, loaded
into one Arrow table sorted by time, pseudonymised as ingest does; none of this is timed):

1. throughput: ``LiveEngine.process`` over micro-batches of 10k / 50k / 200k rows + ``finish()`` +
   ``metrics_of(state)``, events/s, median of ``--runs``;
2. latency at a fixed offered load (``--rate`` events/s, wall-clock paced): every ``--interval``
   a micro-batch holding the events whose scheduled arrival has passed is processed; per event,
   the time from its scheduled arrival until ``process`` returned with it; p50/p99/max;
3. where the time of ``process`` goes (timers around engine methods);
4. state size for ``--crowd`` concurrent viewers (a synthetic room where they all join and stay,
   and the simulator at that peak for ``--crowd-minutes``), each in a fresh child process
   (bench/engine_state.py): RSS growth, traced Python heap, checkpoint bytes.

    .venv/bin/python bench/bench_engine.py [--minutes 60] [--peak-viewers 20000] [--runs 3]

Comparisons with pandas and PySpark Structured Streaming: bench/bench_compare_spark.py.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))

from livelens.engine.live import LiveEngine
from livelens.engine.session_state import SessionState
from livelens.engine.viewers import ViewerSessions
from livelens.information.compute import metrics_of
from livelens.sources.simulator import SimulationConfig
from session_events import crowd_events, simulated_events

MIB = 1 << 20
GOAL_LATENCY_P99_S = 0.5
GOAL_STATE_BYTES = 2 << 30


def run_engine(table: pa.Table, batch_rows: int) -> tuple[LiveEngine, float, float, float]:
    """Fold ``table`` in batches, finish, compute metrics.

    Returns the engine, wall seconds, CPU seconds of this process (all threads) and the wall
    seconds of ``metrics_of``. CPU well below wall means other processes took the cores.
    """
    gc.collect()
    cpu = time.process_time()
    started = time.perf_counter()
    engine = LiveEngine()
    for offset in range(0, table.num_rows, batch_rows):
        engine.process(table.slice(offset, batch_rows))
    engine.finish()
    metrics_started = time.perf_counter()
    for state in engine.sessions.values():
        metrics_of(state)
    ended = time.perf_counter()
    return engine, ended - started, time.process_time() - cpu, ended - metrics_started


def throughput(table: pa.Table, batch_sizes: list[int], runs: int) -> dict[int, float]:
    print("\n## 1. Throughput: process() in micro-batches + finish() + metrics_of()")
    rates = {}
    for batch_rows in batch_sizes:
        seconds, cpu_s, metrics_s = [], [], []
        for _ in range(runs):
            _, total, cpu, metrics = run_engine(table, batch_rows)
            seconds.append(total)
            cpu_s.append(cpu)
            metrics_s.append(metrics)
        median = statistics.median(seconds)
        rates[batch_rows] = table.num_rows / median
        runs_text = ", ".join(f"{table.num_rows / s:,.0f}" for s in seconds)
        print(
            f"batches of {batch_rows:>7,}: median {rates[batch_rows]:>9,.0f} events/s "
            f"(runs: {runs_text}; CPU/wall {sum(cpu_s) / sum(seconds):.2f}; "
            f"metrics_of {1000 * min(metrics_s):.0f} ms)",
            flush=True,
        )
    return rates


def replay(table: pa.Table, rate: float, interval_s: float) -> dict[str, float]:
    """Offer ``table`` at ``rate`` events/s; a batch every ``interval_s`` (at once when behind)."""
    n = table.num_rows
    latency = np.empty(n)
    engine = LiveEngine()
    gc.collect()
    busy, batches, largest, done = 0.0, 0, 0, 0
    t0 = time.perf_counter()
    due = t0
    while done < n:
        due += interval_s
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        release = time.perf_counter()
        arrived = min(n, int((release - t0) * rate) + 1)  # scheduled arrival t0 + i / rate
        if arrived > done:
            engine.process(table.slice(done, arrived - done))
            updated = time.perf_counter()
            busy += updated - release
            latency[done:arrived] = updated - (t0 + np.arange(done, arrived) / rate)
            batches, largest, done = batches + 1, max(largest, arrived - done), arrived
        due = max(due, time.perf_counter() - interval_s)  # behind: the next batch goes at once
    wall = time.perf_counter() - t0
    offered = n / rate
    tail = latency[int(n * 0.9) :]
    return {
        "p50": float(np.percentile(latency, 50)),
        "p99": float(np.percentile(latency, 99)),
        "max": float(latency.max()),
        "tail_p99": float(np.percentile(tail, 99)),
        "busy": busy / wall,
        "behind_at_end": wall - offered,
        "batches": batches,
        "largest": largest,
    }


def keeps_up(result: dict[str, float], interval_s: float) -> bool:
    """Idle >= 5 % of the time, and done within max(2 intervals, 0.25 s) of the last arrival."""
    return result["busy"] <= 0.95 and result["behind_at_end"] <= max(2 * interval_s, 0.25)


def latency(table: pa.Table, rate: float, intervals: list[float], runs: int) -> dict[float, Any]:
    print(
        f"\n## 2. Latency at an offered load of {rate:,.0f} events/s "
        f"({table.num_rows / rate:.1f} s of replay per run)\n"
        "kept up = the engine idle >= 5% of the wall time and done within max(2 intervals, "
        "0.25 s) of the last arrival"
    )
    summary = {}
    for interval in intervals:
        results = [replay(table, rate, interval) for _ in range(runs)]
        for r in results:
            kept_up = keeps_up(r, interval)
            print(
                f"every {1000 * interval:.0f} ms: p50 {1000 * r['p50']:.0f} ms, "
                f"p99 {1000 * r['p99']:.0f} ms, max {1000 * r['max']:.0f} ms, "
                f"last 10% p99 {1000 * r['tail_p99']:.0f} ms; engine busy {100 * r['busy']:.0f}% "
                f"of wall, {r['behind_at_end']:.2f} s behind at the end "
                f"({'kept up' if kept_up else 'did NOT keep up'}); "
                f"{r['batches']} batches, largest {r['largest']:,} events",
                flush=True,
            )
        p99 = statistics.median(r["p99"] for r in results)
        worst = max(r["max"] for r in results)
        kept = all(keeps_up(r, interval) for r in results)
        summary[interval] = {"p99": p99, "max": worst, "kept_up": kept}
        print(
            f"every {1000 * interval:.0f} ms, median of {runs}: p99 {1000 * p99:.0f} ms "
            f"(goal <= {1000 * GOAL_LATENCY_P99_S:.0f} ms: "
            f"{'met' if p99 <= GOAL_LATENCY_P99_S and kept else 'NOT met'}), worst max "
            f"{1000 * worst:.0f} ms",
            flush=True,
        )
    return summary


def state_size(tmp: Path, viewers: int, minutes: int) -> None:
    print(f"\n## 4. State size for {viewers:,} concurrent viewers (fresh child process each)")
    crowd = tmp / "crowd.parquet"
    pq.write_table(crowd_events(viewers), crowd)
    simulated = tmp / "crowd-sim.parquet"
    config = SimulationConfig(minutes=minutes, peak_viewers=viewers)
    pq.write_table(simulated_events(config), simulated)
    script = str(Path(__file__).with_name("engine_state.py"))
    for label, path in (
        (f"synthetic: {viewers:,} join and stay", crowd),
        (f"simulator: {minutes} min, peak {viewers:,}", simulated),
    ):
        measured = {}
        for flags in ([], ["--tracemalloc"]):
            out = subprocess.run(  # noqa: S603 - our own interpreter and script
                [sys.executable, script, str(path), *flags],
                check=True,
                capture_output=True,
                text=True,
            )
            measured[bool(flags)] = json.loads(out.stdout)
        plain, traced = measured[False], measured[True]
        growth = max(plain["rss_growth_bytes"], plain["rss_peak_growth_bytes"])
        print(
            f"{label}: {plain['events']:,} events, present peak {plain['present_peak']:,} / "
            f"end {plain['present_end']:,}, {plain['unique_viewers']:,} distinct viewers; "
            f"RSS growth {plain['rss_growth_bytes'] / MIB:,.0f} MiB at the end, "
            f"{plain['rss_peak_growth_bytes'] / MIB:,.0f} MiB at peak; traced Python heap "
            f"{traced['traced_bytes'] / MIB:,.0f} MiB "
            f"(peak {traced['traced_peak_bytes'] / MIB:,.0f} MiB); "
            f"checkpoint {plain['checkpoint_bytes'] / MIB:,.0f} MiB, encode "
            f"{plain['encode_s']:.2f} s, decode {plain['decode_s']:.2f} s; processed at "
            f"{plain['events'] / plain['seconds']:,.0f} events/s in batches of 200,000, "
            f"slowest batch {plain['slowest_batch_s']:.2f} s; goal <= 2 GiB: "
            f"{'met' if growth <= GOAL_STATE_BYTES else 'NOT met'}",
            flush=True,
        )


def breakdown(table: pa.Table, batch_rows: int) -> None:
    """Timers around the engine's methods (monkeypatched for this run only)."""
    print(f"\n## 3. Where the time of process() goes (batches of {batch_rows:,})")
    totals: dict[str, float] = defaultdict(float)
    patched: list[tuple[type, str, Callable[..., Any]]] = []

    def timed(cls: type, name: str, label: Callable[[tuple[Any, ...]], str]) -> None:
        original = getattr(cls, name)

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                totals[label(args)] += time.perf_counter() - started

        patched.append((cls, name, original))
        setattr(cls, name, wrapper)

    timed(LiveEngine, "process", lambda _: "process (total)")
    timed(SessionState, "add", lambda _: "SessionState.add")
    timed(SessionState, "_add_kind", lambda a: f"  _add_kind {a[0]}")
    timed(ViewerSessions, "observe", lambda _: "  ViewerSessions.observe (activity)")
    timed(ViewerSessions, "advance", lambda _: "ViewerSessions.advance (apply joins/leaves)")
    timed(ViewerSessions, "_time_out", lambda _: "  ViewerSessions._time_out (idle scan)")
    timed(ViewerSessions, "flush", lambda _: "ViewerSessions.flush (finish)")
    try:
        _, seconds, _, metrics_s = run_engine(table, batch_rows)
    finally:
        for cls, name, original in patched:
            setattr(cls, name, original)
    per_event = 1e6 / table.num_rows
    for label, spent in sorted(totals.items(), key=lambda item: -item[1]):
        if spent >= 0.01 * seconds:
            print(f"{label:<48} {spent:6.2f} s  {spent * per_event:5.2f} µs/event")
    print(f"{'metrics_of':<48} {metrics_s:6.2f} s")
    print(f"{'total (with timers)':<48} {seconds:6.2f} s  {seconds * per_event:5.2f} µs/event")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--peak-viewers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-rows", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--rate", type=float, default=400_000)
    parser.add_argument("--interval-ms", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--crowd", type=int, default=1_000_000, help="0: skip the state size")
    parser.add_argument("--crowd-minutes", type=int, default=3)
    parser.add_argument("--no-breakdown", action="store_true")
    parser.add_argument("--cache", type=Path, help="keep the simulated events here (Parquet)")
    args = parser.parse_args()
    print(
        f"# livelens live engine — python {platform.python_version()}, pyarrow {pa.__version__}, "
        f"numpy {np.__version__}, msgspec {msgspec.__version__}, {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.2f} at the start"
    )
    config = SimulationConfig(minutes=args.minutes, peak_viewers=args.peak_viewers)
    table = simulated_events(config, args.cache)
    throughput(table, args.batch_rows, args.runs)
    engine, _, _, _ = run_engine(table, 50_000)
    started = time.perf_counter()
    checkpoint = engine.encode()
    print(
        f"checkpoint at the end of this session: {len(checkpoint) / MIB:.1f} MiB, "
        f"encode {time.perf_counter() - started:.2f} s"
    )
    del engine, checkpoint
    latency(table, args.rate, [ms / 1000 for ms in args.interval_ms], args.runs)
    if not args.no_breakdown:
        breakdown(table, 50_000)
    if args.crowd:
        del table
        gc.collect()
        with tempfile.TemporaryDirectory(prefix="livelens-bench-") as tmp:
            state_size(Path(tmp), args.crowd, args.crowd_minutes)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (above ~1: others shared the cores)")


if __name__ == "__main__":
    main()
