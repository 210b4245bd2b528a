"""Replaying a recorded stream through a room: questions and catalog events in event-time order.

What ``livelens qa answer`` runs, and what a test or an evaluation replays: each item is a
question (:class:`Ask`) or a live event (price.change, stock.set, promo.start/end,
host.product_pin, host.persona_switch, order.paid — other events are passed over). An event
about a product the catalog lacks is rejected with its reason, not applied; the rest of the
stream goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from livelens.errors import InvalidEvent
from livelens.events.schema import Event
from livelens.qa.knowledge import event_ms
from livelens.qa.records import AnswerRecord
from livelens.qa.room import QaRoom


class Ask(NamedTuple):
    text: str
    ts_ms: int
    viewer_id: str | None = None
    question_id: str | None = None


class Rejected(NamedTuple):
    where: str
    reason: str
    detail: str


class ReplayResult(NamedTuple):
    records: list[AnswerRecord]
    rejected: list[Rejected]
    questions: int  # comments that asked something
    comments: int  # every comment read


Item = tuple[str, Ask | Event]  # (where it came from, what it is)


def replay(room: QaRoom, items: Iterable[Item], *, end_ms: int | None = None) -> ReplayResult:
    """Feed ``items`` to ``room`` in order.

    At the end, answers still waiting out an undo window are released at ``end_ms`` (default:
    the last item's time plus the window).
    """
    rejected: list[Rejected] = []
    questions = comments = 0
    last_ms = 0
    for where, item in items:
        if isinstance(item, Ask):
            last_ms = max(last_ms, item.ts_ms)
            comments += 1
            decision = room.ask(
                item.text, item.ts_ms, viewer_id=item.viewer_id, question_id=item.question_id
            )
            questions += decision is not None
            continue
        last_ms = max(last_ms, event_ms(item))
        try:
            room.apply(item)
        except InvalidEvent as error:
            rejected.append(Rejected(where, error.reason, error.detail))
    room.tick(end_ms if end_ms is not None else last_ms + room.control.undo_window_ms)
    return ReplayResult(room.log.records(), rejected, questions, comments)
