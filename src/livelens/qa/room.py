"""The live Q&A of one room: questions in, answers (said once for many askers) out.

:class:`QaRoom` holds the catalog state, the answerer, the merge windows, the room's autonomy
control and the answer log. :meth:`QaRoom.ask` returns at once with a :class:`Decision`:

* the first asker of a question gets an answer now;
* later askers of the same question (the same draft: same product, topic and facts — so a price
  change in between makes a new answer) within ``merge_window_ms`` are answered *by reference*:
  they join the record of the answer already said, with no new utterance;
* when ``announce_at`` viewers have asked it, the host says it once more for all of them
  ("好几位宝宝都在问卫衣的价格，…"), and later askers in the window join that answer.

Escalations merge the same way: one human-queue item lists every viewer who asked. Time is the
questions' event time; nothing here reads the clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Final, NamedTuple

from livelens.events.schema import Event
from livelens.qa.answer import phrase, style_for
from livelens.qa.answerer import Answerer
from livelens.qa.guardrails import check_answer
from livelens.qa.knowledge import Catalog, event_ms
from livelens.qa.queue import AnswerLog, Autonomy, InMemoryAnswerLog, RoomControl
from livelens.qa.records import AnswerRecord, Draft, Question
from livelens.qa.topics import Topic

MERGE_WINDOW_MS: Final = 10_000
ANNOUNCE_AT: Final = 3  # askers of one question before the host says it for all of them
_PURGE_EVERY: Final = 1024  # questions between sweeps of closed merge windows


class Decision(NamedTuple):
    question: Question
    record: AnswerRecord  # the record that covers this question
    say: str | None  # what the host says now for it (None: already said, waiting, or escalated)


class _Group:
    __slots__ = ("follow", "head", "opened_ms")

    def __init__(self, head: AnswerRecord, opened_ms: int) -> None:
        self.head = head
        self.follow: AnswerRecord | None = None
        self.opened_ms = opened_ms


class QaRoom:
    def __init__(
        self,
        answerer: Answerer,
        *,
        control: RoomControl | None = None,
        log: AnswerLog | None = None,
        merge_window_ms: int = MERGE_WINDOW_MS,
        announce_at: int = ANNOUNCE_AT,
        room_id: str = "room",
    ) -> None:
        self.answerer = answerer
        self.control = control or RoomControl(Autonomy.FULL_AUTO)
        self.log: AnswerLog = log if log is not None else InMemoryAnswerLog()
        self.merge_window_ms = merge_window_ms
        self.announce_at = announce_at
        self.room_id = room_id
        self._groups: dict[tuple[object, ...], _Group] = {}
        self._answer_ids = itertools.count(1)
        self._question_ids = itertools.count(1)
        self._asked = itertools.count(1)

    @property
    def catalog(self) -> Catalog:
        return self.answerer.catalog

    def apply(self, event: Event) -> bool:
        """A live event: catalog updates (price, promo, stock, pin, persona); answers fall due."""
        changed = self.catalog.apply(event)
        self.tick(event_ms(event))
        return changed

    def tick(self, now_ms: int) -> list[AnswerRecord]:
        """Send the auto-answers whose undo window passed; forget merge windows that closed."""
        sent = self.control.due(now_ms)
        for record in sent:
            self.log.write(record)
        self._purge(now_ms)
        return sent

    def _purge(self, now_ms: int) -> None:
        window = self.merge_window_ms
        for key in [k for k, g in self._groups.items() if now_ms - g.opened_ms >= window]:
            del self._groups[key]

    def ask(
        self,
        text: str,
        ts_ms: int,
        *,
        viewer_id: str | None = None,
        question_id: str | None = None,
        intents: tuple[Mapping[str, float], bool] | None = None,
    ) -> Decision | None:
        """Answer, merge or escalate one comment; None when it asks nothing."""
        if self.control.next_due_ms <= ts_ms:
            self.tick(ts_ms)
        elif next(self._asked) % _PURGE_EVERY == 0:
            self._purge(ts_ms)
        draft = self.answerer.draft(text, ts_ms, intents=intents)
        if draft is None:
            return None
        question = Question(
            question_id=question_id or f"{self.room_id}-q{next(self._question_ids)}",
            text=draft.question,
            ts_ms=ts_ms,
            viewer_id=viewer_id,
        )
        key = draft.merge_key()
        group = self._groups.get(key)
        if group is not None and ts_ms - group.opened_ms < self.merge_window_ms:
            return self._join(group, question, draft)
        record = self._record(draft, question, ts_ms)
        self._groups[key] = _Group(record, ts_ms)
        self.control.route(record, ts_ms)
        self.log.write(record)
        return Decision(question, record, record.answer if record.delivery == "sent" else None)

    def _record(self, draft: Draft, question: Question, ts_ms: int) -> AnswerRecord:
        return AnswerRecord(
            answer_id=f"{self.room_id}-a{next(self._answer_ids)}",
            ts_ms=ts_ms,
            questions=[question],
            status=draft.status,
            intent=draft.intent,
            topic=draft.topic,
            product_id=draft.product_id,
            resolved_by=draft.resolved_by,
            answer=draft.answer,
            facts=draft.facts,
            catalog_version=draft.catalog_version,
            reason=draft.reason,
            persona_id=self.catalog.persona_id,
        )

    def _join(self, group: _Group, question: Question, draft: Draft) -> Decision:
        head = group.follow or group.head
        askers = len(group.head.questions) + 1
        if (
            group.follow is None
            and head.delivery == "sent"
            and draft.body is not None
            and askers >= self.announce_at
        ):
            follow = self._merged(group.head, draft, question)
            if follow is not None:
                group.follow = follow
                self.control.route(follow, question.ts_ms)
                self.log.write(follow)
                return Decision(question, follow, follow.answer)
        head.questions.append(question)
        self.log.write(head)
        return Decision(question, head, None)

    def _merged(self, head: AnswerRecord, draft: Draft, question: Question) -> AnswerRecord | None:
        """The answer said once more for several askers; None if it fails the guardrails."""
        topic = Topic(draft.topic.split("+")[0]) if draft.topic else None
        style = style_for(self.catalog.persona_id)
        text = phrase([draft.body or ""], style, askers=2, topic=topic, facts=draft.facts)
        if check_answer(text, draft.facts) is not None:
            return None
        record = self._record(draft, question, question.ts_ms)
        record.answer = text
        record.merged = True
        record.follows = head.answer_id
        return record

    def takeover(self) -> None:
        """An operator takes over: drafts become suggestions until :meth:`release`."""
        self.control.taken_over = True

    def release(self) -> None:
        self.control.taken_over = False

    def undo(self, answer_id: str) -> AnswerRecord:
        record = self.control.undo(answer_id)
        self._forget(answer_id)
        self.log.write(record)
        return record

    def approve(self, answer_id: str, now_ms: int, text: str | None = None) -> AnswerRecord:
        record = self.control.approve(answer_id, now_ms, text)
        self.log.write(record)
        return record

    def reject(self, answer_id: str) -> AnswerRecord:
        record = self.control.reject(answer_id)
        self._forget(answer_id)
        self.log.write(record)
        return record

    def _forget(self, answer_id: str) -> None:
        """Close the merge window of an answer that was not said: the next asker gets a new one."""
        for key, group in list(self._groups.items()):
            if answer_id in (group.head.answer_id, group.follow and group.follow.answer_id):
                del self._groups[key]
