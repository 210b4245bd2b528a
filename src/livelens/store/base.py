"""The store port: what ingest, the engine and the interfaces need from an event store.

:class:`~livelens.store.duckdb.DuckDBStore` is the embedded adapter; other backends implement the
same protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Protocol

import msgspec
import pyarrow as pa

from livelens.events.reference import ReferenceData
from livelens.sources.base import Rejection


class SessionSummary(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    room_id: str
    platform: str
    started_at: datetime
    ended_at: datetime
    events: int
    viewers: int


class EventStore(Protocol):
    def bind_key(self, key_id: str) -> None:
        """Record the pseudonymisation key fingerprint, refusing a store made with another key."""

    def append_events(self, table: pa.Table) -> int:
        """Append events whose ``event_id`` is not stored yet; return how many were new."""

    def bulk_load(self) -> AbstractContextManager[Callable[[pa.Table], int]]:
        """An ``append(table)`` like :meth:`append_events` for one bulk load, which may hold new
        events back to write them in the sizes the store writes fastest; every event it counted
        is written when the context exits."""

    def append_new_events(
        self, table: pa.Table, meanwhile: Callable[[pa.Table], None] | None = None
    ) -> pa.Table:
        """Append events whose ``event_id`` is not stored yet; return exactly those.
        ``meanwhile(new)``, if given, runs while they are written; the write has finished (or
        raised, after ``meanwhile``) on return."""

    def save_checkpoint(self, name: str, position: str, state: bytes, at: datetime) -> None: ...

    def load_checkpoint(self, name: str) -> tuple[str, bytes] | None: ...

    def append_quarantine(self, rejections: Sequence[Rejection], at: datetime) -> None: ...

    def put_reference(self, data: ReferenceData) -> None: ...

    def refresh_sessions(self, session_ids: Sequence[str]) -> None: ...

    def sessions(self) -> list[SessionSummary]: ...

    def events(
        self, session_id: str | None = None, types: Sequence[str] | None = None
    ) -> pa.Table: ...

    def export_parquet(self, path: Path, session_id: str | None = None) -> int: ...
