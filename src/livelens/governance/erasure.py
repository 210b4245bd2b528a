"""Physical erasure: rewrite a DuckDB store file so deleted values are gone from disk.

DuckDB marks deleted rows and writes updated values anew; a ``CHECKPOINT`` makes that durable and
empties the write-ahead log, but the blocks that held the old values are only marked free, not
overwritten (measured on DuckDB 2.0.1: a deleted pseudonym's bytes are still in the file after
``DELETE`` + ``CHECKPOINT``, and after ``UPDATE`` + ``CHECKPOINT``). Rewriting the database from its
live rows into a new file (``COPY FROM DATABASE``: tables, constraints, sequences and their
positions) and renaming that over the old file leaves no old block behind.

The store must not be open anywhere else while it is compacted (DuckDB's file lock refuses a
second writer process; in one process, close the :class:`~livelens.store.duckdb.DuckDBStore`
first). Below the file system — snapshots, backups, copy-on-write and SSD wear levelling — is out
of reach here.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import msgspec

from livelens.errors import StoreError


class CompactionReport(msgspec.Struct, frozen=True):
    path: str
    bytes_before: int
    bytes_after: int


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def compact_store(path: Path) -> CompactionReport:
    """Rewrite the store at ``path`` from its live rows and replace the file (see module doc)."""
    if not path.is_file():
        msg = f"{path} is not a store file; compaction rewrites an existing DuckDB file"
        raise StoreError(msg)
    before = path.stat().st_size
    fresh = path.with_name(f".{path.name}.compacting")
    for leftover in (fresh, Path(f"{fresh}.wal")):
        leftover.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as error:
        msg = f"cannot open {path} to compact it (is it open elsewhere?): {error}"
        raise StoreError(msg) from None
    try:
        name = str(con.execute("SELECT current_database()").fetchall()[0][0])
        target = str(fresh).replace("'", "''")
        con.execute(f"ATTACH '{target}' AS livelens_compacted").fetchall()
        con.execute(f"COPY FROM DATABASE {_quoted(name)} TO livelens_compacted").fetchall()
        con.execute("DETACH livelens_compacted").fetchall()
    except duckdb.Error as error:
        fresh.unlink(missing_ok=True)
        msg = f"compacting {path} failed, the store is unchanged: {error}"
        raise StoreError(msg) from None
    finally:
        con.close()
    with fresh.open("rb+") as handle:
        os.fsync(handle.fileno())
    # The old file's log belongs to the old file: its content is in the copy already.
    Path(f"{path}.wal").unlink(missing_ok=True)
    os.replace(fresh, path)
    return CompactionReport(str(path), before, path.stat().st_size)
