"""Decoding and encoding the canonical JSON Lines wire form.

Decoding is the hot path of ingest. A block of lines is first decoded in one call
(``Decoder.decode_lines``, all in C); only a block that contains a bad line is decoded again line by
line, so that each bad line gets its own reason and no good line of the block is lost.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import msgspec

from livelens.errors import InvalidEvent
from livelens.events.schema import AnyEvent, Event

# Stable quarantine reason codes (documented in docs/ingest.md; never rename one).
MALFORMED_JSON: Final = "malformed_json"
TRUNCATED: Final = "truncated_record"
INVALID_UTF8: Final = "invalid_utf8"
LINE_TOO_LONG: Final = "line_too_long"
UNKNOWN_TYPE: Final = "unknown_type"
MISSING_FIELD: Final = "missing_field"
WRONG_TYPE: Final = "wrong_type"
OUT_OF_RANGE: Final = "out_of_range"
INVALID_VALUE: Final = "invalid_value"
UNSUPPORTED_SCHEMA: Final = "unsupported_schema"
TS_OUT_OF_RANGE: Final = "ts_out_of_range"

_decoder: Final = msgspec.json.Decoder(AnyEvent)
_encoder: Final = msgspec.json.Encoder()

_RANGE = re.compile(r"Expected `(int|float|number)` (>=|<=|>|<) ")
_LENGTH = re.compile(r"Expected `(str|array|object)` of length ")


def classify(error: msgspec.ValidationError) -> InvalidEvent:
    """Turn a msgspec validation message into a stable reason code plus the message."""
    message = str(error)
    if message.endswith("at `$.type`") or message.startswith("Invalid value"):
        return InvalidEvent(UNKNOWN_TYPE, message)
    if message.endswith("at `$.schema`"):
        return InvalidEvent(UNSUPPORTED_SCHEMA, message)
    if message.startswith("Object missing required field"):
        return InvalidEvent(MISSING_FIELD, message)
    if _RANGE.match(message):
        return InvalidEvent(OUT_OF_RANGE, message)
    if message.startswith("Expected `") and ", got `" in message:
        return InvalidEvent(WRONG_TYPE, message)
    return InvalidEvent(INVALID_VALUE, message)


def decode_event(line: bytes | str) -> Event:
    """Decode one JSON line into its typed event, or raise :class:`InvalidEvent` with a reason."""
    try:
        return _decoder.decode(line)  # type: ignore[no-any-return]
    except msgspec.ValidationError as error:
        raise classify(error) from None
    except msgspec.DecodeError as error:
        message = str(error)
        reason = TRUNCATED if "truncated" in message else MALFORMED_JSON
        raise InvalidEvent(reason, message) from None
    except UnicodeDecodeError as error:
        raise InvalidEvent(INVALID_UTF8, f"invalid UTF-8 byte at offset {error.start}") from None


def decode_block(lines: Sequence[bytes]) -> list[Event] | None:
    """Decode a block of non-blank lines at once; ``None`` when any line is bad.

    The caller then decodes the block line by line with :func:`decode_event` to find out which.
    """
    text = b"\n".join(lines)
    return decode_text(text, len(text), len(lines))


# Lines are decoded at most about this many bytes per call: msgspec holds the GIL through a call,
# so a thread that prepares the previous block (GIL-free in C) waits at most one piece
DECODE_PIECE_BYTES: Final = 1 << 20


def decode_text(text: bytes, end: int, lines: int) -> list[Event] | None:
    """:func:`decode_block` of the ``lines`` lines of ``text[:end]``, joined by newlines; decoded
    in pieces of about :data:`DECODE_PIECE_BYTES`, cut at newlines, without copying."""
    view = memoryview(text)
    events: list[Event] = []
    start = 0
    try:
        while start < end:
            stop = text.find(b"\n", min(start + DECODE_PIECE_BYTES, end), end)
            stop = end if stop < 0 else stop
            events += _decoder.decode_lines(view[start:stop])
            start = stop + 1
    except (msgspec.MsgspecError, UnicodeDecodeError):
        return None
    return events if len(events) == lines else None


def convert_event(record: Mapping[str, Any]) -> Event:
    """Validate a mapping (a CSV or Parquet row) as an event, coercing strings to numbers."""
    try:
        return msgspec.convert(record, AnyEvent, strict=False)  # type: ignore[no-any-return]
    except msgspec.ValidationError as error:
        raise classify(error) from None


def encode_event(event: Event) -> bytes:
    """The canonical JSON form of one event (no trailing newline)."""
    return _encoder.encode(event)


def derive_event_id(event: Event) -> str:
    """A content-derived id, so identical records without producer ids are stored once."""
    return "h_" + hashlib.blake2b(encode_event(event), digest_size=12).hexdigest()


def encode_lines(events: Iterable[Event]) -> bytes:
    """Canonical JSON Lines for ``events``, one per line, newline-terminated."""
    buffer = bytearray()
    for event in events:
        _encoder.encode_into(event, buffer, -1)
        buffer.extend(b"\n")
    return bytes(buffer)
