"""JSON Lines files in the canonical event form: the fast path of ingest.

The file is read in large binary blocks; the complete lines of a block are decoded in one call.
Only a block holding a bad (or blank) line is decoded again line by line. Read ``columnar`` (as
bulk ingest reads it), a block is decoded straight into columns where the compiled decoder can
(:mod:`livelens.events.json_columns`), and only the lines it leaves are decoded by msgspec, in
one call, or line by line if one of them is bad. A line longer than
``max_line_bytes`` is never held whole: its head is kept for the quarantine and the rest is skipped
up to the next newline. A last line without a newline is decoded like any other (a cut-off record
then fails with ``truncated_record``).
"""

from __future__ import annotations

import dataclasses
import io
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

import pyarrow as pa

from livelens.errors import InvalidEvent
from livelens.events.codec import (
    LINE_TOO_LONG,
    decode_block,
    decode_event,
    decode_text,
    derive_event_id,
)
from livelens.events.columns import events_to_table_ordered
from livelens.events.json_columns import DecodedColumns, decode_columns
from livelens.events.schema import Event
from livelens.sources.base import RAW_TEXT_LIMIT, Rejection, SourceBatch, raw_text

READ_BYTES: Final = 32 << 20
TAIL_READ_BYTES: Final = 1 << 20  # smaller reads while following: a batch per ~5k events


@dataclass(frozen=True, slots=True)
class FilePosition:
    """Where to resume reading: a byte offset at a line start, and that line's number."""

    offset: int = 0
    line: int = 1

    def encode(self) -> str:
        return f"{self.offset}:{self.line}"

    @classmethod
    def decode(cls, text: str) -> FilePosition:
        offset, _, line = text.partition(":")
        return cls(int(offset), int(line))


MAX_LINE_BYTES: Final = 1 << 20


@dataclass(slots=True)
class _Block:
    """Consecutive lines of a file; ``oversize`` maps an index to the full size of a long line.

    A block read whole keeps its ``text`` (the lines joined by newlines) and is split into
    ``lines`` only if a line must be looked at on its own (:meth:`all_lines`)."""

    first_line: int
    lines: list[bytes]
    oversize: dict[int, int] = field(default_factory=dict)
    end_offset: int = 0  # the byte offset just after the block's last newline
    text: bytes | None = None  # the bytes read: the block is text[:text_end], not a copy
    text_end: int = 0
    count: int = 0  # the number of lines of the block's text

    def all_lines(self) -> list[bytes]:
        if self.text is not None and not self.lines:
            self.lines = self.text[: self.text_end].split(b"\n")
        return self.lines

    def __len__(self) -> int:
        return self.count if self.text is not None else len(self.lines)


# A block is read whole when no line can be longer than max_line_bytes: a newline in every
# stretch of max_line_bytes // 2 bytes proves it with a few dozen finds per block (splitting a
# 32 MiB block into its ~170,000 lines and joining them again for the decoder cost 0.2 µs a line)
_MAX_STRETCHES: Final = 4_096


def _no_line_longer(data: bytes, end: int, limit: int) -> bool:
    """True only if no line of ``data[:end]`` (``data[end]`` is a newline) is longer than
    ``limit`` bytes; False may also mean that it was not worth checking."""
    step = limit // 2
    if step < 1 or end // step > _MAX_STRETCHES:
        return False
    return all(data.find(b"\n", at, min(at + step, end + 1)) >= 0 for at in range(0, end, step))


def _read_blocks(
    handle: BinaryIO,
    max_line_bytes: int,
    *,
    start: FilePosition | None = None,
    read_bytes: int = READ_BYTES,
    final_partial: bool = True,
) -> Iterator[_Block]:
    """Blocks of complete lines; a last line without newline only if ``final_partial``."""
    number = start.line if start else 1  # the line number of the next line to start
    offset = start.offset if start else 0  # bytes consumed from the file so far
    pending = b""
    skipping: tuple[int, bytes, int] | None = None  # (line number, head, size so far)
    while chunk := handle.read(read_bytes):
        offset += len(chunk)
        block = _Block(number, [])
        if skipping is not None:
            end = chunk.find(b"\n")
            line_number, head, size = skipping
            if end < 0:
                skipping = (line_number, head, size + len(chunk))
                continue
            block = _Block(line_number, [head], {0: size + end})
            skipping, chunk = None, chunk[end + 1 :]
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n")
        if not block.lines and cut > 0 and _no_line_longer(data, cut, max_line_bytes):
            block.text, block.text_end = data, cut
            block.count = data.count(b"\n", 0, cut) + 1
            pending = data[cut + 1 :]
            block.end_offset = offset - len(pending)
            number = block.first_line + block.count
            if len(pending) > max_line_bytes:
                skipping, pending = (number, pending[:RAW_TEXT_LIMIT], len(pending)), b""
            yield block
            continue
        pieces = data.split(b"\n")
        pending = pieces.pop()
        block.end_offset = offset - len(pending)
        base = len(block.lines)
        block.lines.extend(pieces)
        if pieces and max(map(len, pieces)) > max_line_bytes:
            for index, piece in enumerate(pieces, start=base):
                if len(piece) > max_line_bytes:
                    block.oversize[index] = len(piece)
                    block.lines[index] = piece[:RAW_TEXT_LIMIT]
        number = block.first_line + len(block.lines)
        if len(pending) > max_line_bytes:
            skipping, pending = (number, pending[:RAW_TEXT_LIMIT], len(pending)), b""
        if block.lines:
            yield block
    if not final_partial:
        return
    if skipping is not None:
        yield _Block(skipping[0], [skipping[1]], {0: skipping[2]}, offset)
    elif pending:
        oversize = {0: len(pending)} if len(pending) > max_line_bytes else {}
        line = pending[:RAW_TEXT_LIMIT] if oversize else pending
        yield _Block(number, [line], oversize, offset)


def _decode(
    source: str, block: _Block, max_line_bytes: int, *, columnar: bool = False
) -> SourceBatch:
    first = block.first_line
    if columnar and not block.oversize and block.text is not None:
        decoded = decode_columns(block.text, block.text_end)
        if decoded is not None:
            return _columnar_batch(source, block, decoded, max_line_bytes)
    if not block.oversize:
        if block.text is not None:
            events = decode_text(block.text, block.text_end, block.count)
        else:
            events = decode_block(block.lines)
        if events is not None:  # the common case: every line a valid event
            position = FilePosition(block.end_offset, first + len(block)).encode()
            return SourceBatch(source, events, [], _line_locator(block), position)
    lines = block.all_lines()
    decoded_events, numbers, rejections = _decode_each(
        source, block, range(len(lines)), max_line_bytes
    )

    def locate(index: int) -> tuple[str, str]:
        return f"line {first + numbers[index]}", raw_text(lines[numbers[index]])

    position = FilePosition(block.end_offset, first + len(lines)).encode()
    return SourceBatch(source, decoded_events, rejections, locate, position)


def _line_locator(block: _Block) -> Callable[[int], tuple[str, str]]:
    """``locate`` of the block's line with the given index."""

    def locate(index: int) -> tuple[str, str]:
        return f"line {block.first_line + index}", raw_text(block.all_lines()[index])

    return locate


def _decode_each(
    source: str, block: _Block, indices: Iterable[int], max_line_bytes: int
) -> tuple[list[Event], list[int], list[Rejection]]:
    """The lines of ``block`` at ``indices`` decoded one by one: the events, the index of the line
    of each, and a rejection for each bad line (blank lines are skipped)."""
    lines = block.all_lines()
    decoded: list[Event] = []
    numbers: list[int] = []
    rejections: list[Rejection] = []
    for index in indices:
        line = lines[index]
        location = f"line {block.first_line + index}"
        if index in block.oversize:
            detail = (
                f"line is {block.oversize[index]} bytes; the limit is {max_line_bytes} "
                "(--max-line-bytes)"
            )
            rejections.append(Rejection(LINE_TOO_LONG, detail, source, location, raw_text(line)))
            continue
        if not line.strip():
            continue
        try:
            decoded.append(decode_event(line))
        except InvalidEvent as error:
            rejections.append(
                Rejection(error.reason, error.detail, source, location, raw_text(line))
            )
        else:
            numbers.append(index)
    return decoded, numbers, rejections


def _columnar_batch(
    source: str, block: _Block, decoded: DecodedColumns, max_line_bytes: int
) -> SourceBatch:
    """The block as columns: what the compiled decoder read, plus its fallback lines decoded by
    msgspec (given a derived id where they lack one) and converted to columns."""
    table, lines = decoded.table, decoded.lines
    rejections: list[Rejection] = []
    if decoded.fallback:
        # in one msgspec call where all are good events; one by one, for their reasons, if not
        numbers = decoded.fallback
        events = decode_block([block.all_lines()[i] for i in numbers])
        if events is None:
            events, numbers, rejections = _decode_each(source, block, numbers, max_line_bytes)
        for event in events:
            if event.event_id is None:
                event.event_id = derive_event_id(event)
        rest, order = events_to_table_ordered(events)
        table = pa.concat_tables([table, rest])
        lines = lines + [numbers[row] for row in order]
    position = FilePosition(block.end_offset, block.first_line + len(block)).encode()
    return SourceBatch(source, [], rejections, _line_locator(block), position, (table, lines))


@dataclass(frozen=True, slots=True)
class JsonLinesFile:
    """A canonical JSON Lines file as a :class:`~livelens.sources.base.Source`: from ``start``
    (the beginning when None) to the byte offset ``end``, a line boundary (the end when None).

    ``columnar`` batches carry their events as columns
    (:attr:`~livelens.sources.base.SourceBatch.columns`), decoded straight from the text where
    :mod:`livelens.events.json_columns` can: what bulk ingest asks for."""

    path: Path
    max_line_bytes: int = MAX_LINE_BYTES
    start: FilePosition | None = None
    block_bytes: int = READ_BYTES
    end: int | None = None
    columnar: bool = False

    def __iter__(self) -> Iterator[SourceBatch]:
        with self.path.open("rb") as handle:
            if self.start is not None:
                handle.seek(self.start.offset)
            reader: BinaryIO = handle
            if self.end is not None:
                begin = self.start.offset if self.start is not None else 0
                reader = _Bounded(handle, self.end - begin)  # type: ignore[assignment]
            blocks = _read_blocks(
                reader, self.max_line_bytes, start=self.start, read_bytes=self.block_bytes
            )
            for block in blocks:
                yield _decode(str(self.path), block, self.max_line_bytes, columnar=self.columnar)

    def parts(self, part_bytes: int) -> list[JsonLinesFile]:
        """The file cut at line boundaries into parts of about ``part_bytes`` (a long line makes
        its part longer), each knowing its first line's number, so that the parts read one after
        the other give exactly the batches, rejections and line numbers of the whole file. Reads
        the file once, counting newlines (never holding more than ``part_bytes`` of it)."""
        parts: list[JsonLinesFile] = []
        position = self.start or FilePosition()
        offset, line = position.offset, position.line
        limit = self.end
        with self.path.open("rb") as handle:
            handle.seek(offset)
            while limit is None or offset < limit:
                want = part_bytes if limit is None else min(part_bytes, limit - offset)
                chunk = handle.read(want)
                if not chunk:
                    break
                size, lines = len(chunk), chunk.count(b"\n")
                while not chunk.endswith(b"\n") and (limit is None or offset + size < limit):
                    chunk = handle.read(
                        1 << 20 if limit is None else min(1 << 20, limit - offset - size)
                    )
                    if not chunk:
                        break
                    cut = chunk.find(b"\n")
                    if cut >= 0:  # the line ends here: the part ends after it
                        handle.seek(cut + 1 - len(chunk), io.SEEK_CUR)
                        size, lines = size + cut + 1, lines + 1
                        break
                    size += len(chunk)
                start = FilePosition(offset, line)
                parts.append(dataclasses.replace(self, start=start, end=offset + size))
                offset, line = offset + size, line + lines
        return parts


class _Bounded(io.RawIOBase):
    """A read of at most ``remaining`` more bytes of ``handle``."""

    def __init__(self, handle: BinaryIO, remaining: int) -> None:
        self._handle, self._remaining = handle, remaining

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        want = self._remaining if size < 0 else min(size, self._remaining)
        data = self._handle.read(want)
        self._remaining -= len(data)
        return data


class _Following(io.RawIOBase):
    """A file read that waits for more data (``tail -f``) until idle for ``idle_timeout_s``."""

    def __init__(
        self,
        handle: BinaryIO,
        poll_s: float,
        idle_timeout_s: float | None,
        sleep: Callable[[float], None],
    ) -> None:
        self._handle, self._poll_s, self._idle_timeout_s = handle, poll_s, idle_timeout_s
        self._sleep = sleep

    def read(self, size: int = -1) -> bytes:
        waited = 0.0
        while True:
            data = self._handle.read(size)
            if data:
                return data
            if self._idle_timeout_s is not None and waited >= self._idle_timeout_s:
                return b""
            self._sleep(self._poll_s)
            waited += self._poll_s


@dataclass(frozen=True, slots=True)
class JsonLinesTail:
    """A JSON Lines file that is still being written: yields batches as complete lines appear.

    Stops after ``idle_timeout_s`` without new data (``None``: never). An incomplete last line
    is left for the next read, so ``position`` of the last batch is where to resume.
    """

    path: Path
    start: FilePosition | None = None
    idle_timeout_s: float | None = None
    poll_s: float = 0.05
    max_line_bytes: int = MAX_LINE_BYTES
    sleep: Callable[[float], None] = time.sleep

    def __iter__(self) -> Iterator[SourceBatch]:
        with self.path.open("rb") as handle:
            if self.start is not None:
                handle.seek(self.start.offset)
            following = _Following(handle, self.poll_s, self.idle_timeout_s, self.sleep)
            blocks = _read_blocks(
                following,  # type: ignore[arg-type]
                self.max_line_bytes,
                start=self.start,
                read_bytes=TAIL_READ_BYTES,
                final_partial=False,
            )
            for block in blocks:
                yield _decode(str(self.path), block, self.max_line_bytes)


def decode_body(source: str, body: bytes, max_line_bytes: int = MAX_LINE_BYTES) -> SourceBatch:
    """Decode an in-memory JSON Lines body (e.g. an API request) as one batch."""
    lines = body.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    block = _Block(1, lines)
    for index, line in enumerate(lines):
        if len(line) > max_line_bytes:
            block.oversize[index] = len(line)
            lines[index] = line[:RAW_TEXT_LIMIT]
    return _decode(source, block, max_line_bytes)
