"""The answer log in the store: table ``qa_answers``, one row per answer or escalation, and
``qa_questions``, one row per question it covers.

:class:`DuckDBAnswerLog` implements :class:`livelens.qa.queue.AnswerLog` on a DuckDB connection
(``DuckDBStore.con``). A record changes while its merge window is open (askers join) and when the
operator acts, so writes are buffered by ``answer_id`` and flushed in batches
(:meth:`DuckDBAnswerLog.flush`; reading flushes first): the record's row is upserted, and only the
questions that joined since its last flush are appended — a record that a thousand viewers asked
is never rewritten with its thousand questions. Question texts are stored as the answerer kept
them: redacted.

With ``background=True`` (the API's logs) a flush hands its rows to a
:class:`~livelens.qa.log_writer.BackgroundWriter` and returns: the answering thread never waits on
DuckDB. Reading syncs first; :meth:`DuckDBAnswerLog.close` writes what is left — call it before
the connection closes.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any, Final

import msgspec
import pyarrow as pa

from livelens.qa.log_writer import BackgroundWriter
from livelens.qa.records import AnswerRecord, Question

_DDL: Final = """
CREATE TABLE IF NOT EXISTS qa_answers (
    answer_id VARCHAR PRIMARY KEY,
    seq BIGINT NOT NULL,
    room_id VARCHAR NOT NULL,
    ts_ms BIGINT NOT NULL,
    status VARCHAR NOT NULL,
    intent VARCHAR,
    topic VARCHAR,
    product_id VARCHAR,
    resolved_by VARCHAR,
    answer VARCHAR,
    facts JSON NOT NULL,
    catalog_version BIGINT NOT NULL,
    reason VARCHAR,
    persona_id VARCHAR,
    merged BOOLEAN NOT NULL,
    follows VARCHAR,
    delivery VARCHAR NOT NULL,
    delivered_at_ms BIGINT,
    operator_answer VARCHAR,
    askers INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS qa_questions (
    answer_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    room_id VARCHAR NOT NULL,
    question_id VARCHAR NOT NULL,
    ts_ms BIGINT NOT NULL,
    viewer_id VARCHAR,
    text VARCHAR NOT NULL
)
"""
_COLUMNS: Final = (
    "answer_id",
    "seq",
    "room_id",
    "ts_ms",
    "status",
    "intent",
    "topic",
    "product_id",
    "resolved_by",
    "answer",
    "facts",
    "catalog_version",
    "reason",
    "persona_id",
    "merged",
    "follows",
    "delivery",
    "delivered_at_ms",
    "operator_answer",
    "askers",
)
_QUESTION_COLUMNS: Final = (
    "answer_id", "position", "room_id", "question_id", "ts_ms", "viewer_id", "text"
)  # fmt: skip
_FLUSH_AT: Final = 512  # distinct records; smaller batches measured worse (hot records rewritten)


class DuckDBAnswerLog:
    def __init__(
        self,
        con: Any,
        room_id: str = "room",
        *,
        flush_at: int = _FLUSH_AT,
        background: bool = False,
    ) -> None:
        self.con = con
        self.room_id = room_id
        self.flush_at = flush_at
        self._dirty: dict[str, AnswerRecord] = {}
        self._seq: dict[str, int] = {}  # answer_id -> order of first write, for this log's records
        self._stored_questions: dict[str, int] = {}  # answer_id -> questions already in the table
        con.execute(_DDL)
        _move_questions_out_of_answers(con)
        _warm_up(con)
        (last,) = con.execute("SELECT coalesce(max(seq), 0) FROM qa_answers").fetchone()
        self._next = itertools.count(int(last) + 1)
        self._writer: BackgroundWriter[_Rows] | None = (
            BackgroundWriter(con, _write_rows) if background else None
        )

    def write(self, record: AnswerRecord) -> None:
        if record.answer_id not in self._seq:
            self._seq[record.answer_id] = next(self._next)
        self._dirty[record.answer_id] = record
        if len(self._dirty) >= self.flush_at:
            self.flush()

    def flush(self) -> None:
        if not self._dirty:
            return
        answers = [self._row(record) for record in self._dirty.values()]
        questions = [row for record in self._dirty.values() for row in self._new_questions(record)]
        for record in self._dirty.values():
            self._stored_questions[record.answer_id] = len(record.questions)
        self._dirty.clear()
        if self._writer is None:
            _write_rows(self.con, (answers, questions))
        else:
            self._writer.put((answers, questions))

    def sync(self) -> None:
        """Flush, and wait until everything flushed is in the tables."""
        self.flush()
        if self._writer is not None:
            self._writer.sync()

    def close(self) -> None:
        """Write what is left and stop the background writer (before the connection closes)."""
        self.flush()
        if self._writer is not None:
            self._writer.close()

    def get(self, answer_id: str) -> AnswerRecord | None:
        if answer_id in self._dirty:
            return self._dirty[answer_id]
        if self._writer is not None:
            self._writer.sync()
        found = self._read("answer_id = ?", [answer_id])
        return found[0] if found else None

    def records(self) -> list[AnswerRecord]:
        self.sync()
        return self._read("room_id = ?", [self.room_id])

    def _read(self, where: str, params: list[Any]) -> list[AnswerRecord]:
        rows = self.con.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM qa_answers WHERE {where} ORDER BY seq",  # noqa: S608
            params,
        ).fetchall()
        asked: defaultdict[str, list[Question]] = defaultdict(list)
        for answer_id, question_id, ts_ms, viewer_id, text in self.con.execute(
            "SELECT answer_id, question_id, ts_ms, viewer_id, text FROM qa_questions "  # noqa: S608
            f"WHERE answer_id IN (SELECT answer_id FROM qa_answers WHERE {where}) "
            "ORDER BY answer_id, position",
            params,
        ).fetchall():
            asked[answer_id].append(
                Question(question_id=question_id, ts_ms=ts_ms, viewer_id=viewer_id, text=text)
            )
        records = [_record(row, asked[row[0]]) for row in rows]
        for record in records:
            self._stored_questions.setdefault(record.answer_id, len(record.questions))
        return records

    def _new_questions(self, record: AnswerRecord) -> list[tuple[Any, ...]]:
        stored = self._stored_questions.get(record.answer_id, 0)
        return [
            _question_row(record.answer_id, position, self.room_id, q)
            for position, q in enumerate(record.questions[stored:], start=stored)
        ]

    def _row(self, record: AnswerRecord) -> tuple[Any, ...]:
        return (
            record.answer_id,
            self._seq[record.answer_id],
            self.room_id,
            record.ts_ms,
            record.status,
            record.intent,
            record.topic,
            record.product_id,
            record.resolved_by,
            record.answer,
            msgspec.json.encode(record.facts).decode(),
            record.catalog_version,
            record.reason,
            record.persona_id,
            record.merged,
            record.follows,
            record.delivery,
            record.delivered_at_ms,
            record.operator_answer,
            len(record.questions),
        )


_Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]  # qa_answers, qa_questions rows


def _write_rows(con: Any, rows: _Rows) -> None:
    """One flush in one transaction: Arrow batches, not executemany (which runs the statement
    once per row); the SQL reads them by name (replacement scan)."""
    answers, questions = rows
    qa_incoming = _table(_COLUMNS, _TYPES, answers)  # noqa: F841
    qa_incoming_questions = _table(_QUESTION_COLUMNS, _QUESTION_TYPES, questions)  # noqa: F841
    names, question_names = ", ".join(_COLUMNS), ", ".join(_QUESTION_COLUMNS)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"INSERT OR REPLACE INTO qa_answers ({names}) SELECT {names} FROM qa_incoming"  # noqa: S608
        ).fetchall()
        con.execute(
            f"INSERT INTO qa_questions ({question_names}) "  # noqa: S608
            f"SELECT {question_names} FROM qa_incoming_questions"
        ).fetchall()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


_TYPES: Final = (
    pa.string(), pa.int64(), pa.string(), pa.int64(), pa.string(), pa.string(), pa.string(),
    pa.string(), pa.string(), pa.string(), pa.string(), pa.int64(), pa.string(), pa.string(),
    pa.bool_(), pa.string(), pa.string(), pa.int64(), pa.string(), pa.int32(),
)  # fmt: skip
_QUESTION_TYPES: Final = (
    pa.string(), pa.int32(), pa.string(), pa.string(), pa.int64(), pa.string(), pa.string(),
)  # fmt: skip


def _table(
    names: tuple[str, ...], types: tuple[pa.DataType, ...], rows: list[tuple[Any, ...]]
) -> pa.Table:
    columns = list(zip(*rows, strict=True)) or [() for _ in names]
    return pa.table(
        {
            name: pa.array(values, type=kind)
            for name, values, kind in zip(names, columns, types, strict=True)
        }
    )


def _question_row(answer_id: str, position: int, room_id: str, q: Question) -> tuple[Any, ...]:
    return (answer_id, position, room_id, q.question_id, q.ts_ms, q.viewer_id, q.text)


def _record(row: tuple[Any, ...], questions: list[Question]) -> AnswerRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    values.pop("seq")
    values.pop("room_id")
    values.pop("askers")
    values["facts"] = msgspec.json.decode(values["facts"], type=dict[str, str])
    values["questions"] = questions
    return msgspec.convert(values, AnswerRecord)


def _warm_up(con: Any) -> None:
    """The first Arrow replacement scan of a process imports modules (~0.7 s measured): pay it
    when the log opens, not at its first flush in the middle of a live."""
    qa_warm_up = _table(_QUESTION_COLUMNS, _QUESTION_TYPES, [])  # noqa: F841
    con.execute("SELECT count(*) FROM qa_warm_up").fetchall()


def _move_questions_out_of_answers(con: Any) -> None:
    """Logs written before ``qa_questions`` kept each record's questions as a JSON column of
    ``qa_answers``: move them into their own rows, once."""
    (old,) = con.execute(
        "SELECT count(*) FROM duckdb_columns() "
        "WHERE table_name = 'qa_answers' AND column_name = 'questions'"
    ).fetchone()
    if not old:
        return
    moved = []
    for answer_id, room_id, doc in con.execute(
        "SELECT answer_id, room_id, questions FROM qa_answers"
    ).fetchall():
        for position, q in enumerate(msgspec.json.decode(doc, type=list[Question])):
            moved.append(
                (answer_id, position, room_id, q.question_id, q.ts_ms, q.viewer_id, q.text)
            )
    qa_moved = _table(_QUESTION_COLUMNS, _QUESTION_TYPES, moved)  # noqa: F841
    con.execute("BEGIN TRANSACTION")
    con.execute(f"INSERT INTO qa_questions SELECT {', '.join(_QUESTION_COLUMNS)} FROM qa_moved")  # noqa: S608
    con.execute("ALTER TABLE qa_answers DROP COLUMN questions")
    con.execute("COMMIT")
