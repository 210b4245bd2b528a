"""The records the Q&A layer hands around: a question, a draft answer, a logged answer.

An :class:`AnswerRecord` is one line of the answer log and of ``livelens qa answer``: one thing
the host said (or one item for the human queue), with every question it covers, the catalog
facts it used and the catalog version they came from. Question texts are stored redacted
(:func:`~livelens.qa.guardrails.redact_personal_data`); the raw text is never kept.
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec

Status = Literal["answered", "escalated", "blocked"]
STATUSES: Final = ("answered", "escalated", "blocked")

# Delivery of a record under the room's autonomy level (see livelens.qa.queue):
# sent (said by the host), pending (auto-answer waiting out its undo window), suggested (waiting
# for the operator), undone (the operator stopped it), queued (escalated: a human answers),
# rejected (the operator dismissed a suggestion), operator (a human answered).
Delivery = Literal["sent", "pending", "suggested", "undone", "queued", "rejected", "operator"]


class Question(msgspec.Struct, frozen=True, kw_only=True):
    question_id: str
    text: str  # redacted: personal data replaced by placeholders such as [手机号]
    ts_ms: int  # event time of the comment, epoch milliseconds
    viewer_id: str | None = None


class Draft(msgspec.Struct, frozen=True, kw_only=True):
    """What the answerer decided for one question, before merging and routing."""

    status: Status
    question: str  # the question as kept: personal data redacted
    intent: str | None  # the comment-layer label family (price, size, shipping, …)
    topic: str | None  # what exactly is asked (livelens.qa.topics.Topic values, "+"-joined)
    product_id: str | None
    resolved_by: str | None  # named, link, pinned, attribute, room (no product needed)
    answer: str | None  # the sentence for the host (None when escalated)
    body: str | None  # the answer without the persona's greeting and particle
    facts: dict[str, str]  # every catalog fact the answer states, by stable name
    catalog_version: int
    reason: str | None = None  # why escalated or blocked: a stable code, ":"-detailed
    redacted: tuple[str, ...] = ()  # kinds of personal data removed from the question

    def merge_key(self) -> tuple[object, ...]:
        """Questions with the same key get the same answer: one utterance covers them."""
        return (
            self.status,
            self.product_id,
            self.topic,
            self.reason,
            tuple(sorted(self.facts.items())),
        )


class AnswerRecord(msgspec.Struct, kw_only=True):
    """One answer (or escalation) and every question it covers; mutable while its window is open."""

    answer_id: str
    ts_ms: int  # when it was decided (event time of the question that opened it)
    questions: list[Question]
    status: Status
    intent: str | None
    topic: str | None
    product_id: str | None
    resolved_by: str | None
    answer: str | None
    facts: dict[str, str]
    catalog_version: int
    reason: str | None = None
    persona_id: str | None = None
    merged: bool = False  # phrased for several askers ("好几位宝宝问…")
    follows: str | None = None  # the answer_id this merged answer repeats for later askers
    delivery: Delivery = "sent"
    delivered_at_ms: int | None = None  # when the host said it (None until it is said)
    operator_answer: str | None = None  # what a human said instead, when one did
