"""JSON Lines files in the canonical event form: the fast path of ingest.

The file is read in binary blocks; complete lines are decoded a block at a time. A line longer than
``max_line_bytes`` is never held in memory whole: its first bytes are kept for the quarantine and
the rest is skipped up to the next newline. A last line without a newline is decoded like any
other (a truncated record then fails with ``truncated_record``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from livelens.errors import InvalidEvent
from livelens.events.codec import LINE_TOO_LONG, decode_block, decode_event
from livelens.sources.base import RAW_TEXT_LIMIT, Rejection, SourceBatch, raw_text

READ_BYTES: Final = 4 << 20
MAX_LINE_BYTES: Final = 1 << 20


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    data: bytes  # the line, or only its first RAW_TEXT_LIMIT bytes when it is too long
    size: int  # the whole line's length in bytes


def _iter_lines(handle: BinaryIO, max_line_bytes: int) -> Iterator[list[_Line]]:
    """Yield the file's lines in blocks, one block per read, numbered from 1."""
    number = 0
    pending = b""
    skipping: _Line | None = None  # an over-long line whose tail is being skipped
    while chunk := handle.read(READ_BYTES):
        block: list[_Line] = []
        start = 0
        if skipping is not None:
            end = chunk.find(b"\n")
            if end < 0:
                skipping = _Line(skipping.number, skipping.data, skipping.size + len(chunk))
                continue
            block.append(_Line(skipping.number, skipping.data, skipping.size + end))
            skipping, start = None, end + 1
        data = pending + chunk[start:] if pending else chunk[start:]
        pieces = data.split(b"\n")
        pending = pieces.pop()
        for piece in pieces:
            number += 1
            block.append(_line(number, piece, max_line_bytes))
        if len(pending) > max_line_bytes:
            number += 1
            skipping = _Line(number, pending[:RAW_TEXT_LIMIT], len(pending))
            pending = b""
        if block:
            yield block
    if skipping is not None:
        yield [skipping]
    elif pending:
        number += 1
        yield [_line(number, pending, max_line_bytes)]


def _line(number: int, data: bytes, max_line_bytes: int) -> _Line:
    if len(data) > max_line_bytes:
        return _Line(number, data[:RAW_TEXT_LIMIT], len(data))
    return _Line(number, data, len(data))


def _decode_lines(source: str, lines: list[_Line], max_line_bytes: int) -> SourceBatch:
    rejections: list[Rejection] = []
    good = [line for line in lines if line.size <= max_line_bytes and line.data.strip()]
    events = decode_block([line.data for line in good])
    if events is None:
        events, kept = [], []
        for line in good:
            try:
                events.append(decode_event(line.data))
                kept.append(line)
            except InvalidEvent as error:
                rejections.append(
                    Rejection(
                        error.reason,
                        error.detail,
                        source,
                        f"line {line.number}",
                        raw_text(line.data),
                    )
                )
        good = kept
    for line in lines:
        if line.size > max_line_bytes:
            detail = f"line is {line.size} bytes; the limit is {max_line_bytes} (--max-line-bytes)"
            rejections.append(
                Rejection(LINE_TOO_LONG, detail, source, f"line {line.number}", raw_text(line.data))
            )

    def locate(index: int) -> tuple[str, str]:
        line = good[index]
        return f"line {line.number}", raw_text(line.data)

    return SourceBatch(source, events, rejections, locate)


@dataclass(frozen=True, slots=True)
class JsonLinesFile:
    """A canonical JSON Lines file as a :class:`~livelens.sources.base.Source`."""

    path: Path
    max_line_bytes: int = MAX_LINE_BYTES

    def __iter__(self) -> Iterator[SourceBatch]:
        with self.path.open("rb") as handle:
            for lines in _iter_lines(handle, self.max_line_bytes):
                yield _decode_lines(str(self.path), lines, self.max_line_bytes)


def decode_buffer(source: str, data: bytes, max_line_bytes: int = MAX_LINE_BYTES) -> SourceBatch:
    """Decode an in-memory JSON Lines body (the API's batch endpoint) as one batch."""
    pieces = data.split(b"\n")
    lines = [_line(n, piece, max_line_bytes) for n, piece in enumerate(pieces, start=1)]
    return _decode_lines(source, lines, max_line_bytes)
