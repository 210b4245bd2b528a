"""The answer log's background writer: batches written in order on the writer's own cursor,
readers synced first, a failed batch kept and raised on the caller's thread, nothing left open
when idle or closed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_answer_store import record

from livelens.qa.answer_store import DuckDBAnswerLog
from livelens.qa.log_writer import BackgroundWriter
from livelens.qa.records import Question


def test_a_background_log_stores_what_a_foreground_one_stores(tmp_path: Path) -> None:
    def fill(log: DuckDBAnswerLog) -> None:
        growing = record("a1", 1)
        log.write(growing)
        for i in range(1, 40):
            growing.questions.append(
                Question(question_id=f"a1-q{i}", text="多少钱", ts_ms=1_000 + i, viewer_id=f"v{i}")
            )
            log.write(growing)
        for n in range(2, 30):
            log.write(record(f"a{n}", n % 4 + 1))

    tables = {}
    for background in (False, True):
        con = duckdb.connect(str(tmp_path / f"{background}.duckdb"))
        log = DuckDBAnswerLog(con, "s1", flush_at=3, background=background)
        fill(log)
        log.close()
        tables[background] = (
            con.execute("SELECT * EXCLUDE (seq) FROM qa_answers ORDER BY answer_id").fetchall(),
            con.execute("SELECT * FROM qa_questions ORDER BY answer_id, position").fetchall(),
        )
        assert [r.answer_id for r in DuckDBAnswerLog(con, "s1").records()][:3] == [
            "a1",
            "a2",
            "a3",
        ]
        con.close()
    assert tables[True] == tables[False]
    assert len(tables[True][1]) == 40 + sum(n % 4 + 1 for n in range(2, 30))


def test_reading_waits_for_what_was_flushed() -> None:
    con = duckdb.connect(":memory:")
    log = DuckDBAnswerLog(con, "s1", flush_at=1, background=True)
    for n in range(200):
        log.write(record(f"a{n}", 2))
    assert len(log.records()) == 200  # synced before reading
    assert con.execute("SELECT count(*) FROM qa_questions").fetchone() == (400,)
    assert log.get("a7") == record("a7", 2)
    log.close()


def test_the_batches_are_written_in_order_off_the_callers_thread() -> None:
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE t (n INTEGER, thread VARCHAR)")

    def write(cursor: Any, n: int) -> None:
        cursor.execute("INSERT INTO t VALUES (?, ?)", [n, threading.current_thread().name])

    writer: BackgroundWriter[int] = BackgroundWriter(con, write)
    for n in range(100):
        writer.put(n)
    writer.sync()
    rows = con.execute("SELECT n, thread FROM t").fetchall()
    assert [n for n, _ in rows] == list(range(100))
    assert {thread for _, thread in rows} == {"qa-log-writer"}
    writer.close()


def test_a_failed_batch_is_kept_raised_and_written_once_it_can_be() -> None:
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE t (n INTEGER)")
    broken = threading.Event()
    broken.set()

    def write(cursor: Any, n: int) -> None:
        if n == 3 and broken.is_set():
            msg = "disk full"
            raise OSError(msg)
        cursor.execute("INSERT INTO t VALUES (?)", [n])

    writer: BackgroundWriter[int] = BackgroundWriter(con, write)
    for n in range(6):
        writer.put(n)
    kept = r"could not be written \(3 batch\(es\) kept\)"
    with pytest.raises(RuntimeError, match=kept) as raised:
        writer.sync()
    assert isinstance(raised.value.__cause__, OSError)
    assert con.execute("SELECT n FROM t ORDER BY n").fetchall() == [(0,), (1,), (2,)]
    broken.clear()
    writer.sync()  # tries the kept batches again, in order
    assert [n for (n,) in con.execute("SELECT n FROM t").fetchall()] == list(range(6))
    writer.close()


def test_an_idle_writer_ends_its_thread_and_starts_another_when_needed() -> None:
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE t (n INTEGER)")
    writer: BackgroundWriter[int] = BackgroundWriter(
        con, lambda cursor, n: cursor.execute("INSERT INTO t VALUES (?)", [n]), idle_s=0.05
    )
    writer.put(1)
    writer.sync()
    deadline = time.monotonic() + 10
    while any(t.name == "qa-log-writer" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the idle writer's thread did not end"
        time.sleep(0.01)
    writer.put(2)
    writer.close()
    assert con.execute("SELECT count(*) FROM t").fetchone() == (2,)
    assert not any(t.name == "qa-log-writer" for t in threading.enumerate())
