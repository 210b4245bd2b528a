"""JSON Lines decoded straight into columns give exactly what msgspec and the columns give.

The compiled decoder (livelens._columnar.decode_lines) may accept a line only where msgspec reads
the same event; every other line goes to msgspec. Each test reads the same bytes both ways, as a
columnar JsonLinesFile and as a plain one, and compares every row (keyed by its line), every
rejection (reason, message, line, raw text) and every position.
"""

from __future__ import annotations

import json
import random
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livelens.events import json_columns
from livelens.events.codec import derive_event_id
from livelens.events.columns import EVENTS_SCHEMA, events_to_table_ordered
from livelens.events.json_columns import decode_columns
from livelens.events.schema import EVENT_TYPES, PLATFORMS, Event
from livelens.sources.jsonl import JsonLinesFile
from livelens.testing import event_record

pytestmark = pytest.mark.skipif(
    json_columns._columnar is None, reason="livelens._columnar is not compiled"
)


def _rows(path: Path, *, columnar: bool) -> tuple[dict[str, dict[str, Any]], list[Any]]:
    """Every event read from ``path`` by its line, and every rejection and position."""
    rows: dict[str, dict[str, Any]] = {}
    rest: list[Any] = []
    for batch in JsonLinesFile(path, block_bytes=1 << 12, columnar=columnar):
        if batch.columns is not None:
            table, order = batch.columns
            assert not batch.events
            assert table["event_id"].null_count == 0  # the contract of columns: every id given
        else:
            for event in batch.events:
                if event.event_id is None:  # as ingest does for the events' path
                    event.event_id = derive_event_id(event)
            table, order = events_to_table_ordered(batch.events)
        for row, index in zip(table.to_pylist(), order, strict=True):
            location = batch.locate(index)
            assert location[0] not in rows
            rows[location[0]] = row | {"raw": location[1]}
        rest.append((batch.rejections, batch.position))
    return rows, rest


def _both_ways(body: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_bytes(body)
        assert _rows(path, columnar=True) == _rows(path, columnar=False)


def _line(pairs: list[tuple[str, str]], spacing: str = "") -> str:
    """A JSON object from (key, raw JSON value) pairs, keys in the order given."""
    separator = "," + spacing
    return "{" + separator.join(f'"{key}":{spacing}{value}' for key, value in pairs) + "}"


def _raw(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _canonical(kind: str, event_id: str = "e-1") -> list[tuple[str, str]]:
    return [(key, _raw(value)) for key, value in event_record(kind, event_id=event_id).items()]


OFFSETS = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60 - 59, 23 * 60 + 59)
)
TIMES = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 2),  # noqa: DTZ001 - naive bounds, aware values
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=OFFSETS,
    ).map(lambda t: _raw(t.isoformat())),
    st.from_regex(
        r"\"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,9})?"
        r"(Z|z|[+-][0-9]{2}:?[0-9]{2}|[+-][0-9]{2})?\"",
        fullmatch=True,
    ),
    st.integers(-10, 5_000_000_000_000).map(str),
)
NUMBERS = st.from_regex(
    r"-?(0|[1-9][0-9]{0,19})(\.[0-9]{1,18})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
)
STRINGS = st.one_of(
    st.text(max_size=12).map(_raw),
    st.text(max_size=12).map(json.dumps),  # Python's default: non-ASCII as \u escapes
    st.from_regex(r'"(\\(["\\/bfnrtx]|u[0-9a-fA-F]{0,4})|[a-z]|好)*"', fullmatch=True),
    st.sampled_from(["", "x" * 256, "x" * 257, "好" * 256, "好" * 257, "CNY", "usd", "USDX"]).map(
        _raw
    ),
    st.sampled_from([*PLATFORMS, "Douyin", "xx"]).map(_raw),
    st.binary(max_size=6).map(lambda b: '"' + b.decode("latin-1") + '"'),  # raw bytes in a string
)
VALUES = st.one_of(
    TIMES, NUMBERS, STRINGS, st.sampled_from(["null", "true", "[]", "{}", '{"a":1}', "1 2", ""])
)


@st.composite
def lines(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from([*EVENT_TYPES, "nope"]))
    event_id = f"e-{draw(st.integers(0, 99))}"
    pairs = _canonical("comment" if kind == "nope" else kind, event_id)
    if kind == "nope":
        pairs[0] = ("type", _raw("nope"))
    for _ in range(draw(st.integers(0, 3))):  # replace, drop, add or repeat keys
        what = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add", "repeat"]))
        at = draw(st.integers(0, len(pairs) - 1))
        if what == "replace" and at > 0:
            pairs[at] = (pairs[at][0], draw(VALUES))
        elif what == "drop" and at > 0:
            del pairs[at]
        elif what == "add":
            pairs.insert(at + 1, (draw(st.sampled_from(["extra", "ts", "count"])), draw(VALUES)))
        elif what == "repeat":
            pairs.append(pairs[at])
    if draw(st.integers(0, 9)) == 0:
        draw(st.randoms()).shuffle(pairs)
    line = _line(pairs, draw(st.sampled_from(["", " ", "\t"])))
    cut = draw(st.integers(0, 19))
    if cut == 0:  # truncated
        line = line[: draw(st.integers(0, len(line)))]
    return draw(st.sampled_from(["", " ", "\r"])) + line + draw(st.sampled_from(["", " ", "\r"]))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines(), max_size=25), st.booleans())
def test_columns_are_what_msgspec_reads(body: list[str], final_newline: bool) -> None:
    _both_ways(("\n".join(body) + ("\n" if final_newline else "")).encode())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(list(EVENT_TYPES)), min_size=1, max_size=8),
    st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=3)), max_size=6),
    st.binary(max_size=40),
)
def test_any_bytes(kinds: list[str], flips: list[tuple[int, bytes]], noise: bytes) -> None:
    """Canonical lines with bytes overwritten anywhere (quotes, digits, braces, UTF-8 halves,
    newlines), and raw noise: read both ways alike, and never a crash."""
    body = bytearray(("\n".join(_line(_canonical(kind)) for kind in kinds) + "\n").encode())
    for at, replacement in flips:
        at %= len(body)
        body[at : at + len(replacement)] = replacement
    _both_ways(bytes(body) + noise)


ESCAPED = st.one_of(
    st.text().map(json.dumps),
    st.from_regex(
        r'"(\\(["\\/bfnrtx]|u[0-9a-fA-F]{0,4}|u[dD][89a-fA-F][0-9a-fA-F]{2}|u[eE]000)|[a-z]|好|\x1f)*"',
        fullmatch=True,
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(ESCAPED, min_size=1, max_size=20))
def test_escapes(texts: list[str]) -> None:
    """Free text and ids with every escape (surrogate pairs, lone halves, bad ones): what msgspec
    reads, decoded alike."""
    body = []
    for text in texts:
        body.append(_line([*_canonical("comment")[:-1], ("text", text)]))
        body.append(_line([*_canonical("like")[:3], ("room_id", text), *_canonical("like")[4:]]))
    _both_ways("\n".join(body).encode())


@settings(max_examples=150, deadline=None)
@given(st.lists(TIMES, min_size=1, max_size=20))
def test_event_times(times: list[str]) -> None:
    """Every time msgspec reads is the same instant in the columns; the strict RFC 3339 form
    with a Z or an offset, 1 to 6 digits of fraction, or epoch ms, is read without msgspec."""
    body = "\n".join(
        _line([*_canonical("like")[:2], ("ts", t), *_canonical("like")[3:]]) for t in times
    )
    _both_ways(body.encode())


@settings(max_examples=150, deadline=None)
@given(st.lists(NUMBERS, min_size=1, max_size=20))
def test_numbers(numbers: list[str]) -> None:
    """Into int columns (count, quantity) and float columns (discount_pct, heat)."""
    body = []
    for number in numbers:
        body.append(_line([*_canonical("like")[:-1], ("count", number)]))
        body.append(_line([*_canonical("competitor.promo")[:-1], ("discount_pct", number)]))
        body.append(
            _line([*_canonical("trend.snapshot")[:-2], ("heat", number), ("source", '"w"')])
        )
        body.append(
            _line([*_canonical("order.paid")[:-2], ("amount_minor", number), ("currency", '"CNY"')])
        )
    _both_ways("\n".join(body).encode())


def _fallback(line: str) -> list[int]:
    text = line.encode()
    decoded = decode_columns(text, len(text))
    assert decoded is not None
    return decoded.fallback


@pytest.mark.parametrize(
    ("kind", "field", "value", "to_msgspec"),
    [
        ("like", "ts", '"2026-11-11T20:00:00.123456+08:00"', False),
        ("like", "ts", '"2026-11-11T12:00:00Z"', False),
        ("like", "ts", '"2024-02-29T12:00:00-23:59"', False),
        ("like", "ts", "1700000000000", False),
        ("like", "ts", '"2023-02-29T12:00:00Z"', True),  # no such day
        ("like", "ts", '"2026-11-11T20:00:00.1234567Z"', True),  # msgspec rounds: its call
        ("like", "ts", '"2026-11-11 20:00:00Z"', True),  # msgspec's leniency, not the strict form
        ("like", "ts", '"2026-11-11T20:00:00+24:00"', True),
        ("like", "ts", '"2026-11-11T20:00:60Z"', True),
        ("like", "count", "1.0", True),
        ("like", "count", "-1", True),
        ("like", "count", "01", True),
        ("like", "count", "1e3", True),
        ("like", "count", "1000000000", False),
        ("like", "count", "1000000001", True),
        ("like", "schema", "1", False),
        ("like", "schema", "2", True),
        ("like", "viewer_id", "null", True),  # required by the type
        ("like", "event_id", "null", True),  # ingest derives one from the msgspec event
        ("like", "nickname", "null", False),
        ("like", "nickname", '"小红"', False),
        ("comment", "text", '"a\\"b\\\\c\\/\\n"', False),  # escapes in free text are read
        ("comment", "text", '"\\u8fd9\\u4e2a\\ud83d\\ude00"', False),  # a surrogate pair too
        ("comment", "text", '"\\ud83d"', True),  # a lone surrogate: msgspec's call
        ("comment", "text", '"\\ude00\\ud83d"', True),
        ("comment", "text", '"\\ude00"', True),
        ("comment", "text", '"\\ud83d\\ue000"', True),
        ("comment", "text", '"\\b\\f\\r\\t\\u0000\\u00e9\\u0800"', False),
        ("comment", "text", '"a\x1fb"', True),  # a raw control character: not JSON
        ("comment", "text", '"a\x7fb"', False),  # DEL is not one
        ("comment", "text", '"\\x"', True),
        ("comment", "text", '"\\u12"', True),
        ("gift", "currency", '"\\u0055SD"', True),  # escapes only in free text and ids
        ("comment", "text", '"' + "好" * 10_000 + '"', False),
        ("comment", "text", '"' + "好" * 10_001 + '"', True),
        ("gift", "currency", '"usd"', True),
        ("gift", "currency", '"USD"', False),
        ("like", "platform", '"xx"', True),
        ("like", "room_id", '""', True),
        ("competitor.promo", "discount_pct", "0", True),
        ("competitor.promo", "discount_pct", "100", False),
        ("competitor.promo", "discount_pct", "0.000001", False),
        ("competitor.promo", "discount_pct", "12.3456789012345", False),
        ("competitor.promo", "discount_pct", "12.34567890123456", True),  # 16 digits
    ],
)
def test_what_the_fast_path_reads(kind: str, field: str, value: str, to_msgspec: bool) -> None:
    pairs = [(k, value if k == field else v) for k, v in _canonical(kind)]
    if field not in dict(pairs):
        pairs.append((field, value))
    line = _line(pairs)
    assert _fallback(line) == ([0] if to_msgspec else [])
    _both_ways(line.encode() + b"\n")


def test_lines_outside_the_strict_form_go_to_msgspec() -> None:
    canonical = _canonical("comment")
    no_id = [(k, v) for k, v in canonical if k != "event_id"]
    for pairs in (
        [*canonical[1:3], ("extra", "[1]"), *canonical[3:], canonical[0]],  # an array before "type"
        [*canonical, ("type", '"comment"')],  # "type" twice
        [*canonical, ("extra", "1")],  # a key the type lacks
        [*canonical, ("text", '"again"')],  # a key twice
        no_id,  # ingest derives its id from the msgspec event
    ):
        assert _fallback(_line(pairs)) == [0]
    assert _fallback(_line([("type", '"promo.start"'), *_canonical("promo.start")[1:]])) == [0]
    # "type" after other keys is found by skipping their (scalar) values
    assert _fallback(_line([*canonical[1:], canonical[0]])) == []
    assert _fallback(_line([*canonical[1:4], canonical[0], *canonical[4:]])) == []
    _both_ways(_line([*canonical[1:], canonical[0]]).encode())
    blank = " \t\r"
    assert _fallback(blank) == []  # a blank line is skipped, as msgspec's path skips it


def test_the_simulator_and_the_workload_need_no_msgspec(tmp_path: Path) -> None:
    """What producers write (msgspec-encoded records) is read by the fast path: the simulator's
    own session, except its promo.start lines (a check in Python: __post_init__)."""
    from livelens.sources.simulator import SimulationConfig, write_session

    path = tmp_path / "s.jsonl"
    write_session(SimulationConfig(minutes=3, peak_viewers=300, seed=7), path)
    text = path.read_bytes()
    decoded = decode_columns(text, len(text) - 1)
    assert decoded is not None
    assert decoded.table.num_rows > 1000
    lines = text.split(b"\n")
    promo = [i for i, line in enumerate(lines) if b'"type":"promo.start"' in line]
    assert decoded.fallback == promo
    _both_ways(text)


def test_python_json_dumps_needs_no_msgspec() -> None:
    """Python's json.dumps writes non-ASCII as \\u escapes and a space after each separator:
    a common producer's form, read by the fast path."""
    records = [event_record(kind, event_id=f"e-{kind}") for kind in EVENT_TYPES]
    records.append(event_record("comment", text='她说："多少钱？\\" 😀\n'))
    body = "\n".join(json.dumps(r) for r in records).encode()
    decoded = decode_columns(body, len(body))
    assert decoded is not None
    assert decoded.fallback == [list(EVENT_TYPES).index("promo.start")]
    _both_ways(body + b"\n")


def test_rows_of_a_type_keep_their_line_order() -> None:
    kinds = random.Random(3).choices(["like", "comment", "viewer.join"], k=200)
    body = "\n".join(_line(_canonical(kind)) for kind in kinds).encode()
    decoded = decode_columns(body, len(body))
    assert decoded is not None
    assert not decoded.fallback
    assert decoded.table["type"].to_pylist() == [kinds[i] for i in decoded.lines]
    for kind in set(kinds):
        types = decoded.table["type"].to_pylist()
        rows = [i for i, t in zip(decoded.lines, types, strict=True) if t == kind]
        assert rows == sorted(rows)


def test_without_the_compiled_module_the_events_path_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_columns, "_columnar", None)
    path = tmp_path / "e.jsonl"
    path.write_bytes((_line(_canonical("like")) + "\n").encode())
    (batch,) = JsonLinesFile(path, columnar=True)
    assert batch.columns is None
    assert len(batch.events) == 1


def test_column_types_are_the_schema() -> None:
    body = "\n".join(_line(_canonical(kind)) for kind in EVENT_TYPES).encode()
    decoded = decode_columns(body, len(body))
    assert decoded is not None
    assert decoded.table.schema.equals(EVENTS_SCHEMA)
    read = set(EVENT_TYPES) - {"promo.start"}  # its __post_init__ check is msgspec's
    assert sorted(decoded.table["type"].to_pylist()) == sorted(read)
    assert decoded.fallback == [list(EVENT_TYPES).index("promo.start")]
    assert decoded.table["ts"].to_pylist()[0] == datetime(2026, 11, 11, 12, tzinfo=UTC)


def test_a_type_whose_checks_the_decoder_lacks_goes_to_msgspec_whole() -> None:
    """Checks are read from the model; one the compiled decoder cannot make exactly as msgspec
    does sends every line of that type to msgspec (spec None), never a laxer check."""

    class Patterned(Event, tag="patterned", kw_only=True):
        text: Annotated[str, msgspec.Meta(pattern="^a")]

    class Stepped(Event, tag="stepped", kw_only=True):
        count: Annotated[int, msgspec.Meta(multiple_of=5)]

    class Checked(Event, tag="checked", kw_only=True):
        count: int

        def __post_init__(self) -> None:
            pass

    class Plain(Event, tag="plain", kw_only=True):
        count: Annotated[int, msgspec.Meta(gt=0, lt=10)]

    for cls in (Patterned, Stepped, Checked):
        assert json_columns._type_spec(cls) is None
    spec = json_columns._type_spec(Plain)
    assert spec is not None
    (count,) = (field for field in spec if field[0] == b"count")
    assert count[1:7] == ("q", "N", True, False, 1, 9)  # int64 column, bounds made inclusive
