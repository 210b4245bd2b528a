"""JSON Lines decoded straight into columns: the fast path of bulk ingest (compiled only).

msgspec decodes a line into a Struct that the columns are then read from
(:mod:`livelens.events.columns`): two passes, and a Python object per event and per value.
``livelens._columnar.decode_lines`` instead reads a block's lines once, without the GIL, into the
Arrow buffers of each event type's columns. It accepts a line only where it can prove that msgspec
reads it as the same event, in a strict subset of the wire form that is what producers write
(keys in any order, escapes in free text and ids, integers without sign, fraction or exponent,
times as ``YYYY-MM-DDTHH:MM:SS[.ffffff]`` with ``Z`` or ``±HH:MM``, no unknown or repeated keys,
an ``event_id``; the exact rules head the decoder in src/livelens/_columnar.c). Every other line
is left to msgspec (:func:`decode_columns` returns it as a *fallback* line), so its event, or its
quarantine reason and message, are msgspec's own.

The checks come from the event model itself (``msgspec.inspect``): lengths, ranges, literals and
defaults of each field. A type whose fields the decoder cannot check (a pattern other than the
currency's, a ``__post_init__``) sends all its lines to msgspec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import msgspec
import numpy as np
import pyarrow as pa

from livelens import compiled
from livelens.events.columns import EVENTS_SCHEMA, group_table, kind_of, present_columns
from livelens.events.schema import EVENT_TYPES, Event

_columnar = compiled.load()

_CURRENCY_PATTERN: Final = "^[A-Z]{3}$"
# Fields the fast path requires (not null) although the model does not: a line without one goes
# to msgspec (an event without an event_id gets one derived from its msgspec-decoded content)
_REQUIRED_HERE: Final = frozenset({"event_id"})


class _Unsupported(Exception):
    """A field type the compiled decoder cannot check exactly as msgspec does."""


@dataclass(frozen=True, slots=True)
class DecodedColumns:
    """The lines of a block that :func:`decode_columns` read, and those it left to msgspec."""

    table: pa.Table  # their events in EVENTS_SCHEMA, grouped by type (line order within a type)
    lines: list[int]  # the index in the block of the line of each row
    fallback: list[int]  # the lines to decode with msgspec, in order (never blank lines)


def _bounds(info: Any) -> tuple[Any, Any, bool, bool]:
    """(low, high, low exclusive, high exclusive) of an int or float type's constraints."""
    if info.multiple_of is not None:
        raise _Unsupported(info)
    low, low_open = (info.gt, True) if info.gt is not None else (info.ge, False)
    high, high_open = (info.lt, True) if info.lt is not None else (info.le, False)
    if isinstance(info, msgspec.inspect.IntType):  # integer bounds are inclusive
        low = None if low is None else low + low_open
        high = None if high is None else high - high_open
        return low, high, False, False
    return low, high, low_open, high_open


def _field(field: msgspec.inspect.Field, store: bytes) -> tuple[Any, ...]:
    """One field's spec for ``livelens._columnar.lines_spec``."""
    info, nullable = field.type, False
    if isinstance(info, msgspec.inspect.UnionType):
        options = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        nullable = len(options) < len(info.types)
        if len(options) == 1:
            info = options[0]
        elif {type(t) for t in options} == {msgspec.inspect.DateTimeType, msgspec.inspect.IntType}:
            (when,) = (t for t in options if isinstance(t, msgspec.inspect.DateTimeType))
            (millis,) = (t for t in options if isinstance(t, msgspec.inspect.IntType))
            if when.tz is not True:
                raise _Unsupported(when)
            low, high, _, _ = _bounds(millis)
            return _spec(field, "t", "T", nullable, low, high)
        else:
            raise _Unsupported(info)
    default = field.default if field.default is not msgspec.NODEFAULT else None
    if default is not None and not isinstance(info, msgspec.inspect.IntType):
        raise _Unsupported(field)
    if isinstance(info, msgspec.inspect.StrType):
        if info.pattern == _CURRENCY_PATTERN and info.min_length is info.max_length is None:
            return _spec(field, "s", "C", nullable)
        if info.pattern is not None:
            raise _Unsupported(info)
        low, high = info.min_length or 0, info.max_length
        return _spec(field, "s", "S", nullable, low, high)
    if isinstance(info, msgspec.inspect.LiteralType):
        choices = tuple(v.encode() for v in info.values if isinstance(v, str))
        if len(choices) < len(info.values):
            raise _Unsupported(info)
        return _spec(field, "s", "L", nullable, choices=choices)
    if isinstance(info, msgspec.inspect.IntType) and store in (b"q", b"i", b"h"):
        low, high, _, _ = _bounds(info)
        return _spec(field, store.decode(), "N", nullable, low, high, default=default)
    if isinstance(info, msgspec.inspect.FloatType) and store == b"d":
        return _spec(field, "d", "F", nullable, *_bounds(info))
    raise _Unsupported(info)


def _spec(
    field: msgspec.inspect.Field,
    store: str,
    check: str,
    nullable: bool,
    low: Any = None,
    high: Any = None,
    low_open: bool = False,
    high_open: bool = False,
    *,
    default: int | None = None,
    choices: tuple[bytes, ...] = (),
) -> tuple[Any, ...]:
    required = field.required or field.name in _REQUIRED_HERE
    nullable = nullable and field.name not in _REQUIRED_HERE
    key = field.encode_name.encode()
    return (key, store, check, required, nullable, low, high, low_open, high_open, default, choices)


def _type_spec(cls: type[Event]) -> tuple[Any, ...] | None:
    """The fields of one event type in its columns' order, or None: msgspec decodes its lines."""
    info: Any = msgspec.inspect.type_info(cls)
    if hasattr(cls, "__post_init__") or info.tag_field != "type" or info.array_like:
        return None
    fields = {f.name: f for f in info.fields}
    try:
        return tuple(
            _field(fields[column.name], kind_of(column.type))
            for column in EVENTS_SCHEMA
            if column.name in fields
        )
    except _Unsupported:
        return None


_TAGS: Final = tuple(EVENT_TYPES)
_SPEC: Final = (
    None
    if _columnar is None
    else _columnar.lines_spec(tuple((tag.encode(), _type_spec(EVENT_TYPES[tag])) for tag in _TAGS))
)


def decode_columns(text: bytes, end: int) -> DecodedColumns | None:
    """The lines of ``text[:end]`` (``text[end]`` is a newline, or ``end`` is its length) as
    columns, with the lines left to msgspec; None where ``livelens._columnar`` is not compiled."""
    if _columnar is None:
        return None
    decoded, fallback = _columnar.decode_lines(_SPEC, text, end)
    tables, lines = [], []
    for type_index, rows, buffers in decoded:
        cls = EVENT_TYPES[_TAGS[type_index]]
        count = len(rows) // 8
        present = present_columns(cls.__struct_fields__, buffers, count)
        tables.append(group_table(_TAGS[type_index], present, count))
        lines.append(np.frombuffer(rows, np.int64))
    table = (
        pa.concat_tables(tables)
        if len(tables) > 1
        else tables[0]
        if tables
        else EVENTS_SCHEMA.empty_table()
    )
    order = np.concatenate(lines).tolist() if lines else []
    return DecodedColumns(table, order, np.frombuffer(fallback, np.int64).tolist())
