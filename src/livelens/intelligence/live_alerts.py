"""Anomaly alerts while on air: each session's minutes scored as they complete.

:class:`LiveAlerter` keeps, per session, the room's baseline (fitted once, when the session is
first seen, from the room's earlier sessions that the ``history`` callable returns), the minutes
already scored and the alert book. :meth:`LiveAlerter.update` takes the session's metrics as they
stand and scores every minute completed since the last call — all but the current, still open
minute — returning what changed (opened, updated, resolved). Pure apart from ``history``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from livelens.information.metrics import SessionMetrics
from livelens.intelligence.alerts import Alert, AlertBook, AlertChange, AlertRule
from livelens.intelligence.anomaly import (
    METRICS,
    Baseline,
    MinuteHistory,
    band_at,
    fit_baseline,
    history_of,
)

History = Callable[[str, str], Sequence[MinuteHistory]]  # (room_id, session_id) -> earlier sessions


class LiveAlerter:
    def __init__(self, history: History, rule: AlertRule | None = None) -> None:
        self._history = history
        self._book = AlertBook(rule)
        self._z = self._book.rule.z
        self._baselines: dict[str, Baseline | None] = {}
        self._scored: dict[str, int] = {}  # session -> minutes scored
        self._open: dict[str, dict[str, Alert]] = {}  # session -> alert id -> latest state

    def update(self, metrics: SessionMetrics) -> list[AlertChange]:
        session_id = metrics.session_id
        if session_id not in self._baselines:
            self._baselines[session_id] = fit_baseline(self._history(metrics.room_id, session_id))
        baseline = self._baselines[session_id]
        live = history_of(metrics)
        complete = live.minutes - 1  # the last minute is still open
        changes: list[AlertChange] = []
        for minute in range(self._scored.get(session_id, 0), max(0, complete)):
            for metric in METRICS:
                band = band_at(live, minute, metric, baseline, self._z)
                if band is None:
                    continue
                change = self._book.observe(metrics.room_id, session_id, metrics.started_at, band)
                if change is not None:
                    changes.append(change)
                    alerts = self._open.setdefault(session_id, {})
                    if change.change == "resolved":
                        alerts.pop(change.alert.alert_id, None)
                    else:
                        alerts[change.alert.alert_id] = change.alert
        self._scored[session_id] = max(self._scored.get(session_id, 0), complete)
        return changes

    def open_alerts(self, session_id: str) -> list[Alert]:
        """The session's alerts still open, oldest first."""
        found = self._open.get(session_id, {}).values()
        return sorted(found, key=lambda a: (a.opened_minute, a.metric))

    def forget(self, session_id: str) -> None:
        for table in (self._baselines, self._scored, self._open):
            table.pop(session_id, None)
