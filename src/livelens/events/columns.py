"""Events as columns: the one wide Arrow schema that the store and the engine read.

Every event type maps onto the same table: the envelope columns plus a nullable column per payload
field (a field shared by several types, such as ``product_id`` or ``count``, is one column). Events
are grouped by type; each group's fields are read in one pass over its events by the compiled
``livelens._columnar`` straight into Arrow buffers (src/livelens/_columnar.c), or, where it was not
compiled, transposed with ``astuple`` + ``zip`` and converted column by column (the same table,
about 2.5× the time: the second walk over millions of small objects misses the CPU caches).
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, Final

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from livelens import compiled
from livelens.events.schema import AnyEvent, Event, event_type

_columnar = compiled.load()  # None where not compiled: the columns are then built in Python

TS_TYPE: Final = pa.timestamp("us", tz="UTC")

ENVELOPE_FIELDS: Final = (
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("type", pa.string(), nullable=False),
    pa.field("ts", TS_TYPE, nullable=False),
    pa.field("room_id", pa.string(), nullable=False),
    pa.field("session_id", pa.string(), nullable=False),
    pa.field("platform", pa.string(), nullable=False),
    pa.field("viewer_id", pa.string()),
    pa.field("schema", pa.int16(), nullable=False),
)
PAYLOAD_FIELDS: Final = (
    pa.field("source", pa.string()),
    pa.field("count", pa.int64()),
    pa.field("text", pa.string()),
    pa.field("gift_name", pa.string()),
    pa.field("product_id", pa.string()),
    pa.field("order_id", pa.string()),
    pa.field("quantity", pa.int32()),
    pa.field("amount_minor", pa.int64()),
    pa.field("price_minor", pa.int64()),
    pa.field("currency", pa.string()),
    pa.field("persona_id", pa.string()),
    pa.field("promo_id", pa.string()),
    pa.field("discount_pct", pa.float64()),
    pa.field("duration_s", pa.int32()),
    pa.field("keyword", pa.string()),
    pa.field("rank", pa.int32()),
    pa.field("heat", pa.float64()),
    pa.field("competitor", pa.string()),
    pa.field("category", pa.string()),
    pa.field("nickname", pa.string()),
    # Added after release: appended here so that a new store and a store opened and migrated by
    # DuckDBStore (which adds the missing nullable columns at the end) have the same column order.
    pa.field("stock", pa.int64()),
)
EVENTS_SCHEMA: Final = pa.schema([*ENVELOPE_FIELDS, *PAYLOAD_FIELDS])
COLUMN_NAMES: Final = tuple(EVENTS_SCHEMA.names)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def ts_micros(value: datetime | int) -> int:
    """Event time as integer microseconds since the epoch (ints on the wire are milliseconds)."""
    if isinstance(value, int):
        return value * 1000
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _ts_array(values: Sequence[datetime | int]) -> pa.Array:
    if set(map(type, values)) == {datetime}:
        return pa.array(values, TS_TYPE)  # converts each offset to UTC in C
    return pa.array([ts_micros(v) for v in values], pa.int64()).cast(TS_TYPE)


def _group_table(kind: str, events: list[Event]) -> pa.Table:
    """The events of one type ``kind`` as a table in :data:`EVENTS_SCHEMA`."""
    if _columnar is not None:
        present = _compiled_columns(_columnar, events)
    else:
        present = _python_columns(events)
    return group_table(kind, present, len(events))


def group_table(kind: str, present: dict[str, pa.Array], rows: int) -> pa.Table:
    """A table in :data:`EVENTS_SCHEMA` of ``rows`` events of the type ``kind``, given the
    columns that type has: the ``type`` column and nulls for the other columns are added."""
    arrays: list[pa.Array] = []
    for field in EVENTS_SCHEMA:
        if field.name == "type":
            arrays.append(pa.repeat(pa.scalar(kind, pa.string()), rows))
        elif field.name in present:
            arrays.append(present[field.name])
        else:
            arrays.append(_nulls(field.type, rows))
    return pa.Table.from_arrays(arrays, schema=EVENTS_SCHEMA)


def _python_columns(events: list[Event]) -> dict[str, pa.Array]:
    """The columns the events' type has: transposed with ``astuple`` + ``zip``, then converted
    column by column."""
    names: tuple[str, ...] = type(events[0]).__struct_fields__
    rows = map(msgspec.structs.astuple, events)
    values = dict(zip(names, zip(*rows, strict=True), strict=True))
    return {
        field.name: _ts_array(values["ts"])
        if field.name == "ts"
        else pa.array(values[field.name], field.type)
        for field in EVENTS_SCHEMA
        if field.name in values
    }


# The buffer layout livelens._columnar writes for each column type ('t': event time, µs UTC)
_KINDS: Final = {
    pa.string(): b"s",
    pa.int64(): b"q",
    pa.int32(): b"i",
    pa.int16(): b"h",
    pa.float64(): b"d",
    TS_TYPE: b"t",
}


def kind_of(column_type: pa.DataType) -> bytes:
    """The buffer layout livelens._columnar writes for a column of ``column_type``."""
    return _KINDS[column_type]


def _compiled_columns(columnar: ModuleType, events: list[Event]) -> dict[str, pa.Array]:
    """The columns the events' type has, every field read in one pass over the events, in C."""
    names = type(events[0]).__struct_fields__
    fields = [f for f in EVENTS_SCHEMA if f.name in names]
    kinds = b"".join(_KINDS[f.type] for f in fields)
    buffers = columnar.columns(events, tuple(f.name for f in fields), kinds)
    return present_columns(names, buffers, len(events))


Buffers = tuple[bytes | None, bytes, bytes | None, int]  # validity, values, data, null count


def present_columns(
    names: Sequence[str], buffers: Sequence[Buffers], rows: int
) -> dict[str, pa.Array]:
    """The arrays of the columns of :data:`EVENTS_SCHEMA` named in ``names`` (in the schema's
    order), from the buffers livelens._columnar wrote for them (wrapped, not copied)."""
    fields = [f for f in EVENTS_SCHEMA if f.name in names]
    return {
        field.name: pa.Array.from_buffers(
            field.type,
            rows,
            [
                None if validity is None else pa.py_buffer(validity),
                pa.py_buffer(values),
                *([] if data is None else [pa.py_buffer(data)]),
            ],
            null_count,
        )
        for field, (validity, values, data, null_count) in zip(fields, buffers, strict=True)
    }


_NULLS: dict[pa.DataType, pa.Array] = {}


def _nulls(column_type: pa.DataType, length: int) -> pa.Array:
    """``length`` nulls of ``column_type``: a slice of one array kept per type. A batch has ~20
    payload columns an event type lacks; a fresh ``pa.nulls`` for each (zeroed value buffers) took
    a tenth of the columns' time (py-spy)."""
    nulls = _NULLS.get(column_type)
    if nulls is None or len(nulls) < length:
        size = length if nulls is None else max(length, 2 * len(nulls))
        nulls = _NULLS[column_type] = pa.nulls(size, column_type)
    return nulls.slice(0, length)


def has_repeats(strings: pa.ChunkedArray) -> bool:
    """Whether some string occurs twice in ``strings`` (no nulls). Compiled, each string is
    hashed to 64 bits in one pass over the Arrow buffers and the hashes sorted; only two equal
    hashes lead to the exact count (hashing the strings into a set: 0.26 µs a string)."""
    if _columnar is not None and strings.num_chunks:
        hashes = np.concatenate(
            [
                np.frombuffer(
                    _columnar.string_hashes(*chunk.buffers()[1:3], chunk.offset, len(chunk)),
                    np.uint64,
                )
                for chunk in strings.chunks
            ]
        )
        hashes.sort()
        if not (hashes[1:] == hashes[:-1]).any():
            return False
    return bool(pc.count_distinct(strings).as_py() < len(strings))


def events_to_table(events: Sequence[Event]) -> pa.Table:
    """The events as one table in :data:`EVENTS_SCHEMA`, grouped by type (order kept within)."""
    return events_to_table_ordered(events)[0]


def events_to_table_ordered(events: Sequence[Event]) -> tuple[pa.Table, list[int]]:
    """Like :func:`events_to_table`, plus the index in ``events`` of each row of the table."""
    if not events:
        return EVENTS_SCHEMA.empty_table(), []
    with _gc_paused():
        groups, order = _by_type(events)
        tables = [_group_table(event_type(members[0]), members) for members in groups]
    return (pa.concat_tables(tables) if len(tables) > 1 else tables[0]), order


def _by_type(events: Sequence[Event]) -> tuple[list[list[Event]], list[int]]:
    """The events grouped by type (types in order of first appearance, events in order within),
    and the index in ``events`` of each event of the groups, group after group."""
    if _columnar is not None:
        groups: list[list[Event]]
        groups, order = _columnar.group_by_type(
            events if isinstance(events, list) else list(events)
        )
        return groups, order
    indices: dict[type[Event], list[int]] = defaultdict(list)
    for index, event in enumerate(events):
        indices[type(event)].append(index)
    groups = [[events[i] for i in members] for members in indices.values()]
    return groups, [i for members in indices.values() for i in members]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while transposing: the millions of short-lived tuples made here hold
    no cycles, yet trigger collections that cost more than the transposition itself (measured
    3x slower at 170k events per batch)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def table_to_events(table: pa.Table) -> Iterator[Event]:
    """Rebuild typed events from a table in :data:`EVENTS_SCHEMA` (store → engine, export)."""
    for batch in table.to_batches(max_chunksize=65_536):
        for row in batch.to_pylist():
            record: dict[str, Any] = {k: v for k, v in row.items() if v is not None}
            yield msgspec.convert(record, AnyEvent, strict=False)
