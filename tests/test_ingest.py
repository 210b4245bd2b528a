"""Ingest: validation with quarantine, idempotence, pseudonymisation, bad-input robustness."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from livelens import ingest as ingest_module
from livelens.events import codec, json_columns
from livelens.events.codec import derive_event_id
from livelens.events.pseudonymise import Pseudonymiser, redact_raw
from livelens.ingest import IngestPolicy, IngestReport, ingest, prepare_batch
from livelens.sources.jsonl import JsonLinesFile, decode_body
from livelens.sources.tabular import CsvFile, ParquetFile
from livelens.store.duckdb import DuckDBStore
from livelens.testing import event_record, jsonl

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _ingest_file(
    path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser, **policy: object
) -> IngestReport:
    source = {".csv": CsvFile, ".parquet": ParquetFile}.get(path.suffix, JsonLinesFile)
    return ingest(
        [source(path)],  # type: ignore[abstract]
        store,
        pseudonymiser,
        now=NOW,
        policy=IngestPolicy(**policy),  # type: ignore[arg-type]
    )


def _good(n: int) -> list[dict[str, object]]:
    return [
        event_record("comment", event_id=f"good-{i}", text=f"第{i}条评论", viewer_id=f"raw-{i}")
        for i in range(n)
    ]


# Each bad record sits between good ones; none of the good ones may be lost.
BAD_LINES = [
    pytest.param(b'{"type": "comment", "ts": ', codec.TRUNCATED, id="truncated-json"),
    pytest.param(b"{'single': 'quotes'}", codec.MALFORMED_JSON, id="malformed-json"),
    pytest.param(
        jsonl([event_record("like", count="many")]).strip(), codec.WRONG_TYPE, id="wrong-type"
    ),
    pytest.param(
        b'{"type":"order.cancelled","ts":1,"room_id":"r","session_id":"s","platform":"sim"}',
        codec.UNKNOWN_TYPE,
        id="unknown-type",
    ),
    pytest.param(
        jsonl([event_record("order.paid", order_id=None)]).strip(),
        codec.MISSING_FIELD,
        id="missing-field",
    ),
    pytest.param(
        jsonl([event_record("price.change", price_minor=-100)]).strip(),
        codec.OUT_OF_RANGE,
        id="negative-price",
    ),
    pytest.param(
        jsonl([event_record("cart.add", quantity=-3)]).strip(),
        codec.OUT_OF_RANGE,
        id="negative-quantity",
    ),
    pytest.param(
        jsonl([event_record("stock.set", stock=-1)]).strip(),
        codec.OUT_OF_RANGE,
        id="negative-stock",
    ),
    pytest.param(
        jsonl([event_record("stock.set", stock=10**10)]).strip(),
        codec.OUT_OF_RANGE,
        id="absurd-stock",
    ),
    pytest.param(
        jsonl([event_record("comment", ts="2061-01-01T00:00:00+08:00")]).strip(),
        codec.TS_OUT_OF_RANGE,
        id="ts-decades-ahead",
    ),
    pytest.param(
        jsonl([event_record("comment", ts="1970-01-02T00:00:00+00:00")]).strip(),
        codec.TS_OUT_OF_RANGE,
        id="ts-decades-ago",
    ),
    pytest.param(
        b'{"type":"comment","text":"\xe4\xbd\xa0\xff\xfe","ts":1}',
        codec.INVALID_UTF8,
        id="bad-utf8",
    ),
]


@pytest.mark.parametrize(("bad_line", "reason"), BAD_LINES)
def test_a_bad_record_is_quarantined_and_costs_no_good_one(
    tmp_path: Path,
    store: DuckDBStore,
    pseudonymiser: Pseudonymiser,
    bad_line: bytes,
    reason: str,
) -> None:
    good = _good(4)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(jsonl(good[:2]) + bad_line + b"\n" + jsonl(good[2:]))
    report = _ingest_file(path, store, pseudonymiser)
    assert report.summary() == {"accepted": 4, "duplicates": 0, "quarantined": {reason: 1}}
    (row,) = store.quarantined()
    assert row["reason"] == reason
    assert row["location"] == "line 3"
    assert row["source"] == str(path)
    expected_raw = redact_raw(bad_line.decode("utf-8", errors="backslashreplace"), pseudonymiser)
    assert row["raw"] == expected_raw
    assert '"u1"' not in row["raw"]  # the raw viewer id never reaches the store
    stored = store.con.execute("SELECT event_id FROM events ORDER BY event_id").fetchall()
    assert [r[0] for r in stored] == [f"good-{i}" for i in range(4)]


def test_a_ten_megabyte_line_is_quarantined_without_holding_it(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    huge = jsonl([event_record("comment", text="刷" * (10 * 1024 * 1024 // 3))]).strip()
    assert len(huge) > 10 * 1024 * 1024
    path = tmp_path / "huge.jsonl"
    path.write_bytes(jsonl(_good(2)) + huge + b"\n" + jsonl(_good(3)[2:]))
    report = _ingest_file(path, store, pseudonymiser)
    assert report.summary() == {
        "accepted": 3,
        "duplicates": 0,
        "quarantined": {codec.LINE_TOO_LONG: 1},
    }
    (row,) = store.quarantined()
    assert row["location"] == "line 3"
    assert f"line is {len(huge)} bytes" in row["detail"]
    assert len(row["raw"]) < 70_000  # only the head of the line is kept


def test_the_line_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "small.jsonl"
    path.write_bytes(jsonl(_good(3)))
    batches = list(JsonLinesFile(path, max_line_bytes=50))
    assert sum(len(b.events) for b in batches) == 0
    assert [r.reason for b in batches for r in b.rejections] == [codec.LINE_TOO_LONG] * 3


def test_empty_file_stores_nothing(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    report = _ingest_file(path, store, pseudonymiser)
    assert report.summary() == {"accepted": 0, "duplicates": 0, "quarantined": {}}


def test_truncated_last_line_keeps_everything_before_it(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    body = jsonl(_good(5))
    cut = body[: -len(b'"}\n') - 5]  # the last record loses its tail and newline
    path = tmp_path / "cut.jsonl"
    path.write_bytes(cut)
    report = _ingest_file(path, store, pseudonymiser)
    assert report.accepted == 4
    assert report.quarantined == {codec.TRUNCATED: 1}
    assert store.quarantined()[0]["location"] == "line 5"


def test_blank_lines_are_skipped_and_line_numbers_stay_true(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    good = jsonl(_good(2))
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n" + good + b"   \n" + b"oops\n")
    report = _ingest_file(path, store, pseudonymiser)
    assert report.accepted == 2
    assert store.quarantined()[0]["location"] == "line 5"


def test_reingest_is_idempotent(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(jsonl(_good(50)) + b"garbage\n")
    first = _ingest_file(path, store, pseudonymiser)
    second = _ingest_file(path, store, pseudonymiser)
    assert first.summary() == {
        "accepted": 50,
        "duplicates": 0,
        "quarantined": {"malformed_json": 1},
    }
    assert second.summary() == {
        "accepted": 0,
        "duplicates": 50,
        "quarantined": {"malformed_json": 1},
    }
    counts = store.con.execute(
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM quarantine)"
    ).fetchone()
    assert counts == (50, 1)


def test_duplicates_within_one_file_are_applied_once(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    records = _good(3)
    path = tmp_path / "dups.jsonl"
    path.write_bytes(jsonl(records + records[:2]))
    report = _ingest_file(path, store, pseudonymiser)
    assert (report.accepted, report.duplicates) == (3, 2)


def test_of_two_events_with_one_id_the_first_in_the_file_is_stored(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    """Whichever decoder reads each line: here the first line is left to msgspec (its "type"
    key is not first), the second is read by the compiled decoder; rows are grouped by type."""
    record = event_record("like", event_id="same", count=5)
    first = msgspec.json.encode({"count": record.pop("count"), **record})
    second = msgspec.json.encode(event_record("like", event_id="same", count=7))
    comment = msgspec.json.encode(event_record("comment", event_id="same"))
    path = tmp_path / "same.jsonl"
    path.write_bytes(comment.replace(b'"same"', b'"other"') + b"\n" + first + b"\n" + second)
    path.write_bytes(path.read_bytes() + b"\n" + comment + b"\n")
    report = _ingest_file(path, store, pseudonymiser)
    assert (report.accepted, report.duplicates) == (2, 2)
    rows = store.con.execute("SELECT event_id, type, count FROM events ORDER BY 1").fetchall()
    assert rows == [("other", "comment", None), ("same", "like", 5)]


def test_events_without_id_get_a_content_id(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    same = event_record("like", event_id=None, count=3)
    other = event_record("like", event_id=None, count=4)
    path = tmp_path / "noid.jsonl"
    path.write_bytes(jsonl([same, same, other]))
    report = _ingest_file(path, store, pseudonymiser)
    assert (report.accepted, report.duplicates) == (2, 1)
    ids = [r[0] for r in store.con.execute("SELECT event_id FROM events").fetchall()]
    assert all(i.startswith("h_") for i in ids)


def test_a_batch_mixing_types_and_ids_derives_each_missing_id_from_its_own_event(
    pseudonymiser: Pseudonymiser,
) -> None:
    """Rows are grouped by type, so each derived id must land on the row of its own event."""
    records = [
        event_record("like", event_id=None, count=1),
        event_record("comment", event_id="given-1", text="多少钱"),
        event_record("comment", event_id=None, text="有货吗"),
        event_record("like", event_id="given-2", count=2),
        event_record("viewer.join", event_id=None),
    ]

    def derived(record: dict[str, object]) -> str:
        return derive_event_id(codec.decode_event(msgspec.json.encode(record)))

    prepared = prepare_batch(decode_body("t", jsonl(records)), pseudonymiser, IngestPolicy(), NOW)
    rows = prepared.table.select(["type", "text", "count", "event_id"]).to_pylist()
    ids = {(r["type"], r["text"], r["count"]): r["event_id"] for r in rows}
    assert ids == {
        ("like", None, 1): derived(records[0]),
        ("comment", "多少钱", None): "given-1",
        ("comment", "有货吗", None): derived(records[2]),
        ("like", None, 2): "given-2",
        ("viewer.join", None, None): derived(records[4]),
    }
    assert len(set(ids.values())) == 5


def test_viewers_are_pseudonymised_and_nicknames_dropped(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    records = [
        event_record("viewer.join", viewer_id="douyin-uid-42", nickname="张三"),
        event_record("comment", viewer_id="douyin-uid-42", nickname="张三"),
        event_record("comment", viewer_id="douyin-uid-42", platform="kuaishou"),
    ]
    path = tmp_path / "people.jsonl"
    path.write_bytes(jsonl(records))
    _ingest_file(path, store, pseudonymiser)
    rows = store.con.execute("SELECT platform, viewer_id, nickname FROM events").fetchall()
    douyin = pseudonymiser.pseudonym("douyin", "douyin-uid-42")
    kuaishou = pseudonymiser.pseudonym("kuaishou", "douyin-uid-42")
    assert sorted(rows) == sorted(
        [("douyin", douyin, None), ("douyin", douyin, None), ("kuaishou", kuaishou, None)]
    )
    assert douyin != kuaishou
    assert douyin.startswith("v_")
    assert "42" not in douyin


def test_nicknames_kept_only_when_policy_allows(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    path = tmp_path / "consented.jsonl"
    path.write_bytes(jsonl([event_record("comment", nickname="张三")]))
    _ingest_file(path, store, pseudonymiser, keep_nicknames=True)
    assert store.con.execute("SELECT nickname FROM events").fetchall() == [("张三",)]


def test_a_store_refuses_a_different_key(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl(_good(1)))
    _ingest_file(path, store, pseudonymiser)
    with pytest.raises(RuntimeError, match="was pseudonymised with key"):
        _ingest_file(path, store, Pseudonymiser(b"another-key-0123456789abcdef-0000"))


def test_csv_in_canonical_form(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "type,event_id,ts,room_id,session_id,platform,viewer_id,product_id,quantity,text\n"
        "cart.add,c1,2026-11-11T20:00:00+08:00,r,s,taobao,u1,sku-a,2,\n"
        'comment,c2,1794398400000,r,s,taobao,u2,,,"多少钱,包邮吗"\n'
        "cart.add,c3,2026-11-11T20:00:00+08:00,r,s,taobao,u1,sku-a,-2,\n"
        "cart.add,c4,2026-11-11T20:00:00+08:00,r,s\n",
        encoding="utf-8",
    )
    report = _ingest_file(path, store, pseudonymiser)
    assert report.summary() == {
        "accepted": 2,
        "duplicates": 0,
        "quarantined": {codec.OUT_OF_RANGE: 1, "malformed_csv": 1},
    }
    rows = store.con.execute("SELECT event_id, quantity, text FROM events ORDER BY 1").fetchall()
    assert rows == [("c1", 2, None), ("c2", None, "多少钱,包邮吗")]
    locations = sorted(r["location"] for r in store.quarantined())
    assert locations == ["line 4", "line 5"]


def test_parquet_in_canonical_form(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    first = tmp_path / "first.jsonl"
    records = [event_record("order.paid", event_id=f"o{i}", order_id=f"o{i}") for i in range(5)]
    first.write_bytes(jsonl(records))
    _ingest_file(first, store, pseudonymiser)
    exported = tmp_path / "events.parquet"
    assert store.export_parquet(exported) == 5
    with DuckDBStore(tmp_path / "second.duckdb") as second:
        report = _ingest_file(exported, second, pseudonymiser)
        assert report.accepted == 5
        assert second.events().select(["event_id", "amount_minor"]).to_pylist() == (
            store.events().select(["event_id", "amount_minor"]).to_pylist()
        )


def test_stock_set_is_accepted_stored_and_exported(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    lines = tmp_path / "stock.jsonl"
    lines.write_bytes(
        jsonl(
            [
                event_record("stock.set", event_id="k1", product_id="sku-a", stock=0),
                event_record("stock.set", event_id="k2", product_id="sku-b", stock=10**9),
                event_record("comment", event_id="c1"),
            ]
        )
    )
    table = tmp_path / "stock.csv"
    table.write_text(
        "type,event_id,ts,room_id,session_id,platform,product_id,stock\n"
        "stock.set,k3,2026-11-11T20:00:01+08:00,room-1,session-1,taobao,sku-c,25\n",
        encoding="utf-8",
    )
    assert _ingest_file(lines, store, pseudonymiser).summary() == {
        "accepted": 3,
        "duplicates": 0,
        "quarantined": {},
    }
    assert _ingest_file(table, store, pseudonymiser).accepted == 1
    query = "SELECT event_id, product_id, stock FROM events WHERE type = 'stock.set' ORDER BY 1"
    expected = [("k1", "sku-a", 0), ("k2", "sku-b", 10**9), ("k3", "sku-c", 25)]
    assert store.con.execute(query).fetchall() == expected
    exported = tmp_path / "events.parquet"
    assert store.export_parquet(exported) == 4
    with DuckDBStore(tmp_path / "second.duckdb") as second:
        assert _ingest_file(exported, second, pseudonymiser).accepted == 4
        assert second.con.execute(query).fetchall() == expected


def test_sessions_are_summarised(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    records = [
        event_record("viewer.join", viewer_id="a", ts="2026-11-11T20:00:00+08:00"),
        event_record("viewer.join", viewer_id="b", ts="2026-11-11T20:30:00+08:00"),
        event_record("like", viewer_id="a", ts="2026-11-11T21:00:00+08:00", session_id="other"),
    ]
    path = tmp_path / "s.jsonl"
    path.write_bytes(jsonl(records))
    _ingest_file(path, store, pseudonymiser)
    by_id = {s.session_id: s for s in store.sessions()}
    assert set(by_id) == {"session-1", "other"}
    assert (by_id["session-1"].events, by_id["session-1"].viewers) == (2, 2)
    span = by_id["session-1"].ended_at - by_id["session-1"].started_at
    assert span.total_seconds() == 1800


def test_quarantined_json_keeps_no_raw_identity(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    bad = event_record("cart.add", viewer_id="dy-77881", nickname="李四", quantity=0)
    path = tmp_path / "bad.jsonl"
    path.write_bytes(jsonl([bad]))
    _ingest_file(path, store, pseudonymiser)
    (row,) = store.quarantined()
    assert "dy-77881" not in row["raw"]
    assert "李四" not in row["raw"]
    assert pseudonymiser.pseudonym("douyin", "dy-77881") in row["raw"]


def test_worker_processes_store_what_one_process_stores(
    tmp_path: Path, pseudonymiser: Pseudonymiser
) -> None:
    """``workers=2`` on a file cut into many parts: good records, repeats across parts, bad
    JSON, a line over the limit, a blank line and a cut-off last line give the same events,
    quarantine (line numbers included) and report as one process."""
    records = [
        event_record("comment", event_id=f"c-{i}", text=f"第{i}条", viewer_id=f"raw-{i % 37}")
        for i in range(400)
    ]
    lines = [msgspec.json.encode(r) for r in records]
    lines[50] = b'{"type": "comment", "ts": '  # malformed
    lines[120] = b"x" * 3000  # over --max-line-bytes 2000
    lines[121] = b""
    lines[300] = lines[10]  # a repeat, parts apart
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"\n".join(lines) + b'\n{"type": "like"')  # the last line cut off
    source = JsonLinesFile(path, max_line_bytes=2000)
    assert len(source.parts(4096)) > 10

    def run(workers: int) -> tuple[dict[str, object], list[tuple[object, ...]], list[object]]:
        with DuckDBStore(tmp_path / f"w{workers}.duckdb") as store:
            report = ingest(
                [source], store, pseudonymiser, now=NOW, workers=workers, part_bytes=4096
            )
            events = store.con.execute("SELECT * FROM events ORDER BY event_id").fetchall()
            quarantine = store.con.execute(
                "SELECT source, location, reason, detail, raw FROM quarantine ORDER BY location"
            ).fetchall()
        return report.summary(), events, quarantine

    one, two = run(1), run(2)
    summary = one[0]
    assert (summary["accepted"], summary["duplicates"]) == (396, 1)  # 400: 2 bad, 1 blank, 1 repeat
    assert summary["quarantined"] == {"truncated_record": 2, "line_too_long": 1}
    assert two == one
    assert [row[1] for row in one[2]] == ["line 121", "line 401", "line 51"]


def test_the_compiled_decoder_stores_what_msgspec_alone_stores(
    tmp_path: Path, pseudonymiser: Pseudonymiser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON Lines straight into columns (livelens.events.json_columns) or every line through
    msgspec: the same events, duplicates, quarantine and report, for a file that mixes lines of
    both paths (escapes, keys out of order, no id, unknown keys, promo.start) with bad ones."""
    records = [
        event_record(kind, viewer_id=f"raw-{i % 11}", event_id=None if i % 9 == 0 else f"e-{i}")
        for i, kind in enumerate(["comment", "like", "viewer.join", "promo.start", "gift"] * 40)
    ]
    lines = [msgspec.json.encode(r) for r in records]
    lines[3] = lines[3].replace(b'"ts"', b'"extra":[1,{"a":2}],"ts"')  # an unknown key
    lines[5] = msgspec.json.encode(dict(reversed(records[5].items())))  # "type" last
    lines[7] = lines[7].replace(b'"room-1"', b'"room\\u002d1"')  # an escape
    lines[20] = lines[20].replace(b'"ts":"2026', b'"ts":"1999')  # out of the ingest's bounds
    lines[40] = b'{"type":"like"'
    lines[60] = lines[2]  # a repeat
    lines[79] = lines[79].replace(b'"CNY"', b'"cny"')  # a gift
    lines[90] = b"   "
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    def run(name: str) -> tuple[dict[str, object], list[tuple[object, ...]], list[object]]:
        with DuckDBStore(tmp_path / f"{name}.duckdb") as store:
            report = ingest([JsonLinesFile(path)], store, pseudonymiser, now=NOW)
            events = store.con.execute("SELECT * FROM events ORDER BY event_id").fetchall()
            quarantine = store.con.execute(
                "SELECT source, location, reason, detail, raw FROM quarantine ORDER BY location"
            ).fetchall()
        return report.summary(), events, quarantine

    compiled = run("compiled")
    monkeypatch.setattr(json_columns, "_columnar", None)
    assert run("msgspec") == compiled
    assert compiled[0] == {
        "accepted": 195,
        "duplicates": 1,
        "quarantined": {"invalid_value": 1, "truncated_record": 1, "ts_out_of_range": 1},
    }


def test_workers_hand_tables_over_in_memory_only_where_there_is_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In memory (the system's shared-memory folder) when it has room for the parts in flight;
    the temp folder otherwise (a container's is often 64 MiB)."""
    shm = Path("/dev/shm")  # noqa: S108
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        pytest.skip("no writable /dev/shm here")
    with ingest_module._handover_folder(2, 1 << 20) as roomy:
        assert Path(roomy).parent == shm
    full = shutil.disk_usage(shm)._replace(free=32 << 20)
    monkeypatch.setattr(ingest_module.shutil, "disk_usage", lambda _: full)
    with ingest_module._handover_folder(2, 16 << 20) as cramped:
        assert Path(cramped).parent == Path(tempfile.gettempdir())
