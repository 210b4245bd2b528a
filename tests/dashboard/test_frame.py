"""The live frame: bounded whatever the session's length, and faithful to the metrics."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pyarrow as pa
import pytest

from livelens.comments.analyze import CommentAnalyzer
from livelens.dashboard.frame import MAX_POINTS, LiveInsight, build_frame, concern_shares
from livelens.events.codec import decode_event
from livelens.events.columns import events_to_table
from livelens.information.compute import compute_session_metrics
from livelens.information.insight import Insight
from livelens.information.metrics import SessionMetrics
from livelens.testing import event_record, jsonl, random_session_records

AT = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


def metrics_of_records(records: list[dict[str, object]]) -> SessionMetrics:
    events = [decode_event(line) for line in jsonl(records).splitlines()]
    table: pa.Table = events_to_table(events)
    return compute_session_metrics(table, comment_intents=CommentAnalyzer().intents)


@pytest.fixture(scope="module")
def four_hours() -> SessionMetrics:
    return metrics_of_records(random_session_records(4, viewers=60, minutes=300))


def insight(kind: str, subject: str) -> Insight:
    return Insight(kind=kind, subject=subject, evidence={}, text_zh=kind, text_en=kind)


def test_a_long_session_keeps_the_latest_minutes_only(four_hours: SessionMetrics) -> None:
    frame = build_frame(four_hours, at=AT, names={}, hot_words=[], insights=[])
    assert four_hours.minutes == 300
    assert frame.curves.first_minute == 300 - MAX_POINTS
    for curve in (frame.curves.online, frame.curves.comments, frame.curves.gmv_minor):
        assert len(curve) == MAX_POINTS
    assert frame.curves.online == four_hours.series.online[-MAX_POINTS:]
    assert len(msgspec.json.encode(frame)) < 50_000  # what one push costs the screen


def test_frame_numbers_are_the_metrics(four_hours: SessionMetrics) -> None:
    names = {"sku-a": "羽绒马甲", "p-a": "小雪"}
    frame = build_frame(four_hours, at=AT, names=names, hot_words=[], insights=[])
    totals = four_hours.totals
    assert (frame.comments, frame.orders, frame.gmv_minor) == (
        totals.comments,
        totals.orders,
        totals.gmv_minor,
    )
    assert frame.minute == 299
    assert frame.online == four_hours.series.online[299]
    assert frame.comments_last_minute == four_hours.series.comments[298]
    assert {p.name for p in frame.products} >= {"羽绒马甲", "sku-b"}
    assert [p.gmv_minor for p in frame.products] == sorted(
        (p.gmv_minor for p in frame.products), reverse=True
    )
    # persona spans tile the persona series: 0–100 p-a, 100–200 p-b, 200–300 p-a
    assert [(s.name, s.start_minute, s.end_minute) for s in frame.personas] == [
        ("小雪", 0, 100),
        ("p-b", 100, 200),
        ("小雪", 200, 300),
    ]
    assert [(s.id, s.start_minute, s.end_minute) for s in frame.promos] == [("flash-1", 150, 152)]
    assert frame.promos[0].name == "sku-b -20%"


def test_insights_are_listed_newest_first_and_capped(four_hours: SessionMetrics) -> None:
    found = [LiveInsight(first_minute=m, minute=m, insight=insight("k", str(m))) for m in range(20)]
    frame = build_frame(four_hours, at=AT, names={}, hot_words=[], insights=found, max_insights=5)
    assert [i.first_minute for i in frame.insights] == [19, 18, 17, 16, 15]


def test_concern_shares_are_of_questions_in_the_window() -> None:
    base = {"ts": "2026-11-11T12:00:30+08:00"}
    asked = ["多少钱？", "多少钱啊", "有S码吗", "包邮吗"]
    said = ["主播好美", "哈哈哈", "太好看了"]
    records = [
        event_record("comment", event_id=f"c{i}", text=text, **base)
        for i, text in enumerate(asked + said)
    ]
    metrics = metrics_of_records(records)
    basis, shares = concern_shares(metrics, end=1, window=5)
    assert basis == "questions"
    assert [(s.label, s.count) for s in shares] == [("price", 2), ("shipping", 1), ("size", 1)]
    assert shares[0].share == pytest.approx(0.5)
    assert shares[0].previous_share is None  # nothing before the first minute
