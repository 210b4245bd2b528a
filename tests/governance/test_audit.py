"""The audit log: appends chain, and verify names the first edited, removed or reordered entry."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from livelens.cli import cli
from livelens.errors import InvalidInput, LivelensError
from livelens.governance.audit import (
    GENESIS_HASH,
    AuditAnchor,
    AuditLog,
    anchor_key,
    entry_hash,
)
from livelens.store.duckdb import DuckDBStore

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
KEY = anchor_key(b"k" * 32)

ENTRIES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("admin", "token.create", "tok_1", {"role": "operator", "name": "场控小王"}),
    ("tok_1", "persona.switch", "room-1", {"from": "xiaomei", "to": "ai-host-2"}),
    ("tok_1", "price.change", "sku-9", {"old_minor": 19900, "new_minor": 15900, "cur": "CNY"}),
    ("analyst", "audience.export", "seg-vip", {"rows": 1200, "fields": ["viewer_id"]}),
    ("dpo", "privacy.delete", "viewer:abc", {"events": 37}),
]


def filled(store: DuckDBStore, count: int = len(ENTRIES)) -> AuditLog:
    log = AuditLog(store)
    for i, (actor, action, subject, details) in enumerate(ENTRIES[:count]):
        log.append(actor, action, subject, details, at=T0 + timedelta(minutes=i))
    return log


def rows(store: DuckDBStore) -> list[tuple[Any, ...]]:
    return store.con.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()


def rewrite(store: DuckDBStore, new_rows: list[tuple[Any, ...]]) -> None:
    """Replace the whole table, as someone with write access to the file could."""
    store.con.execute("DELETE FROM audit_log")
    for row in new_rows:
        store.con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(row))


def test_entries_chain_from_genesis(store: DuckDBStore) -> None:
    log = filled(store)
    entries = log.entries()
    assert [entry.seq for entry in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[2].details == ENTRIES[2][3]
    assert entries[1].at == T0 + timedelta(minutes=1)
    assert log.verify().ok
    assert log.verify().head_seq == 5


def test_the_hash_is_sha256_over_the_documented_canonical_json(store: DuckDBStore) -> None:
    at = datetime(2026, 11, 28, 20, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    entry = AuditLog(store).append("admin", "licence.revoke", "lic-7", {"b": 1, "a": "撤销"}, at)
    # An independent encoding: json with sorted keys, no spaces, UTF-8, time in UTC.
    payload = [
        "livelens-audit-v1",
        1,
        "2026-11-28T12:00:00.123456+00:00",
        "admin",
        "licence.revoke",
        "lic-7",
        {"a": "撤销", "b": 1},
        GENESIS_HASH,
    ]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.hash == hashlib.sha256(text.encode()).hexdigest()
    assert entry.at == at


def test_the_log_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.duckdb"
    with DuckDBStore(path) as store:
        filled(store, 3)
    with DuckDBStore(path) as store:
        log = AuditLog(store)
        assert log.verify().ok
        assert log.append("admin", "token.revoke", "tok_1", {}, T0).seq == 4
        assert log.verify().entries == 4


def test_an_empty_log_verifies(store: DuckDBStore) -> None:
    result = AuditLog(store).verify()
    assert (result.ok, result.entries, result.head_seq, result.head_hash) == (
        True,
        0,
        0,
        GENESIS_HASH,
    )


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("at", T0 + timedelta(days=1)),
        ("actor", "someone-else"),
        ("action", "price.restore"),
        ("subject", "sku-10"),
        ("details", '{"old_minor": 19900, "new_minor": 1, "cur": "CNY"}'),
    ],
)
def test_an_edited_entry_is_named(store: DuckDBStore, column: str, value: object) -> None:
    log = filled(store)
    store.con.execute(f'UPDATE audit_log SET "{column}" = ? WHERE seq = 3', [value])  # noqa: S608
    result = log.verify()
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 3, "edited")


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(store: DuckDBStore) -> None:
    log = filled(store)
    entry = log.entries()[2]
    forged = {**entry.details, "new_minor": 1}
    digest = entry_hash(
        3, entry.at, entry.actor, entry.action, entry.subject, forged, entry.prev_hash
    )
    store.con.execute(
        "UPDATE audit_log SET details = ?, hash = ? WHERE seq = 3", [json.dumps(forged), digest]
    )
    result = log.verify()
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 4, "removed")


def test_a_removed_entry_is_a_gap(store: DuckDBStore) -> None:
    log = filled(store)
    store.con.execute("DELETE FROM audit_log WHERE seq = 2")
    result = log.verify()
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 2, "removed")
    assert "missing" in result.detail


def test_a_removed_first_entry_is_caught(store: DuckDBStore) -> None:
    log = filled(store)
    store.con.execute("DELETE FROM audit_log WHERE seq = 1")
    assert (log.verify().first_broken_seq, log.verify().reason) == (1, "removed")


def test_a_removed_and_renumbered_entry_breaks_the_chain(store: DuckDBStore) -> None:
    log = filled(store)
    kept = [row for row in rows(store) if row[0] != 2]
    rewrite(store, [(seq, *row[1:]) for seq, row in enumerate(kept, start=1)])
    result = log.verify()
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 2, "removed")


def test_swapped_entries_are_reordered(store: DuckDBStore) -> None:
    log = filled(store)
    old = rows(store)
    swapped = [old[0], (2, *old[2][1:]), (3, *old[1][1:]), *old[3:]]
    rewrite(store, swapped)
    result = log.verify()
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 2, "reordered")


def test_a_cut_tail_needs_an_anchor(store: DuckDBStore) -> None:
    log = filled(store)
    anchor = log.anchor(KEY, T0 + timedelta(hours=1))
    store.con.execute("DELETE FROM audit_log WHERE seq >= 4")
    assert log.verify().ok, "a chain alone cannot see its cut-off end"
    result = log.verify(anchor, KEY)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 4, "truncated")


def test_a_log_rewritten_past_the_anchor_is_caught(store: DuckDBStore) -> None:
    log = filled(store, 3)
    anchor = log.anchor(KEY, T0 + timedelta(hours=1))
    store.con.execute("DELETE FROM audit_log")
    for actor, action, subject, details in ENTRIES:  # a fresh, self-consistent chain
        log.append(actor, action, subject, {**details, "forged": True}, T0)
    assert log.verify().ok
    result = log.verify(anchor, KEY)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 3, "rewritten")


def test_an_anchor_that_still_matches_verifies(store: DuckDBStore) -> None:
    log = filled(store, 2)
    anchor = log.anchor(KEY, T0)
    filled_more = log.append("admin", "role.change", "tok_1", {"role": "admin"}, T0)
    result = log.verify(anchor, KEY)
    assert result.ok
    assert result.head_seq == filled_more.seq == 3


@pytest.mark.parametrize("key", [b"another-workspace-key", None])
def test_a_forged_or_unkeyed_anchor_is_invalid(store: DuckDBStore, key: bytes | None) -> None:
    log = filled(store)
    anchor = log.anchor(KEY, T0)
    forged = AuditAnchor(2, log.entries()[1].hash, anchor.at, anchor.mac)
    assert log.verify(forged, KEY).reason == "anchor_invalid"
    other = anchor_key(key) if key else None
    assert log.verify(anchor, other).reason == "anchor_invalid"


@pytest.mark.parametrize(
    ("actor", "action", "details", "at", "message"),
    [
        ("admin", "PriceChange", {}, T0, "dotted lower-case"),
        ("admin", "price", {}, T0, "dotted lower-case"),
        ("", "price.change", {}, T0, "empty actor"),
        ("admin", "price.change", {}, datetime(2026, 1, 1), "no timezone"),  # noqa: DTZ001
        ("admin", "price.change", {"when": object()}, T0, "not a JSON object"),
    ],
)
def test_bad_appends_are_refused(
    store: DuckDBStore,
    actor: str,
    action: str,
    details: dict[str, Any],
    at: datetime,
    message: str,
) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        AuditLog(store).append(actor, action, "x", details, at)
    assert isinstance(raised.value, LivelensError)
    assert AuditLog(store).entries() == []


# --- the command line ---------------------------------------------------------------------


def test_cli_log_and_verify(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as store:
        filled(store)
    runner = CliRunner()
    listed = runner.invoke(cli, ["audit", "log", "--db", str(db)])
    assert listed.exit_code == 0
    assert len(listed.output.splitlines()) == 5
    assert "price.change" in listed.output.splitlines()[2]
    as_json = runner.invoke(cli, ["audit", "log", "--db", str(db), "--json", "--limit", "1"])
    assert json.loads(as_json.output)["action"] == "token.create"
    verified = runner.invoke(cli, ["audit", "verify", "--db", str(db)])
    assert verified.exit_code == 0
    assert json.loads(verified.output) == {
        "ok": True,
        "entries": 5,
        "head_seq": 5,
        "head_hash": json.loads(listed_head(runner, db))["hash"],
        "first_broken_seq": None,
        "reason": None,
        "detail": "",
    }


def listed_head(runner: CliRunner, db: Path) -> str:
    return runner.invoke(cli, ["audit", "log", "--db", str(db), "--json", "--after", "4"]).output


def test_cli_verify_exits_1_on_a_broken_chain(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as store:
        filled(store)
        store.con.execute("UPDATE audit_log SET subject = 'sku-0' WHERE seq = 3")
    result = CliRunner().invoke(cli, ["audit", "verify", "--db", str(db)])
    assert result.exit_code == 1
    assert json.loads(result.output)["first_broken_seq"] == 3
    assert json.loads(result.output)["reason"] == "edited"


def test_cli_anchor_catches_a_cut_tail(tmp_path: Path) -> None:
    db, anchor = tmp_path / "s.duckdb", tmp_path / "head.json"
    with DuckDBStore(db) as store:
        filled(store)
    runner = CliRunner()
    made = runner.invoke(cli, ["audit", "anchor", "--db", str(db), "--out", str(anchor)])
    assert made.exit_code == 0, made.output
    args = ["audit", "verify", "--db", str(db), "--anchor", str(anchor)]
    assert runner.invoke(cli, args).exit_code == 0
    with DuckDBStore(db) as store:
        store.con.execute("DELETE FROM audit_log WHERE seq = 5")
    assert runner.invoke(cli, ["audit", "verify", "--db", str(db)]).exit_code == 0
    cut = runner.invoke(cli, args)
    assert cut.exit_code == 1
    assert json.loads(cut.output)["reason"] == "truncated"


def test_cli_refuses_a_missing_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["audit", "verify", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert not (tmp_path / "none.duckdb").exists()
