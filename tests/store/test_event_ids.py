"""De-duplication by event id: the in-memory hashes never lose an event, whatever else wrote to
or deleted from the table, and a hash collision costs a lookup, not an event."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from livelens.events.columns import events_to_table
from livelens.store.duckdb import DuckDBStore
from livelens.store.event_ids import EventIdHashes
from livelens.testing import every_event


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=40), max_size=12),
    st.lists(st.integers(0, 2**64 - 1), max_size=40),
)
def test_maybe_stored_is_exactly_membership(batches: list[list[int]], probe: list[int]) -> None:
    hashes, seen = EventIdHashes(), set()
    for batch in batches:
        hashes.add(np.array(batch, dtype=np.uint64))
        seen.update(batch)
    found = hashes.maybe_stored(np.array(probe, dtype=np.uint64))
    assert found.tolist() == [value in seen for value in probe]
    assert hashes.size == sum(len(b) for b in batches)  # fmt: skip


def _table(first: int) -> pa.Table:
    events = list(every_event())
    table = events_to_table(events)
    ids = [f"ev-{first + i}" for i in range(table.num_rows)]
    return table.set_column(table.schema.get_field_index("event_id"), "event_id", pa.array(ids))


def test_batches_are_deduplicated_across_appends_and_foreign_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store = DuckDBStore(path)
    first = _table(0)
    n = first.num_rows
    assert store.append_events(first) == n
    assert store.append_events(first) == 0  # all known
    overlap = _table(n // 2)
    assert store.append_new_events(overlap)["event_id"].to_pylist() == [
        f"ev-{i}" for i in range(n, n // 2 + n)
    ]
    # another connection to the same database writes behind this store's back
    other = store.con.cursor()
    other.register("elsewhere", _table(10_000))
    other.execute("INSERT INTO events BY NAME SELECT * FROM elsewhere").fetchall()
    assert store.append_events(_table(10_000)) == 0
    # a rolled-back append leaves hashes of rows that are not stored: they must go in again
    store.begin()
    assert store.append_events(_table(20_000)) == n
    store.rollback()
    assert store.append_events(_table(20_000)) == n
    total = store.con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone()
    assert total == (n // 2 + n + 2 * n, n // 2 + n + 2 * n)
    store.close()
    with DuckDBStore(path) as reopened:  # hashes rebuilt from the file
        assert reopened.append_events(_table(0)) == 0


def test_a_hash_collision_costs_a_lookup_not_an_event(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "s.duckdb")
    table = _table(0)
    store.append_events(table.slice(0, 1))
    ids = store._appends._stored_ids()
    con = duckdb.connect()
    con.register("t", table.select(["event_id"]))
    every_hash = con.execute("SELECT hash(event_id) AS h FROM t").fetchnumpy()["h"]
    ids.add(np.asarray(every_hash, dtype=np.uint64))
    assert ids.maybe_stored(np.asarray(every_hash, dtype=np.uint64)).all()
    assert store.append_events(table) == table.num_rows - 1
