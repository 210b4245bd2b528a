"""Privacy controls: key rotation, consent, retention and data-subject requests on a real store."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from livelens.cli import EXIT_QUARANTINED, cli
from livelens.crm.audiences import export_audience
from livelens.crm.rfm import compute_rfm
from livelens.crm.segments import SEGMENTS
from livelens.crm.store_orders import read_store_transactions
from livelens.crm.summary import summarise
from livelens.engine.live import LiveEngine
from livelens.errors import ConfigurationError, InvalidInput, StoreError
from livelens.events.pseudonymise import Pseudonymiser, load_or_create_key
from livelens.governance.audit import AuditLog
from livelens.governance.erasure import compact_store
from livelens.governance.keys import (
    load_keyring,
    pseudonyms_of,
    rebind_store,
    retired_dir,
    rotate_key,
    store_key_ids,
)
from livelens.governance.retention import RetentionPolicy, enforce_retention, load_policy
from livelens.governance.subject_requests import delete_subject, export_subject, mark_compacted
from livelens.governance.subjects import subject_by_pseudonym, subject_by_raw_id, subject_hash
from livelens.governance.viewer_consent import (
    allowed_viewers,
    allows,
    consent_of,
    parse_scopes,
    set_consent,
)
from livelens.information.compute import compute_session_metrics
from livelens.information.metrics import SessionMetrics
from livelens.ingest import ingest
from livelens.qa.answer_store import DuckDBAnswerLog
from livelens.qa.records import AnswerRecord, Question
from livelens.settings import Settings, load_settings
from livelens.sources.jsonl import JsonLinesFile
from livelens.store.duckdb import DuckDBStore
from livelens.testing import T0, event_record, jsonl

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
# raw platform ids on douyin; letters outside hex, so no pseudonym or hash in the output can
# contain them by chance (a bare "1001" turned up inside a random hex digest once)
ALICE, BOB = "uid-alice-1001", "uid-bob-1002"


def _session(session_id: str, start: datetime) -> list[dict[str, Any]]:
    """Alice and Bob in one session: joins, comments, a like, orders; Alice's first is refunded."""

    def rec(kind: str, seconds: int, name: str, **fields: Any) -> dict[str, Any]:
        at = (start + timedelta(seconds=seconds)).isoformat()
        return event_record(
            kind, event_id=f"{session_id}-{name}", session_id=session_id, ts=at, **fields
        )

    order = f"o-{session_id}"
    return [
        rec("host.product_pin", 0, "pin"),
        rec("viewer.join", 1, "j1", viewer_id=ALICE),
        rec("viewer.join", 2, "j2", viewer_id=BOB),
        rec("comment", 60, "c1", viewer_id=ALICE, text="有S码吗？"),
        rec("comment", 70, "c2", viewer_id=BOB, text="多少钱"),
        rec("comment", 80, "c3", viewer_id=ALICE, text="好看"),
        rec("like", 90, "l1", viewer_id=BOB, count=7),
        rec("order.paid", 120, "o1", viewer_id=ALICE, order_id=order),
        rec("order.paid", 125, "o2", viewer_id=BOB, order_id=f"{order}-bob"),
        rec("order.paid", 130, "o3", viewer_id=ALICE, order_id=f"{order}-2"),
        rec("order.refunded", 180, "r1", order_id=order),
    ]


@pytest.fixture
def settings() -> Settings:
    return load_settings()  # LIVELENS_HOME is per test (tests/conftest.py)


@pytest.fixture
def put(tmp_path: Path, settings: Settings) -> Callable[..., None]:
    """Ingest records (and extra raw lines) into a store with the workspace's current key."""
    files = iter(range(1000))

    def put(store: DuckDBStore, records: list[dict[str, Any]], extra: bytes = b"") -> None:
        path = tmp_path / f"batch-{next(files)}.jsonl"
        path.write_bytes(jsonl(records) + extra)
        key = Pseudonymiser(load_or_create_key(settings.key_path))
        ingest([JsonLinesFile(path)], store, key, now=NOW)

    return put


def _count(store: DuckDBStore, sql: str, params: list[Any] | None = None) -> int:
    return int(store.con.execute(sql, params).fetchall()[0][0])


def _viewer_events(store: DuckDBStore, pseudonym: str) -> int:
    return _count(store, "SELECT count(*) FROM events WHERE viewer_id = ?", [pseudonym])


# -- keys ------------------------------------------------------------------------------------------


def test_rotation_keeps_old_pseudonyms_resolvable(
    store: DuckDBStore, settings: Settings, put: Callable[..., None]
) -> None:
    put(store, _session("s1", T0))
    first = load_keyring(settings)
    old_alice = first.current.pseudonym("douyin", ALICE)

    new_id = rotate_key(settings, NOW)
    keyring = load_keyring(settings)
    assert keyring.key_ids == (new_id, first.current.key_id)
    archived = retired_dir(settings) / f"{first.current.key_id}.key"
    assert stat.S_IMODE(archived.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.key_path.stat().st_mode) == 0o600
    with pytest.raises(StoreError, match="was pseudonymised with key"):
        put(store, _session("s2", T0 + timedelta(hours=2)))  # not rebound yet: refused
    assert rebind_store(store, keyring) == first.current.key_id
    put(store, _session("s2", T0 + timedelta(hours=2)))
    new_alice = keyring.current.pseudonym("douyin", ALICE)
    assert new_alice != old_alice  # linked only by the raw id
    assert store_key_ids(store) == [new_id, first.current.key_id]

    assert pseudonyms_of(ALICE, keyring, platform="douyin") == [new_alice, old_alice]
    export = export_subject(store, subject_by_raw_id(ALICE, "douyin", keyring), now=NOW)
    assert {e["session_id"] for e in export["events"]} == {"s1", "s2"}
    assert export["counts"]["events"] == 2 * 6  # join, 2 comments, 2 orders, refund per session
    by_pseudonym = export_subject(store, subject_by_pseudonym(old_alice), now=NOW)
    assert {e["session_id"] for e in by_pseudonym["events"]} == {"s1"}
    assert "linked to this viewer only by the raw platform id" in by_pseudonym["notes"][0]


def test_second_rotation_keeps_every_key_newest_first(settings: Settings) -> None:
    with pytest.raises(ConfigurationError, match="nothing to rotate"):
        rotate_key(settings, NOW)
    original = Pseudonymiser(load_or_create_key(settings.key_path)).key_id
    second = rotate_key(settings, NOW)
    third = rotate_key(settings, NOW + timedelta(days=1))
    assert load_keyring(settings).key_ids == (third, second, original)


def test_a_tampered_archive_and_a_foreign_store_are_refused(
    store: DuckDBStore, settings: Settings, tmp_path: Path
) -> None:
    load_or_create_key(settings.key_path)
    rotate_key(settings, NOW)
    other = Settings(home=tmp_path / "elsewhere")
    load_or_create_key(other.key_path)
    store.bind_key(load_keyring(other).current.key_id)
    with pytest.raises(StoreError, match="not one of workspace 'default'"):
        rebind_store(store, load_keyring(settings))
    subject = subject_by_raw_id(ALICE, "douyin", load_keyring(settings))
    with pytest.raises(StoreError, match="would find nothing"):
        export_subject(store, subject, now=NOW)  # not a wrong "nothing held"
    archived = next(retired_dir(settings).glob("*.key"))
    archived.rename(archived.with_name("0123456789ab.key"))
    with pytest.raises(ConfigurationError, match="not its file name"):
        load_keyring(settings)


# -- consent ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "analytics", "marketing", "personalisation"),
    [
        (None, False, False, False),  # no record: nothing (privacy by default)
        (set(), False, False, False),
        ({"analytics"}, True, False, False),
        ({"analytics", "marketing", "personalisation"}, True, True, True),
        ({"analytics", "marketing", "non_personalised"}, True, False, False),
        ({"personalisation"}, False, False, True),
    ],
)
def test_what_consent_allows(
    scopes: set[str] | None, analytics: bool, marketing: bool, personalisation: bool
) -> None:
    got = [allows(scopes, use) for use in ("analytics", "marketing", "personalisation")]
    assert got == [analytics, marketing, personalisation]


def test_set_consent_is_audited_without_the_pseudonym(store: DuckDBStore) -> None:
    viewer, other = "v_" + "a" * 20, "v_" + "b" * 20
    first = set_consent(store, viewer, frozenset({"marketing"}), at=NOW, actor="dpo", source="t")
    change = set_consent(
        store, viewer, parse_scopes("analytics, non_personalised"), at=NOW, actor="dpo", source="t"
    )
    set_consent(store, other, parse_scopes("personalisation"), at=NOW, actor="dpo", source="t")
    assert (first.previous, change.previous) == (None, ["marketing"])
    assert consent_of(store, viewer) == {"analytics", "non_personalised"}
    assert consent_of(store, "v_" + "c" * 20) is None
    assert change.allows == {"analytics": True, "marketing": False, "personalisation": False}
    assert allowed_viewers(store, [viewer, other, "v_" + "c" * 20], "personalisation") == [other]
    entries = AuditLog(store).entries()
    assert [e.action for e in entries] == ["consent.change"] * 3
    assert entries[1].subject == subject_hash([viewer])
    assert viewer not in json.dumps([e.subject for e in entries] + [e.details for e in entries])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("marketing,spam", r"unknown consent scope\(s\) \['spam'\]"),
        ("personalisation;non_personalised", "contradict each other"),
    ],
)
def test_bad_scopes_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_scopes(text)


def test_consent_needs_a_pseudonym(store: DuckDBStore) -> None:
    with pytest.raises(InvalidInput, match="is not a store pseudonym"):
        set_consent(store, ALICE, frozenset(), at=NOW, actor="dpo", source="t")


# -- retention -------------------------------------------------------------------------------------


def _metrics(store: DuckDBStore, session_id: str) -> SessionMetrics:
    return compute_session_metrics(store.events(session_id))


def test_retention_empties_old_comment_text_and_keeps_the_counts(
    store: DuckDBStore, put: Callable[..., None]
) -> None:
    put(store, _session("old", T0) + _session("recent", NOW - timedelta(days=2)))
    before = _metrics(store, "old")
    policy = RetentionPolicy(comment_text_days=7)

    dry = enforce_retention(store, policy, NOW, dry_run=True)
    assert dry.counts == {"comment_texts_emptied": 3}
    assert _count(store, "SELECT count(*) FROM events WHERE text = ''") == 0

    report = enforce_retention(store, policy, NOW)
    assert report.counts == {"comment_texts_emptied": 3}
    texts = store.con.execute(
        "SELECT session_id, list(text ORDER BY event_id) FROM events WHERE type = 'comment' "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert texts == [("old", ["", "", ""]), ("recent", ["有S码吗？", "多少钱", "好看"])]
    after = _metrics(store, "old")
    assert after == before  # every metric, the per-minute comment counts included
    assert (after.totals.comments, sum(after.series.comments)) == (3, 3)
    assert enforce_retention(store, policy, NOW).counts == {"comment_texts_emptied": 0}
    entries = AuditLog(store).entries()
    assert [e.action for e in entries] == ["privacy.retention"]  # the no-op run wrote nothing
    assert entries[0].seq == report.audit_seq


def test_retention_expires_whole_old_sessions_and_keeps_their_aggregates(
    store: DuckDBStore, put: Callable[..., None]
) -> None:
    put(store, _session("old", T0) + _session("recent", NOW - timedelta(days=2)))
    sessions_before = {s.session_id: s for s in store.sessions()}
    report = enforce_retention(store, RetentionPolicy(raw_events_days=10), NOW)
    assert report.expired_sessions == ["old"]
    assert report.counts == {"events_deleted": 11, "sessions_expired": 1}
    assert store.events("old").num_rows == 0
    assert store.events("recent").num_rows == 11
    assert {s.session_id: s for s in store.sessions()} == sessions_before  # counts kept
    totals = dict(
        store.con.execute(
            "SELECT type, events FROM retained_session_totals WHERE session_id = 'old'"
        ).fetchall()
    )
    assert totals["comment"] == 3
    assert totals["order.paid"] == 3
    likes = "SELECT count_sum FROM retained_session_totals WHERE type = 'like'"
    assert _count(store, likes) == 7
    again = enforce_retention(store, RetentionPolicy(raw_events_days=10), NOW)
    assert again.counts == {"events_deleted": 0, "sessions_expired": 0}


def test_retention_expires_quarantined_raw_text(
    store: DuckDBStore, put: Callable[..., None]
) -> None:
    put(store, _session("s", T0), extra=f'{{"viewer_id": "{ALICE}", oops\n'.encode())
    policy = RetentionPolicy(quarantine_raw_days=30)
    assert enforce_retention(store, policy, NOW).counts == {"quarantine_raw_removed": 0}
    later = NOW + timedelta(days=31)
    assert enforce_retention(store, policy, later).counts == {"quarantine_raw_removed": 1}
    rows = store.con.execute("SELECT reason, raw FROM quarantine").fetchall()
    assert rows == [("malformed_json", "[expired]")]


def test_retention_removes_nicknames_and_old_audience_files(
    populated: tuple[DuckDBStore, dict[str, str], list[Path]], tmp_path: Path
) -> None:
    store, _, audiences = populated
    store.con.execute("UPDATE events SET nickname = '小美' WHERE event_id = 's1-c1'")
    decoy = tmp_path / "notes.csv"  # a recorded destination that now holds something else
    decoy.write_text("viewer_id,note\nv_1,hello\n", encoding="utf-8")
    store.con.execute(
        "INSERT INTO audience_exports (exported_at, exported_by, purpose, segment, as_of, "
        "exported, excluded, excluded_reasons, destination, sha256) "
        "VALUES (?, 'mk', 'p', 's', DATE '2026-11-30', 0, 0, '{}', ?, 'x')",
        [NOW, str(decoy)],
    )
    policy = RetentionPolicy(nickname_days=7, audience_exports_days=30)
    assert enforce_retention(store, policy, NOW).counts == {
        "nicknames_removed": 1,
        "audience_files_deleted": 0,
    }
    later = enforce_retention(store, policy, NOW + timedelta(days=31))
    assert later.counts == {"nicknames_removed": 0, "audience_files_deleted": len(audiences)}
    assert audiences
    assert not any(path.exists() for path in audiences)
    assert decoy.exists()
    assert _count(store, "SELECT count(*) FROM audience_exports") == len(audiences) + 1
    assert _count(store, "SELECT count(*) FROM events WHERE nickname IS NOT NULL") == 0


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("p.toml", "comment_text_days = 30\nraw_days = 1\n", "unknown field `raw_days`"),
        ("p.toml", "comment_text_days = -1\n", ">= 0"),
        ("p.json", '{"comment_text_days": "30"}', "Expected `int | null`, got `str`"),
        ("p.toml", "comment_text_days = [", "not a retention policy"),
    ],
)
def test_bad_policy_files_name_the_file(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message) as raised:
        load_policy(path)
    assert str(raised.value).startswith(f"{path}: ")


# -- data-subject requests -------------------------------------------------------------------------


def _audience_for_both(store: DuckDBStore, tmp_path: Path, pseudonyms: list[str]) -> list[Path]:
    """Both viewers consent to marketing; export every segment they are in."""
    for viewer in pseudonyms:
        set_consent(store, viewer, frozenset({"marketing"}), at=NOW, actor="dpo", source="t")
    rfm = compute_rfm(summarise(read_store_transactions(store.con).table, date(2026, 11, 30)))
    ids = rfm.customer_id.to_pylist()
    segments = sorted({SEGMENTS[rfm.segment[ids.index(p)]] for p in pseudonyms})
    paths = []
    for n, segment in enumerate(segments):
        out = tmp_path / f"audience-{n}.csv"
        export_audience(
            store.con, rfm, segment=segment, purpose="双11", exported_by="mk", at=NOW, out=out
        )
        paths.append(out)
    return paths


@pytest.fixture
def populated(
    store: DuckDBStore, settings: Settings, put: Callable[..., None], tmp_path: Path
) -> tuple[DuckDBStore, dict[str, str], list[Path]]:
    """Alice and Bob everywhere: events, a quarantined line, consent, audiences, a checkpoint,
    one live Q&A answer that both asked for."""
    put(store, _session("s1", T0), extra=f'{{"viewer_id": "{ALICE}", "type": oops\n'.encode())
    keyring = load_keyring(settings)
    who = {
        name: keyring.current.pseudonym("douyin", raw)
        for name, raw in [("alice", ALICE), ("bob", BOB)]
    }
    audiences = _audience_for_both(store, tmp_path, list(who.values()))
    engine = LiveEngine()
    engine.process(store.events())
    store.save_checkpoint("live", "pos-1", engine.encode(), NOW)
    asked = [
        Question(question_id=f"q{i}", text=text, ts_ms=i, viewer_id=who[name])
        for i, (name, text) in enumerate([("alice", "有S码吗"), ("bob", "S码还有吗")])
    ]
    log = DuckDBAnswerLog(store.con, "s1")
    log.write(
        AnswerRecord(
            answer_id="ans-1", ts_ms=0, questions=asked, status="answered", intent="size",
            topic="size", product_id="sku-1", resolved_by="named", answer="S码有货",
            facts={"sizes": "S,M"}, catalog_version=1,
        )
    )  # fmt: skip
    log.flush()
    store.con.execute("CHECKPOINT")
    return store, who, audiences


def test_export_holds_all_of_a_viewer_and_nothing_of_others(
    populated: tuple[DuckDBStore, dict[str, str], list[Path]], settings: Settings
) -> None:
    store, who, _ = populated
    subject = subject_by_raw_id(ALICE, "douyin", load_keyring(settings))
    export = export_subject(store, subject, now=NOW)
    assert export["found"] is True
    assert export["counts"] == {
        "events": 6,
        "quarantine": 1,
        "viewer_consent": 1,
        "audience_files": 1,
        "engine_checkpoints": 1,
        "qa_questions": 1,
        "audit_log": 1,  # the consent change names her subject hash
    }
    assert [(q["text"], q["answer"]) for q in export["qa_questions"]] == [("有S码吗", "S码有货")]
    assert len(export["events"]) == _viewer_events(store, who["alice"]) + 1  # + the refund
    assert {e["type"] for e in export["events"]} >= {"comment", "order.paid", "order.refunded"}
    assert export["quarantine"][0]["matched_by"] == "raw_id"
    assert export["consent"][0]["marketing"] is True
    text = json.dumps(export, ensure_ascii=False)
    assert who["bob"] not in text
    assert "多少钱" not in text  # Bob's comment
    assert "S码还有吗" not in text  # Bob's question
    assert ALICE not in json.dumps({k: v for k, v in export.items() if k != "quarantine"})


def test_export_of_an_unknown_viewer_is_empty(
    populated: tuple[DuckDBStore, dict[str, str], list[Path]], settings: Settings
) -> None:
    store, _, _ = populated
    export = export_subject(
        store, subject_by_raw_id("999999", "douyin", load_keyring(settings)), now=NOW
    )
    assert export["found"] is False
    assert export["events"] == export["quarantine"] == export["consent"] == []


def test_delete_removes_a_viewer_everywhere_and_leaves_others(
    populated: tuple[DuckDBStore, dict[str, str], list[Path]], settings: Settings
) -> None:
    store, who, audiences = populated
    bob_events = _viewer_events(store, who["bob"])
    subject = subject_by_raw_id(ALICE, "douyin", load_keyring(settings))
    receipt = delete_subject(store, subject, now=NOW, actor="dpo", request_id="ticket-7")

    assert receipt.deleted == {
        "events": 6,
        "quarantine": 1,
        "viewer_consent": 1,
        "audience_files": 1,
        "engine_checkpoints": 1,
        "qa_questions": 1,
    }
    assert receipt.verification.ok
    remaining = DuckDBAnswerLog(store.con, "s1").records()
    assert [q.viewer_id for q in remaining[0].questions] == [who["bob"]]
    assert _count(store, "SELECT askers FROM qa_answers") == 1
    assert set(receipt.verification.remaining.values()) == {0}
    assert receipt.retained == {"audit_log": 1}
    assert export_subject(store, subject, now=NOW)["counts"]["events"] == 0
    assert _viewer_events(store, who["bob"]) == bob_events
    assert consent_of(store, who["bob"]) == {"marketing"}
    assert _count(store, "SELECT count(*) FROM events WHERE type = 'order.refunded'") == 0
    listed = "".join(path.read_text(encoding="utf-8") for path in audiences)
    assert who["alice"] not in listed
    assert who["bob"] in listed
    assert [s.events for s in store.sessions()] == [store.events("s1").num_rows]

    log = AuditLog(store)
    assert log.verify().ok
    entry = log.entries()[-1]
    assert (entry.seq, entry.hash, entry.action) == (
        receipt.audit_seq,
        receipt.audit_hash,
        "privacy.delete",
    )
    assert entry.subject == receipt.subject_hash == subject_hash(subject.pseudonyms)
    assert entry.details["request_id"] == "ticket-7"
    assert entry.details["verified"] is True
    assert ALICE not in json.dumps(msgspec.to_builtins(receipt))


def test_compaction_removes_the_deleted_bytes_from_the_file(
    populated: tuple[DuckDBStore, dict[str, str], list[Path]], settings: Settings
) -> None:
    store, who, _ = populated
    path = Path(store.path)
    needle = who["alice"].encode()
    assert needle in path.read_bytes()  # the control: DuckDB stores short strings readably
    receipt = delete_subject(
        store, subject_by_raw_id(ALICE, "douyin", load_keyring(settings)), now=NOW, actor="dpo"
    )
    rows_before = store.events().num_rows
    store.close()
    report = compact_store(path)
    assert needle not in path.read_bytes()
    assert who["bob"].encode() in path.read_bytes()
    assert mark_compacted(receipt).compacted
    assert report.bytes_after > 0
    with DuckDBStore(path) as reopened:
        assert reopened.events().num_rows == rows_before
        assert AuditLog(reopened).verify().ok
        assert store_key_ids(reopened) == [load_keyring(settings).current.key_id]
        count = _count(reopened, "SELECT count(*) FROM quarantine")
        reopened.append_quarantine([], NOW)  # the sequence still works after the copy
        assert _count(reopened, "SELECT count(*) FROM quarantine") == count


# -- the command line ------------------------------------------------------------------------------


def _cli(*args: str) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_privacy_commands_end_to_end(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(jsonl(_session("s1", T0)))
    db = tmp_path / "live.duckdb"
    assert _cli("ingest", events, "--db", db).exit_code == 0

    shown = _cli("privacy", "consent", "--db", db, "--viewer-id", ALICE, "--platform", "douyin")
    assert json.loads(shown.stdout)["scopes"] is None
    alice = json.loads(shown.stdout)["viewer_id"]
    consent = _cli("privacy", "consent", "--db", db, "--pseudonym", alice, "--scopes", "analytics")
    assert json.loads(consent.stdout)["allows"]["analytics"] is True

    out = tmp_path / "alice.json"
    exported = _cli("privacy", "export", "--db", db, "--pseudonym", alice, "--out", out)
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.startswith("exported 6 events, 1 viewer_consent, 1 audit_log for subj_")
    assert json.loads(out.read_text(encoding="utf-8"))["counts"]["events"] == 6

    nobody = _cli(
        "privacy", "export", "--db", db, "--viewer-id", "42", "--platform", "douyin", "--out", out
    )
    assert nobody.exit_code == 0
    assert nobody.stdout.startswith("nothing held for subj_")

    receipt = tmp_path / "receipt.json"
    deleted = _cli(
        "privacy", "delete", "--db", db, "--viewer-id", ALICE, "--platform", "douyin",
        "--receipt", receipt, "--by", "dpo", "--request-id", "ticket-9",
    )  # fmt: skip
    assert deleted.exit_code == 0, deleted.output
    assert deleted.stdout.startswith("ticket-9: deleted 6 events, 0 quarantine, 1 viewer_consent")
    written = json.loads(receipt.read_text(encoding="utf-8"))
    assert written["compacted"] is True
    assert written["verification"] == {
        "ok": True,
        "remaining": dict.fromkeys(written["deleted"], 0),
    }

    rotated = _cli("privacy", "rotate-key", "--db", db)
    assert rotated.exit_code == 0, rotated.output
    result = json.loads(rotated.stdout)
    assert result["rebound"] == {str(db): result["retired"]}
    later = tmp_path / "later.jsonl"
    later.write_bytes(jsonl(_session("s2", T0 + timedelta(hours=3))))
    assert _cli("ingest", later, "--db", db).exit_code == 0  # the store follows the new key

    policy = tmp_path / "policy.toml"
    policy.write_text("comment_text_days = 7\n", encoding="utf-8")
    dry = _cli("privacy", "enforce", "--db", db, "--policy", policy, "--dry-run")
    assert json.loads(dry.stdout)["counts"] == {"comment_texts_emptied": 4}  # Bob's 1 + 3
    applied = _cli(
        "privacy", "enforce", "--db", db, "--policy", policy, "--raw-events-days", "36500"
    )
    assert json.loads(applied.stdout)["counts"] == {
        "comment_texts_emptied": 4,
        "events_deleted": 0,
        "sessions_expired": 0,
    }
    assert json.loads(applied.stdout)["compacted"] is True
    log = _cli("audit", "verify", "--db", db)
    assert json.loads(log.stdout)["ok"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "--pseudonym", "v_nope", "--out", "{tmp}/x.json"], "'v_nope' is not a store"),
        (["export", "--viewer-id", "1", "--out", "{tmp}/x.json"], "--viewer-id needs --platform"),
        (
            ["export", "--viewer-id", "1", "--platform", "douyin", "--pseudonym", "v_" + "0" * 20,
             "--out", "{tmp}/x.json"],
            "exactly one of --viewer-id",
        ),
        (["export", "--out", "{tmp}/x.json"], "exactly one of --viewer-id"),
        (
            ["export", "--viewer-id", "1", "--platform", "douyin", "--workspace", "other",
             "--out", "{tmp}/x.json"],
            "workspace 'other' has no key",
        ),
        (["enforce"], "the retention policy sets no limit"),
        (["enforce", "--policy", "{tmp}/bad.toml"], "bad.toml: not a retention policy"),
        (["consent", "--pseudonym", "v_" + "0" * 20, "--scopes", "spam"], "unknown consent"),
        (["rotate-key", "--workspace", "other"], "has no key at"),
        (["rebind", "--workspace", "other"], "workspace 'other' has no key"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(jsonl(_session("s1", T0)) + b"oops\n")
    db = tmp_path / "live.duckdb"
    assert _cli("ingest", events, "--db", db).exit_code == EXIT_QUARANTINED
    (tmp_path / "bad.toml").write_text("comment_text_days = 'soon'\n", encoding="utf-8")
    filled = [a.format(tmp=tmp_path) for a in args]
    needs_db = filled[0] != "rotate-key"
    result = _cli("privacy", *filled, *(["--db", db] if needs_db else []))
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("livelens: error: ")
    assert message in lines[0]
