"""What every source hands to ingest: batches of typed events plus the records it had to reject.

A source reads some input (a JSON Lines file, a CSV, a platform recording, the simulator) and
yields :class:`SourceBatch` objects. It validates what it can see (syntax, types, the platform's
own format); ingest then applies the checks that need context (time bounds, duplicates),
pseudonymises viewers and stores the batch. A rejected record is never dropped: it travels as a
:class:`Rejection` with its reason, its place in the input and its raw text, into the quarantine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final, Protocol

import pyarrow as pa

from livelens.events.schema import Event

RAW_TEXT_LIMIT: Final = 65_536  # characters of a rejected record kept in the quarantine


@dataclass(frozen=True, slots=True)
class Rejection:
    """One input record that is not a valid event."""

    reason: str  # a stable code, e.g. "malformed_json" (livelens.events.codec)
    detail: str  # the human explanation: what was expected, what was found
    source: str  # the file (or stream) it came from
    location: str  # where in it: "line 12", "row 7", "byte 1048576"
    raw: str  # the record as read (truncated to RAW_TEXT_LIMIT characters)


def raw_text(raw: bytes | str) -> str:
    """A rejected record as storable text: undecodable bytes escaped, length capped."""
    text = raw.decode("utf-8", errors="backslashreplace") if isinstance(raw, bytes) else raw
    if len(text) > RAW_TEXT_LIMIT:
        return text[:RAW_TEXT_LIMIT] + f"…[{len(text) - RAW_TEXT_LIMIT} more characters]"
    return text


def _no_location(index: int) -> tuple[str, str]:
    return (f"event {index}", "")


@dataclass(slots=True)
class SourceBatch:
    """Events decoded from one stretch of input, in input order, and the rejects of that stretch.

    ``locate(i)`` gives the location and raw text of ``events[i]``; ingest calls it only when it
    rejects that event, so sources need not keep a location per good event. ``position`` is where
    a resumed read continues after this batch (opaque to everything but the source that made it).

    A source that decodes straight into columns (bulk JSON Lines ingest) gives ``columns``
    instead of events: the table in :data:`~livelens.events.columns.EVENTS_SCHEMA`, every event
    with its ``event_id``, and for each row the index ``locate`` takes; ``events`` is then empty.
    """

    source: str
    events: list[Event]
    rejections: list[Rejection] = field(default_factory=list)
    locate: Callable[[int], tuple[str, str]] = _no_location
    position: str | None = None
    columns: tuple[pa.Table, list[int]] | None = None


class Source(Protocol):
    """Anything ingest can read: an iterable of batches."""

    def __iter__(self) -> Iterator[SourceBatch]: ...
