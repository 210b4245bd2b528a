"""The decision layer of the live hub: anomaly alerts, recommendations and Q&A answers, live.

When a live session completes a minute — its watermark passes the minute's end, so the minute's
late events are in — :meth:`LiveDecisions.decide` does, for every minute completed since its last
run, what the post-live tools do after the fact:

* **alerts** — the minutes are scored against the room's baseline
  (:class:`~livelens.intelligence.live_alerts.LiveAlerter`; the room's earlier sessions are loaded
  once per session, as :func:`~livelens.intelligence.alert_scan.scan_session` loads them); what
  changed is stored (:class:`~livelens.intelligence.alert_store.AlertStore`, idempotent by id),
  and each alert that opened or resolved is handed to the
  :class:`~livelens.api.alert_outbox.WebhookOutbox`, whose thread delivers it (signed, retried,
  dead-lettered: :mod:`livelens.sinks.webhook`) — ingest never waits on a receiver;
* **recommendations** — the playbooks are evaluated at each completed minute exactly as
  :func:`~livelens.knowledge.recommender.replay_session` evaluates them and recorded in the uplift
  ledger, ``pending`` or ``auto_executed`` by the room's autonomy; pending ones expire when their
  window passes (:mod:`livelens.api.live_recommendations`). The alerts scored so far are facts
  the playbooks read (``alert_open``: :func:`~livelens.knowledge.facts.alert_spans`);
* **nowcasts** — orders and GMV per product over the next 5/15/30 minutes, made from the completed
  minutes exactly as ``GET /api/sessions/{id}/nowcasts?minute=`` makes them
  (:func:`~livelens.intelligence.nowcast.nowcast_products`); the screen shows the top products
  by expected GMV over the next 15 minutes.

Minutes that arrive as a backfill — more than five minutes of a session's event time in one batch,
a past session posted at once — are caught up on
(:meth:`LiveDecisions.catch_up`: alert episodes and cooldowns advance) without storing, recording
or delivering anything: they are the post-live tools' (``alerts scan``, ``recommend``).

It also keeps what the screen shows of them (:meth:`LiveDecisions.panels`, read for every frame,
from memory only): the open alerts, the latest recommendations with their fate, the latest answers
of the session's live Q&A and the latest nowcasts. Decisions taken elsewhere — an acknowledgement,
a fate set over the API — reach it through :meth:`LiveDecisions.on_recorded`, which the hub calls
for every audited action. Not thread-safe: the hub calls everything under its lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.api.alert_outbox import LockedDeadLetters, Webhook, WebhookOutbox, alert_payload
from livelens.api.compliance import ComplianceGate
from livelens.api.decision_panels import QaFeed, QaPanel, alert_row
from livelens.api.live_recommendations import LiveRecommender
from livelens.dashboard.frame import (
    LiveAlert,
    LiveAnswer,
    LiveNowcasts,
    LiveRecommendation,
    live_nowcasts,
)
from livelens.engine.live import LiveEngine
from livelens.engine.session_state import SessionState
from livelens.engine.windows import MINUTE_US
from livelens.events.reference import Product
from livelens.governance.audit import AuditLog
from livelens.information.compute import compute_session_metrics, metrics_of
from livelens.information.metrics import SessionMetrics
from livelens.intelligence.alert_scan import HISTORY_SESSIONS
from livelens.intelligence.alert_store import AlertStore
from livelens.intelligence.alerts import Alert, AlertChange, AlertRule
from livelens.intelligence.anomaly import MinuteHistory, history_of
from livelens.intelligence.live_alerts import LiveAlerter
from livelens.intelligence.nowcast import Nowcast, nowcast_products, top_nowcasts
from livelens.knowledge.autonomy import AutonomyStore, Level, RoomAutonomy
from livelens.knowledge.facts import alert_spans
from livelens.knowledge.ledger import Ledger
from livelens.knowledge.playbooks import Playbook, starter_playbooks
from livelens.knowledge.replay import needs_price_model, read_room_past
from livelens.knowledge.room_past import RoomPast
from livelens.sinks.webhook import DeadLetters, WebhookSink
from livelens.store.duckdb import DuckDBStore

# Decisions read whole series (like the insight detectors): when minutes complete faster than
# anyone reads them (a replay at many times real speed), they run at most this often per session
# and take every minute completed since — the same results, in fewer runs.
DECIDE_EVERY: Final = timedelta(seconds=1)
# A batch bringing more of one session's event time than this is a backfill (a past session
# posted at once), not a live: the decision layer catches up on it without acting.
BACKFILL_SPAN_US: Final = 5 * MINUTE_US
SHOWN_ALERTS: Final = 8
SHOWN_NOWCASTS: Final = 5  # products, ranked by expected GMV over the next RANKED_HORIZON minutes
RANKED_HORIZON: Final = 15


class Panels(msgspec.Struct, kw_only=True, frozen=True):
    """The decision panels of one session's frame."""

    autonomy: Level
    alerts: list[LiveAlert]
    recommendations: list[LiveRecommendation]
    answers: list[LiveAnswer]
    nowcasts: LiveNowcasts | None


@dataclass(slots=True)
class _Live:
    """What the decision layer keeps of one live session's alerts and runs."""

    room_id: str
    decided: int = 0  # minutes decided (0 … decided - 1)
    ran_at: datetime | None = None  # wall clock of the last run
    alerts: dict[str, Alert] = field(default_factory=dict)  # open ones, by id
    acked: dict[str, str] = field(default_factory=dict)  # alert id -> who acknowledged it
    changes: list[AlertChange] = field(default_factory=list)  # in order: the alert facts
    nowcast_from: int = 0  # the first minute the shown nowcasts forecast (0: none made yet)
    nowcasts: list[Nowcast] = field(default_factory=list)  # of the top products, ranked


def backfilled_sessions(new: pa.Table, sessions: list[str]) -> set[str]:
    """The sessions of which ``new`` brings more than ``BACKFILL_SPAN_US`` of event time."""
    if len(sessions) == 1:
        low, high = pc.min_max(new["ts"].cast(pa.int64())).values()
        return set(sessions) if high.as_py() - low.as_py() > BACKFILL_SPAN_US else set()
    spans = (
        pa.table({"session_id": new["session_id"], "ts": new["ts"].cast(pa.int64())})
        .group_by("session_id")
        .aggregate([("ts", "min"), ("ts", "max")])
        .to_pylist()
    )
    return {row["session_id"] for row in spans if row["ts_max"] - row["ts_min"] > BACKFILL_SPAN_US}


def complete_minutes(state: SessionState, watermark_us: int | None) -> int:
    """How many of the session's minutes are complete: their end is behind the watermark."""
    if watermark_us is None:
        return 0
    minutes = state.last_us // MINUTE_US - state.first_us // MINUTE_US + 1
    return max(0, min(minutes, watermark_us // MINUTE_US - state.first_us // MINUTE_US))


class LiveDecisions:
    def __init__(
        self,
        store: DuckDBStore,
        audit: AuditLog,
        *,
        lock: threading.Lock,
        summarise: Callable[[], None] = lambda: None,
        playbooks: Sequence[Playbook] | None = None,
        rule: AlertRule | None = None,
        webhooks: Sequence[Webhook] = (),
        decide_every: timedelta = DECIDE_EVERY,
    ) -> None:
        """``summarise`` brings the store's session table up to date before history is read;
        ``lock`` guards the store (the webhook thread takes it to write a dead letter)."""
        self.store, self.summarise = store, summarise
        self.alert_store = AlertStore(store.con)
        self.alerter = LiveAlerter(self._history, rule)
        dead_letters: DeadLetters = LockedDeadLetters(lock, self.alert_store)
        self.outbox = WebhookOutbox([WebhookSink(w.url, w.secret, dead_letters) for w in webhooks])
        chosen = starter_playbooks() if playbooks is None else playbooks
        self.recommender = LiveRecommender(
            Ledger(store.con),
            AutonomyStore(store.con),
            audit,
            chosen,
            read_past=self._room_past,
        )
        self._price_model = needs_price_model(chosen)
        self.decide_every = decide_every
        self.qa = QaPanel()  # shows nothing until the API wires the live Q&A (follow_qa)
        self._live: dict[str, _Live] = {}
        self._backfills: set[str] = set()  # sessions whose latest batch was a backfill

    def follow_qa(self, feed: QaFeed) -> None:
        """Show the latest answers of ``feed``'s sessions on their frames."""
        self.qa = QaPanel(feed)

    def fold(self, new: pa.Table) -> None:
        """Every batch folded into the engine (the recommender keeps its price changes)."""
        self.recommender.fold(new)

    def _session(self, session_id: str, room_id: str) -> _Live:
        live = self._live.get(session_id)
        if live is None:
            live = self._live[session_id] = _Live(room_id=room_id)
        return live

    def last_run(self, session_id: str) -> datetime | None:
        live = self._live.get(session_id)
        return live.ran_at if live else None

    # -- the hub's hooks ---------------------------------------------------------------------

    def arrived(
        self,
        engine: LiveEngine,
        new: pa.Table,
        sessions: list[str],
        gate: ComplianceGate,
        names: Mapping[str, str],
    ) -> set[str]:
        """A live batch was folded into ``engine``: the sessions it brings a backfill of are
        caught up on now; returns the others, to decide on."""
        backfilled = backfilled_sessions(new, sessions)
        self._backfills = (self._backfills - set(sessions)) | backfilled
        for session_id in backfilled:
            watermark = engine.watermarks[session_id].value_us
            self.catch_up(engine.sessions[session_id], watermark, gate=gate, names=names)
        return set(sessions) - backfilled

    def decide_sessions(
        self,
        engine: LiveEngine,
        sessions: Iterable[str],
        now: datetime,
        gate: ComplianceGate,
        names: Mapping[str, str],
    ) -> tuple[set[str], set[str]]:
        """:meth:`decide` each session; returns those whose screen changed and those that wait
        for ``decide_every`` to pass."""
        changed, waiting = set(), set()
        for session_id in sorted(sessions):
            state, watermark = engine.sessions[session_id], engine.watermarks[session_id]
            found = self.decide(state, watermark.value_us, now=now, gate=gate, names=names)
            if found is None:
                waiting.add(session_id)
            elif found:
                changed.add(session_id)
        return changed, waiting

    def finish(
        self,
        engine: LiveEngine,
        sessions: Iterable[str],
        now: datetime,
        gate: ComplianceGate,
        names: Mapping[str, str],
    ) -> None:
        """End of input: the live ``sessions`` (not a backfill) are decided to their last minute
        and their pending recommendations expire."""
        for session_id in sorted(set(sessions) - self._backfills):
            state = engine.sessions[session_id]
            self.decide(state, None, now=now, gate=gate, names=names, final=True)

    # -- deciding ----------------------------------------------------------------------------

    def decide(
        self,
        state: SessionState,
        watermark_us: int | None,
        *,
        now: datetime,
        gate: ComplianceGate,
        names: Mapping[str, str],
        final: bool = False,
    ) -> bool | None:
        """Run for the minutes of ``state`` completed since the last run. Returns whether anything
        the screen shows changed, or None when it is too soon after the last run (call again).
        ``final``: the session ended — its last minute counts as complete, pending
        recommendations expire, and nothing waits for ``decide_every``."""
        live = self._session(state.session_id, state.room_id)
        minutes = state.last_us // MINUTE_US - state.first_us // MINUTE_US + 1
        complete = minutes if final else complete_minutes(state, watermark_us)
        if complete <= live.decided and not final:
            return False
        if not final and live.ran_at is not None and now - live.ran_at < self.decide_every:
            return None
        live.ran_at, live.decided = now, max(live.decided, complete)
        metrics = metrics_of(state)
        changed = self._alerts(live, metrics)
        recommender = self.recommender
        alerts = alert_spans(live.changes)
        made = recommender.evaluate(state, metrics, complete, gate=gate, names=names, alerts=alerts)
        changed |= recommender.record(state, made, now, live=not final)
        changed |= recommender.expire(state, now, final=final)
        changed |= recommender.measure(state, metrics, complete, final=final)
        if not final:  # after the end there is no live left to forecast
            changed |= self._nowcast(live, metrics, complete)
        return changed

    def catch_up(
        self,
        state: SessionState,
        watermark_us: int | None,
        *,
        gate: ComplianceGate,
        names: Mapping[str, str],
    ) -> None:
        """Minutes that arrived as a backfill (a past session posted at once), not live: score
        and evaluate them so that the live continues from there (alert episodes, cooldowns), but
        store, record, deliver and show nothing — the post-live scan and replay are for them."""
        live = self._session(state.session_id, state.room_id)
        complete = complete_minutes(state, watermark_us)
        if complete <= live.decided:
            return
        live.decided = complete
        metrics = metrics_of(state)
        live.changes.extend(self.alerter.update(metrics))
        alerts = alert_spans(live.changes)
        self.recommender.evaluate(state, metrics, complete, gate=gate, names=names, alerts=alerts)

    def _alerts(self, live: _Live, metrics: SessionMetrics) -> bool:
        """Score the completed minutes; store what changed; tell the webhooks what is news: an
        open alert the store did not hold (once), the resolution of one it held open. A restart
        re-scores a session silently; an episode that opened and closed during a backfill is
        stored, not announced."""
        changes = self.alerter.update(metrics)
        live.changes.extend(changes)
        if not changes:
            return False
        latest: dict[str, Alert] = {}
        for change in changes:
            latest[change.alert.alert_id] = change.alert
        stored = {s.alert.alert_id: s for s in self.alert_store.alerts(metrics.session_id)}
        self.alert_store.upsert(list(latest.values()))
        known = set(stored)
        known_open = {i for i, s in stored.items() if s.alert.status == "open"}
        for change in changes:
            alert, alert_id = change.alert, change.alert.alert_id
            before = stored.get(alert_id)
            if before is not None and before.acked_by is not None:
                live.acked[alert_id] = before.acked_by
            if change.change == "resolved":
                live.alerts.pop(alert_id, None)
            else:
                live.alerts[alert_id] = alert
            if alert_id not in known:
                known.add(alert_id)
                if alert.status == "open":
                    known_open.add(alert_id)
                    opened = AlertChange(change="opened", alert=alert)
                    self.outbox.send(alert_id, alert_payload(opened))
            elif change.change == "resolved" and alert_id in known_open:
                known_open.discard(alert_id)
                self.outbox.send(f"{alert_id}:resolved", alert_payload(change))
        return True

    def _nowcast(self, live: _Live, metrics: SessionMetrics, complete: int) -> bool:
        """Forecast from the ``complete`` minutes, once per completed minute (~5 ms for 200
        products): what ``GET /api/sessions/{id}/nowcasts?minute={complete}`` answers."""
        if complete <= live.nowcast_from:
            return False
        live.nowcast_from = complete
        made = nowcast_products(metrics, as_of_minute=complete)
        live.nowcasts = top_nowcasts(made, horizon_minutes=RANKED_HORIZON, limit=SHOWN_NOWCASTS)
        return True

    def _history(self, room_id: str, session_id: str) -> list[MinuteHistory]:
        """The room's earlier sessions (up to ten, as the post-live scan takes them)."""
        self.summarise()
        sessions = self.store.sessions()
        this = next((s for s in sessions if s.session_id == session_id), None)
        if this is None:
            return []
        earlier = sorted(
            (s for s in sessions if s.room_id == room_id and s.ended_at <= this.started_at),
            key=lambda s: s.started_at,
        )[-HISTORY_SESSIONS:]
        return [
            history_of(compute_session_metrics(self.store.events(s.session_id))) for s in earlier
        ]

    def _room_past(self, session_id: str, products: Sequence[Product]) -> RoomPast:
        """The room's earlier sessions for the recommender (price histories; price responses
        where a playbook prices an action), read once per live session."""
        self.summarise()
        return read_room_past(self.store, session_id, products, with_responses=self._price_model)

    # -- autonomy and what others decided --------------------------------------------------

    def set_autonomy(self, room_id: str, level: str, by: str, at: datetime) -> RoomAutonomy:
        return self.recommender.set_autonomy(room_id, level, by, at)

    def on_recorded(self, action: str, subject: str, details: Mapping[str, Any]) -> set[str]:
        """An audited action happened (the hub calls this for each): bring what the screen shows
        up to date; returns the sessions whose frame changed."""
        if action == "recommendation.fate":
            session_id = self.recommender.on_fate(subject)
            return {session_id} if session_id else set()
        if action == "alert.ack":
            session_id = str(details.get("session_id", ""))
            live = self._live.get(session_id)
            if live is None:
                return set()
            for stored in self.alert_store.alerts(session_id):
                if stored.alert.alert_id == subject and stored.acked_by is not None:
                    live.acked[subject] = stored.acked_by
            return {session_id}
        if action == "autonomy.set":
            return self.recommender.rooms_sessions(subject)
        if action.startswith("qa."):  # the subject is the session
            return {subject}
        return set()

    # -- what the screen shows ---------------------------------------------------------------

    def panels(
        self, session_id: str, room_id: str, now: datetime, names: Mapping[str, str]
    ) -> Panels:
        """The decision panels of the session's frame, from memory."""
        live = self._live.get(session_id) or _Live(room_id=room_id)
        alerts = sorted(live.alerts.values(), key=lambda a: (a.opened_minute, a.metric))
        return Panels(
            autonomy=self.recommender.level(room_id),
            alerts=[alert_row(a, live.acked.get(a.alert_id)) for a in alerts[-SHOWN_ALERTS:]],
            recommendations=self.recommender.shown(session_id, now, names),
            answers=self.qa.answers(session_id, names),
            nowcasts=live_nowcasts(live.nowcast_from, live.nowcasts, names)
            if live.nowcast_from
            else None,
        )
