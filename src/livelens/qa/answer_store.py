"""The answer log in the store: table ``qa_answers``, one row per answer or escalation.

:class:`DuckDBAnswerLog` implements :class:`livelens.qa.queue.AnswerLog` on a DuckDB connection
(``DuckDBStore.con``). A record changes while its merge window is open (askers join) and when the
operator acts, so writes are buffered by ``answer_id`` and upserted in batches
(:meth:`DuckDBAnswerLog.flush`; reading flushes first). Question texts are stored as the
answerer kept them: redacted.
"""

from __future__ import annotations

import itertools
from typing import Any, Final

import msgspec
import pyarrow as pa

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
    askers INTEGER NOT NULL,
    questions JSON NOT NULL
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
    "questions",
)
_FLUSH_AT: Final = 512
_questions_type = list[Question]


class DuckDBAnswerLog:
    def __init__(self, con: Any, room_id: str = "room", *, flush_at: int = _FLUSH_AT) -> None:
        self.con = con
        self.room_id = room_id
        self.flush_at = flush_at
        self._dirty: dict[str, AnswerRecord] = {}
        self._seq: dict[str, int] = {}  # answer_id -> order of first write, for this log's records
        con.execute(_DDL)
        (last,) = con.execute("SELECT coalesce(max(seq), 0) FROM qa_answers").fetchone()
        self._next = itertools.count(int(last) + 1)

    def write(self, record: AnswerRecord) -> None:
        if record.answer_id not in self._seq:
            self._seq[record.answer_id] = next(self._next)
        self._dirty[record.answer_id] = record
        if len(self._dirty) >= self.flush_at:
            self.flush()

    def flush(self) -> None:
        if not self._dirty:
            return
        rows = [self._row(record) for record in self._dirty.values()]
        # one Arrow batch, not executemany (which runs the statement once per row)
        qa_incoming = pa.table(_arrays(rows))  # noqa: F841 - the SQL reads it by name (replacement scan)
        names = ", ".join(_COLUMNS)
        self.con.execute(
            f"INSERT OR REPLACE INTO qa_answers ({names}) SELECT {names} FROM qa_incoming"  # noqa: S608
        ).fetchall()
        self._dirty.clear()

    def get(self, answer_id: str) -> AnswerRecord | None:
        if answer_id in self._dirty:
            return self._dirty[answer_id]
        rows = self.con.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM qa_answers WHERE answer_id = ?",  # noqa: S608
            [answer_id],
        ).fetchall()
        return _record(rows[0]) if rows else None

    def records(self) -> list[AnswerRecord]:
        self.flush()
        rows = self.con.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM qa_answers WHERE room_id = ? "  # noqa: S608
            "ORDER BY seq",
            [self.room_id],
        ).fetchall()
        return [_record(row) for row in rows]

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
            msgspec.json.encode(record.questions).decode(),
        )


_TYPES: Final = (
    pa.string(), pa.int64(), pa.string(), pa.int64(), pa.string(), pa.string(), pa.string(),
    pa.string(), pa.string(), pa.string(), pa.string(), pa.int64(), pa.string(), pa.string(),
    pa.bool_(), pa.string(), pa.string(), pa.int64(), pa.string(), pa.int32(), pa.string(),
)  # fmt: skip


def _arrays(rows: list[tuple[Any, ...]]) -> dict[str, pa.Array]:
    columns = zip(*rows, strict=True)
    return {
        name: pa.array(values, type=kind)
        for name, values, kind in zip(_COLUMNS, columns, _TYPES, strict=True)
    }


def _record(row: tuple[Any, ...]) -> AnswerRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    values.pop("seq")
    values.pop("room_id")
    values.pop("askers")
    values["facts"] = msgspec.json.decode(values["facts"], type=dict[str, str])
    values["questions"] = msgspec.json.decode(values["questions"], type=_questions_type)
    return msgspec.convert(values, AnswerRecord)
