"""Attribution: answer rate, latency and the (caveated) conversion comparison."""

from __future__ import annotations

import pytest

from livelens.events.schema import Comment, OrderPaid
from livelens.qa.attribution import (
    SELECTION_CAVEAT,
    Purchase,
    answer_stats,
    conversion_by_answer,
    purchases,
)
from livelens.qa.records import AnswerRecord, Delivery, Question, Status

T = 1_800_000_000_000


def record(
    answer_id: str,
    asks: list[tuple[str, int]],
    status: Status = "answered",
    delivery: Delivery = "sent",
    delivered_at_ms: int | None = None,
    product_id: str | None = "sku-a",
) -> AnswerRecord:
    questions = [
        Question(question_id=f"{answer_id}-{n}", text="多少钱", ts_ms=ts, viewer_id=viewer)
        for n, (viewer, ts) in enumerate(asks)
    ]
    return AnswerRecord(
        answer_id=answer_id,
        ts_ms=asks[0][1],
        questions=questions,
        status=status,
        intent="price",
        topic="price",
        product_id=product_id,
        resolved_by="pinned",
        answer="宝宝，A现在99元哦" if status == "answered" else None,
        facts={},
        catalog_version=1,
        delivery=delivery,
        delivered_at_ms=delivered_at_ms,
    )


RECORDS = [
    record("a1", [("v1", T), ("v2", T + 2_000)], delivered_at_ms=T),  # v2 by reference: 0 ms
    record("a2", [("v3", T + 10_000)], delivery="pending"),  # in its undo window still
    record("a3", [("v4", T + 20_000)], delivered_at_ms=T + 25_000),  # auto-undo: 5 s
    record("a4", [("v5", T + 30_000), ("v6", T + 31_000)], status="escalated", delivery="queued"),
    record("a5", [("v7", T + 40_000)], status="blocked", delivery="queued"),
    record(
        "a6",
        [("v8", T + 50_000)],
        status="escalated",
        delivery="operator",
        delivered_at_ms=T + 80_000,
    ),
]


def test_answer_rate_and_latency() -> None:
    stats = answer_stats(RECORDS)
    assert stats.questions == 8
    assert (stats.answered, stats.answered_by_operator) == (4, 1)
    assert (stats.escalated, stats.blocked, stats.waiting) == (2, 1, 1)
    assert stats.merged == 4
    assert stats.answer_rate == pytest.approx(4 / 8)
    # latencies: 0 (v1), 0 (v2, said before it asked), 5,000 (v4), 30,000 (v8 by the operator)
    assert (stats.latency_p50_ms, stats.latency_max_ms) == (0, 30_000)
    assert stats.latency_p99_ms == 30_000


def test_no_records() -> None:
    stats = answer_stats([])
    assert (stats.questions, stats.answer_rate, stats.latency_p99_ms) == (0, 0.0, None)


def test_conversion_compares_answered_and_unanswered_askers_with_the_caveat() -> None:
    orders = [
        Purchase("v1", "sku-a", T + 60_000),  # answered, bought
        Purchase("v4", "sku-b", T + 90_000),  # answered, bought another product
        Purchase("v5", "sku-a", T + 40 * 60_000),  # unanswered, bought too late
        Purchase("v7", "sku-a", T + 45_000),  # unanswered (blocked), bought
        Purchase("v9", "sku-a", T + 1_000),  # never asked
    ]
    result = conversion_by_answer(RECORDS, orders, within_ms=30 * 60_000)
    assert (result.answered.viewers, result.answered.converted) == (4, 2)  # v1 v2 v4 v8
    assert (result.unanswered.viewers, result.unanswered.converted) == (4, 1)  # v3 v5 v6 v7
    assert result.difference == pytest.approx(0.5 - 0.25)
    assert result.difference_ci95 is not None
    low, high = result.difference_ci95
    assert low < result.difference < high
    assert result.caveat == SELECTION_CAVEAT
    assert "不等于因果" in result.caveat
    assert "holdout" in result.caveat
    same = conversion_by_answer(RECORDS, orders, same_product=True)
    assert same.answered.converted == 1  # v4 bought sku-b, asked about sku-a


def test_purchases_from_events() -> None:
    envelope = {"room_id": "r", "session_id": "s", "platform": "sim"}
    events = [
        OrderPaid(ts=T, viewer_id="v1", order_id="o", product_id="sku-a", quantity=1,
                  amount_minor=9900, currency="CNY", **envelope),
        Comment(ts=T, viewer_id="v1", text="多少钱", **envelope),
    ]  # fmt: skip
    assert purchases(events) == [Purchase("v1", "sku-a", T)]
