"""The post-live review's live Q&A section: read from the answer log in the store, when there is
one — answer rate, latency, and askers' conversion answered vs not, with the selection caveat."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.compute as pc
from report_session import GENERATED_AT, StoredSession

from livelens.qa.answer_store import DuckDBAnswerLog
from livelens.qa.attribution import SELECTION_CAVEAT
from livelens.qa.records import AnswerRecord, Question
from livelens.reports import Review, load_review, render_html
from livelens.store.duckdb import DuckDBStore


def record(answer_id: str, viewer: str, ts_ms: int, *, said: bool) -> AnswerRecord:
    return AnswerRecord(
        answer_id=answer_id,
        ts_ms=ts_ms,
        questions=[
            Question(question_id=f"q-{answer_id}", text="多少钱", ts_ms=ts_ms, viewer_id=viewer)
        ],
        status="answered" if said else "escalated",
        intent="price",
        topic="price",
        product_id=None,
        resolved_by="pinned" if said else None,
        answer="现在到手价99元" if said else None,
        facts={"price_yuan": "99"} if said else {},
        catalog_version=3,
        reason=None if said else "unknown_topic",
        delivery="sent" if said else "queued",
        delivered_at_ms=ts_ms + 40 if said else None,
    )


def test_a_session_without_an_answer_log_has_no_qa_section(
    review: Review, review_html: str
) -> None:
    assert review.qa is None
    assert 'id="qa"' not in review_html


def test_the_qa_section_reads_the_answer_log(stored_session: StoredSession, tmp_path: Path) -> None:
    db = tmp_path / "with-qa.duckdb"
    shutil.copy(stored_session.db, db)
    with DuckDBStore(db) as store:
        events = store.events(stored_session.session_id)
        orders = events.filter(pc.equal(events["type"], "order.paid"))
        buyer = orders["viewer_id"][0].as_py()
        bought_ms = orders["ts"][0].as_py().timestamp() * 1000
        comments = events.filter(pc.equal(events["type"], "comment"))
        others = [v for v in comments["viewer_id"].to_pylist() if v != buyer][:3]
        log = DuckDBAnswerLog(store.con, stored_session.session_id)
        asked = round(bought_ms) - 60_000
        log.write(record("a1", buyer, asked, said=True))
        log.write(record("a2", others[0], asked, said=True))
        log.write(record("a3", others[1], asked, said=False))
        log.write(record("a4", others[2], asked, said=False))
        DuckDBAnswerLog(store.con, "another-session").write(record("x", buyer, asked, said=False))
        log.flush()
        review = load_review(store, stored_session.session_id, generated_at=GENERATED_AT)
    assert review.qa is not None
    stats, conversion = review.qa.stats, review.qa.conversion
    assert (stats.questions, stats.answered, stats.escalated) == (4, 2, 2)
    assert stats.answer_rate == 0.5
    assert stats.latency_p99_ms == 40
    assert (conversion.answered.viewers, conversion.answered.converted) == (2, 1)
    assert conversion.unanswered.viewers == 2
    html = render_html(review)
    assert 'id="qa"' in html
    assert "直播问答" in html
    assert "50.0%" in html or "50%" in html
    assert SELECTION_CAVEAT[:20] in html
