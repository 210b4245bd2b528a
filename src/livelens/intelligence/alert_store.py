"""Alerts in the store: table ``alerts`` (one row per episode, upserted by id, acknowledgements
kept across re-scoring) and table ``webhook_dead_letters`` (payloads no endpoint accepted)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import msgspec

from livelens.errors import NotFound
from livelens.intelligence.alerts import Alert

_DDL: Final = (
    """
    CREATE TABLE IF NOT EXISTS alerts (
        alert_id VARCHAR PRIMARY KEY, room_id VARCHAR NOT NULL, session_id VARCHAR NOT NULL,
        metric VARCHAR NOT NULL, status VARCHAR NOT NULL, opened_at TIMESTAMPTZ NOT NULL,
        doc JSON NOT NULL, acked_by VARCHAR, acked_at TIMESTAMPTZ
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS webhook_dead_letters (
        delivery_id VARCHAR PRIMARY KEY, url VARCHAR NOT NULL, "at" TIMESTAMPTZ NOT NULL,
        attempts INTEGER NOT NULL, last_error VARCHAR NOT NULL, payload JSON NOT NULL
    )
    """,
)


class StoredAlert(msgspec.Struct, kw_only=True, frozen=True):
    alert: Alert
    acked_by: str | None
    acked_at: datetime | None


class AlertStore:
    """Alert episodes and dead letters on a DuckDB connection (``DuckDBStore.con``)."""

    def __init__(self, con: Any) -> None:
        self.con = con
        for ddl in _DDL:
            con.execute(ddl)

    def upsert(self, alerts: list[Alert]) -> list[Alert]:
        """Store each alert's latest state; returns those the store did not hold before."""
        known = {
            row[0]
            for row in self.con.execute(
                "SELECT alert_id FROM alerts WHERE list_contains(?, alert_id)",
                [[a.alert_id for a in alerts]],
            ).fetchall()
        }
        self.con.executemany(
            "INSERT INTO alerts (alert_id, room_id, session_id, metric, status, opened_at, doc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id) DO UPDATE SET "
            "status = excluded.status, doc = excluded.doc",
            [
                (
                    a.alert_id,
                    a.room_id,
                    a.session_id,
                    a.metric,
                    a.status,
                    a.opened_at,
                    msgspec.json.encode(a).decode(),
                )
                for a in alerts
            ],
        )
        return [a for a in alerts if a.alert_id not in known]

    def alerts(
        self, session_id: str | None = None, *, unacknowledged: bool = False
    ) -> list[StoredAlert]:
        sql = "SELECT doc, acked_by, acked_at FROM alerts WHERE (? IS NULL OR session_id = ?)"
        if unacknowledged:
            sql += " AND acked_by IS NULL"
        rows = self.con.execute(sql + " ORDER BY opened_at, metric", [session_id] * 2).fetchall()
        return [
            StoredAlert(alert=msgspec.json.decode(doc, type=Alert), acked_by=by, acked_at=at)
            for doc, by, at in rows
        ]

    def acknowledge(self, alert_id: str, by: str, at: datetime) -> StoredAlert:
        """Mark the alert seen by ``by``; the first acknowledgement stands."""
        rows = self.con.execute(
            "UPDATE alerts SET acked_by = coalesce(acked_by, ?), acked_at = coalesce(acked_at, ?) "
            "WHERE alert_id = ? RETURNING doc, acked_by, acked_at",
            [by, at, alert_id],
        ).fetchall()
        if not rows:
            msg = f"no alert {alert_id!r}; `livelens alerts list` shows the ids"
            raise NotFound(msg)
        doc, acked_by, acked_at = rows[0]
        return StoredAlert(
            alert=msgspec.json.decode(doc, type=Alert), acked_by=acked_by, acked_at=acked_at
        )

    def dead_letter(
        self, delivery_id: str, url: str, at: datetime, attempts: int, error: str, payload: bytes
    ) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO webhook_dead_letters VALUES (?, ?, ?, ?, ?, ?)",
            [delivery_id, url, at, attempts, error, payload.decode()],
        )

    def dead_letters(self) -> list[dict[str, Any]]:
        rows = self.con.execute(
            'SELECT delivery_id, url, "at", attempts, last_error, payload '
            'FROM webhook_dead_letters ORDER BY "at"'
        ).fetchall()
        keys = ("delivery_id", "url", "at", "attempts", "last_error", "payload")
        return [dict(zip(keys, row, strict=True)) for row in rows]
