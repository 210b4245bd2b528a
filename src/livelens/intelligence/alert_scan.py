"""Scoring a stored session for anomalies: its room's earlier sessions as history, every minute
scored as it would have been live, the episodes stored (:mod:`alert_store`), new ones returned.
:func:`score_session` does the scoring alone and stores nothing; :func:`session_alert_changes`
gives the same scoring minute by minute (what the live knew when).
"""

from __future__ import annotations

from typing import Final

import msgspec

from livelens.errors import NotFound
from livelens.information.compute import compute_session_metrics
from livelens.information.metrics import SessionMetrics
from livelens.intelligence.alert_store import AlertStore
from livelens.intelligence.alerts import (
    Alert,
    AlertChange,
    AlertRule,
    alerts_of_session,
    changes_of_session,
)
from livelens.intelligence.anomaly import Baseline, MinuteHistory, fit_baseline, history_of
from livelens.intelligence.anomaly import session_bands as bands_of
from livelens.store.duckdb import DuckDBStore

HISTORY_SESSIONS: Final = 10  # the room's most recent earlier sessions


class Scan(msgspec.Struct, kw_only=True, frozen=True):
    session_id: str
    room_id: str
    history: list[str]  # the earlier sessions the expected curve came from
    minutes_scored: int
    alerts: list[Alert]
    new: list[Alert]  # alerts the store did not hold before this scan


def _history(
    store: DuckDBStore, session_id: str, metrics: SessionMetrics | None = None
) -> tuple[MinuteHistory, list[MinuteHistory]]:
    sessions = store.sessions()
    target = next((s for s in sessions if s.session_id == session_id), None)
    if target is None:
        stored = ", ".join(s.session_id for s in sessions[:10]) or "none"
        msg = f"session {session_id!r} is not in the store; stored: {stored}"
        raise NotFound(msg)
    earlier = sorted(
        (s for s in sessions if s.room_id == target.room_id and s.ended_at <= target.started_at),
        key=lambda s: s.started_at,
    )[-HISTORY_SESSIONS:]
    live = history_of(metrics or compute_session_metrics(store.events(session_id)))
    past = [history_of(compute_session_metrics(store.events(s.session_id))) for s in earlier]
    return live, past


class Scoring(msgspec.Struct, kw_only=True, frozen=True):
    """What scoring a stored session finds, before anything is stored."""

    session_id: str
    room_id: str
    history: list[str]  # the earlier sessions the expected curve came from; empty: none
    minutes_scored: int
    alerts: list[Alert]


def score_session(
    store: DuckDBStore,
    session_id: str,
    rule: AlertRule | None = None,
    *,
    metrics: SessionMetrics | None = None,
) -> Scoring:
    """Score every complete minute of ``session_id`` against its room's history; stores nothing
    (the post-live report reads with it; :func:`scan_session` stores what it finds). Pass the
    session's ``metrics`` when they are at hand, so they are not computed again."""
    if metrics is not None and metrics.session_id != session_id:
        msg = f"metrics of session {metrics.session_id!r} given to score {session_id!r}"
        raise ValueError(msg)
    live, past = _history(store, session_id, metrics)
    rule = rule or AlertRule()
    baseline: Baseline | None = fit_baseline(past)
    bands = bands_of(live, baseline, rule.z)
    room_id = next(s.room_id for s in store.sessions() if s.session_id == session_id)
    return Scoring(
        session_id=session_id,
        room_id=room_id,
        history=[p.session_id for p in past],
        minutes_scored=len({band.minute for band in bands}),
        alerts=alerts_of_session(room_id, session_id, live.started_at, bands, rule),
    )


def session_alert_changes(
    store: DuckDBStore,
    session_id: str,
    rule: AlertRule | None = None,
    *,
    metrics: SessionMetrics | None = None,
) -> list[AlertChange]:
    """The alert changes of scoring ``session_id`` as :func:`score_session` does, in the order
    the live makes them (minute by minute); stores nothing."""
    live, past = _history(store, session_id, metrics)
    rule = rule or AlertRule()
    bands = bands_of(live, fit_baseline(past), rule.z)
    room_id = next(s.room_id for s in store.sessions() if s.session_id == session_id)
    return changes_of_session(room_id, session_id, live.started_at, bands, rule)


def scan_session(store: DuckDBStore, session_id: str, rule: AlertRule | None = None) -> Scan:
    """Score every complete minute of ``session_id`` against its room's history; store alerts."""
    scored = score_session(store, session_id, rule)
    alerts = scored.alerts
    new = AlertStore(store.con).upsert(alerts) if alerts else []
    return Scan(
        session_id=session_id,
        room_id=scored.room_id,
        history=scored.history,
        minutes_scored=scored.minutes_scored,
        alerts=alerts,
        new=new,
    )
