"""The live Q&A of every session a process serves: one :class:`QaRoom` per session, fed by events.

A session gets a room when its catalog is loaded (:meth:`QaSessions.load`). From then on
:meth:`QaSessions.fold` takes each ingested batch (an events table in the store's columns) in
event-time order: comments are asked; price, stock, promo, pin, persona and order events update
the catalog state. Questions may also be asked directly (:meth:`QaSessions.ask`). What the host
is to say — a new answer, an auto-answer whose undo window passed, an operator's answer — is
appended to the session's *feed*, numbered, which the push stream reads from any position.

Undo windows fall due on event time: an auto-answer waiting in its window is said when a later
event or question of the session arrives (or an operator acts). Not thread-safe: the caller holds
one lock (the API uses the hub's).
"""

from __future__ import annotations

import functools
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Final, Literal

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.comments.analyze import CommentAnalyzer
from livelens.errors import InvalidEvent, NotFound
from livelens.events.codec import convert_event
from livelens.qa.answerer import Answerer
from livelens.qa.attribution import AnswerStats, answer_stats
from livelens.qa.knowledge import CATALOG_EVENTS, Catalog
from livelens.qa.queue import AnswerLog, Autonomy, InMemoryAnswerLog, RoomControl
from livelens.qa.records import AnswerRecord
from livelens.qa.resolve import ProductResolver
from livelens.qa.room import Decision, QaRoom

FOLLOWED: Final = ("comment", *CATALOG_EVENTS)
FEED_KEPT: Final = 1_000  # said answers kept per session for streams that reconnect


class Said(msgspec.Struct, frozen=True, kw_only=True):
    """One thing the host is to say now: what the speech engine reads."""

    seq: int  # position in the session's feed (the SSE event id)
    session_id: str
    answer_id: str
    text: str
    by: Literal["ai", "operator"]
    askers: int
    product_id: str | None
    persona_id: str | None
    catalog_version: int
    delivered_at_ms: int


class QaState(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    autonomy: Autonomy
    taken_over: bool
    undo_window_ms: int
    catalog_version: int
    pinned: str | None
    products: int
    queue: int  # items waiting for a person
    said: int  # feed length so far
    stats: AnswerStats


@functools.lru_cache(maxsize=8)
def _analyzer(terms: tuple[str, ...]) -> CommentAnalyzer:
    """One analyzer per set of product names (building one costs ~0.3 s: the segmenter)."""
    return CommentAnalyzer(list(terms))


class _Session:
    def __init__(self, session_id: str, room: QaRoom) -> None:
        self.session_id = session_id
        self.room = room
        self.feed: deque[Said] = deque(maxlen=FEED_KEPT)
        self.said = 0

    def say(self, record: AnswerRecord, text: str | None = None) -> None:
        """Append what the host says for ``record`` (its answer, or ``text`` instead)."""
        spoken = text or record.operator_answer or record.answer
        if spoken is None:
            return
        self.said += 1
        self.feed.append(
            Said(
                seq=self.said,
                session_id=self.session_id,
                answer_id=record.answer_id,
                text=spoken,
                by="operator" if record.delivery == "operator" else "ai",
                askers=len(record.questions),
                product_id=record.product_id,
                persona_id=record.persona_id,
                catalog_version=record.catalog_version,
                delivered_at_ms=record.delivered_at_ms or record.ts_ms,
            )
        )

    def tick(self, now_ms: int) -> None:
        if self.room.control.next_due_ms <= now_ms:
            for record in self.room.tick(now_ms):
                self.say(record)


class QaSessions:
    """Q&A rooms by session id; ``log_for`` opens each session's answer log (default: memory)."""

    def __init__(self, log_for: Callable[[str], AnswerLog] | None = None) -> None:
        self.log_for = log_for or (lambda _session: InMemoryAnswerLog())
        self._sessions: dict[str, _Session] = {}

    def _get(self, session_id: str) -> _Session:
        found = self._sessions.get(session_id)
        if found is None:
            msg = f"session {session_id!r} has no Q&A catalog: load one first (PUT its catalog)"
            raise NotFound(msg)
        return found

    def load(self, session_id: str, catalog: Catalog) -> Catalog:
        """Answer the session's questions from ``catalog`` from now on (replacing any before);
        the autonomy level, the human queue, the log and the feed carry over."""
        terms = tuple(ProductResolver([s.item for s in catalog.products()]).terms())
        answerer = Answerer(catalog, _analyzer(terms))
        before = self._sessions.get(session_id)
        room = QaRoom(
            answerer,
            control=before.room.control if before else RoomControl(Autonomy.FULL_AUTO),
            log=before.room.log if before else self.log_for(session_id),
            room_id=f"{session_id}.{uuid.uuid4().hex[:6]}",  # answer ids unique across loads
        )
        if before is None:
            self._sessions[session_id] = _Session(session_id, room)
        else:
            before.room = room
        return catalog

    def sessions(self) -> list[str]:
        return list(self._sessions)

    def ask(
        self, session_id: str, text: str, ts_ms: int, viewer_id: str | None = None
    ) -> Decision | None:
        session = self._get(session_id)
        session.tick(ts_ms)
        decision = session.room.ask(text, ts_ms, viewer_id=viewer_id)
        if decision is not None and decision.say is not None:
            session.say(decision.record, decision.say)
        return decision

    def fold(self, events: pa.Table) -> int:
        """Feed the followed events of sessions with a Q&A room; how many were used."""
        if not self._sessions or events.num_rows == 0:
            return 0
        wanted = pc.and_(
            pc.is_in(events["session_id"], pa.array(list(self._sessions))),
            pc.is_in(events["type"], pa.array(FOLLOWED)),
        )
        rows = events.filter(wanted).sort_by([("ts", "ascending")]).to_pylist()
        for row in rows:
            self._fold_row(row)
        return len(rows)

    def _fold_row(self, row: dict[str, Any]) -> None:
        session = self._sessions[row["session_id"]]
        ts_ms = round(row["ts"].timestamp() * 1000)
        if row["type"] == "comment":
            session.tick(ts_ms)
            decision = session.room.ask(
                row["text"] or "", ts_ms, viewer_id=row["viewer_id"], question_id=row["event_id"]
            )
            if decision is not None and decision.say is not None:
                session.say(decision.record, decision.say)
            return
        session.tick(ts_ms)
        try:
            session.room.catalog.apply(
                convert_event({k: v for k, v in row.items() if v is not None})
            )
        except InvalidEvent:
            return  # a product outside the Q&A catalog: the store has the event; nothing to say

    # -- people in the loop ------------------------------------------------------------------

    def control(
        self,
        session_id: str,
        *,
        autonomy: Autonomy | None = None,
        taken_over: bool | None = None,
        undo_window_ms: int | None = None,
    ) -> None:
        control = self._get(session_id).room.control
        if autonomy is not None:
            control.autonomy = autonomy
        if taken_over is not None:
            control.taken_over = taken_over
        if undo_window_ms is not None:
            control.undo_window_ms = undo_window_ms

    def act(
        self, session_id: str, answer_id: str, action: str, now_ms: int, text: str | None = None
    ) -> AnswerRecord:
        """approve (as drafted, or ``text``), answer (an operator's ``text``), reject, undo."""
        session = self._get(session_id)
        room = session.room
        session.tick(now_ms)
        if action == "undo":
            return room.undo(answer_id)
        if action == "reject":
            return room.reject(answer_id)
        record = room.approve(answer_id, now_ms, text)
        session.say(record)
        return record

    # -- reading -----------------------------------------------------------------------------

    def state(self, session_id: str) -> QaState:
        session = self._get(session_id)
        room = session.room
        control = room.control
        catalog = room.catalog
        return QaState(
            session_id=session_id,
            autonomy=control.autonomy,
            taken_over=control.taken_over,
            undo_window_ms=control.undo_window_ms,
            catalog_version=catalog.version,
            pinned=catalog.pinned,
            products=len(catalog.products()),
            queue=len(control.queue),
            said=session.said,
            stats=answer_stats(room.log.records()),
        )

    def queue(self, session_id: str) -> list[AnswerRecord]:
        return self._get(session_id).room.control.queue.pending()

    def records(self, session_id: str) -> list[AnswerRecord]:
        return self._get(session_id).room.log.records()

    def said_after(self, session_id: str, seq: int) -> list[Said]:
        """What the host was told to say after position ``seq`` (those still kept)."""
        return [said for said in self._get(session_id).feed if said.seq > seq]

    def flush(self) -> None:
        for session in self._sessions.values():
            flush = getattr(session.room.log, "flush", None)
            if flush is not None:
                flush()

    def close(self) -> None:
        """Close the logs that hold something open (a background writer's cursor)."""
        for session in self._sessions.values():
            close = getattr(session.room.log, "close", None)
            if close is not None:
                close()
