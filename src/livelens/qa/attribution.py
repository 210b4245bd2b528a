"""What the Q&A did for the room: answer rate, latency, and conversion of askers (a comparison).

:func:`answer_stats` counts questions by outcome and the latency from a question to the moment
its answer was said (a question answered by reference counts from its own arrival: zero when the
answer was said already). :func:`conversion_by_answer` compares viewers whose questions were
answered with viewers whose questions were not — with :data:`SELECTION_CAVEAT`, because the two
groups differ in more than the answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final, NamedTuple

import msgspec

from livelens.events.schema import Event, OrderPaid
from livelens.qa.knowledge import event_ms
from livelens.qa.records import AnswerRecord

SELECTION_CAVEAT: Final = (
    "关联不等于因果：被回答的观众与未被回答的观众本就不同——能自动回答的问题指向已讲解或点名的商品、"
    "事实明确，提问者往往更接近下单；转人工的问题多为目录外、含糊或投诉。差值只是相关性，不是回答带来的"
    "转化提升。要测量效果，请对随机留出的一部分提问者不自动回答（留出组），再比较两组。 "
    "Association, not effect: answered askers differ from unanswered ones beyond the answer "
    "(answerable questions name a pinned or named product and are closer to buying; escalated "
    "ones are often off-catalog, vague or complaints). To measure the effect, withhold automatic "
    "answers from a random holdout of askers and compare."
)
_DELIVERED: Final = frozenset({"sent", "operator"})
_Z95: Final = 1.959964


class AnswerStats(msgspec.Struct, kw_only=True, frozen=True):
    questions: int
    answered: int  # said to the viewer (by the AI, or approved/written by an operator)
    answered_by_operator: int
    escalated: int
    blocked: int
    waiting: int  # answered drafts not (yet) said: suggested, pending, undone, rejected
    merged: int  # questions covered by an answer that several viewers asked for
    answer_rate: float  # answered / questions
    latency_p50_ms: float | None
    latency_p90_ms: float | None
    latency_p99_ms: float | None
    latency_max_ms: float | None


def _percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted values (None for none)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def answer_stats(records: Iterable[AnswerRecord]) -> AnswerStats:
    counts = {"answered": 0, "operator": 0, "escalated": 0, "blocked": 0, "waiting": 0}
    merged = total = 0
    latencies: list[float] = []
    for record in records:
        n = len(record.questions)
        total += n
        if record.merged or n > 1:
            merged += n
        if record.delivery in _DELIVERED and record.delivered_at_ms is not None:
            counts["answered"] += n
            counts["operator"] += n if record.delivery == "operator" else 0
            latencies += [max(0, record.delivered_at_ms - q.ts_ms) for q in record.questions]
        elif record.status == "escalated":
            counts["escalated"] += n
        elif record.status == "blocked":
            counts["blocked"] += n
        else:
            counts["waiting"] += n
    latencies.sort()
    return AnswerStats(
        questions=total,
        answered=counts["answered"],
        answered_by_operator=counts["operator"],
        escalated=counts["escalated"],
        blocked=counts["blocked"],
        waiting=counts["waiting"],
        merged=merged,
        answer_rate=counts["answered"] / total if total else 0.0,
        latency_p50_ms=_percentile(latencies, 50),
        latency_p90_ms=_percentile(latencies, 90),
        latency_p99_ms=_percentile(latencies, 99),
        latency_max_ms=latencies[-1] if latencies else None,
    )


class Purchase(NamedTuple):
    viewer_id: str
    product_id: str
    ts_ms: int


def purchases(events: Iterable[Event]) -> list[Purchase]:
    """The ``order.paid`` events of a stream as purchases."""
    return [
        Purchase(e.viewer_id, e.product_id, event_ms(e)) for e in events if isinstance(e, OrderPaid)
    ]


class ConversionGroup(msgspec.Struct, kw_only=True, frozen=True):
    viewers: int
    converted: int
    rate: float | None


class Conversion(msgspec.Struct, kw_only=True, frozen=True):
    answered: ConversionGroup  # viewers with at least one question answered
    unanswered: ConversionGroup  # viewers who asked and got no answer said
    difference: float | None  # answered.rate - unanswered.rate
    difference_ci95: tuple[float, float] | None  # normal approximation
    within_ms: int
    same_product: bool
    caveat: str = SELECTION_CAVEAT


def _group(viewers: set[str], converted: set[str]) -> ConversionGroup:
    n = len(viewers)
    hits = len(viewers & converted)
    return ConversionGroup(viewers=n, converted=hits, rate=hits / n if n else None)


def conversion_by_answer(
    records: Iterable[AnswerRecord],
    orders: Iterable[Purchase],
    *,
    within_ms: int = 30 * 60_000,
    same_product: bool = False,
) -> Conversion:
    """Share of askers who bought within ``within_ms`` of their first question, by answered or not.

    With ``same_product`` only an order of the product the question was about counts. Questions
    without a viewer id are left out (they cannot be joined to orders).
    """
    first_ask: dict[str, int] = {}
    products: dict[str, set[str | None]] = {}
    answered: set[str] = set()
    for record in records:
        said = record.delivery in _DELIVERED
        for question in record.questions:
            viewer = question.viewer_id
            if viewer is None:
                continue
            first_ask[viewer] = min(first_ask.get(viewer, question.ts_ms), question.ts_ms)
            products.setdefault(viewer, set()).add(record.product_id)
            if said:
                answered.add(viewer)
    converted = set()
    for order in orders:
        start = first_ask.get(order.viewer_id)
        if start is None or not start <= order.ts_ms <= start + within_ms:
            continue
        if same_product and order.product_id not in products[order.viewer_id]:
            continue
        converted.add(order.viewer_id)
    askers = set(first_ask)
    yes, no = _group(answered, converted), _group(askers - answered, converted)
    difference = ci = None
    if yes.rate is not None and no.rate is not None:
        difference = yes.rate - no.rate
        variance = yes.rate * (1 - yes.rate) / yes.viewers + no.rate * (1 - no.rate) / no.viewers
        se = math.sqrt(variance)
        ci = (difference - _Z95 * se, difference + _Z95 * se)
    return Conversion(
        answered=yes,
        unanswered=no,
        difference=difference,
        difference_ci95=ci,
        within_ms=within_ms,
        same_product=same_product,
    )
