"""The pseudonym is exactly the documented formula: ``v_`` + the first 20 hex digits of
HMAC-SHA256(workspace key, "<platform>:<raw id>"), whatever the key's length (keys longer than
SHA-256's 64-byte block are hashed first, as RFC 2104 says), so stores pseudonymised by any
version of livelens keep resolving the same viewers."""

from __future__ import annotations

import hmac
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livelens import _columnar
from livelens.events import pseudonymise
from livelens.events.pseudonymise import Pseudonymiser


def expected(key: bytes, platform: str, raw_id: str) -> str:
    digest = hmac.digest(key, f"{platform}:{raw_id}".encode(), "sha256")
    return "v_" + digest.hex()[:20]


@settings(max_examples=200, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=200),
    platform=st.sampled_from(["douyin", "bilibili", "taobao"]),
    raw_ids=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=8),
)
def test_pseudonyms_are_hmac_sha256_of_platform_and_id(
    key: bytes, platform: str, raw_ids: list[str]
) -> None:
    pseudonymiser = Pseudonymiser(key)
    want = [expected(key, platform, raw_id) for raw_id in raw_ids]
    assert [pseudonymiser.pseudonym(platform, raw_id) for raw_id in raw_ids] == want
    column = pseudonymiser.pseudonymise_column(
        pa.chunked_array([pa.array([platform] * len(raw_ids))]),
        pa.chunked_array([pa.array(raw_ids)]),
    )
    assert column.to_pylist() == want
    assert (
        Pseudonymiser(key)
        .pseudonymise_column(  # the column path on its own, unmemoised
            pa.chunked_array([pa.array([platform] * len(raw_ids))]),
            pa.chunked_array([pa.array(raw_ids)]),
        )
        .to_pylist()
        == want
    )


def test_a_known_pseudonym() -> None:
    """Pinned: a change of formula would orphan every stored pseudonym."""
    assert Pseudonymiser(bytes(range(32))).pseudonym("douyin", "uid-42") == "v_b7d4d014342ddbaf35de"


def test_missing_viewers_stay_missing() -> None:
    key = bytes(range(32))
    column = Pseudonymiser(key).pseudonymise_column(
        pa.chunked_array([pa.array(["douyin"] * 3), pa.array(["douyin"])]),
        pa.chunked_array([pa.array([None, "uid-42", None]), pa.array(["uid-42"])]),
    )
    assert column.to_pylist() == [None, "v_b7d4d014342ddbaf35de", None, "v_b7d4d014342ddbaf35de"]


@settings(max_examples=150, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=200),
    raw_ids=st.lists(st.text(max_size=120), min_size=1, max_size=8),
)
def test_the_compiled_and_the_hashlib_pseudonyms_agree(key: bytes, raw_ids: list[str]) -> None:
    """Both ways of pseudonymising a column: in C against the compiled memo (where the CPU has
    SHA extensions), and the Python memo with hashlib; ids up to 120 characters span one to
    several SHA-256 blocks."""
    want = [expected(key, "douyin", raw_id) for raw_id in raw_ids]
    platforms = pa.chunked_array([pa.array(["douyin"] * len(raw_ids))])
    viewers = pa.chunked_array([pa.array(raw_ids)])
    assert Pseudonymiser(key).pseudonymise_column(platforms, viewers).to_pylist() == want
    columnar, pseudonymise._columnar = pseudonymise._columnar, None
    try:
        column = Pseudonymiser(key).pseudonymise_column(platforms, viewers)
    finally:
        pseudonymise._columnar = columnar
    assert column.to_pylist() == want


def test_columns_are_pseudonymised_in_c_exactly_where_the_cpu_has_sha_extensions() -> None:
    cpuinfo = Path("/proc/cpuinfo")
    has_sha = cpuinfo.exists() and "sha_ni" in cpuinfo.read_text().split()
    assert (_columnar.pseudonym_memo(b"k" * 32, "v_", 20, 10) is not None) == has_sha


@settings(max_examples=150, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=100),
    rows=st.lists(
        st.tuples(st.sampled_from(["douyin", "bilibili"]), st.none() | st.text(max_size=30)),
        max_size=40,
    ),
    skip=st.integers(0, 3),
)
def test_a_column_pseudonymised_in_c_matches_the_formula_row_by_row(
    key: bytes, rows: list[tuple[str, str | None]], skip: int
) -> None:
    """Nulls, repeats, sliced and chunked columns, and a second pass against the warm memo."""
    platforms = pa.chunked_array([pa.array([p for p, _ in rows], pa.string())[skip:]], pa.string())
    viewers = pa.chunked_array([pa.array([v for _, v in rows], pa.string())[skip:]], pa.string())
    want = [None if v is None else expected(key, p, v) for p, v in rows[skip:]]
    pseudonymiser = Pseudonymiser(key)
    assert pseudonymiser.pseudonymise_column(platforms, viewers).to_pylist() == want
    assert pseudonymiser.pseudonymise_column(platforms, viewers).to_pylist() == want


def test_the_compiled_memo_starts_over_at_its_limit_and_still_answers_right() -> None:
    memo = _columnar.pseudonym_memo(b"k" * 32, "v_", 20, 3)
    if memo is None:
        pytest.skip("this CPU has no SHA extensions: there is no compiled memo")
    ids = [f"uid-{n}" for n in range(10)] * 2
    column = pa.array(["douyin"] * len(ids), pa.string())
    viewers = pa.array(ids, pa.string())
    _, offsets, data, nulls = _columnar.pseudonymise(
        memo, *column.buffers()[1:3], 0, *viewers.buffers(), 0, len(ids)
    )
    got = pa.Array.from_buffers(
        pa.string(), len(ids), [None, pa.py_buffer(offsets), pa.py_buffer(data)], nulls
    )
    assert got.to_pylist() == [expected(b"k" * 32, "douyin", i) for i in ids]


def test_the_compiled_memo_grows_past_its_first_table_and_still_answers_right() -> None:
    """5,000 distinct ids: the memo's table and entries grow several times (from 1,024)."""
    key = bytes(range(32))
    ids = [f"uid-{n}" for n in range(5_000)]
    platforms = pa.chunked_array([pa.array(["douyin"] * len(ids))])
    viewers = pa.chunked_array([pa.array(ids)])
    pseudonymiser = Pseudonymiser(key)
    want = [expected(key, "douyin", i) for i in ids]
    assert pseudonymiser.pseudonymise_column(platforms, viewers).to_pylist() == want
    assert pseudonymiser.pseudonymise_column(platforms, viewers).to_pylist() == want
