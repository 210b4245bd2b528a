"""The audit log: an append-only, hash-chained record of every state change.

Every action that changes state — a licence granted or revoked, a persona switch, a price change,
an audience export, a privacy deletion, a token or role change — appends one entry::

    AuditLog(store).append("admin", "token.create", "tok_1a2b", {"role": "operator"}, at=now)

Entry ``n`` stores ``prev_hash`` (the hash of entry ``n - 1``; :data:`GENESIS_HASH` for the first)
and its own ``hash``: SHA-256 over the canonical JSON (msgspec, sorted keys, no whitespace) of
``["livelens-audit-v1", seq, at, actor, action, subject, details, prev_hash]`` with ``at`` in UTC
ISO 8601 to the microsecond. :meth:`AuditLog.verify` walks the chain and names the first entry
that is broken and why:

* ``edited`` — an entry's content no longer matches its own hash;
* ``removed`` — a gap in ``seq``, or an entry whose ``prev_hash`` matches no entry at all;
* ``reordered`` — an entry whose ``prev_hash`` is the hash of another entry than its predecessor;
* ``truncated`` / ``rewritten`` — the log ends before, or differs at, a signed head
  (:class:`AuditAnchor`) exported earlier; ``anchor_invalid`` — that anchor's MAC is wrong.

A chain alone cannot show that its newest entries were cut off; an anchor can. Export one now and
then (``livelens audit anchor``), keep it outside the store, and pass it to ``verify``.

The table lives in the same DuckDB file as the state it describes, so a caller that opened a
transaction commits the state change and its audit entry together. Actions are stable dotted
strings (:data:`ACTIONS` lists the known ones; new ones follow the same shape).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal

import duckdb
import msgspec

from livelens.errors import InvalidInput, StoreError
from livelens.store.duckdb import DuckDBStore

HASH_FORMAT: Final = "livelens-audit-v1"
ANCHOR_FORMAT: Final = "livelens-audit-anchor-v1"
GENESIS_HASH: Final = "0" * 64

ACTIONS: Final = (
    "alert.ack",
    "audience.export",
    "autonomy.set",
    "catalog.update",
    "consent.change",
    "experiment.outcome",
    "licence.grant",
    "licence.revoke",
    "persona.switch",
    "price.change",
    "price.suggestion.accept",
    "privacy.delete",
    "privacy.rebind_key",
    "privacy.retention",
    "recommendation.fate",
    "role.change",
    "token.create",
    "token.revoke",
)
"""Actions known today; an action is any lower-case dotted name such as ``"price.change"``."""

_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_ANCHOR_KEY_LABEL: Final = b"livelens-audit-anchor-v1"

_DDL: Final = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY, "at" TIMESTAMPTZ NOT NULL, actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL, subject VARCHAR NOT NULL, details JSON NOT NULL,
    prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL
)
"""
_COLUMNS: Final = 'seq, "at", actor, action, subject, details, prev_hash, hash'  # AT is a keyword

BreakReason = Literal["edited", "removed", "reordered", "truncated", "rewritten", "anchor_invalid"]


class AuditEntry(msgspec.Struct, frozen=True):
    """One entry of the log, as stored."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditVerification(msgspec.Struct, frozen=True):
    """The result of :meth:`AuditLog.verify`: ``ok``, or the first broken entry and why."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_broken_seq: int | None = None
    reason: BreakReason | None = None
    detail: str = ""


class AuditAnchor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A signed head of the log: entry ``seq`` had ``hash`` when it was exported at ``at``.

    ``mac`` is HMAC-SHA256 (hex) over the canonical JSON of the other fields, keyed with a key
    derived from the workspace key (:func:`anchor_key`).
    """

    seq: int
    hash: str
    at: str
    mac: str
    format: Literal["livelens-audit-anchor-v1"] = "livelens-audit-anchor-v1"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _canonical(value: object) -> bytes:
    return msgspec.json.encode(value, order="sorted")


def entry_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) that entry ``seq`` must carry; see the module docstring."""
    payload = [HASH_FORMAT, seq, _iso(at), actor, action, subject, details, prev_hash]
    return hashlib.sha256(_canonical(payload)).hexdigest()


def anchor_key(workspace_key: bytes) -> bytes:
    """The anchor MAC key: HMAC-SHA256 of a fixed label under the workspace key (never reused)."""
    return hmac.new(workspace_key, _ANCHOR_KEY_LABEL, hashlib.sha256).digest()


def _anchor_mac(seq: int, head_hash: str, at: str, key: bytes) -> str:
    message = _canonical([ANCHOR_FORMAT, seq, head_hash, at])
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def decode_anchor(data: bytes, where: str) -> AuditAnchor:
    """Parse an anchor file's bytes; ``where`` names the file in the error."""
    try:
        return msgspec.json.decode(data, type=AuditAnchor)
    except msgspec.DecodeError as error:  # ValidationError is a DecodeError
        msg = (
            f"{where}: not a livelens audit anchor ({error}); export one with livelens audit anchor"
        )
        raise InvalidInput(msg) from None


def _broken(
    entries: int, head: tuple[int, str], seq: int | None, reason: BreakReason, detail: str
) -> AuditVerification:
    return AuditVerification(False, entries, head[0], head[1], seq, reason, detail)


class AuditLog:
    """The audit log in a :class:`~livelens.store.duckdb.DuckDBStore` (table ``audit_log``).

    Only :meth:`append` writes; nothing here updates or deletes an entry.
    """

    def __init__(self, store: DuckDBStore) -> None:
        self._con = store.con
        self._lock = threading.Lock()
        self._con.execute(_DDL)

    def append(
        self,
        actor: str,
        action: str,
        subject: str,
        details: Mapping[str, Any],
        at: datetime,
    ) -> AuditEntry:
        """Append one entry and return it.

        ``actor`` is who acted (a token id, a user, ``"system"``); ``action`` a dotted name
        (:data:`ACTIONS`); ``subject`` what was acted on (a persona id, a product id);
        ``details`` a JSON object with the rest (old and new values); ``at`` a timezone-aware
        time. Runs inside the caller's transaction when one is open.
        """
        if not _ACTION.match(action):
            msg = f"audit action {action!r} is invalid: use a dotted lower-case name (price.change)"
            raise InvalidInput(msg)
        if not actor:
            msg = f"audit entry for {action!r} has an empty actor; name who acted"
            raise InvalidInput(msg)
        if at.tzinfo is None or at.utcoffset() is None:
            msg = f"audit entry for {action!r}: time {at} has no timezone; pass an aware datetime"
            raise InvalidInput(msg)
        try:
            details_json = _canonical(details)
            stored: dict[str, Any] = msgspec.json.decode(details_json, type=dict[str, Any])
        except (msgspec.EncodeError, msgspec.DecodeError, TypeError) as error:
            msg = f"audit details for {action!r} are not a JSON object: {error}"
            raise InvalidInput(msg) from None
        at = datetime.fromisoformat(_iso(at))  # stored to the microsecond, in UTC
        with self._lock:
            last = self._con.execute(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchall()
            seq, prev_hash = (last[0][0] + 1, last[0][1]) if last else (1, GENESIS_HASH)
            digest = entry_hash(seq, at, actor, action, subject, stored, prev_hash)
            try:
                self._con.execute(
                    f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                    [seq, at, actor, action, subject, details_json.decode(), prev_hash, digest],
                )
            except duckdb.ConstraintException as error:
                msg = (
                    f"audit entry {seq} was written concurrently by another writer; retry ({error})"
                )
                raise StoreError(msg) from None
        return AuditEntry(seq, at, actor, action, subject, stored, prev_hash, digest)

    def entries(self, after_seq: int = 0, limit: int | None = None) -> list[AuditEntry]:
        """Entries with ``seq > after_seq`` in order, at most ``limit`` of them."""
        rows = self._con.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608
            [after_seq, limit if limit is not None else 2**62],
        ).fetchall()
        return [_entry(row) for row in rows]

    def head(self) -> tuple[int, str]:
        """The newest entry's ``(seq, hash)``; ``(0, GENESIS_HASH)`` for an empty log."""
        rows = self._con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        last = rows.fetchall()
        return (int(last[0][0]), str(last[0][1])) if last else (0, GENESIS_HASH)

    def anchor(self, key: bytes, at: datetime) -> AuditAnchor:
        """A signed head of the log as it is now; ``key`` from :func:`anchor_key`."""
        seq, head_hash = self.head()
        stamp = _iso(at)
        return AuditAnchor(seq, head_hash, stamp, _anchor_mac(seq, head_hash, stamp, key))

    def verify(
        self, anchor: AuditAnchor | None = None, key: bytes | None = None
    ) -> AuditVerification:
        """Walk the chain from the first entry; with an ``anchor`` (and its ``key``), also check
        that the log still reaches the anchored head unchanged."""
        entries = self.entries()
        head = (entries[-1].seq, entries[-1].hash) if entries else (0, GENESIS_HASH)
        count = len(entries)
        seq_of_hash = {entry.hash: entry.seq for entry in entries}
        prev_hash = GENESIS_HASH
        for expected, entry in enumerate(entries, start=1):
            if entry.seq != expected:
                detail = f"entries {expected}..{entry.seq - 1} are missing (gap in seq)"
                return _broken(count, head, expected, "removed", detail)
            if entry.prev_hash != prev_hash:
                other = seq_of_hash.get(entry.prev_hash)
                if other is not None and other != entry.seq:
                    detail = (
                        f"entry {entry.seq} follows entry {other} in the chain, "
                        f"not entry {entry.seq - 1}: entries were moved"
                    )
                    return _broken(count, head, entry.seq, "reordered", detail)
                detail = (
                    f"entry {entry.seq}'s prev_hash matches no entry: the entry before it "
                    "was removed or replaced"
                )
                return _broken(count, head, entry.seq, "removed", detail)
            fields = (entry.actor, entry.action, entry.subject, entry.details, entry.prev_hash)
            if entry_hash(entry.seq, entry.at, *fields) != entry.hash:
                detail = (
                    f"entry {entry.seq} ({entry.action}) does not match its hash: it was edited"
                )
                return _broken(count, head, entry.seq, "edited", detail)
            prev_hash = entry.hash
        if anchor is not None:
            return self._check_anchor(anchor, key, entries, head)
        return AuditVerification(True, count, head[0], head[1])

    @staticmethod
    def _check_anchor(
        anchor: AuditAnchor,
        key: bytes | None,
        entries: list[AuditEntry],
        head: tuple[int, str],
    ) -> AuditVerification:
        count = len(entries)
        expected_mac = _anchor_mac(anchor.seq, anchor.hash, anchor.at, key or b"")
        if key is None or not hmac.compare_digest(expected_mac, anchor.mac):
            detail = "the anchor's MAC is wrong: it was altered, or made with another workspace key"
            return _broken(count, head, None, "anchor_invalid", detail)
        if anchor.seq > head[0]:
            detail = (
                f"the anchor from {anchor.at} names entry {anchor.seq}, but the log ends at "
                f"entry {head[0]}: its newest entries were cut off"
            )
            return _broken(count, head, head[0] + 1, "truncated", detail)
        stored = entries[anchor.seq - 1].hash if anchor.seq > 0 else GENESIS_HASH
        if stored != anchor.hash:
            detail = (
                f"entry {anchor.seq}'s hash differs from the anchor from {anchor.at}: "
                "the log was rewritten up to it"
            )
            return _broken(count, head, anchor.seq, "rewritten", detail)
        return AuditVerification(True, count, head[0], head[1])


def _entry(row: tuple[Any, ...]) -> AuditEntry:
    seq, at, actor, action, subject, details, prev_hash, digest = row
    try:
        decoded: dict[str, Any] = msgspec.json.decode(details, type=dict[str, Any])
    except msgspec.DecodeError:  # an edited entry whose details are no object: cannot match
        decoded = {"__unreadable__": str(details)}
    return AuditEntry(seq, at.astimezone(UTC), actor, action, subject, decoded, prev_hash, digest)
