"""Simulated sessions as one Arrow table, as the live engine sees them after ingest.

The simulator writes JSON Lines (``write_session``); the lines are decoded, transposed to
:data:`~livelens.events.columns.EVENTS_SCHEMA`, their viewer ids pseudonymised with a fixed key
(as ingest does, so ids have the stored length) and the rows sorted by event time. None of this is
timed by the benchmarks: they measure what happens to the table afterwards.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from livelens.events.columns import EVENTS_SCHEMA, TS_TYPE, events_to_table, ts_micros
from livelens.events.pseudonymise import Pseudonymiser
from livelens.sources.jsonl import JsonLinesFile
from livelens.sources.simulation.config import DEFAULT_START
from livelens.sources.simulator import SimulationConfig, write_session

BENCH_KEY = b"livelens-bench-key-0123456789abc"  # fixed: the same pseudonyms every run


def load_events(path: Path) -> pa.Table:
    """A canonical JSON Lines file as one table, viewer ids pseudonymised, sorted by ``ts``."""
    pseudonymiser = Pseudonymiser(BENCH_KEY)
    tables = []
    for batch in JsonLinesFile(path):
        table = events_to_table(batch.events)
        viewers = pseudonymiser.pseudonymise_column(table["platform"], table["viewer_id"])
        column = table.schema.get_field_index("viewer_id")
        tables.append(table.set_column(column, "viewer_id", viewers))
    table = pa.concat_tables(tables)
    return table.take(pc.sort_indices(table, [("ts", "ascending")])).combine_chunks()


def simulated_events(config: SimulationConfig, cache: Path | None = None) -> pa.Table:
    """The events of a simulated session (cached as Parquet at ``cache`` when given)."""
    if cache is not None and cache.exists():
        return pq.read_table(cache)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="livelens-bench-") as tmp:
        path = Path(tmp) / "session.jsonl"
        write_session(config, path)
        size_mb = path.stat().st_size / 1e6
        table = load_events(path)
    print(
        f"simulated {config.minutes} min x {config.peak_viewers:,} peak viewers: "
        f"{table.num_rows:,} events ({size_mb:,.0f} MB JSON Lines), "
        f"generated and loaded in {time.perf_counter() - started:.0f} s (not timed)",
        flush=True,
    )
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, cache)
    return table


def crowd_events(viewers: int, *, join_s: int = 120, span_s: int = 180, seed: int = 1) -> pa.Table:
    """A synthetic room where ``viewers`` join within ``join_s`` and none leave within ``span_s``.

    Besides the joins, every viewer sees a product and likes; 30 % comment, 10 % click, 3 % add
    to cart, 1 % pay. Ids have the length of real pseudonyms (``v_`` + 20 hex digits).
    """
    rng = np.random.default_rng(seed)
    start_us = ts_micros(DEFAULT_START)
    end_us = start_us + span_s * 1_000_000
    ids = pa.array([f"v_{i:020x}" for i in range(viewers)], pa.string())
    joined = start_us + rng.integers(0, join_s * 1_000_000, viewers)
    products = pa.array([f"sku-{i:02d}" for i in range(12)], pa.string())
    parts: list[pa.Table] = []

    def part(kind: str, share: float, **payload: pa.Array) -> None:
        picked = np.flatnonzero(rng.random(viewers) < share) if share < 1 else np.arange(viewers)
        n = len(picked)
        if kind == "viewer.join":
            ts = joined[picked]
        else:  # some time after the viewer joined
            ts = joined[picked] + (rng.random(n) * (end_us - joined[picked])).astype(np.int64)
        columns: dict[str, pa.Array] = {
            "type": pa.array([kind] * n, pa.string()),
            "ts": pa.array(ts, pa.int64()).cast(TS_TYPE),
            "viewer_id": ids.take(pa.array(picked)),
        }
        if kind in ("product.impression", "product.click", "cart.add", "order.paid"):
            columns["product_id"] = products.take(pa.array(rng.integers(0, len(products), n)))
        for name, make in payload.items():
            columns[name] = make(n) if callable(make) else make
        parts.append(pa.table(columns))

    part("viewer.join", 1.0)
    part("product.impression", 1.0)
    part("like", 1.0, count=lambda n: pa.array(rng.integers(1, 6, n), pa.int64()))
    part("comment", 0.3, text=lambda n: pa.array(["主播好看"] * n, pa.string()))
    part("product.click", 0.1)
    part("cart.add", 0.03, quantity=lambda n: pa.array(np.ones(n, np.int32)))
    part(
        "order.paid",
        0.01,
        order_id=lambda n: pa.array([f"o-{i}" for i in range(n)], pa.string()),
        quantity=lambda n: pa.array(np.ones(n, np.int32)),
        amount_minor=lambda n: pa.array(rng.integers(1_000, 50_000, n), pa.int64()),
        currency=lambda n: pa.array(["CNY"] * n, pa.string()),
    )
    table = pa.concat_tables(parts, promote_options="default")
    table = table.take(pc.sort_indices(table, [("ts", "ascending")]))
    n = table.num_rows
    envelope = {
        "event_id": pc.binary_join_element_wise(
            "crowd-", pa.array(np.arange(n)).cast(pa.string()), ""
        ),
        "room_id": pa.array(["crowd-room"] * n, pa.string()),
        "session_id": pa.array(["crowd-1"] * n, pa.string()),
        "platform": pa.array(["sim"] * n, pa.string()),
        "schema": pa.array(np.ones(n, np.int16)),
    }
    arrays = []
    for field in EVENTS_SCHEMA:
        if field.name in envelope:
            arrays.append(envelope[field.name])
        elif field.name in table.column_names:
            arrays.append(table[field.name].combine_chunks().cast(field.type))
        else:
            arrays.append(pa.nulls(n, field.type))
    return pa.Table.from_arrays(arrays, schema=EVENTS_SCHEMA)
