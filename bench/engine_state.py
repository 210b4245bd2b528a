"""Child process of bench_engine.py: the memory that the live engine's state takes.

Reads an events table (Parquet), then folds it into a fresh :class:`LiveEngine` in micro-batches
and prints one JSON line: the slowest batch, resident-set growth (``/proc/self/statm``; the table
is loaded before the baseline is read, so it is not counted), peak growth while processing, the
viewers present at the peak and at the end, and the checkpoint size with its encode/decode times.
With ``--tracemalloc`` it also reports the Python heap (objects and NumPy arrays) that the state
holds, traced from an empty engine; tracing slows processing, so that run's times do not count.

    .venv/bin/python bench/engine_state.py EVENTS.parquet [--tracemalloc] [--batch-rows 200000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from livelens.engine.live import LiveEngine

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * PAGE_BYTES


def settle() -> int:
    """Collect garbage, hand Arrow's free pages back, and return the resident set size."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    return rss_bytes()


def present(engine: LiveEngine) -> int:
    return sum(len(state.viewers.present) for state in engine.sessions.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=Path)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--batch-rows", type=int, default=200_000)
    args = parser.parse_args()
    table = pq.read_table(args.events)
    base = settle()
    if args.tracemalloc:
        tracemalloc.start()
    engine = LiveEngine()
    peak_rss, peak_present, slowest = base, 0, 0.0
    started = time.perf_counter()
    for offset in range(0, table.num_rows, args.batch_rows):
        batch_started = time.perf_counter()
        engine.process(table.slice(offset, args.batch_rows))
        slowest = max(slowest, time.perf_counter() - batch_started)
        peak_rss = max(peak_rss, rss_bytes())
        peak_present = max(peak_present, present(engine))
    engine.finish()
    seconds = time.perf_counter() - started
    peak_present = max(peak_present, present(engine))
    result: dict[str, float | int] = {
        "events": table.num_rows,
        "seconds": seconds,
        "slowest_batch_s": slowest,
    }
    if args.tracemalloc:
        gc.collect()
        current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result |= {"traced_bytes": current, "traced_peak_bytes": traced_peak}
    after = settle()
    states = list(engine.sessions.values())
    result |= {
        "rss_base_bytes": base,
        "rss_growth_bytes": after - base,
        "rss_peak_growth_bytes": max(peak_rss, after) - base,
        "present_peak": peak_present,
        "present_end": present(engine),
        "unique_viewers": sum(len(s.seen) for s in states),
        "last_seen": sum(len(s.viewers.last_seen) for s in states),
    }
    started = time.perf_counter()
    checkpoint = engine.encode()
    result["encode_s"] = time.perf_counter() - started
    result["checkpoint_bytes"] = len(checkpoint)
    started = time.perf_counter()
    LiveEngine.decode(checkpoint)
    result["decode_s"] = time.perf_counter() - started
    print(json.dumps(result))


if __name__ == "__main__":
    main()
