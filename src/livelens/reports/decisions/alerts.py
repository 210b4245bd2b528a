"""异常告警 Anomaly alerts: the session scored against its room's earlier sessions.

The scoring is :func:`livelens.intelligence.alert_scan.score_session` with the default
:class:`~livelens.intelligence.alerts.AlertRule` — what ``livelens alerts scan`` finds, but
nothing is stored: writing a report changes nothing in the store. Who acknowledged an alert comes
from the ``alerts`` table (:class:`~livelens.intelligence.alert_store.AlertStore`), matched by
alert id (ids are derived from the episode, so a stored scan and this one agree).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from livelens.errors import NotFound
from livelens.information.metrics import SessionMetrics
from livelens.intelligence.alert_scan import score_session
from livelens.intelligence.alert_store import AlertStore, StoredAlert
from livelens.intelligence.alerts import Alert, AlertRule
from livelens.reports.decisions import has_table
from livelens.store.duckdb import DuckDBStore


class AlertRow(msgspec.Struct, frozen=True, kw_only=True):
    alert: Alert  # observed, expected and the band are at the episode's worst minute
    message_zh: str
    message_en: str
    acked_by: str | None  # None: nobody acknowledged it (or it was never stored)
    acked_at: datetime | None


class AlertsSection(msgspec.Struct, frozen=True, kw_only=True):
    history: list[str]  # the room's earlier sessions behind the expected curve; empty: none
    minutes_scored: int
    z: float
    rows: list[AlertRow]
    stored_only: list[StoredAlert]  # stored for this session by a scan with another rule
    unavailable: str | None = None  # why the session could not be scored


def _stored(store: DuckDBStore, session_id: str) -> list[StoredAlert]:
    """The session's stored alerts; none (and no table created) when no scan ever stored one."""
    return AlertStore(store.con).alerts(session_id) if has_table(store, "alerts") else []


def read_alerts(
    store: DuckDBStore, session_id: str, metrics: SessionMetrics | None = None
) -> AlertsSection:
    """Score ``session_id`` (its ``metrics`` when at hand) and join the acknowledgements."""
    rule = AlertRule()
    try:
        scored = score_session(store, session_id, rule, metrics=metrics)
    except NotFound as error:  # events stored, but the session list not refreshed
        return AlertsSection(
            history=[], minutes_scored=0, z=rule.z, rows=[], stored_only=[], unavailable=str(error)
        )
    stored = {s.alert.alert_id: s for s in _stored(store, session_id)}
    rows = []
    for alert in scored.alerts:
        found = stored.pop(alert.alert_id, None)
        rows.append(
            AlertRow(
                alert=alert,
                message_zh=alert.message_zh,
                message_en=alert.message_en,
                acked_by=found.acked_by if found else None,
                acked_at=found.acked_at if found else None,
            )
        )
    return AlertsSection(
        history=scored.history,
        minutes_scored=scored.minutes_scored,
        z=rule.z,
        rows=rows,
        stored_only=list(stored.values()),
    )
