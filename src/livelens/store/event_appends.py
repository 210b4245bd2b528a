"""Appending events to the DuckDB ``events`` table, each event id once.

A batch is de-duplicated by event id against the stored events through the in-memory hashes of
:mod:`livelens.store.event_ids`: only the ids whose hash is already known are looked up in the
table (a primary-key index with ``INSERT OR IGNORE`` measured ~10× slower than an anti-join, and
the anti-join reads every stored id per batch). The hashes are rebuilt from the table whenever its
row count is not what these appends wrote (another connection wrote or deleted, or a transaction
rolled back).

A write may run on a second connection, on a thread of its own, while the caller works on the
new events (DuckDB releases the GIL): the live hub folds a batch into its engine that way.

A bulk load holds its new events back and inserts them in whole DuckDB row groups
(:meth:`EventAppends.hold`), from one Arrow chunk: an insert that ends in a partial row group (or
scans several chunks, each ending in one) leaves it to be rewritten by the next insert and the
checkpoint, which measured about twice the CPU per event (1M events in 172k-row inserts of
multi-chunk tables: 2.24 CPU-s and a 37 MB file; in single-chunk 245,760-row inserts: 1.22 CPU-s
and 22 MB).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from livelens.errors import StoreError
from livelens.store.event_ids import EventIdHashes, Hashes

# Rows per DuckDB row group (its default; not a setting). Bulk inserts come in multiples of it.
ROW_GROUP_ROWS: Final = 122_880
# A bulk load inserts once this many new rows are held: two row groups, which DuckDB writes on
# two threads (one group per insert measured the same CPU in twice the wall time).
BULK_INSERT_ROWS: Final = 2 * ROW_GROUP_ROWS


class EventAppends:
    """The appends to one store's ``events`` table, through its connection ``con``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self.con, self.path = con, path
        self._ids: EventIdHashes | None = None  # built on the first append
        self._ids_rows = 0  # the events table's row count the hashes stand for
        self._writer: tuple[duckdb.DuckDBPyConnection, ThreadPoolExecutor] | None = None
        # New rows a bulk load holds back (their hashes already in the id hashes)
        self._held: list[pa.Table] = []

    def unstored(self, table: pa.Table) -> tuple[pa.Table, Hashes, EventIdHashes]:
        """The rows of ``table`` whose ``event_id`` is not stored, their id hashes, and the
        hashes of the stored ids (what :meth:`write` then adds to)."""
        ids = self._stored_ids()
        if table.num_rows == 0:
            return table, np.empty(0, np.uint64), ids
        hashes = self._hashes(table)
        maybe = ids.maybe_stored(hashes)
        if maybe.any():
            candidates = table["event_id"].filter(pa.array(maybe)).to_pylist()
            query = "SELECT event_id FROM events WHERE event_id IN (SELECT unnest(?))"
            stored = [row[0] for row in self.con.execute(query, [candidates]).fetchall()]
            known = pa.chunked_array(
                [pa.array(stored, pa.string()), *(t["event_id"] for t in self._held)], pa.string()
            )
            keep = np.logical_not(
                maybe & pc.is_in(table["event_id"], known.combine_chunks()).to_numpy(False)
            )
            table, hashes = table.filter(pa.array(keep)), hashes[keep]
        return table, hashes, ids

    def write(
        self,
        new: pa.Table,
        hashes: Hashes,
        ids: EventIdHashes,
        meanwhile: Callable[[pa.Table], None] | None = None,
    ) -> None:
        """Insert the rows :meth:`unstored` found. ``meanwhile(new)``, if given, runs on the calling
        thread while the second connection writes; the write has finished when this returns, and
        if it failed, its :class:`StoreError` is raised after ``meanwhile`` ran."""
        if meanwhile is None:
            self._insert(self.con, new, hashes, ids)
            return
        if self._writer is None:
            self._writer = (self.con.cursor(), ThreadPoolExecutor(1, "livelens-store"))
        con, thread = self._writer
        written = thread.submit(self._insert, con, new, hashes, ids)
        try:
            meanwhile(new)
        finally:
            written.result()

    def hold(self, new: pa.Table, hashes: Hashes, ids: EventIdHashes) -> None:
        """Hold the rows :meth:`unstored` found for a bulk insert; insert whole row groups of the
        rows held once there are :data:`BULK_INSERT_ROWS` (:meth:`release` inserts the rest)."""
        if new.num_rows == 0:
            return
        ids.add(hashes)  # a repeat in a later batch is then checked against the held rows
        self._held.append(new)
        held = sum(t.num_rows for t in self._held)
        if held >= BULK_INSERT_ROWS:
            whole_groups = held - held % ROW_GROUP_ROWS
            rows = pa.concat_tables(self._held)
            self._held = [rows.slice(whole_groups)]
            # one chunk: DuckDB scans each Arrow chunk as a task of its own, and ends each
            # in a partial row group (as slow as unaligned inserts, measured)
            self._insert(self.con, rows.slice(0, whole_groups).combine_chunks(), None, ids)

    def release(self) -> None:
        """Insert every row still held."""
        if self._held:
            rows, self._held = pa.concat_tables(self._held), []
            self._insert(self.con, rows, None, self._stored_ids())

    def close(self) -> None:
        if self._writer is not None:
            self._writer[1].shutdown()
            self._writer[0].close()
            self._writer = None

    def _insert(
        self,
        con: duckdb.DuckDBPyConnection,
        new: pa.Table,
        hashes: Hashes | None,
        ids: EventIdHashes,
    ) -> None:
        """Insert ``new`` and add its ``hashes`` to ``ids`` (``None``: they are there already)."""
        if new.num_rows == 0:
            return
        con.register("incoming_new", new)
        try:
            con.execute("INSERT INTO events BY NAME SELECT * FROM incoming_new").fetchall()
        except duckdb.Error as error:
            msg = f"cannot append {new.num_rows} events to store {self.path}: {error}"
            raise StoreError(msg) from None
        finally:
            con.unregister("incoming_new")
        if hashes is not None:
            ids.add(hashes)
        self._ids_rows += new.num_rows

    def _stored_ids(self) -> EventIdHashes:
        (rows,) = self.con.execute("SELECT count(*) FROM events").fetchall()[0]
        if self._ids is None or rows != self._ids_rows:
            self._ids = EventIdHashes()
            self._ids.add(self._column_hashes("SELECT hash(event_id) AS h FROM events"))
            for held in self._held:  # not in the table yet, still to be known
                self._ids.add(self._hashes(held))
            self._ids_rows = int(rows)
        return self._ids

    def _hashes(self, table: pa.Table) -> Hashes:
        self.con.register("incoming_ids", table.select(["event_id"]))
        try:
            return self._column_hashes("SELECT hash(event_id) AS h FROM incoming_ids")
        finally:
            self.con.unregister("incoming_ids")

    def _column_hashes(self, sql: str) -> Hashes:
        column = self.con.execute(sql).fetchnumpy()["h"]
        return np.asarray(column, dtype=np.uint64)
