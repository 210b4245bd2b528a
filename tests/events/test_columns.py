"""Events to columns: the compiled one-pass path (livelens._columnar) against the Python one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livelens import _columnar
from livelens.events import columns
from livelens.events.codec import decode_event
from livelens.events.schema import EVENT_TYPES, Comment, Event
from livelens.testing import event_record, every_event


@contextmanager
def _python_columns() -> Iterator[None]:
    compiled, columns._columnar = columns._columnar, None
    try:
        yield
    finally:
        columns._columnar = compiled


def _both(events: list[Event]) -> tuple[tuple[pa.Table, list[int]], tuple[pa.Table, list[int]]]:
    compiled = columns.events_to_table_ordered(events)
    with _python_columns():
        python = columns.events_to_table_ordered(events)
    return compiled, python


def test_the_install_compiled_the_columns_module() -> None:
    assert columns._columnar is _columnar, "make setup compiles src/livelens/_columnar.c"


def test_every_type_gives_the_same_table_compiled_and_in_python() -> None:
    events = list(every_event()) * 3
    compiled, python = _both(events)
    assert compiled[1] == python[1]
    assert compiled[0].equals(python[0])
    assert compiled[0].num_rows == len(events)
    assert set(compiled[0]["type"].to_pylist()) == set(EVENT_TYPES)


def _line(ts: object, **fields: Any) -> bytes:
    record = event_record("comment", ts=ts, **fields)
    return msgspec.json.encode(record)


offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
# hypothesis takes naive bounds and adds the zones itself
first, last = datetime(1970, 1, 2), datetime(2099, 12, 30)  # noqa: DTZ001
times = st.datetimes(first, last, timezones=offsets | st.just(UTC))
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(
    st.lists(
        st.tuples(
            times | st.integers(0, 4_102_444_800_000), texts, st.none() | st.text(min_size=1)
        ),
        min_size=1,
        max_size=30,
    )
)
@settings(max_examples=150, deadline=None)
def test_times_text_and_nulls_match_the_python_columns(
    rows: list[tuple[datetime | int, str, str | None]],
) -> None:
    events = [
        decode_event(_line(ts.isoformat() if isinstance(ts, datetime) else ts, text=text))
        for ts, text, _ in rows
    ]
    for event, (_, _, nickname) in zip(events, rows, strict=True):
        event.nickname = nickname  # a null or a string, row by row
    compiled, python = _both(events)
    assert compiled[0].equals(python[0])
    expected = [ts if isinstance(ts, int) else ts.astimezone(UTC) for ts in (r[0] for r in rows)]
    got = compiled[0]["ts"].to_pylist()
    for want, have in zip(expected, got, strict=True):
        if isinstance(want, int):
            assert have == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=want)
        else:
            assert have == want


def test_a_list_mixing_types_or_a_value_of_the_wrong_type_is_refused_not_misread() -> None:
    comment = decode_event(_line("2026-11-11T20:00:00+08:00", text="好"))
    like = next(e for e in every_event() if type(e).__name__ == "Like")
    with pytest.raises(TypeError, match="is a Like, not a Comment"):
        _columnar.columns([comment, like], ("ts",), b"t")
    wrong = msgspec.structs.replace(comment, text=42)
    with pytest.raises(TypeError, match="field text holds a int"):
        _columnar.columns([wrong], ("text",), b"s")
    naive = msgspec.structs.replace(comment, ts=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="no time zone"):
        _columnar.columns([naive], ("ts",), b"t")
    surrogate = msgspec.structs.replace(comment, text="a\ud800")
    with pytest.raises(ValueError, match="field text of event 0 is not valid Unicode"):
        _columnar.columns([surrogate], ("text",), b"s")
    with pytest.raises(AttributeError, match="no_such_field"):
        _columnar.columns([comment], ("no_such_field",), b"s")
    with pytest.raises(TypeError, match="__struct_fields__ is not a field slot of Comment"):
        _columnar.columns([comment], ("__struct_fields__",), b"s")
    assert isinstance(comment, Comment)


@given(
    st.lists(st.lists(st.text(max_size=6), max_size=30), min_size=1, max_size=4),
    st.integers(0, 3),
)
@settings(max_examples=200, deadline=None)
def test_has_repeats_finds_exactly_the_repeated_strings(chunks: list[list[str]], skip: int) -> None:
    column = pa.chunked_array([pa.array(c, pa.string())[skip:] for c in chunks], pa.string())
    values = column.to_pylist()
    want = len(set(values)) < len(values)
    assert columns.has_repeats(column) is want
    with _python_columns():
        assert columns.has_repeats(column) is want
