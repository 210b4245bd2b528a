"""Benchmark: the CPU cost of each piece of ingest alone, per event (the 2-core budget, issue 2).

Writes the reproducible event mix (bench/workload.py) and times, one piece at a time with nothing
running beside it: JSON Lines straight to Arrow columns (livelens.events.json_columns, ingest's
path, per 32 MiB block); msgspec decode into typed events, then events to Arrow columns, compiled
(livelens._columnar) and in Python (the path of lines the compiled decoder leaves to msgspec);
pyarrow's JSON reader as an alternative route to columns; `prepare_batch` (checks,
pseudonymisation) of the columnar batches and pseudonymisation alone; the DuckDB append
of the prepared batches into a fresh file (final checkpoint included), in whole row groups as
ingest writes them and one insert per batch. Prints CPU-µs per event (process CPU time, so
DuckDB's own threads count) and the wall time.

    .venv/bin/python bench/bench_ingest_stages.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import gc
import io
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.json as pj

sys.path.insert(0, str(Path(__file__).parent))

from livelens.events import columns
from livelens.events.codec import decode_block
from livelens.events.columns import EVENTS_SCHEMA, events_to_table_ordered
from livelens.events.json_columns import decode_columns
from livelens.events.pseudonymise import Pseudonymiser
from livelens.ingest import IngestPolicy, prepare_batch
from livelens.sources.jsonl import READ_BYTES, JsonLinesFile
from livelens.store.duckdb import DuckDBStore
from workload import write_workload


def timed(label: str, events: int, work: Callable[[], Any]) -> Any:
    """Run ``work`` once; print its CPU-µs and wall-µs per event."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{label:58s} {cpu / events * 1e6:5.2f} CPU-µs  {wall / events * 1e6:5.2f} wall-µs")
    return result


def _blocks(data: bytes, size: int) -> list[bytes]:
    """``data`` cut after a newline about every ``size`` bytes, as ingest reads it."""
    blocks, start = [], 0
    while start < len(data):
        end = data.find(b"\n", min(start + size, len(data) - 1)) + 1 or len(data)
        blocks.append(data[start:end])
        start = end
    return blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--viewers", type=int, default=200_000)
    args = parser.parse_args()
    n = args.events
    with tempfile.TemporaryDirectory(prefix="livelens-stages-") as tmp:
        source = Path(tmp) / "events.jsonl"
        write_workload(source, n, args.viewers)
        data = source.read_bytes()
        blocks = _blocks(data, READ_BYTES)
        pa.scalar(0)  # pyarrow imports pandas at its first Python value (~0.2 s): no stage's cost
        decoded = timed(
            "JSON Lines -> Arrow columns, validated (json_columns, compiled)",
            n,
            lambda: [decode_columns(block, len(block) - 1) for block in blocks],
        )
        assert sum(d.table.num_rows for d in decoded if d is not None and not d.fallback) == n
        lines = timed("read + split into lines", n, lambda: data.split(b"\n")[:-1])
        events = timed(
            "msgspec decode + validation (typed Structs)", n, lambda: decode_block(lines)
        )
        assert events is not None
        timed(
            "Structs -> Arrow columns (events_to_table_ordered, compiled)",
            n,
            lambda: events_to_table_ordered(events),
        )
        compiled, columns._columnar = columns._columnar, None
        timed(
            "  the same in Python (no livelens._columnar)",
            n,
            lambda: events_to_table_ordered(events),
        )
        columns._columnar = compiled
        wide = pa.schema([f.with_nullable(True) for f in EVENTS_SCHEMA]).set(
            2, pa.field("ts", pa.string())
        )
        options = pj.ParseOptions(explicit_schema=wide, unexpected_field_behavior="ignore")
        for threads in (False, True):
            timed(
                f"alternative: pyarrow JSON reader, no validation (threads={threads})",
                n,
                lambda threads=threads: pj.read_json(  # type: ignore[misc]
                    io.BytesIO(data),
                    read_options=pj.ReadOptions(use_threads=threads, block_size=32 << 20),
                    parse_options=options,
                ),
            )
        batches = list(JsonLinesFile(source, columnar=True))
        key, now, policy = Pseudonymiser(b"b" * 32), datetime.now(UTC), IngestPolicy()
        prepared = timed(
            "prepare_batch (checks, pseudonymise) per columnar batch",
            n,
            lambda: [prepare_batch(b, key, policy, now) for b in batches],
        )
        tables = [p.table for p in prepared]
        fresh = Pseudonymiser(b"c" * 32)
        timed(
            "  of it: pseudonymisation alone (new key: every viewer hashed once)",
            n,
            lambda: [fresh.pseudonymise_column(t["platform"], t["viewer_id"]) for t in tables],
        )
        for bulk in (True, False):
            with DuckDBStore(Path(tmp) / f"s{bulk}.duckdb") as store:

                def append(store: DuckDBStore = store, bulk: bool = bulk) -> None:
                    if bulk:  # as ingest writes: whole row groups (EventStore.bulk_load)
                        with store.bulk_load() as add:
                            for table in tables:
                                add(table)
                    else:
                        for table in tables:
                            store.append_events(table)
                    store.con.execute("CHECKPOINT")

                how = "in whole row groups" if bulk else "one insert per batch"
                timed(f"DuckDB append of {len(tables)} prepared batches, {how}", n, append)


if __name__ == "__main__":
    main()
