"""What the live screen shows of the decision layer: rows of its alert, recommendation and Q&A
panels (:class:`~livelens.dashboard.frame.LiveAlert`, ``LiveRecommendation``, ``LiveAnswer``).

The Q&A panel reads the live Q&A in memory (:class:`QaPanel` over
:class:`livelens.qa.sessions.QaSessions`): the newest things the host said (from the session's
feed, only what is new since the last frame) and what waits for a person in the human queue —
escalations the AI must not answer and suggestions to approve. It rides on the frame rather than on
a second stream: the Q&A stream (``/api/qa/{session}/stream``) carries only what is said, not the
escalations, and the frame is already pushed, bounded and coalesced for every open screen.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final, Protocol

from livelens.dashboard.frame import LiveAlert, LiveAnswer, LiveRecommendation
from livelens.intelligence.alerts import Alert
from livelens.knowledge.ledger import EXECUTED, Entry, Fate
from livelens.knowledge.recommender import Recommendation
from livelens.qa.records import AnswerRecord
from livelens.qa.sessions import Said

SHOWN_ANSWERS: Final = 8


def decide_by(recommendation: Recommendation) -> datetime:
    """The end of a recommendation's window (event time): undecided then, it expires."""
    return recommendation.start + timedelta(seconds=recommendation.duration_s)


def alert_row(alert: Alert, acked_by: str | None) -> LiveAlert:
    return LiveAlert(
        alert=alert, message_zh=alert.message_zh, message_en=alert.message_en, acked_by=acked_by
    )


def recommendation_row(entry: Entry, now: datetime, names: Mapping[str, str]) -> LiveRecommendation:
    """A ledger entry as the screen lists it; an executed flash discount counts down from its
    execution (``fate_at``) to ``now`` (both wall clock)."""
    recommendation = entry.recommendation
    remaining: int | None = None
    if (
        entry.fate in EXECUTED
        and entry.fate_at is not None
        and recommendation.action == "flash_discount"
    ):
        ends = entry.fate_at + timedelta(seconds=recommendation.duration_s)
        left = (ends - now).total_seconds()
        remaining = round(left) if left > 0 else None
    product = recommendation.target.get("product")
    persona = recommendation.target.get("persona")
    fate: Fate = entry.fate  # type: ignore[assignment]  # the ledger holds only these
    return LiveRecommendation(
        recommendation=recommendation,
        fate=fate,
        fate_by=entry.fate_by,
        fate_at=entry.fate_at,
        decide_by=decide_by(recommendation),
        product=names.get(product, product) if isinstance(product, str) else None,
        persona=names.get(persona, persona) if isinstance(persona, str) else None,
        remaining_s=remaining,
    )


def said_row(said: Said, names: Mapping[str, str]) -> LiveAnswer:
    product = said.product_id
    return LiveAnswer(
        answer_id=said.answer_id,
        at_ms=said.delivered_at_ms,
        askers=said.askers,
        question=None,
        text=said.text,
        product_id=product,
        product=names.get(product, product) if product else None,
        status="said",
        escalated=False,
        by=said.by,
        reason=None,
    )


def waiting_row(record: AnswerRecord, names: Mapping[str, str]) -> LiveAnswer:
    product = record.product_id
    return LiveAnswer(
        answer_id=record.answer_id,
        at_ms=record.ts_ms,
        askers=len(record.questions),
        question=record.questions[0].text if record.questions else None,
        text=record.answer,
        product_id=product,
        product=names.get(product, product) if product else None,
        status="suggested" if record.delivery == "suggested" else "escalated",
        escalated=record.status in ("escalated", "blocked"),
        by=None,
        reason=record.reason,
    )


class QaFeed(Protocol):
    """What the screen reads of the live Q&A (:class:`livelens.qa.sessions.QaSessions`)."""

    def sessions(self) -> list[str]: ...

    def said_after(self, session_id: str, seq: int) -> list[Said]: ...

    def queue(self, session_id: str) -> list[AnswerRecord]: ...


class QaPanel:
    """The newest Q&A items of each session; ``feed`` is None until the API wires one."""

    def __init__(self, feed: QaFeed | None = None, shown: int = SHOWN_ANSWERS) -> None:
        self.feed, self.shown = feed, shown
        self._said: dict[str, deque[Said]] = {}

    def answers(self, session_id: str, names: Mapping[str, str]) -> list[LiveAnswer]:
        """Newest first: the last things said and what waits in the human queue."""
        if self.feed is None or session_id not in self.feed.sessions():
            return []
        said = self._said.get(session_id)
        if said is None:
            said = self._said[session_id] = deque(maxlen=self.shown)
        said.extend(self.feed.said_after(session_id, said[-1].seq if said else 0))
        rows = [said_row(s, names) for s in said]
        rows += [waiting_row(r, names) for r in self.feed.queue(session_id)]
        rows.sort(key=lambda row: -row.at_ms)
        return rows[: self.shown]
