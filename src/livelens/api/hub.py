"""The live hub: one process's ingest → store → engine path, and the frames the screen is sent.

The API's ingest endpoint, the demo's simulator and ``livelens serve`` all feed batches through
:meth:`LiveHub.ingest`: validated, pseudonymised, de-duplicated, stored, then folded into the
:class:`~livelens.engine.live.LiveEngine` and the rolling hot words. One lock guards the store and
the engine (DuckDB connections are not for concurrent use); everything else reads frames.

:meth:`LiveHub.take_frames` returns a fresh frame for every session that changed since the last
call; the push channel calls it a few times a second. Insights are detected at most once per
session minute (the detectors read whole series) and kept in the order they first appeared.

The decision layer (:mod:`livelens.api.decisions`: anomaly alerts, recommendations, the Q&A
panel) hangs on three hooks: every folded batch hands it its price changes and marks the sessions
it touched; :meth:`LiveHub.decide` (the push channel calls it a few times a second, off the
ingest path) runs it for the sessions that completed a minute since; every audited action
(:meth:`LiveHub.record`) tells it what a person decided. Frames carry its panels, and the
demand nowcasts it makes at each completed minute.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.api.alert_outbox import Webhook, webhooks_from_env
from livelens.api.compliance import ComplianceGate
from livelens.api.decisions import LiveDecisions
from livelens.api.overlay import OverlayPersona
from livelens.comments.analyze import CommentAnalyzer
from livelens.comments.hotwords import RollingHotWords
from livelens.dashboard.frame import LiveFrame, LiveInsight, build_frame
from livelens.engine.live import LiveEngine
from livelens.engine.session_state import SessionState
from livelens.engine.windows import MINUTE_US
from livelens.errors import InvalidInput, NotFound, StoreError
from livelens.events.pseudonymise import Pseudonymiser
from livelens.events.reference import ReferenceData
from livelens.governance.audit import AuditLog
from livelens.governance.licences import Appearance, RoyaltyLine, royalty_statement
from livelens.governance.violations import Violation
from livelens.information.analysis import with_display_names
from livelens.information.compute import metrics_of
from livelens.information.detectors import detect_all
from livelens.information.metrics import SessionMetrics
from livelens.ingest import BatchResult, IngestPolicy, prepare_batch, store_batch
from livelens.knowledge.execution import EXECUTION_SOURCE, execution_events
from livelens.knowledge.ledger import Ledger
from livelens.knowledge.playbooks import Playbook, starter_playbooks
from livelens.sources.base import SourceBatch
from livelens.store.duckdb import DuckDBStore

REPLAY_ROWS: Final = 200_000
DISCLOSURES: Final = {  # what the overlay says about each kind of persona
    "virtual": "本主播为AI生成的虚拟形象",
    "face_swap": "本主播画面经AI换脸合成，肖像经授权使用",
    "human": "本直播间使用AI辅助",
}
AUDITED_EVENTS: Final = {"host.persona_switch": "persona.switch", "price.change": "price.change"}
AUDIT_COLUMNS: Final = [
    "type", "event_id", "ts", "session_id", "room_id", "persona_id", "product_id", "price_minor",
]  # fmt: skip
SINGLETON_KINDS: Final = frozenset({"peak_window", "top_product", "top_concern", "persona_ranking"})
# Detectors read whole series: run them when a session minute closes, at most this often (a
# replay at many times real speed closes minutes faster than anyone reads insights).
DETECT_EVERY: Final = timedelta(seconds=2)
LIVE_WITHIN: Final = timedelta(minutes=2)  # a session that got events this recently is live


class LiveHub:
    def __init__(
        self,
        store: DuckDBStore,
        pseudonymiser: Pseudonymiser,
        analyzer: CommentAnalyzer,
        *,
        stopwords: frozenset[str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        policy: IngestPolicy | None = None,
        webhooks: Sequence[Webhook] | None = None,
        playbooks: Sequence[Playbook] | None = None,
    ) -> None:
        """``webhooks``: where alerts are delivered (None: from the environment,
        :func:`~livelens.api.alert_outbox.webhooks_from_env`); ``playbooks``: what the live
        recommender and the recommendation routes evaluate (None: the starter library)."""
        self.store, self.pseudonymiser, self.analyzer = store, pseudonymiser, analyzer
        self.stopwords, self.clock = stopwords, clock
        self.policy = policy or IngestPolicy()
        self.lock = threading.Lock()
        self.engine = LiveEngine(comment_intents=analyzer.intents)
        self.words: dict[str, RollingHotWords] = {}
        self.insights: dict[str, dict[tuple[str, str], LiveInsight]] = {}
        self._detected: dict[str, tuple[int, datetime]] = {}  # session -> (minute, wall time)
        self._dirty: set[str] = set()
        self._unsummarised: set[str] = set()  # sessions whose `sessions` row is behind the events
        store.bind_key(pseudonymiser.key_id)
        self.names = store.display_names()
        self.compliance = ComplianceGate(store, clock)
        self.audit = AuditLog(store)
        self._ingested_at: dict[str, datetime] = {}  # wall clock of each session's last batch
        # called with each batch's new events, under the lock (the live Q&A follows comments)
        self.listeners: list[Callable[[pa.Table], object]] = []
        self.playbooks = starter_playbooks() if playbooks is None else list(playbooks)
        self.decisions = LiveDecisions(
            store,
            self.audit,
            lock=self.lock,
            summarise=self.summarise_sessions,
            playbooks=self.playbooks,
            webhooks=webhooks_from_env() if webhooks is None else webhooks,
        )
        self._undecided: set[str] = set()  # live sessions with events the decisions have not seen
        self._names_stale = False  # a new session arrived: re-read the display names
        self._unbacked: str | None = None  # why the live state is ahead of the store, if it is

    # -- feeding ---------------------------------------------------------------------------------

    def replay(self) -> int:
        """Fold the events already in the store into the engine (when a server starts)."""
        with self.lock:
            events = self.store.events()
            for offset in range(0, events.num_rows, REPLAY_ROWS):
                self._fold(events.slice(offset, REPLAY_ROWS), live=False)
            rows: int = events.num_rows
            return rows

    def ingest(self, batch: SourceBatch) -> BatchResult:
        """Ingest one batch; its new events are stored and reach the engine before this returns.

        The batch is prepared (validated, pseudonymised) before the lock is taken, so concurrent
        requests prepare side by side; the engine folds the new events while the store writes
        them. Should that write fail after the fold, the live state holds events the store
        lacks: the hub refuses every later batch (:class:`StoreError`) until a restart rebuilds
        it from the store.
        """
        now = self.clock()
        prepared = prepare_batch(batch, self.pseudonymiser, self.policy, now)
        with self.lock:
            if self._unbacked is not None:
                raise StoreError(self._unbacked)
            folded: list[pa.Table] = []

            def fold(new: pa.Table) -> None:
                folded.append(new)
                self._fold_state(new)

            try:
                result = store_batch(prepared, self.store, now=now, meanwhile=fold)
            except Exception as error:
                if folded and folded[0].num_rows:
                    self._unbacked = (
                        f"the store failed to write {folded[0].num_rows} events the live engine "
                        f"had already counted ({error}); restart the server to rebuild the live "
                        "state from the store"
                    )
                raise
            self._audit_host_changes(batch.source, result.new)
            self._unsummarised.update(result.new["session_id"].unique().to_pylist())
            self._fold_decisions(result.new)
            for listener in self.listeners:
                listener(result.new)
        return result

    def record(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        """Append a state change to the audit log (:mod:`livelens.governance.audit`); the screens
        of the sessions it concerns show it (an acknowledged alert, a recommendation's fate)."""
        with self.lock:
            self.audit.append(actor, action, subject, details, at=self.clock())
            concerned = self.decisions.on_recorded(action, subject, details)
            self._dirty.update(s for s in concerned if s in self.engine.sessions)

    @property
    def undecided(self) -> frozenset[str]:
        """Live sessions with events the decision layer has not run for yet."""
        return frozenset(self._undecided)

    def decide(self) -> None:
        """Alerts and recommendations for the live sessions that completed a minute since the last
        call (:meth:`LiveDecisions.decide`); cheap when none did."""
        if not self._undecided:
            return
        with self.lock:
            changed, waiting = self.decisions.decide_sessions(
                self.engine, self._undecided, self.clock(), self.compliance, self.names
            )
            self._undecided = waiting  # too soon after their last run
            self._dirty |= changed
            executed = self.decisions.recommender.take_executions()
        if executed:  # what ``auto`` executed goes into the live like any other batch
            self.ingest(SourceBatch(EXECUTION_SOURCE, executed))

    def execute(self, recommendation_id: str) -> int:
        """A person executed (accepted) a recommendation: put its action's events
        (:func:`~livelens.knowledge.execution.execution_events`) into its session at the
        session's latest event time, while the session is live here; returns how many events
        were stored (none after the live, or for an action without an event)."""
        with self.lock:
            recommendation = Ledger(self.store.con).entry(recommendation_id).recommendation
            session_id = recommendation.session_id
            state = self.engine.sessions.get(session_id)
            seen = self._ingested_at.get(session_id)
            if state is None or seen is None or self.clock() - seen > LIVE_WITHIN:
                return 0
            events = execution_events(recommendation, state.platform, state.last_at)
        if not events:
            return 0
        return int(self.ingest(SourceBatch(EXECUTION_SOURCE, events)).new.num_rows)

    def _audit_host_changes(self, source: str, new: pa.Table) -> None:
        """Persona switches and price changes are state changes: each goes to the audit log."""
        changes = new.filter(pc.is_in(new["type"], pa.array(sorted(AUDITED_EVENTS))))
        for row in changes.select(AUDIT_COLUMNS).to_pylist():
            action = AUDITED_EVENTS[row["type"]]
            subject = row["persona_id"] or row["product_id"] or ""
            details = {k: v for k, v in row.items() if v is not None and k != "ts"}
            details["ts"] = row["ts"].isoformat()
            self.audit.append(source, action, subject, details, at=self.clock())

    def finish(self) -> None:
        """End of input: apply what the engine still holds back and refresh the session table."""
        with self.lock:
            self.engine.finish()
            self.store.refresh_sessions(sorted(self.engine.sessions))
            self._dirty.update(self.engine.sessions)
            self.decisions.finish(
                self.engine, self._ingested_at, self.clock(), self.compliance, self.names
            )
            self._undecided.clear()

    def summarise_sessions(self) -> None:
        """Bring the store's session table up to the events ingested so far; call under the lock
        before anything that reads ``store.sessions()`` (alert history, recommendation replay)."""
        if self._unsummarised:
            self.store.refresh_sessions(sorted(self._unsummarised))
            self._unsummarised.clear()

    def put_reference(self, data: ReferenceData) -> None:
        """Store a catalog and persona registry; the screen shows their names from now on."""
        with self.lock:
            self.store.put_reference(data)
            self.names = self.store.display_names()
            self.compliance.reload()
            self._dirty.update(self.engine.sessions)

    def go_live_problems(
        self, session_id: str, persona_id: str, room_id: str | None, platform: str | None
    ) -> tuple[Appearance, list[str]]:
        """Whether ``persona_id`` may go on air in the session now (room and platform from the
        live session when it exists, else as given; the category of the pinned product)."""
        with self.lock:
            state = self.engine.sessions.get(session_id)
            room = state.room_id if state else room_id
            where = state.platform if state else platform
            if room is None or where is None:
                msg = f"session {session_id!r} is not live yet: give its room_id and platform"
                raise InvalidInput(msg)
            pinned = state.pins[-1][1] if state and state.pins else None
            product = self.compliance.products.get(pinned) if pinned else None
            appearance = Appearance(
                persona_id=persona_id,
                room_id=room,
                platform=where,
                at=self.clock(),
                category=product.category if product else None,
                brand=product.brand if product else None,
            )
            return appearance, self.compliance.problems(appearance)

    def persona_on_air(self, room_id: str) -> OverlayPersona | None:
        """The persona of the room's most recently active session, for the AI-label overlay."""
        with self.lock:
            states = [s for s in self.engine.sessions.values() if s.room_id == room_id]
            latest = max(states, key=lambda s: s.last_us, default=None)
            if latest is None or not latest.personas:
                return None
            persona_id = latest.personas[-1][1]
            persona = self.compliance.personas.get(persona_id)
        if persona is None:
            return OverlayPersona(persona_id, persona_id, DISCLOSURES["virtual"])
        disclosure = DISCLOSURES.get(persona.kind, DISCLOSURES["virtual"])
        if persona.licence_id:
            disclosure += f"（授权编号 {persona.licence_id}）"
        return OverlayPersona(persona_id, persona.display_name, disclosure)

    def royalties(self, session_id: str) -> list[RoyaltyLine]:
        metrics = self.metrics(session_id)
        gmv = {p.persona_id: p.gmv_minor for p in metrics.personas or []}
        with self.lock:
            gate = self.compliance
            return royalty_statement(gmv, gate.personas, gate.licences)

    def check_revocations(self, live_within: timedelta = LIVE_WITHIN) -> list[Violation]:
        """Flag personas on air in a live session whose licence has been revoked (every few s)."""
        with self.lock:
            now = self.clock()
            live = [s for s, at in self._ingested_at.items() if now - at <= live_within]
            found = self.compliance.on_tick(self.engine, live)
            self._show(found)
            return found

    def _show(self, violations: list[Violation]) -> None:
        for violation in violations:
            session_id = violation.session_id
            state = self.engine.sessions[session_id]
            minute = (state.last_us - state.first_us) // MINUTE_US
            insight = violation.insight(self.names)
            self.insights.setdefault(session_id, {})[(insight.kind, insight.subject)] = LiveInsight(
                first_minute=minute, minute=minute, insight=insight
            )
            self._dirty.add(session_id)

    def refresh_names(self) -> None:
        """Re-read names, personas and products after the reference data changed in the store."""
        with self.lock:
            self.names = self.store.display_names()
            self.compliance.reload()

    def _fold(self, new: pa.Table, *, live: bool = True) -> None:
        """Apply stored events; ``live=False`` when replaying the store at start (violations
        found then were recorded when the events first arrived)."""
        self._fold_state(new)
        self._fold_decisions(new, live=live)

    def _fold_state(self, new: pa.Table) -> None:
        """The in-memory part of a fold, which reads nothing from the store (it may run while
        the store writes ``new``): the engine, the hot words, the recommender's price inputs."""
        if new.num_rows == 0:
            return
        if any(s not in self.engine.sessions for s in pc.unique(new["session_id"]).to_pylist()):
            self._names_stale = True  # a new session may come with a new catalog
        self.engine.process(new)
        self._fold_words(new)
        self.decisions.fold(new)

    def _fold_decisions(self, new: pa.Table, *, live: bool = True) -> None:
        """The rest of a fold, once ``new`` is stored: names, the decision layer, compliance."""
        if new.num_rows == 0:
            return
        if self._names_stale:
            self.names = self.store.display_names()
            self._names_stale = False
        touched = pc.unique(new["session_id"]).to_pylist()
        self._dirty.update(touched)
        if live:
            now = self.clock()
            self._ingested_at.update((s, now) for s in touched)
            self._undecided |= self.decisions.arrived(
                self.engine, new, touched, self.compliance, self.names
            )
        self._show(self.compliance.on_batch(self.engine, touched, record=live))

    def _fold_words(self, new: pa.Table) -> None:
        comments = new.filter(pc.equal(new["type"], "comment"))
        if comments.num_rows == 0:
            return
        texts = comments["text"].to_pylist()
        minutes = pc.divide(comments["ts"].cast(pa.int64()), MINUTE_US).to_pylist()
        sessions = comments["session_id"].to_pylist()
        for session_id, minute, tokens in zip(
            sessions, minutes, self.analyzer.tokens(texts), strict=True
        ):
            words = self.words.get(session_id)
            if words is None:
                words = self.words[session_id] = RollingHotWords(self.stopwords)
            words.add(minute, tokens)

    # -- reading ---------------------------------------------------------------------------------

    def session_ids(self) -> list[str]:
        with self.lock:
            return sorted(
                self.engine.sessions, key=lambda s: self.engine.sessions[s].last_us, reverse=True
            )

    def metrics(self, session_id: str) -> SessionMetrics:
        with self.lock:
            return metrics_of(self._state(session_id))

    def frame(self, session_id: str) -> LiveFrame:
        with self.lock:
            return self._frame(session_id)

    def take_frames(self, wanted: set[str] | None = None) -> dict[str, bytes]:
        """Encoded frames of the sessions that changed since the last call; with ``wanted``,
        only of those sessions (the others stay marked as changed)."""
        with self.lock:
            due = self._dirty & wanted if wanted is not None else set(self._dirty)
            self._dirty -= due
            return {s: msgspec.json.encode(self._frame(s)) for s in sorted(due)}

    def live_insights(self, session_id: str) -> list[LiveInsight]:
        with self.lock:
            self._state(session_id)
            return list(self.insights.get(session_id, {}).values())

    def _state(self, session_id: str) -> SessionState:
        state = self.engine.sessions.get(session_id)
        if state is None:
            msg = f"no live session {session_id!r}; sessions: {', '.join(self.engine.sessions)}"
            raise NotFound(msg)
        return state

    def _frame(self, session_id: str) -> LiveFrame:
        state = self._state(session_id)
        metrics = metrics_of(state)
        minute = metrics.minutes - 1
        now = self.clock()
        last = self._detected.get(session_id)
        if last is None or (last[0] != minute and now - last[1] >= DETECT_EVERY):
            self._detected[session_id] = (minute, now)
            self._detect(session_id, metrics, minute)
        words = self.words.get(session_id)
        panels = self.decisions.panels(session_id, state.room_id, now, self.names)
        return build_frame(
            metrics,
            at=state.last_at,
            names=self.names,
            hot_words=words.hot(state.last_us // MINUTE_US) if words else [],
            insights=list(self.insights.get(session_id, {}).values()),
            autonomy=panels.autonomy,
            alerts=panels.alerts,
            recommendations=panels.recommendations,
            answers=panels.answers,
            nowcasts=panels.nowcasts,
        )

    def _detect(self, session_id: str, metrics: SessionMetrics, minute: int) -> None:
        found = self.insights.setdefault(session_id, {})
        for insight in detect_all(metrics):
            named = with_display_names(insight, self.names)
            # "the" peak window, top product, ...: the newest replaces the last one, and moves to
            # the top of the list only when its subject changed (a new window, a new product)
            singleton = insight.kind in SINGLETON_KINDS
            key = (insight.kind, "" if singleton else insight.subject)
            before = found.get(key)
            same = before is not None and before.insight.subject == insight.subject
            first = before.first_minute if before is not None and same else minute
            found[key] = LiveInsight(first_minute=first, minute=minute, insight=named)
