"""Consent scopes and audience exports: only marketing consent gets out; every export is kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from crm_data import day

from livelens.crm.audiences import export_audience, list_exports, select_audience
from livelens.crm.consent import (
    ConsentRecord,
    consent_counts,
    import_consent,
    parse_consent_csv,
)
from livelens.crm.rfm import RfmTable, compute_rfm
from livelens.crm.segments import SEGMENTS
from livelens.crm.store_orders import read_store_transactions
from livelens.crm.summary import summarise
from livelens.errors import InvalidInput
from livelens.store.duckdb import DuckDBStore

AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
AS_OF = date(2026, 11, 30)


def _rfm(store: DuckDBStore) -> RfmTable:
    return compute_rfm(summarise(read_store_transactions(store.con).table, AS_OF))


@pytest.fixture
def ten_viewers(order_store: Callable[..., Path]) -> Path:
    """Ten viewers, v_0 … v_9: viewer n bought n + 1 times, the last n days before as_of."""
    orders = [(f"v_{n}", day(k - 2 * n), 1000 * (n + 1)) for n in range(10) for k in range(n + 1)]
    return order_store(orders)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("viewer_id,scopes\nv_1,marketing;analytics\n", {"v_1": {"marketing", "analytics"}}),
        ("viewer_id,scopes\nv_1,marketing|personalisation\n", {"v_1": {"marketing",
                                                                     "personalisation"}}),
        ('viewer_id,scopes\nv_1,"analytics, marketing"\n', {"v_1": {"analytics", "marketing"}}),
        ("viewer_id,scopes\nv_1,\n", {"v_1": set()}),  # withdrawn
        ("viewer_id,scopes\nv_1,marketing\nv_1,analytics\n", {"v_1": {"analytics"}}),  # last wins
        ("Viewer_ID,Scopes\r\nv_2,NON_PERSONALISED\r\n\r\n", {"v_2": {"non_personalised"}}),
    ],
)  # fmt: skip
def test_parse_consent_csv(text: str, expected: dict[str, set[str]]) -> None:
    records = parse_consent_csv(text, "consent.csv")
    assert {r.viewer_id: set(r.scopes) for r in records} == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,consent\nv_1,marketing\n", "consent.csv:1: expected the header 'viewer_id,scopes'"),
        ("", "expected the header"),
        ("viewer_id,scopes\nuser42,marketing\n", "consent.csv:2: viewer id 'user42' is not a"),
        ("viewer_id,scopes\nv_1,marketing;spam\n", r"consent.csv:2: unknown scope\(s\) \['spam'\]"),
    ],
)  # fmt: skip
def test_bad_consent_files_name_the_line(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_consent_csv(text, "consent.csv")


def test_import_replaces_and_counts(store: DuckDBStore) -> None:
    first = [ConsentRecord("v_1", frozenset({"marketing"})), ConsentRecord("v_2", frozenset())]
    assert import_consent(store.con, first, at=AT, source="a.csv")["marketing"] == 1
    import_consent(store.con, [ConsentRecord("v_1", frozenset({"analytics"}))], at=AT, source="b")
    assert consent_counts(store.con) == {
        "viewers": 2,
        "analytics": 1,
        "marketing": 0,
        "personalisation": 0,
        "non_personalised": 0,
    }


def test_a_viewer_without_a_record_has_no_marketing_consent(store: DuckDBStore) -> None:
    consent = [
        ConsentRecord("v_yes", frozenset({"marketing", "analytics"})),
        ConsentRecord("v_np", frozenset({"marketing", "non_personalised"})),
        ConsentRecord("v_an", frozenset({"analytics", "personalisation"})),
    ]
    import_consent(store.con, consent, at=AT, source="test")
    included, excluded = select_audience(store.con, pa.array(["v_yes", "v_np", "v_an", "v_none"]))
    assert included == ["v_yes"]
    assert excluded == {"no_consent_record": 1, "no_marketing_scope": 1, "non_personalised": 1}


def test_export_writes_consenting_members_and_records_the_export(
    ten_viewers: Path, tmp_path: Path
) -> None:
    with DuckDBStore(ten_viewers) as store:
        table = _rfm(store)
        segment = SEGMENTS[Counter(table.segment.tolist()).most_common(1)[0][0]]
        members = [c for c, s in zip(table.customer_id.to_pylist(), table.segment, strict=True)
                   if SEGMENTS[s] == segment]  # fmt: skip
        assert len(members) >= 2
        consent = [
            ConsentRecord(members[0], frozenset({"marketing"})),
            ConsentRecord(members[1], frozenset({"analytics"})),
        ]
        import_consent(store.con, consent, at=AT, source="test")
        out = tmp_path / "audience.csv"
        export = export_audience(
            store.con,
            table,
            segment=segment,
            purpose="双十二 win-back",
            exported_by="analyst@shop",
            at=AT,
            out=out,
        )
        recorded = list_exports(store.con)
    assert out.read_text(encoding="utf-8") == f"viewer_id\n{members[0]}\n"
    assert export.exported == 1
    assert export.excluded == {
        "no_consent_record": len(members) - 2,
        "no_marketing_scope": 1,
        "non_personalised": 0,
    }
    assert recorded == [
        {
            "export_id": export.export_id,
            "exported_at": AT.isoformat(),
            "exported_by": "analyst@shop",
            "purpose": "双十二 win-back",
            "segment": segment,
            "as_of": AS_OF.isoformat(),
            "exported": 1,
            "excluded": len(members) - 1,
            "excluded_reasons": export.excluded,
            "destination": str(out),
            "sha256": export.sha256,
        }
    ]


@pytest.mark.parametrize(("purpose", "by"), [("", "me"), ("win-back", "  ")])
def test_an_export_needs_a_purpose_and_a_requester(
    ten_viewers: Path, tmp_path: Path, purpose: str, by: str
) -> None:
    with DuckDBStore(ten_viewers) as store:
        with pytest.raises(InvalidInput, match="needs a non-empty"):
            export_audience(
                store.con, _rfm(store), segment="lost", purpose=purpose, exported_by=by, at=AT,
                out=tmp_path / "a.csv",
            )  # fmt: skip
        assert list_exports(store.con) == []
    assert not (tmp_path / "a.csv").exists()
