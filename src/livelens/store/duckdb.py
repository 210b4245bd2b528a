"""The embedded event store: one DuckDB file.

Events are appended in bulk from Arrow tables, each event id once
(:mod:`livelens.store.event_appends`). Timestamps are ``TIMESTAMPTZ`` read back in UTC.

The events table evolves by adding nullable columns only (a new optional field or event type):
opening a store written by an earlier version adds the columns it lacks, at the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from livelens.errors import StoreError
from livelens.events.columns import EVENTS_SCHEMA
from livelens.events.reference import Persona, Product, ReferenceData
from livelens.events.schema import SCHEMA_VERSION
from livelens.sources.base import Rejection
from livelens.store.base import SessionSummary
from livelens.store.event_appends import EventAppends

_SQL_TYPES: Final = {
    pa.string(): "VARCHAR",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
}


def _column_sql(field: pa.Field) -> str:
    sql_type = "TIMESTAMPTZ" if pa.types.is_timestamp(field.type) else _SQL_TYPES[field.type]
    return f'"{field.name}" {sql_type}{"" if field.nullable else " NOT NULL"}'


_DDL: Final = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS events ({", ".join(_column_sql(f) for f in EVENTS_SCHEMA)});
CREATE SEQUENCE IF NOT EXISTS quarantine_seq;
CREATE TABLE IF NOT EXISTS quarantine (
    id BIGINT DEFAULT nextval('quarantine_seq') PRIMARY KEY,
    ingested_at TIMESTAMPTZ NOT NULL,
    fingerprint VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    location VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    detail VARCHAR NOT NULL,
    raw VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
    product_id VARCHAR PRIMARY KEY, title VARCHAR NOT NULL, category VARCHAR NOT NULL,
    brand VARCHAR, list_price_minor BIGINT NOT NULL, floor_price_minor BIGINT NOT NULL,
    currency VARCHAR NOT NULL, stock BIGINT NOT NULL, document JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS personas (
    persona_id VARCHAR PRIMARY KEY, display_name VARCHAR NOT NULL, talent VARCHAR,
    licence_id VARCHAR, kind VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS engine_checkpoints (
    name VARCHAR PRIMARY KEY, position VARCHAR NOT NULL, state BLOB NOT NULL,
    written_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id VARCHAR PRIMARY KEY, room_id VARCHAR NOT NULL, platform VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL, ended_at TIMESTAMPTZ NOT NULL,
    events BIGINT NOT NULL, viewers BIGINT NOT NULL
);
"""


# How much write-ahead log DuckDB gathers before it checkpoints (compresses the logged rows into
# the file) at a commit. DuckDB's 16 MB default made a live stream of 10,000-event appends
# checkpoint nearly every append: 38 ms per append against 27 ms at 128 MB, final checkpoint
# included (bench/RESULTS.md, "Live screen"). The price is a log of up to this size to replay
# after a crash.
CHECKPOINT_THRESHOLD: Final = "128MB"


def _fingerprint(rejection: Rejection) -> str:
    text = f"{rejection.source}\x00{rejection.location}\x00{rejection.reason}\x00{rejection.raw}"
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class DuckDBStore:
    """An :class:`~livelens.store.base.EventStore` in one DuckDB file (``:memory:`` for tests)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        try:
            self.con = duckdb.connect(self.path)
        except duckdb.Error as error:
            msg = f"cannot open store {self.path}: {error}"
            raise StoreError(msg) from None
        self._exec("SET TimeZone = 'UTC'")
        self._exec(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        self._exec(_DDL)
        self._add_new_columns()
        self._exec("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        self._appends = EventAppends(self.con, self.path)

    def _add_new_columns(self) -> None:
        """Add the event columns a store written by an earlier version lacks (e.g. ``stock``).

        Columns are only ever added, nullable, at the end of :data:`EVENTS_SCHEMA`; the events
        stored before read NULL there, which is what their types mean (the field is not theirs).
        """
        present = {
            row[0]
            for row in self._exec(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                "AND schema_name = current_schema() AND table_name = 'events'"
            )
        }
        for field in EVENTS_SCHEMA:
            if field.name in present:
                continue
            if not field.nullable:
                msg = (
                    f"store {self.path} has no events column {field.name!r}, which cannot be "
                    "added to stored events; it was not written by livelens"
                )
                raise StoreError(msg)
            self._exec(f"ALTER TABLE events ADD COLUMN {_column_sql(field)}")

    def _exec(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement to completion (DuckDB 2 refuses new work while a result is open)."""
        rows: list[tuple[Any, ...]] = self.con.execute(sql, params).fetchall()
        return rows

    def begin(self) -> None:
        self._exec("BEGIN TRANSACTION")

    def commit(self) -> None:
        self._exec("COMMIT")

    def rollback(self) -> None:
        self._exec("ROLLBACK")

    def close(self) -> None:
        self._appends.close()
        self.con.close()

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def bind_key(self, key_id: str) -> None:
        rows = self._exec("SELECT value FROM meta WHERE key = 'key_id'")
        row = rows[0] if rows else None
        if row is None:
            self._exec("INSERT INTO meta VALUES ('key_id', ?)", [key_id])
        elif row[0] != key_id:
            msg = (
                f"store {self.path} was pseudonymised with key {row[0]}, but this workspace's key "
                f"is {key_id}; use the workspace that created it (--workspace / LIVELENS_HOME)"
            )
            raise StoreError(msg)

    def append_events(self, table: pa.Table) -> int:
        new, hashes, ids = self._appends.unstored(table)
        self._appends.write(new, hashes, ids)
        return int(new.num_rows)

    @contextmanager
    def bulk_load(self) -> Iterator[Callable[[pa.Table], int]]:
        """An ``append(table)`` like :meth:`append_events` for one bulk load: the new events are
        held back and inserted in whole DuckDB row groups (:meth:`EventAppends.hold`), the rest
        when the context exits. A repeat of a held event is still a duplicate."""

        def append(table: pa.Table) -> int:
            new, hashes, ids = self._appends.unstored(table)
            self._appends.hold(new, hashes, ids)
            return int(new.num_rows)

        try:
            yield append
        finally:
            self._appends.release()

    def append_new_events(
        self, table: pa.Table, meanwhile: Callable[[pa.Table], None] | None = None
    ) -> pa.Table:
        """Append the events not stored yet and return exactly those (for the live engine).

        ``meanwhile(new)`` runs on the calling thread while the store writes ``new`` on its second
        connection (:meth:`EventAppends.write`), so work on the new events overlaps the write. The
        write has finished when this returns; if it failed, its error is raised after
        ``meanwhile`` ran, so the caller knows that what ``meanwhile`` did is not backed by
        the store.
        """
        new, hashes, ids = self._appends.unstored(table)
        new = new.cast(EVENTS_SCHEMA)
        self._appends.write(new, hashes, ids, meanwhile)
        return new

    def save_checkpoint(self, name: str, position: str, state: bytes, at: datetime) -> None:
        """Store engine state with the source position it covers, replacing the previous one."""
        self._exec(
            "INSERT OR REPLACE INTO engine_checkpoints VALUES (?, ?, ?, ?)",
            [name, position, state, at],
        )

    def load_checkpoint(self, name: str) -> tuple[str, bytes] | None:
        rows = self._exec("SELECT position, state FROM engine_checkpoints WHERE name = ?", [name])
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    def append_quarantine(self, rejections: Sequence[Rejection], at: datetime) -> None:
        if not rejections:
            return
        table = pa.table(
            {
                "ingested_at": pa.array([at] * len(rejections), pa.timestamp("us", tz="UTC")),
                "fingerprint": [_fingerprint(r) for r in rejections],
                "source": [r.source for r in rejections],
                "location": [r.location for r in rejections],
                "reason": [r.reason for r in rejections],
                "detail": [r.detail for r in rejections],
                "raw": [r.raw for r in rejections],
            }
        )
        self.con.register("incoming_quarantine", table)
        try:
            # The same bad record ingested twice is quarantined once.
            self._exec(
                "INSERT INTO quarantine BY NAME SELECT DISTINCT ON (fingerprint) * "
                "FROM incoming_quarantine ANTI JOIN quarantine USING (fingerprint)"
            )
        finally:
            self.con.unregister("incoming_quarantine")

    def put_reference(self, data: ReferenceData) -> None:
        for product in data.products:
            self._exec(
                "INSERT OR REPLACE INTO products VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    product.product_id,
                    product.title,
                    product.category,
                    product.brand,
                    product.list_price_minor,
                    product.floor_price_minor,
                    product.currency,
                    product.stock,
                    msgspec.json.encode(product).decode(),
                ],
            )
        for persona in data.personas:
            self._exec(
                "INSERT OR REPLACE INTO personas VALUES (?, ?, ?, ?, ?)",
                [
                    persona.persona_id,
                    persona.display_name,
                    persona.talent,
                    persona.licence_id,
                    persona.kind,
                ],
            )

    def refresh_sessions(self, session_ids: Sequence[str]) -> None:
        if not session_ids:
            return
        self._exec(
            "INSERT OR REPLACE INTO sessions "
            "SELECT session_id, any_value(room_id), any_value(platform), min(ts), max(ts), "
            "count(*), count(DISTINCT viewer_id) FROM events "
            "WHERE session_id IN (SELECT unnest(?)) GROUP BY session_id",
            [list(session_ids)],
        )

    def sessions(self) -> list[SessionSummary]:
        rows = self.con.execute(
            "SELECT session_id, room_id, platform, started_at, ended_at, events, viewers "
            "FROM sessions ORDER BY started_at, session_id"
        ).fetchall()
        return [
            SessionSummary(
                session_id=r[0],
                room_id=r[1],
                platform=r[2],
                started_at=r[3],
                ended_at=r[4],
                events=r[5],
                viewers=r[6],
            )
            for r in rows
        ]

    def events(self, session_id: str | None = None, types: Sequence[str] | None = None) -> pa.Table:
        """The events (of one session, of the given types), in event time."""
        where, params = self._session_filter(session_id)
        if types is not None:
            where += (" AND " if where else "WHERE ") + "type IN (SELECT unnest(?))"
            params = [*params, list(types)]
        columns = ", ".join(f'"{n}"' for n in EVENTS_SCHEMA.names)
        query = f"SELECT {columns} FROM events {where} ORDER BY ts, event_id"  # noqa: S608
        table: pa.Table = self.con.sql(query, params=params).to_arrow_table()
        return table.cast(EVENTS_SCHEMA)

    def export_parquet(self, path: Path, session_id: str | None = None) -> int:
        table = self.events(session_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd")
        return int(table.num_rows)

    def quarantine_counts(self) -> dict[str, int]:
        rows = self.con.execute(
            "SELECT reason, count(*) FROM quarantine GROUP BY reason ORDER BY reason"
        ).fetchall()
        return {reason: int(n) for reason, n in rows}

    def display_names(self) -> dict[str, str]:
        """Product titles and persona display names by id, from the reference data."""
        rows = self._exec(
            "SELECT product_id, title FROM products "
            "UNION ALL SELECT persona_id, display_name FROM personas"
        )
        return {identifier: name for identifier, name in rows}

    def reference(self) -> ReferenceData:
        """The stored catalog and persona registry."""
        products = self._exec("SELECT document FROM products ORDER BY product_id")
        personas = self._exec(
            "SELECT persona_id, display_name, talent, licence_id, kind FROM personas "
            "ORDER BY persona_id"
        )
        return ReferenceData(
            products=[msgspec.json.decode(row[0], type=Product) for row in products],
            personas=[
                Persona(
                    persona_id=row[0],
                    display_name=row[1],
                    talent=row[2],
                    licence_id=row[3],
                    kind=row[4],
                )
                for row in personas
            ],
        )

    def quarantined(self, limit: int = 100) -> list[dict[str, Any]]:
        """The most recent quarantined records, newest first."""
        cursor = self.con.execute(
            "SELECT source, location, reason, detail, raw FROM quarantine ORDER BY id DESC LIMIT ?",
            [limit],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def event_counts(self, session_id: str | None = None) -> dict[str, int]:
        where, params = self._session_filter(session_id)
        query = f"SELECT type, count(*) FROM events {where} GROUP BY type ORDER BY type"  # noqa: S608
        return {kind: int(n) for kind, n in self.con.execute(query, params).fetchall()}

    @staticmethod
    def _session_filter(session_id: str | None) -> tuple[str, list[Any]]:
        if session_id is None:
            return "", []
        return "WHERE session_id = ?", [session_id]
