"""Recommendations while on air: the playbooks at each completed minute of a live session, as the
replay evaluates them, recorded in the uplift ledger under the room's autonomy.

:class:`LiveRecommender` keeps, per session, what :func:`~livelens.knowledge.recommender.
replay_session` keeps in its loop — the minutes evaluated, when each playbook last fired (its
cooldown) — and a :class:`~livelens.knowledge.recommender.Context` built once per session: the
catalog, personas and licences of the compliance gate's memory (rebuilt when the gate reloads any
of them, so a revoked licence applies at once), the ledger's estimates and the room's earlier
sessions (``read_past``: price histories and price responses) read once, and prices that follow
the ``price.change`` and ``order.paid`` events as they are folded in. So the live records
what the replay of the same data replays (``tests/api/test_decisions.py`` checks it).

A new recommendation is ``pending`` under the room's ``suggest`` autonomy and ``auto_executed``
(by ``autonomy:auto``, audited like a person's decision) under ``auto``: its action's events
(:mod:`livelens.knowledge.execution`) wait in :meth:`LiveRecommender.take_executions` for the hub
to ingest once it has let go of its lock. An executed recommendation is measured
(:mod:`livelens.knowledge.outcomes`) as soon as its window's minutes are complete, or at the end of
the session, and the outcome goes into the ledger; a pending one whose window
(``start + duration_s``, event time) has passed by the time a minute completes becomes
``expired`` (by ``livelens:window``; nothing was done, so nothing is audited). Only what the live
recorded is expired and shown: recommendations recorded after the fact (the replay's ``record``)
are the reviewer's. Not thread-safe: the hub calls it under its lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.api.compliance import ComplianceGate
from livelens.api.decision_panels import decide_by, recommendation_row
from livelens.dashboard.frame import LiveRecommendation
from livelens.engine.session_state import SessionState
from livelens.events.reference import Product, ReferenceData
from livelens.events.schema import Event
from livelens.governance.audit import AuditLog
from livelens.information.metrics import SessionMetrics
from livelens.intelligence.stock import STOCK_EVENT_TYPES, StockMoves
from livelens.knowledge.autonomy import AUTO_ACTOR, AutonomyStore, Level, RoomAutonomy
from livelens.knowledge.execution import execution_events
from livelens.knowledge.facts import AlertSpan, facts_at
from livelens.knowledge.ledger import EXECUTED, Entry, Ledger
from livelens.knowledge.outcomes import measure_recommendation, window_complete
from livelens.knowledge.playbooks import Playbook
from livelens.knowledge.price_checks import by_minute
from livelens.knowledge.recommender import (
    Context,
    Recommendation,
    _ranked_personas,  # the replay's persona ranking: the live must rank the same way
    recommend_at,
)
from livelens.knowledge.room_past import RoomPast
from livelens.knowledge.uplift_model import gmv_shares

SHOWN_RECOMMENDATIONS: Final = 8
EXPIRY_ACTOR: Final = "livelens:window"  # fate_by of a recommendation whose window passed


@dataclass(slots=True)
class _Session:
    room_id: str
    evaluated: int = 0  # minutes whose playbooks were evaluated (0 … evaluated - 1)
    context: Context | None = None
    context_of: tuple[int, int, int] = (0, 0, 0)  # identity of the catalog/personas/licences used
    price_changes: list[tuple[int, str, int]] = field(default_factory=list)  # (ts µs, product, ¤)
    paid: list[tuple[int, str, int]] = field(default_factory=list)  # (ts µs, product, unit ¤)
    stock: StockMoves = field(default_factory=StockMoves)  # stock.set and order.paid so far
    last_fired: dict[str, int] = field(default_factory=dict)  # playbook id -> minute
    entries: dict[str, Entry] = field(default_factory=dict)  # what the live recorded, by id


class LiveRecommender:
    def __init__(
        self,
        ledger: Ledger,
        autonomy: AutonomyStore,
        audit: AuditLog,
        playbooks: Sequence[Playbook],
        read_past: Callable[[str, Sequence[Product]], RoomPast] | None = None,
    ) -> None:
        """``read_past``: the room's earlier sessions of a session id, given the catalog
        (:func:`livelens.knowledge.replay.read_room_past`); None: no past is read."""
        self.ledger, self.autonomy, self.audit = ledger, autonomy, audit
        self.read_past = read_past
        self.playbooks = list(playbooks)
        self._sessions: dict[str, _Session] = {}
        self._levels: dict[str, Level] = {}  # room -> autonomy level (read once, kept current)
        self._executions: list[Event] = []  # auto-executed actions' events, for the hub to ingest

    def _session(self, session_id: str, room_id: str) -> _Session:
        found = self._sessions.get(session_id)
        if found is None:
            found = self._sessions[session_id] = _Session(room_id=room_id)
        return found

    def fold(self, new: pa.Table) -> None:
        """Keep the price changes and the unit prices orders paid of every batch: discounts and
        coupons are priced, and their guardrails checked, from them."""
        changes = new.filter(pc.equal(new["type"], "price.change"))
        for session, ts, product_id, price_minor in self._priced(changes, changes["price_minor"]):
            session.price_changes.append((ts, product_id, price_minor))
        paid = new.filter(
            pc.and_(pc.equal(new["type"], "order.paid"), pc.greater(new["quantity"], 0))
        )
        unit = pc.divide(paid["amount_minor"], paid["quantity"])  # as the replay: whole minor units
        for session, ts, product_id, unit_minor in self._priced(paid, unit):
            session.paid.append((ts, product_id, unit_minor))
        moves = new.filter(pc.is_in(new["type"], pa.array(STOCK_EVENT_TYPES)))
        if moves.num_rows:
            for session_id in pc.unique(moves["session_id"]).to_pylist():
                mine = moves.filter(pc.equal(moves["session_id"], session_id))
                self._session(session_id, mine["room_id"][0].as_py()).stock.add(mine)

    def _priced(
        self, rows: pa.Table, price: pa.ChunkedArray
    ) -> Iterator[tuple[_Session, int, str, int]]:
        if rows.num_rows == 0:
            return
        ts_us = rows["ts"].cast(pa.int64()).to_pylist()
        columns = (rows[c].to_pylist() for c in ("session_id", "room_id", "product_id"))
        for ts, session_id, room_id, product_id, price_minor in zip(
            ts_us, *columns, price.to_pylist(), strict=True
        ):
            if product_id is not None and price_minor is not None:
                yield self._session(session_id, room_id), int(ts), product_id, int(price_minor)

    def evaluated(self, session_id: str) -> int:
        """How many of the session's minutes were evaluated."""
        found = self._sessions.get(session_id)
        return found.evaluated if found else 0

    # -- evaluating --------------------------------------------------------------------------

    def evaluate(
        self,
        state: SessionState,
        metrics: SessionMetrics,
        complete: int,
        *,
        gate: ComplianceGate,
        names: Mapping[str, str],
        alerts: Sequence[AlertSpan] = (),
    ) -> list[Recommendation]:
        """The playbooks at each minute completed since the last call, as the replay runs them
        (the same readiness by cooldown, facts, ranking and constraints); ``alerts``: the
        session's anomaly alerts so far (the ``alert_open`` facts)."""
        session = self._session(state.session_id, state.room_id)
        if not gate.products:  # as the replay: no catalog, no recommendations
            session.evaluated = max(session.evaluated, complete)
            return []
        context = self._context(session, state, metrics, gate)
        reference = ReferenceData(
            products=list(gate.products.values()), personas=list(gate.personas.values())
        )
        made: list[Recommendation] = []
        for t in range(session.evaluated, complete):
            fired = session.last_fired
            ready = [
                p
                for p in self.playbooks
                if p.id not in fired or t - fired[p.id] >= max(1, p.cooldown_minutes)
            ]
            if not ready:
                continue
            facts = facts_at(metrics, t, reference, alerts, stock=context.stock)
            found, _withheld = recommend_at(
                ready, facts, context, _ranked_personas(metrics, t), names, gmv_shares(metrics, t)
            )
            for recommendation in found:
                fired[recommendation.playbook.split("@")[0]] = t
            made.extend(found)
        session.evaluated = max(session.evaluated, complete)
        return made

    def _context(
        self, session: _Session, state: SessionState, metrics: SessionMetrics, gate: ComplianceGate
    ) -> Context:
        identity = (id(gate.products), id(gate.personas), id(gate.licences))
        if session.context is None or session.context_of != identity:
            if session.context is not None:
                uplift, past = session.context.uplift, session.context.past
            else:
                uplift = self.ledger.estimates()
                past = (
                    self.read_past(state.session_id, list(gate.products.values()))
                    if self.read_past is not None
                    else RoomPast()
                )
            session.context = Context(
                room_id=state.room_id,
                platform=state.platform,
                session_id=state.session_id,
                started_at=metrics.started_at,
                products=dict(gate.products),
                personas=dict(gate.personas),
                licences=dict(gate.licences),
                prices={},
                stock=session.stock,  # the same moves, added to as batches arrive
                uplift=uplift,  # read once per session
                past=past,  # read once per session
            )
            session.context_of = identity
        prices = by_minute(session.price_changes, state.first_us)
        paid = by_minute(session.paid, state.first_us)
        if prices != session.context.prices or paid != session.context.paid:
            session.context = msgspec.structs.replace(session.context, prices=prices, paid=paid)
        return session.context

    # -- the ledger --------------------------------------------------------------------------

    def record(
        self, state: SessionState, made: list[Recommendation], now: datetime, *, live: bool = True
    ) -> bool:
        """New recommendations into the ledger: pending, or executed under ``auto`` (``live``:
        their actions' events are queued for :meth:`take_executions`; after the session ended
        there is nothing left to act on). One the ledger holds already (a restart re-evaluates
        the session) is left as it is."""
        if not made:
            return False
        session = self._session(state.session_id, state.room_id)
        entries = session.entries
        held = {e.recommendation.recommendation_id for e in self.ledger.entries(state.session_id)}
        new = [r for r in made if r.recommendation_id not in held]
        if not new:
            return False
        self.ledger.record(new)
        auto = self.level(state.room_id) == "auto"
        for recommendation in new:
            rec_id = recommendation.recommendation_id
            if auto:
                self.ledger.set_fate(rec_id, "auto_executed", AUTO_ACTOR, now)
                details = {"fate": "auto_executed", "playbook": recommendation.playbook}
                self.audit.append(AUTO_ACTOR, "recommendation.fate", rec_id, details, at=now)
                if live:
                    self._executions.extend(
                        execution_events(recommendation, state.platform, state.last_at)
                    )
            entries[rec_id] = self.ledger.entry(rec_id)
        return True

    def expire(self, state: SessionState, now: datetime, *, final: bool = False) -> bool:
        """Pending recommendations the live recorded whose window has passed (``final``: the
        session ended, every pending one) become ``expired``. Those recorded after the fact (the
        replay's ``record``) are the reviewer's, and are left alone."""
        entries = self._session(state.session_id, state.room_id).entries
        at = state.last_at
        changed = False
        for rec_id, entry in list(entries.items()):
            if entry.fate != "pending" or (not final and at < decide_by(entry.recommendation)):
                continue
            current = self.ledger.entry(rec_id)  # a person may have decided it in between
            if current.fate == "pending":
                current = self.ledger.set_fate(rec_id, "expired", EXPIRY_ACTOR, now)
            entries[rec_id] = current
            changed = True
        return changed

    def take_executions(self) -> list[Event]:
        """The events of actions executed under ``auto`` since the last call (then forgotten)."""
        taken, self._executions = self._executions, []
        return taken

    def measure(
        self, state: SessionState, metrics: SessionMetrics, complete: int, *, final: bool = False
    ) -> bool:
        """Measure each executed recommendation of the session whose window's minutes are all
        complete (``final``: the session ended, every one left) and store the outcome in the
        ledger; returns whether any was stored."""
        entries = self._session(state.session_id, state.room_id).entries
        changed = False
        for rec_id, entry in list(entries.items()):
            recommendation = entry.recommendation
            if entry.fate not in EXECUTED or entry.outcome is not None:
                continue
            if not final and not window_complete(recommendation, complete):
                continue
            outcome = measure_recommendation(recommendation, metrics.series.gmv_minor[:complete])
            if outcome is None:
                continue  # no activity before it: nothing to compare with
            self.ledger.set_outcome(rec_id, outcome)
            entries[rec_id] = self.ledger.entry(rec_id)
            changed = True
        return changed

    def on_fate(self, recommendation_id: str) -> str | None:
        """A person set a fate: show it; returns the session, when it is followed here."""
        entry = self.ledger.entry(recommendation_id)
        session = self._sessions.get(entry.recommendation.session_id)
        if session is None or recommendation_id not in session.entries:
            return None
        session.entries[recommendation_id] = entry
        return entry.recommendation.session_id

    def shown(
        self, session_id: str, now: datetime, names: Mapping[str, str]
    ) -> list[LiveRecommendation]:
        """The session's latest recommendations (by minute, then priority), newest first."""
        session = self._sessions.get(session_id)
        entries = sorted(
            session.entries.values() if session else (),
            key=lambda e: (-e.recommendation.minute, -e.recommendation.priority),
        )
        return [recommendation_row(e, now, names) for e in entries[:SHOWN_RECOMMENDATIONS]]

    # -- autonomy ----------------------------------------------------------------------------

    def level(self, room_id: str) -> Level:
        if room_id not in self._levels:
            self._levels[room_id] = self.autonomy.get(room_id).level
        return self._levels[room_id]

    def set_autonomy(self, room_id: str, level: str, by: str, at: datetime) -> RoomAutonomy:
        found = self.autonomy.set(room_id, level, by, at)
        self._levels[room_id] = found.level
        return found

    def rooms_sessions(self, room_id: str) -> set[str]:
        return {s for s, session in self._sessions.items() if session.room_id == room_id}
