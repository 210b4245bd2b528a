"""The answer log in DuckDB: a record that many viewers join is upserted, its questions appended
once each; logs written with the older layout (questions as JSON in ``qa_answers``) are moved."""

from __future__ import annotations

import duckdb
import msgspec

from livelens.qa.answer_store import DuckDBAnswerLog
from livelens.qa.records import AnswerRecord, Question


def record(answer_id: str, askers: int) -> AnswerRecord:
    return AnswerRecord(
        answer_id=answer_id,
        ts_ms=1_000,
        questions=[
            Question(question_id=f"{answer_id}-q{i}", text=f"多少钱{i}", ts_ms=1_000 + i,
                     viewer_id=f"v{i}")
            for i in range(askers)
        ],
        status="answered",
        intent="price",
        topic="price",
        product_id="p1",
        resolved_by="pinned",
        answer="现在到手价99元",
        facts={"price": "99"},
        catalog_version=3,
    )  # fmt: skip


def test_a_growing_record_appends_each_question_once() -> None:
    con = duckdb.connect(":memory:")
    log = DuckDBAnswerLog(con, "s1", flush_at=1)
    growing = record("a1", 1)
    log.write(growing)
    for i in range(1, 50):  # askers join one by one; every write flushes (flush_at=1)
        growing.questions.append(
            Question(question_id=f"a1-q{i}", text=f"多少钱{i}", ts_ms=1_000 + i, viewer_id=f"v{i}")
        )
        log.write(growing)
    log.write(record("a2", 2))
    assert con.execute("SELECT count(*) FROM qa_questions").fetchone() == (52,)
    assert con.execute("SELECT askers FROM qa_answers WHERE answer_id = 'a1'").fetchone() == (50,)
    reopened = DuckDBAnswerLog(con, "s1")
    assert reopened.records() == [growing, record("a2", 2)]
    assert DuckDBAnswerLog(con, "another").records() == []
    # a reopened log that keeps writing a record appends only what is new
    again = reopened.get("a2")
    assert again is not None
    again.questions.append(Question(question_id="a2-q2", text="有货吗", ts_ms=5, viewer_id="v9"))
    reopened.write(again)
    reopened.flush()
    stored = con.execute(
        "SELECT position, question_id FROM qa_questions WHERE answer_id = 'a2' ORDER BY position"
    ).fetchall()
    assert stored == [(0, "a2-q0"), (1, "a2-q1"), (2, "a2-q2")]


def test_questions_kept_as_json_by_an_older_log_are_moved_to_their_own_rows() -> None:
    con = duckdb.connect(":memory:")
    con.execute(
        "CREATE TABLE qa_answers (answer_id VARCHAR PRIMARY KEY, seq BIGINT NOT NULL, "
        "room_id VARCHAR NOT NULL, ts_ms BIGINT NOT NULL, status VARCHAR NOT NULL, "
        "intent VARCHAR, topic VARCHAR, product_id VARCHAR, resolved_by VARCHAR, answer VARCHAR, "
        "facts JSON NOT NULL, catalog_version BIGINT NOT NULL, reason VARCHAR, "
        "persona_id VARCHAR, merged BOOLEAN NOT NULL, follows VARCHAR, delivery VARCHAR NOT NULL, "
        "delivered_at_ms BIGINT, operator_answer VARCHAR, askers INTEGER NOT NULL, "
        "questions JSON NOT NULL)"
    )
    old = record("a1", 3)
    con.execute(
        "INSERT INTO qa_answers VALUES ('a1', 1, 's1', 1000, 'answered', 'price', 'price', 'p1', "
        "'pinned', '现在到手价99元', '{\"price\": \"99\"}', 3, NULL, NULL, false, NULL, 'sent', "
        "NULL, NULL, 3, ?)",
        [msgspec.json.encode(old.questions).decode()],
    )
    log = DuckDBAnswerLog(con, "s1")
    assert log.records() == [old]
    columns = {
        c
        for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'qa_answers'"
        ).fetchall()
    }
    assert "questions" not in columns
    assert DuckDBAnswerLog(con, "s1").records() == [old]  # moved once, not twice
