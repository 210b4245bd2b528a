"""Who a data-subject request is about, and where the store holds their data.

A request names the viewer either by raw platform id and platform — then the pseudonym under every
key of the workspace keyring is searched, so data written before a key rotation is found — or by
one store pseudonym (``v_`` + 20 hex digits), which finds only what was written under that key.

Where a viewer's data can be (:func:`find_holdings`):

* ``events`` — rows whose ``viewer_id`` is one of the pseudonyms, and the ``order.refunded``
  events of that viewer's orders (they carry no ``viewer_id``; the ``order_id`` links them);
* ``quarantine`` — raw text or detail naming a pseudonym, or (by raw id) the raw id as a whole
  token: lines that could not be parsed keep raw ids, and a short numeric id may over-match;
* ``viewer_consent`` — the viewer's consent record (CRM);
* audience export files — files recorded in ``audience_exports`` and still on disk that list a
  pseudonym (the table itself holds no viewer ids);
* ``engine_checkpoints`` — saved live-engine state that mentions a pseudonym;
* ``audit_log`` — entries naming a pseudonym or the :func:`subject_hash` (append-only: reported,
  never deleted).

``sessions`` and the retention aggregates hold counts only, no viewer ids.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import msgspec

from livelens.errors import InvalidInput, StoreError
from livelens.events.schema import PLATFORMS
from livelens.governance.keys import Keyring, pseudonyms_of, store_key_ids
from livelens.store.duckdb import DuckDBStore

_PSEUDONYM: Final = re.compile(r"^v_[0-9a-f]{20}$")
EVENT_MATCH: Final = (
    "viewer_id IN (SELECT unnest($ids)) OR (type = 'order.refunded' AND order_id IN ("
    "SELECT order_id FROM events WHERE type = 'order.paid' AND viewer_id IN (SELECT unnest($ids))))"
)
"""The events of a subject: SQL with one named parameter, ``$ids`` (the pseudonyms)."""


class Subject(msgspec.Struct, frozen=True, kw_only=True):
    """Who a request is about: the pseudonyms to search and the keys they came from."""

    requested_by: Literal["raw_id", "pseudonym"]
    pseudonyms: tuple[str, ...]
    key_ids: tuple[str, ...] = ()
    platform: str | None = None
    raw_id: str | None = None  # searched in unparsed quarantine text; never written out


def is_pseudonym(value: str) -> bool:
    """Whether ``value`` has the shape of a store pseudonym (``v_`` + 20 hex digits)."""
    return _PSEUDONYM.match(value) is not None


def check_pseudonym(value: str) -> str:
    """``value`` when it is a store pseudonym (``v_`` + 20 hex digits); else a clear error."""
    if not is_pseudonym(value):
        msg = (
            f"{value!r} is not a store pseudonym (v_ + 20 hex digits, as `livelens ingest` stores "
            "them); for a platform user id pass --viewer-id with --platform"
        )
        raise InvalidInput(msg)
    return value


def subject_by_raw_id(raw_id: str, platform: str, keyring: Keyring) -> Subject:
    """A request by raw platform id: its pseudonym under every key of ``keyring``."""
    raw_id = raw_id.strip()
    if not raw_id:
        msg = "the viewer id is empty; pass the platform's user id (--viewer-id)"
        raise InvalidInput(msg)
    if platform not in PLATFORMS:
        msg = f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}"
        raise InvalidInput(msg)
    return Subject(
        requested_by="raw_id",
        pseudonyms=tuple(pseudonyms_of(raw_id, keyring, platform=platform)),
        key_ids=keyring.key_ids,
        platform=platform,
        raw_id=raw_id,
    )


def subject_by_pseudonym(pseudonym: str) -> Subject:
    """A request by one store pseudonym (found only under the key that made it)."""
    return Subject(requested_by="pseudonym", pseudonyms=(check_pseudonym(pseudonym.strip()),))


def subject_hash(pseudonyms: Sequence[str]) -> str:
    """A public name for a set of pseudonyms, for audit entries and receipts.

    SHA-256 over the sorted pseudonyms: without the workspace key nobody can compute it from a
    platform id, and the subject, holding the receipt, can find their entries.
    """
    text = "\x00".join(["livelens-subject-v1", *sorted(set(pseudonyms))])
    return "subj_" + hashlib.sha256(text.encode()).hexdigest()[:32]


# -- finding ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class AudienceHit:
    export_id: int
    destination: str
    members: int


@dataclass(slots=True)
class Holdings:
    events: int = 0
    sessions: list[str] = field(default_factory=list)
    quarantine: dict[int, str] = field(default_factory=dict)  # id -> matched_by
    consent: int = 0
    audiences: list[AudienceHit] = field(default_factory=list)
    unreadable_files: list[str] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)
    audit_seqs: list[int] = field(default_factory=list)
    qa_questions: int = 0  # questions in the live Q&A's answer log (livelens.qa.answer_store)

    def counts(self) -> dict[str, int]:
        return {
            "events": self.events,
            "quarantine": len(self.quarantine),
            "viewer_consent": self.consent,
            "audience_files": sum(hit.members for hit in self.audiences),
            "engine_checkpoints": len(self.checkpoints),
            "qa_questions": self.qa_questions,
        }


def existing_tables(store: DuckDBStore) -> set[str]:
    rows = store.con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary")
    return {str(row[0]) for row in rows.fetchall()}


def _token(needle: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![0-9A-Za-z_]){re.escape(needle)}(?![0-9A-Za-z_])")


def quarantine_rows(store: DuckDBStore, subject: Subject) -> list[dict[str, Any]]:
    needles = [*subject.pseudonyms, *([subject.raw_id] if subject.raw_id else [])]
    where = " OR ".join("contains(raw, ?) OR contains(detail, ?)" for _ in needles)
    cursor = store.con.execute(
        "SELECT id, ingested_at, source, location, reason, detail, raw FROM quarantine "  # noqa: S608
        f"WHERE {where} ORDER BY id",
        [n for needle in needles for n in (needle, needle)],
    )
    names = [d[0] for d in cursor.description]
    pseudonyms = [_token(p) for p in subject.pseudonyms]
    raw = _token(subject.raw_id) if subject.raw_id else None
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        text = f"{row['raw']}\n{row['detail']}"
        if any(p.search(text) for p in pseudonyms):
            rows.append(row | {"matched_by": "pseudonym"})
        elif raw is not None and raw.search(text):
            rows.append(row | {"matched_by": "raw_id"})
    return rows


def _audience_members(path: Path, pseudonyms: set[str]) -> int | None:
    """How many of ``pseudonyms`` an audience CSV lists; None when it is not one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or lines[0].strip() != "viewer_id":
        return None
    return sum(line.strip() in pseudonyms for line in lines[1:])


def audience_rows(store: DuckDBStore) -> list[tuple[Any, ...]]:
    return store.con.execute(
        "SELECT export_id, exported_at, exported_by, purpose, segment, destination "
        "FROM audience_exports ORDER BY export_id"
    ).fetchall()


def _audit_needles(subject: Subject) -> list[str]:
    singles = [subject_hash([p]) for p in subject.pseudonyms]
    return list(dict.fromkeys([*subject.pseudonyms, *singles, subject_hash(subject.pseudonyms)]))


def check_store_key(store: DuckDBStore, subject: Subject) -> None:
    """Refuse a raw-id request against a store bound to a key the keyring does not hold.

    Its pseudonyms were made with another workspace's key, so the search would find nothing and
    wrongly answer "nothing held".
    """
    keys = store_key_ids(store)
    if subject.requested_by == "raw_id" and keys and keys[0] not in subject.key_ids:
        msg = (
            f"store {store.path} is bound to key {keys[0]}, which is not one of this workspace's "
            f"keys ({', '.join(subject.key_ids)}): searching it by raw id would find nothing; "
            "pass the workspace that wrote it (--workspace, LIVELENS_HOME)"
        )
        raise StoreError(msg)


def find_holdings(store: DuckDBStore, subject: Subject) -> Holdings:
    """Where ``store`` holds ``subject``'s data (see the module docstring)."""
    found = Holdings()
    ids = {"ids": list(subject.pseudonyms)}
    rows = store.con.execute(
        f"SELECT session_id, count(*) FROM events WHERE {EVENT_MATCH} GROUP BY session_id",  # noqa: S608
        ids,
    ).fetchall()
    found.events = sum(int(n) for _, n in rows)
    found.sessions = sorted(str(s) for s, _ in rows)
    found.quarantine = {row["id"]: row["matched_by"] for row in quarantine_rows(store, subject)}
    tables = existing_tables(store)
    if "viewer_consent" in tables:
        found.consent = int(
            store.con.execute(
                "SELECT count(*) FROM viewer_consent WHERE viewer_id IN (SELECT unnest($ids))", ids
            ).fetchall()[0][0]
        )
    if "audience_exports" in tables:
        wanted = set(subject.pseudonyms)
        for export_id, *_, destination in audience_rows(store):
            members = _audience_members(Path(destination), wanted)
            if members is None:
                found.unreadable_files.append(f"export {export_id}: {destination}")
            elif members:
                found.audiences.append(AudienceHit(int(export_id), str(destination), members))
    if "qa_questions" in tables:
        found.qa_questions = int(
            store.con.execute(
                "SELECT count(*) FROM qa_questions WHERE viewer_id IN (SELECT unnest($ids))", ids
            ).fetchall()[0][0]
        )
    needles = [p.encode() for p in subject.pseudonyms]
    for name, state in store.con.execute("SELECT name, state FROM engine_checkpoints").fetchall():
        if any(needle in bytes(state) for needle in needles):
            found.checkpoints.append(str(name))
    if "audit_log" in tables:
        audit_needles = _audit_needles(subject)
        where = " OR ".join(
            "contains(subject, ?) OR contains(CAST(details AS VARCHAR), ?)" for _ in audit_needles
        )
        found.audit_seqs = [
            int(row[0])
            for row in store.con.execute(
                f"SELECT seq FROM audit_log WHERE {where} ORDER BY seq",  # noqa: S608
                [n for needle in audit_needles for n in (needle, needle)],
            ).fetchall()
        ]
    return found


def holding_notes(store: DuckDBStore, subject: Subject, found: Holdings) -> list[str]:
    """What the search could not cover, in words for the requester."""
    notes = []
    if subject.requested_by == "pseudonym":
        notes.append(
            "searched one pseudonym: data written under the workspace's other keys (before or "
            "after a key rotation) is linked to this viewer only by the raw platform id; request "
            "by --viewer-id and --platform to include it"
        )
    else:
        missing = [k for k in store_key_ids(store) if k not in subject.key_ids]
        if missing:
            notes.append(
                f"the store was also written with key(s) {', '.join(missing)}, which the "
                "workspace keyring lacks: data written under them cannot be found by raw id"
            )
    notes += [
        f"audience {where} is missing or not an audience CSV: whether it lists this viewer "
        "cannot be told here"
        for where in found.unreadable_files
    ]
    if found.audiences:
        notes.append(
            "audience files that listed this viewer may have been sent on: ask each recipient "
            "(see audience_exports) to delete the viewer too"
        )
    notes.append(
        "copies outside this store (source files, Parquet exports, rendered reports, backups) "
        "are not searched"
    )
    return notes
