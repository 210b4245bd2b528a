"""People in the loop: autonomy levels, operator takeover, the human queue and the answer log.

Per room, :class:`Autonomy` says what happens to an answer the AI drafted:

* ``suggest`` — nothing is said until the operator approves it (or edits or rejects it);
* ``auto_undo`` — it is said once an undo window has passed, unless the operator undoes it;
* ``full_auto`` — it is said at once.

An operator may also take over: while taken over every draft is only a suggestion. Escalated and
blocked questions always go to the :class:`HumanQueue` with their reason. Every record is written
to an :class:`AnswerLog` (a port: :class:`InMemoryAnswerLog` here,
:class:`livelens.qa.answer_store.DuckDBAnswerLog` for the store) with the catalog version it used.
"""

from __future__ import annotations

import heapq
from enum import StrEnum
from typing import Protocol

from livelens.errors import InvalidInput, NotFound
from livelens.qa.guardrails import banned_claims, find_personal_data
from livelens.qa.records import AnswerRecord


class Autonomy(StrEnum):
    SUGGEST = "suggest"
    AUTO_UNDO = "auto_undo"
    FULL_AUTO = "full_auto"


class AnswerLog(Protocol):
    def write(self, record: AnswerRecord) -> None:
        """Add ``record``, or replace the one with its ``answer_id`` (askers join records)."""

    def get(self, answer_id: str) -> AnswerRecord | None: ...

    def records(self) -> list[AnswerRecord]:
        """Every record, in the order they were first written."""


class InMemoryAnswerLog:
    def __init__(self) -> None:
        self._records: dict[str, AnswerRecord] = {}

    def write(self, record: AnswerRecord) -> None:
        self._records[record.answer_id] = record

    def get(self, answer_id: str) -> AnswerRecord | None:
        return self._records.get(answer_id)

    def records(self) -> list[AnswerRecord]:
        return list(self._records.values())


class HumanQueue:
    """What a person must handle: escalations to answer and suggestions to approve, in order."""

    def __init__(self) -> None:
        self._items: dict[str, AnswerRecord] = {}

    def put(self, record: AnswerRecord) -> None:
        self._items[record.answer_id] = record

    def take(self, answer_id: str) -> AnswerRecord:
        record = self._items.pop(answer_id, None)
        if record is None:
            msg = f"answer {answer_id} is not waiting in the human queue (handled already?)"
            raise NotFound(msg)
        return record

    def pending(self) -> list[AnswerRecord]:
        return list(self._items.values())

    def __len__(self) -> int:
        return len(self._items)


def check_operator_text(text: str) -> None:
    """An operator's own answer must not carry banned claims or personal data either."""
    problems = [f"banned claim {c}" for c in banned_claims(text)]
    problems += [f"personal data ({kind})" for kind in find_personal_data(text)]
    if problems:
        msg = f"operator answer refused: {', '.join(problems)}; rephrase it"
        raise InvalidInput(msg)


class RoomControl:
    """The room's autonomy level, undo window and takeover flag; routes each new record."""

    def __init__(
        self,
        autonomy: Autonomy = Autonomy.FULL_AUTO,
        *,
        undo_window_ms: int = 5_000,
        queue: HumanQueue | None = None,
    ) -> None:
        self.autonomy = autonomy
        self.undo_window_ms = undo_window_ms
        self.taken_over = False
        self.queue = queue or HumanQueue()
        self._pending: dict[str, tuple[int, AnswerRecord]] = {}  # answer_id -> (send at, record)
        self._due: list[tuple[int, str]] = []  # heap of (send at, answer_id); undone ids linger

    def route(self, record: AnswerRecord, now_ms: int) -> None:
        """Set the delivery of a new record: sent, pending, suggested or queued."""
        if record.status != "answered":
            record.delivery = "queued"
            self.queue.put(record)
        elif self.taken_over or self.autonomy is Autonomy.SUGGEST:
            record.delivery = "suggested"
            self.queue.put(record)
        elif self.autonomy is Autonomy.AUTO_UNDO:
            record.delivery = "pending"
            send_at = now_ms + self.undo_window_ms
            self._pending[record.answer_id] = (send_at, record)
            heapq.heappush(self._due, (send_at, record.answer_id))
        else:
            record.delivery = "sent"
            record.delivered_at_ms = now_ms

    @property
    def next_due_ms(self) -> float:
        """When the next pending answer is due (infinity when none is pending)."""
        heap = self._due
        while heap and heap[0][1] not in self._pending:
            heapq.heappop(heap)  # undone meanwhile
        return heap[0][0] if heap else float("inf")

    def due(self, now_ms: int) -> list[AnswerRecord]:
        """Pending answers whose undo window has passed at ``now_ms``: they are sent now."""
        out = []
        heap = self._due
        while heap and heap[0][0] <= now_ms:
            send_at, answer_id = heapq.heappop(heap)
            entry = self._pending.pop(answer_id, None)
            if entry is None:
                continue
            record = entry[1]
            record.delivery = "sent"
            record.delivered_at_ms = send_at
            out.append(record)
        return out

    def undo(self, answer_id: str) -> AnswerRecord:
        """Stop a pending answer inside its undo window; its questions go to the human queue."""
        entry = self._pending.pop(answer_id, None)
        if entry is None:
            msg = f"answer {answer_id} is not pending (sent already, or never auto-answered)"
            raise NotFound(msg)
        record = entry[1]
        record.delivery = "undone"
        self.queue.put(record)
        return record

    def approve(self, answer_id: str, now_ms: int, text: str | None = None) -> AnswerRecord:
        """The operator sends a suggestion (as drafted, or ``text`` instead) or answers one."""
        if text is not None:
            check_operator_text(text)  # before taking it: a refused text leaves it queued
        record = self.queue.take(answer_id)
        if text is not None:
            record.operator_answer = text
            record.delivery = "operator"
        elif record.status != "answered" or record.answer is None:
            self.queue.put(record)
            msg = f"answer {answer_id} was {record.status}: the operator must write the answer"
            raise InvalidInput(msg)
        else:
            record.delivery = "sent"
        record.delivered_at_ms = now_ms
        return record

    def reject(self, answer_id: str) -> AnswerRecord:
        record = self.queue.take(answer_id)
        record.delivery = "rejected"
        return record
