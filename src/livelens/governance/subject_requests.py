"""Data-subject requests: export everything held about one viewer, or delete it everywhere.

What is searched is :mod:`livelens.governance.subjects`. :func:`export_subject` returns it all as
one JSON-ready dict. :func:`delete_subject` removes it:

* events, quarantined records, the consent record and engine checkpoints are deleted (a pipeline
  whose checkpoint is deleted restarts from scratch); the sessions the events were in get their
  counts refreshed;
* the viewer's questions in the live Q&A's answer log (``qa_questions``, texts already redacted)
  are deleted and the answers they got recount their askers; the answers themselves stay (they
  hold catalog facts, not the viewer);
* audience export files are rewritten without the viewer's lines (recipients who already got a
  file must be asked to delete the viewer too; the receipt names the files);
* audit entries stay: the log is append-only, and the receipt counts them as retained.

Deletion runs in one transaction, re-queries every place before committing (the receipt's
``verification``), appends one ``privacy.delete`` audit entry whose subject is
:func:`~livelens.governance.subjects.subject_hash` (never a pseudonym or raw id), commits and runs
a DuckDB ``CHECKPOINT``. A checkpoint makes the deletion durable and empties the write-ahead log,
but DuckDB (2.0.1, measured) leaves deleted and overwritten values in the file's freed blocks; only
rewriting the file removes them (:func:`livelens.governance.erasure.compact_store`, which
``livelens privacy delete`` runs unless told not to; the receipt says which happened).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

import msgspec

from livelens.events.columns import EVENTS_SCHEMA
from livelens.governance.audit import AuditLog
from livelens.governance.subjects import (
    EVENT_MATCH,
    AudienceHit,
    Holdings,
    Subject,
    audience_rows,
    check_store_key,
    existing_tables,
    find_holdings,
    holding_notes,
    quarantine_rows,
    subject_hash,
)
from livelens.store.duckdb import DuckDBStore

EXPORT_FORMAT: Final = "livelens-subject-export-v1"
RECEIPT_FORMAT: Final = "livelens-deletion-receipt-v1"
PLACES: Final = (
    "events", "quarantine", "viewer_consent", "audience_files", "engine_checkpoints", "qa_questions"
)  # fmt: skip
LOGICAL_ERASURE: Final = (
    "rows deleted and CHECKPOINT run: queries and the write-ahead log no longer hold them, but "
    "freed blocks of the database file may still hold the old bytes until it is compacted"
)
PHYSICAL_ERASURE: Final = (
    "rows deleted, CHECKPOINT run and the database file rewritten (compacted) from the remaining "
    "data: the old file with its freed blocks was replaced"
)

# -- export ----------------------------------------------------------------------------------------


def _builtins(value: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = msgspec.to_builtins(value)
    return converted


def export_subject(store: DuckDBStore, subject: Subject, *, now: datetime) -> dict[str, Any]:
    """Everything the store holds about ``subject``, as a JSON-ready dict.

    An unknown viewer gets an export with ``found: false`` and empty lists: "we hold nothing about
    you" is itself the answer to an access request.
    """
    check_store_key(store, subject)
    found = find_holdings(store, subject)
    ids = {"ids": list(subject.pseudonyms)}
    columns = ", ".join(f'"{name}"' for name in EVENTS_SCHEMA.names)
    events = store.con.sql(
        f"SELECT {columns} FROM events WHERE {EVENT_MATCH} ORDER BY ts, event_id",  # noqa: S608
        params=ids,
    ).to_arrow_table()
    quarantine = quarantine_rows(store, subject)
    tables = existing_tables(store)
    consent: list[dict[str, Any]] = []
    if "viewer_consent" in tables:
        cursor = store.con.execute(
            "SELECT * FROM viewer_consent WHERE viewer_id IN (SELECT unnest($ids))", ids
        )
        names = [d[0] for d in cursor.description]
        consent = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    audiences = []
    if found.audiences:
        hits = {hit.export_id for hit in found.audiences}
        for export_id, exported_at, by, purpose, segment, destination in audience_rows(store):
            if export_id in hits:
                audiences.append(
                    {
                        "export_id": export_id,
                        "exported_at": exported_at,
                        "exported_by": by,
                        "purpose": purpose,
                        "segment": segment,
                        "destination": destination,
                    }
                )
    checkpoints = [
        {"name": name, "written_at": written_at}
        for name, written_at in store.con.execute(
            "SELECT name, written_at FROM engine_checkpoints WHERE name IN (SELECT unnest(?)) "
            "ORDER BY name",
            [found.checkpoints],
        ).fetchall()
    ]
    questions: list[dict[str, Any]] = []
    if found.qa_questions:
        cursor = store.con.execute(
            "SELECT q.question_id, q.ts_ms, q.text, q.room_id AS session_id, a.status, a.answer, "
            "a.operator_answer FROM qa_questions q LEFT JOIN qa_answers a USING (answer_id) "
            "WHERE q.viewer_id IN (SELECT unnest($ids)) ORDER BY q.ts_ms, q.question_id",
            ids,
        )
        names = [d[0] for d in cursor.description]
        questions = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    seqs = set(found.audit_seqs)
    audit = [entry for entry in AuditLog(store).entries() if entry.seq in seqs] if seqs else []
    counts = found.counts() | {"audit_log": len(found.audit_seqs)}
    return _builtins(
        {
            "format": EXPORT_FORMAT,
            "generated_at": now,
            "request": {"requested_by": subject.requested_by, "platform": subject.platform},
            "subject_hash": subject_hash(subject.pseudonyms),
            "key_ids_searched": list(subject.key_ids),
            "pseudonyms": list(subject.pseudonyms),
            "found": any(counts.values()),
            "counts": counts,
            "events": [
                {k: v for k, v in row.items() if v is not None} for row in events.to_pylist()
            ],
            "quarantine": quarantine,
            "consent": consent,
            "audience_exports": audiences,
            "engine_checkpoints": checkpoints,
            "qa_questions": questions,
            "audit_log": audit,
            "notes": holding_notes(store, subject, found),
        }
    )


# -- deletion --------------------------------------------------------------------------------------


class AudienceFileChange(msgspec.Struct, frozen=True):
    """An audience export file the viewer was removed from."""

    export_id: int
    destination: str
    removed: int
    sha256_before: str
    sha256_after: str


class Verification(msgspec.Struct, frozen=True):
    """What a re-query found after the deletion, per place: all zero when ``ok``."""

    ok: bool
    remaining: dict[str, int]


class DeletionReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """What a deletion did; written for the requester and kept as evidence (no raw id in it)."""

    request_id: str
    at: datetime
    subject_hash: str
    requested_by: Literal["raw_id", "pseudonym"]
    platform: str | None
    key_ids_searched: list[str]
    pseudonyms_searched: list[str]
    deleted: dict[str, int]
    sessions_refreshed: list[str]
    audience_files: list[AudienceFileChange]
    retained: dict[str, int]
    verification: Verification
    audit_seq: int
    audit_hash: str
    checkpoint: bool
    compacted: bool
    erasure: str
    notes: list[str]
    format: str = RECEIPT_FORMAT


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _remove_from_audience(hit: AudienceHit, pseudonyms: set[str]) -> AudienceFileChange:
    path = Path(hit.destination)
    before = path.read_bytes()
    lines = before.decode("utf-8").splitlines(keepends=True)
    kept = [lines[0], *(line for line in lines[1:] if line.strip() not in pseudonyms)]
    after = "".join(kept).encode("utf-8")
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    partial.write_bytes(after)
    os.replace(partial, path)
    removed = len(lines) - len(kept)
    return AudienceFileChange(
        hit.export_id, hit.destination, removed, _sha256(before), _sha256(after)
    )


def _delete_rows(store: DuckDBStore, subject: Subject, found: Holdings) -> dict[str, int]:
    ids = {"ids": list(subject.pseudonyms)}
    con = store.con
    deleted = {place: 0 for place in PLACES}
    deleted["events"] = int(
        con.execute(f"DELETE FROM events WHERE {EVENT_MATCH}", ids).fetchall()[0][0]  # noqa: S608
    )
    store.refresh_sessions(found.sessions)
    if found.quarantine:
        deleted["quarantine"] = int(
            con.execute(
                "DELETE FROM quarantine WHERE id IN (SELECT unnest(?))", [list(found.quarantine)]
            ).fetchall()[0][0]
        )
    if found.consent:
        deleted["viewer_consent"] = int(
            con.execute(
                "DELETE FROM viewer_consent WHERE viewer_id IN (SELECT unnest($ids))", ids
            ).fetchall()[0][0]
        )
    if found.checkpoints:
        deleted["engine_checkpoints"] = int(
            con.execute(
                "DELETE FROM engine_checkpoints WHERE name IN (SELECT unnest(?))",
                [found.checkpoints],
            ).fetchall()[0][0]
        )
    if found.qa_questions:
        answered = con.execute(
            "DELETE FROM qa_questions WHERE viewer_id IN (SELECT unnest($ids)) RETURNING answer_id",
            ids,
        ).fetchall()
        deleted["qa_questions"] = len(answered)
        con.execute(
            "UPDATE qa_answers SET askers = (SELECT count(*) FROM qa_questions q "
            "WHERE q.answer_id = qa_answers.answer_id) WHERE answer_id IN (SELECT unnest(?))",
            [sorted({answer_id for (answer_id,) in answered})],
        ).fetchall()
    return deleted


def delete_subject(
    store: DuckDBStore,
    subject: Subject,
    *,
    now: datetime,
    actor: str,
    request_id: str | None = None,
) -> DeletionReceipt:
    """Delete everything held about ``subject`` (see the module docstring); return the receipt.

    Audience files are rewritten first (outside the transaction: rerunning finishes an interrupted
    request), then the store's rows are deleted, re-queried and audited in one transaction.
    """
    request_id = request_id or f"dsr_{secrets.token_hex(8)}"
    check_store_key(store, subject)
    found = find_holdings(store, subject)
    wanted = set(subject.pseudonyms)
    changes = [_remove_from_audience(hit, wanted) for hit in found.audiences]
    notes = holding_notes(store, subject, found)
    store.begin()
    try:
        deleted = _delete_rows(store, subject, found)
        deleted["audience_files"] = sum(change.removed for change in changes)
        after = find_holdings(store, subject)
        remaining = after.counts()
        verification = Verification(not any(remaining.values()), remaining)
        details = {
            "request_id": request_id,
            "requested_by": subject.requested_by,
            "key_ids": list(subject.key_ids),
            "deleted": deleted,
            "verified": verification.ok,
        }
        entry = AuditLog(store).append(
            actor, "privacy.delete", subject_hash(subject.pseudonyms), details, at=now
        )
        store.commit()
    except BaseException:
        store.rollback()
        raise
    store.con.execute("CHECKPOINT").fetchall()
    return DeletionReceipt(
        request_id=request_id,
        at=entry.at,
        subject_hash=subject_hash(subject.pseudonyms),
        requested_by=subject.requested_by,
        platform=subject.platform,
        key_ids_searched=list(subject.key_ids),
        pseudonyms_searched=list(subject.pseudonyms),
        deleted=deleted,
        sessions_refreshed=found.sessions,
        audience_files=changes,
        retained={"audit_log": len(found.audit_seqs)},
        verification=verification,
        audit_seq=entry.seq,
        audit_hash=entry.hash,
        checkpoint=True,
        compacted=False,
        erasure=LOGICAL_ERASURE,
        notes=notes,
    )


def mark_compacted(receipt: DeletionReceipt) -> DeletionReceipt:
    """The receipt once the store file was rewritten (:mod:`livelens.governance.erasure`)."""
    return msgspec.structs.replace(receipt, compacted=True, erasure=PHYSICAL_ERASURE)
