"""The top-concern insight: shares of questions per concern, their trend, and conversion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pyarrow as pa

from livelens.events.codec import decode_event
from livelens.events.columns import events_to_table
from livelens.information.compute import compute_session_metrics
from livelens.information.detectors.top_concern import detect_top_concern
from livelens.testing import random_session_records

START = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


def _keyword_intents(texts: list[str]) -> list[tuple[dict[str, float], bool]]:
    """A stand-in classifier for the engine: price if the text says 钱, size if 码."""
    out = []
    for text in texts:
        labels = {}
        if "钱" in text:
            labels["price"] = 0.9
        if "码" in text:
            labels["size"] = 0.9
        out.append((labels or {"other": 0.6}, text.endswith("吗") or "多少" in text))
    return out


def _session_with_questions(late_price: int, early_price: int) -> pa.Table:
    records = random_session_records(seed=5, viewers=60, minutes=20)
    start_ms = min(r["ts"] for r in records)
    extra = []
    for minute, price_questions, size_questions in ((12, early_price, 10), (17, late_price, 10)):
        for n in range(price_questions + size_questions):
            extra.append(
                {
                    "type": "comment",
                    "event_id": f"q-{minute}-{n}",
                    "ts": start_ms + minute * 60_000 + n * 100,
                    "room_id": "room-1",
                    "session_id": "session-1",
                    "platform": "sim",
                    "viewer_id": f"asker-{n}",
                    "text": "这个多少钱" if n < price_questions else "有S码吗",
                }
            )
    events = [decode_event(msgspec.json.encode(r)) for r in records + extra]
    return events_to_table(events).sort_by("ts")


def test_the_rising_concern_of_the_last_minutes_is_named_with_its_share() -> None:
    metrics = compute_session_metrics(
        _session_with_questions(late_price=30, early_price=3), comment_intents=_keyword_intents
    )
    (insight,) = detect_top_concern(metrics)
    e = insight.evidence
    assert insight.subject == "price"
    assert e["basis"] == "questions"
    assert e["window"] == {"start_minute": 15, "end_minute": 20}
    # 30 planted price questions of 40 planted, plus the random session's own questions.
    assert 0.55 < e["share"] < 0.8
    assert e["trend"] == "rising"
    assert insight.text_zh.startswith("价格是观众最关心的问题（近5分钟")
    assert "上升" in insight.text_zh


def test_no_concern_insight_without_a_classifier_or_questions() -> None:
    table = _session_with_questions(late_price=30, early_price=3)
    assert detect_top_concern(compute_session_metrics(table)) == []
    quiet = compute_session_metrics(
        _session_with_questions(late_price=0, early_price=0), comment_intents=_keyword_intents
    )
    insights = detect_top_concern(quiet)
    assert all(i.subject != "price" for i in insights)


def test_minutes_are_counted_from_the_session_start() -> None:
    metrics = compute_session_metrics(
        _session_with_questions(late_price=30, early_price=3), comment_intents=_keyword_intents
    )
    questions = metrics.series.concerns["?price"]
    assert questions[17] >= 30
    assert sum(questions) >= 33
    assert metrics.started_at - START < timedelta(minutes=1)
