"""Retention: how long personal data stays in the store, and enforcing it.

A :class:`RetentionPolicy` gives, per kind of data, how many days it is kept (``None``: no
limit). :func:`enforce_retention` applies it as of a given time; running it twice changes nothing
the second time. Ages are measured from event time (``ts``) for events, from ingest time for the
quarantine and from the export time for audience files.

==================== =================================================== =========================
rule                 removes                                             keeps
==================== =================================================== =========================
comment_text_days    the ``text`` of older comments (set to ``''``: the  the comment events, so
                     schema keeps comment text a string for every        comment counts, viewer
                     reader)                                             activity and metrics
nickname_days        consented nicknames on older events (NULL)          the events
raw_events_days      every event of a session that ended longer ago      ``sessions`` (span,
                     (whole sessions, so no session is left half)        events, viewers) and
                                                                         ``retained_session_totals``
                                                                         (per type: events, likes,
                                                                         peak online, quantity,
                                                                         amount)
quarantine_raw_days  the raw text of older quarantined records           reason, place, detail,
                     (``[expired]``)                                     fingerprint (dedup)
audience_exports_    older audience export files still on disk (only     the ``audience_exports``
days                 files that are audience CSVs: a ``viewer_id``       record (who, when, why,
                     header and pseudonyms)                              counts, SHA-256)
==================== =================================================== =========================

Expired sessions can no longer be replayed (reports, per-minute metrics); render what you need
before. Engine checkpoints are not expired: removing one makes its pipeline re-read its source
from the start and re-ingest what retention removed. Retention applies to the store only — a
source file ingested again brings its events back.

Like deletion, emptying and deleting rows leaves old bytes in the file's freed blocks until the
store is compacted (:func:`livelens.governance.erasure.compact_store`; ``livelens privacy
enforce`` does it unless told not to).
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Final

import msgspec

from livelens.errors import InvalidInput
from livelens.governance.audit import AuditLog
from livelens.governance.subjects import is_pseudonym
from livelens.store.duckdb import DuckDBStore

Days = Annotated[int, msgspec.Meta(ge=0, le=36_500)]
EXPIRED_RAW: Final = "[expired]"

_TOTALS_DDL: Final = """
CREATE TABLE IF NOT EXISTS retained_session_totals (
    session_id VARCHAR NOT NULL, type VARCHAR NOT NULL, currency VARCHAR, events BIGINT NOT NULL,
    count_sum BIGINT, count_max BIGINT, quantity_sum BIGINT, amount_minor_sum BIGINT,
    expired_at TIMESTAMPTZ NOT NULL)
"""


class RetentionPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Days each kind of personal data is kept; ``None`` keeps it without limit."""

    comment_text_days: Days | None = None
    nickname_days: Days | None = None
    raw_events_days: Days | None = None
    quarantine_raw_days: Days | None = None
    audience_exports_days: Days | None = None


class RetentionReport(msgspec.Struct, frozen=True, kw_only=True):
    """What enforcing a policy removed (or, in a dry run, would remove)."""

    as_of: datetime
    dry_run: bool
    policy: RetentionPolicy
    cutoffs: dict[str, datetime]
    counts: dict[str, int]
    expired_sessions: list[str]
    audit_seq: int | None
    compacted: bool = False


def load_policy(path: Path) -> RetentionPolicy:
    """A policy from a TOML (``.toml``) or JSON file of the policy's fields at the top level."""
    data = path.read_bytes()
    try:
        if path.suffix.lower() == ".toml":
            return msgspec.convert(tomllib.loads(data.decode("utf-8")), RetentionPolicy)
        return msgspec.json.decode(data, type=RetentionPolicy)
    except (msgspec.MsgspecError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        fields = ", ".join(RetentionPolicy.__struct_fields__)
        msg = f"{path}: not a retention policy ({error}); expected days for some of: {fields}"
        raise InvalidInput(msg) from None


def _is_audience_file(path: Path) -> bool:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    return (
        bool(lines)
        and lines[0].strip() == "viewer_id"
        and all(is_pseudonym(line.strip()) for line in lines[1:] if line.strip())
    )


def _count(store: DuckDBStore, sql: str, params: list[object]) -> int:
    return int(store.con.execute(sql, params).fetchall()[0][0])


def _expire_sessions(
    store: DuckDBStore, cutoff: datetime, now: datetime, *, dry_run: bool
) -> tuple[list[str], int]:
    sessions = [
        str(row[0])
        for row in store.con.execute(
            "SELECT session_id FROM events GROUP BY session_id HAVING max(ts) < ? ORDER BY 1",
            [cutoff],
        ).fetchall()
    ]
    if not sessions:
        return [], 0
    events = _count(
        store, "SELECT count(*) FROM events WHERE session_id IN (SELECT unnest(?))", [sessions]
    )
    if dry_run:
        return sessions, events
    store.refresh_sessions(sessions)  # span and counts survive in `sessions`
    store.con.execute(_TOTALS_DDL).fetchall()
    store.con.execute(
        "INSERT INTO retained_session_totals SELECT session_id, type, currency, count(*), "
        "sum(count) FILTER (WHERE type = 'like'), max(count) FILTER (WHERE type <> 'like'), "
        "sum(quantity), sum(amount_minor), ? FROM events "
        "WHERE session_id IN (SELECT unnest(?)) GROUP BY session_id, type, currency",
        [now, sessions],
    ).fetchall()
    store.con.execute(
        "DELETE FROM events WHERE session_id IN (SELECT unnest(?))", [sessions]
    ).fetchall()
    return sessions, events


def _apply(
    store: DuckDBStore, table: str, assignment: str, where: str, cutoff: datetime, *, dry: bool
) -> int:
    """Rows of ``table`` matching ``where`` (one ``?``: the cutoff), updated unless ``dry``."""
    if dry:
        return _count(store, f"SELECT count(*) FROM {table} WHERE {where}", [cutoff])  # noqa: S608
    sql = f"UPDATE {table} SET {assignment} WHERE {where}"  # noqa: S608 - fixed fragments
    return int(store.con.execute(sql, [cutoff]).fetchall()[0][0])


def _old_audience_files(store: DuckDBStore, cutoff: datetime) -> list[Path]:
    tables = store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    if ("audience_exports",) not in tables:
        return []
    rows = store.con.execute(
        "SELECT DISTINCT destination FROM audience_exports WHERE exported_at < ? ORDER BY 1",
        [cutoff],
    ).fetchall()
    return [Path(row[0]) for row in rows if _is_audience_file(Path(row[0]))]


def enforce_retention(
    store: DuckDBStore,
    policy: RetentionPolicy,
    now: datetime,
    *,
    dry_run: bool = False,
    actor: str = "system",
) -> RetentionReport:
    """Apply ``policy`` as of ``now`` in one transaction (audited as ``privacy.retention`` when it
    changed anything); with ``dry_run`` only count. Audience files go after the commit."""
    if now.tzinfo is None:
        msg = f"retention time {now} has no timezone; pass an aware datetime"
        raise InvalidInput(msg)
    cutoffs = {
        name: now - timedelta(days=days)
        for name in RetentionPolicy.__struct_fields__
        if (days := getattr(policy, name)) is not None
    }
    counts: dict[str, int] = {}
    expired: list[str] = []
    files: list[Path] = []
    audit_seq = None
    store.begin()
    try:
        if "comment_text_days" in cutoffs:
            counts["comment_texts_emptied"] = _apply(
                store,
                "events",
                "text = ''",
                "type = 'comment' AND text <> '' AND ts < ?",
                cutoffs["comment_text_days"],
                dry=dry_run,
            )
        if "nickname_days" in cutoffs:
            counts["nicknames_removed"] = _apply(
                store,
                "events",
                "nickname = NULL",
                "nickname IS NOT NULL AND ts < ?",
                cutoffs["nickname_days"],
                dry=dry_run,
            )
        if "raw_events_days" in cutoffs:
            expired, counts["events_deleted"] = _expire_sessions(
                store, cutoffs["raw_events_days"], now, dry_run=dry_run
            )
            counts["sessions_expired"] = len(expired)
        if "quarantine_raw_days" in cutoffs:
            counts["quarantine_raw_removed"] = _apply(
                store,
                "quarantine",
                f"raw = '{EXPIRED_RAW}'",
                f"raw <> '{EXPIRED_RAW}' AND ingested_at < ?",
                cutoffs["quarantine_raw_days"],
                dry=dry_run,
            )
        if "audience_exports_days" in cutoffs:
            files = _old_audience_files(store, cutoffs["audience_exports_days"])
            counts["audience_files_deleted"] = len(files)
        if not dry_run and any(counts.values()):
            details = {
                "counts": counts,
                "policy": msgspec.to_builtins(policy),
                "expired_sessions": expired,
            }
            audit_seq = (
                AuditLog(store).append(actor, "privacy.retention", "store", details, now).seq
            )
        store.commit()
    except BaseException:
        store.rollback()
        raise
    if not dry_run:
        for path in files:
            path.unlink(missing_ok=True)
        store.con.execute("CHECKPOINT").fetchall()
    return RetentionReport(
        as_of=now,
        dry_run=dry_run,
        policy=policy,
        cutoffs=cutoffs,
        counts=counts,
        expired_sessions=expired,
        audit_seq=audit_seq,
    )
