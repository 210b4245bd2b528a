"""Ingest: sources → validated, de-duplicated, pseudonymised events in the store.

For each batch a source yields, ingest applies the checks that need context (event time within
bounds of the ingest clock), gives events without an ``event_id`` one derived from their content,
drops repeats of an ``event_id`` (within the batch here, against the store by its event-id hashes),
replaces raw viewer ids by keyed pseudonyms, drops nicknames unless the policy keeps them, and
appends the batch to the store in one columnar write. Every rejected record goes to the quarantine
with its reason, place and raw text; a bad record never costs a good one.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import shutil
import tempfile
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from livelens.events.codec import TS_OUT_OF_RANGE, derive_event_id
from livelens.events.columns import TS_TYPE, events_to_table_ordered, has_repeats
from livelens.events.pseudonymise import Pseudonymiser, redact_raw
from livelens.events.schema import Event
from livelens.sources.base import Rejection, Source, SourceBatch
from livelens.sources.jsonl import JsonLinesFile
from livelens.store.base import EventStore

# About how much of a JSON Lines file one worker process prepares at a time (ingest --workers)
PART_BYTES: Final = 16 << 20


@dataclass(frozen=True, slots=True)
class IngestPolicy:
    """What ingest accepts. Event times outside [earliest, now + max_future] are quarantined."""

    earliest: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    max_future: timedelta = timedelta(days=1)
    keep_nicknames: bool = False


class IngestReport(msgspec.Struct, kw_only=True):
    accepted: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = msgspec.field(default_factory=dict)
    sessions: list[str] = msgspec.field(default_factory=list)
    sources: list[str] = msgspec.field(default_factory=list)

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def summary(self) -> dict[str, object]:
        """The pinned ``--json`` shape: accepted, duplicates, quarantined by reason."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "quarantined": dict(sorted(self.quarantined.items())),
        }


@dataclass(slots=True)
class PreparedBatch:
    """A batch validated, de-duplicated within itself and pseudonymised, not yet stored."""

    table: pa.Table
    rejections: list[Rejection]
    duplicates: int = 0


def _reject_rows(
    batch: SourceBatch, order: list[int], rows: pa.Array, reason: str, detail: str
) -> list[Rejection]:
    rejections = []
    for row in rows.to_pylist():
        location, raw = batch.locate(order[row])
        rejections.append(Rejection(reason, detail, batch.source, location, raw))
    return rejections


def _first_occurrences(ids: pa.ChunkedArray, order: list[int]) -> pa.Array:
    """Which rows hold the first occurrence of their id in the input (``order``: the input
    position of each row; rows are grouped by type, not in input order)."""
    seen: set[str] = set()
    values = ids.to_pylist()
    keep = np.zeros(len(values), np.bool_)
    for row in np.argsort(np.asarray(order), kind="stable").tolist():
        keep[row] = values[row] not in seen
        seen.add(values[row])
    return pa.array(keep)


def _derive_missing_ids(table: pa.Table, order: list[int], events: list[Event]) -> pa.Table:
    """``table`` with a content-derived id for each event it has without one (set on the event
    too); only those events are encoded and hashed, the columns are not built again."""
    ids = table["event_id"].to_pylist()
    for row in pc.indices_nonzero(pc.is_null(table["event_id"])).to_pylist():
        event = events[order[row]]
        event.event_id = ids[row] = derive_event_id(event)
    column = table.schema.get_field_index("event_id")
    return table.set_column(column, table.schema.field(column), pa.array(ids, pa.string()))


def prepare_batch(
    batch: SourceBatch,
    pseudonymiser: Pseudonymiser,
    policy: IngestPolicy,
    now: datetime,
) -> PreparedBatch:
    """Columnar checks and transforms of one batch; Python touches each event only to id it.
    Reads nothing shared but the pseudonymiser's memo, so it may run outside a caller's lock."""
    if batch.columns is not None:  # decoded straight into columns, every event with its id
        table, order = batch.columns
    else:
        table, order = events_to_table_ordered(batch.events)
    if table["event_id"].null_count:  # records without a producer id: derive one from content
        table = _derive_missing_ids(table, order, batch.events)
    prepared = PreparedBatch(table, list(batch.rejections))

    latest = now + policy.max_future
    ts = table["ts"]
    early = pc.less(ts, pa.scalar(policy.earliest, TS_TYPE))
    out_of_range = pc.or_(early, pc.greater(ts, pa.scalar(latest, TS_TYPE)))
    if pc.any(out_of_range).as_py():
        detail = (
            f"event time is outside {policy.earliest.isoformat()} .. {latest.isoformat()} "
            f"(ingest time + {policy.max_future})"
        )
        rows = pc.indices_nonzero(out_of_range)
        prepared.rejections += _reject_rows(batch, order, rows, TS_OUT_OF_RANGE, detail)
        kept = pc.invert(out_of_range)
        table = table.filter(kept)
        order = np.asarray(order)[kept.to_numpy(zero_copy_only=False)].tolist()

    ids = table["event_id"]
    if has_repeats(ids):
        first = _first_occurrences(ids, order)
        prepared.duplicates = table.num_rows - pc.sum(first).as_py()
        table = table.filter(first)

    viewers = table["viewer_id"]
    if viewers.null_count < table.num_rows:
        pseudonyms = pseudonymiser.pseudonymise_column(table["platform"], viewers)
        table = table.set_column(table.schema.get_field_index("viewer_id"), "viewer_id", pseudonyms)
    nicknames = table["nickname"]
    if not policy.keep_nicknames and nicknames.null_count < table.num_rows:
        column = pa.nulls(table.num_rows, pa.string())
        table = table.set_column(table.schema.get_field_index("nickname"), "nickname", column)
    prepared.table = table
    prepared.rejections = [
        dataclasses.replace(
            r, raw=redact_raw(r.raw, pseudonymiser, keep_nicknames=policy.keep_nicknames)
        )
        for r in prepared.rejections
    ]
    return prepared


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One batch through ingest: the events it newly stored, and what it refused."""

    new: pa.Table
    duplicates: int
    rejections: list[Rejection]


def ingest_batch(
    batch: SourceBatch,
    store: EventStore,
    pseudonymiser: Pseudonymiser,
    *,
    now: datetime,
    policy: IngestPolicy,
) -> BatchResult:
    """Ingest one batch and return the events it newly stored (for the live engine)."""
    return store_batch(prepare_batch(batch, pseudonymiser, policy, now), store, now=now)


def store_batch(
    prepared: PreparedBatch,
    store: EventStore,
    *,
    now: datetime,
    meanwhile: Callable[[pa.Table], None] | None = None,
) -> BatchResult:
    """Store a prepared batch: its rejections into the quarantine, its events not stored yet into
    the events (``meanwhile(new)`` runs while they are written, see
    :meth:`~livelens.store.base.EventStore.append_new_events`)."""
    store.append_quarantine(prepared.rejections, now)
    new = store.append_new_events(prepared.table, meanwhile)
    duplicates = prepared.duplicates + prepared.table.num_rows - new.num_rows
    return BatchResult(new=new, duplicates=duplicates, rejections=prepared.rejections)


def _write(
    store: EventStore, append: Callable[[pa.Table], int], prepared: PreparedBatch, now: datetime
) -> int:
    store.append_quarantine(prepared.rejections, now)
    return append(prepared.table)


def ingest(
    sources: Iterable[Source],
    store: EventStore,
    pseudonymiser: Pseudonymiser,
    *,
    now: datetime,
    policy: IngestPolicy | None = None,
    workers: int = 1,
    part_bytes: int = PART_BYTES,
) -> IngestReport:
    """Read every source into ``store``; return what was accepted, repeated and quarantined.

    Decoding and columnar preparation of batch n+1 (Python, holding the GIL) overlap the store's
    write of batch n (DuckDB, releasing it) on a single writer thread, so writes stay in order and
    each batch is de-duplicated against everything written before it. The writes go through the
    store's :meth:`~livelens.store.base.EventStore.bulk_load`, which may hold events back to write
    them in whole row groups; all are written when ingest returns.

    With ``workers`` > 1, each JSON Lines file is cut at line boundaries into parts of about
    ``part_bytes`` (:meth:`~livelens.sources.jsonl.JsonLinesFile.parts`) that as many worker
    processes decode and prepare side by side; this process writes their batches in file order,
    so what is stored, counted and quarantined (line numbers included) is what one process
    stores. Other sources are prepared here.
    """
    policy = policy or IngestPolicy()
    store.bind_key(pseudonymiser.key_id)
    report = IngestReport()
    quarantined: Counter[str] = Counter()
    sessions: set[str] = set()

    def settle(write: Future[int], prepared: PreparedBatch) -> None:
        inserted = write.result()
        report.accepted += inserted
        report.duplicates += prepared.duplicates + prepared.table.num_rows - inserted
        quarantined.update(r.reason for r in prepared.rejections)
        if inserted:
            sessions.update(pc.unique(prepared.table["session_id"]).to_pylist())

    batches = _prepared(sources, pseudonymiser, policy, now, workers, part_bytes)
    with (
        store.bulk_load() as append,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="livelens-writer") as writer,
    ):
        in_flight: tuple[Future[int], PreparedBatch] | None = None
        for source_name, prepared in batches:
            if source_name not in report.sources:
                report.sources.append(source_name)
            if in_flight is not None:
                settle(*in_flight)
            in_flight = (writer.submit(_write, store, append, prepared, now), prepared)
        if in_flight is not None:
            settle(*in_flight)
    store.refresh_sessions(sorted(sessions))
    report.quarantined = dict(quarantined)
    report.sessions = sorted(sessions)
    return report


def _prepared(
    sources: Iterable[Source],
    pseudonymiser: Pseudonymiser,
    policy: IngestPolicy,
    now: datetime,
    workers: int,
    part_bytes: int,
) -> Iterator[tuple[str, PreparedBatch]]:
    """Each batch of the sources, prepared, in order, with the name of its source."""
    with ExitStack() as stack:
        pool: ProcessPoolExecutor | None = None
        handover: Path | None = None
        for source in sources:
            if isinstance(source, JsonLinesFile):  # only the columns are needed here
                source = dataclasses.replace(source, columnar=True)
            if workers <= 1 or not isinstance(source, JsonLinesFile):
                for batch in _read_ahead(source):
                    yield batch.source, prepare_batch(batch, pseudonymiser, policy, now)
                continue
            if pool is None:  # started at the first JSON Lines file, once
                context = multiprocessing.get_context("spawn")  # never fork a DuckDB holder
                pool = stack.enter_context(
                    ProcessPoolExecutor(
                        workers,
                        mp_context=context,
                        initializer=_start_worker,
                        initargs=(pseudonymiser,),
                    )
                )
            if handover is None:
                handover = Path(stack.enter_context(_handover_folder(workers, part_bytes)))
            pending: deque[Future[list[_HandedOver]]] = deque()
            for part in source.parts(part_bytes):
                pending.append(pool.submit(_prepare_part, part, policy, now, handover))
                if len(pending) > 2 * workers:  # bounds the parts held in memory
                    yield from map(_take_over, pending.popleft().result())
            while pending:
                yield from map(_take_over, pending.popleft().result())


def _read_ahead(batches: Iterable[SourceBatch]) -> Iterator[SourceBatch]:
    """The batches, each next one read and decoded on a thread of its own while the caller
    prepares the one before: their C parts overlap wherever either releases the GIL."""
    iterator = iter(batches)
    with ThreadPoolExecutor(1, thread_name_prefix="livelens-reader") as reader:
        pending = reader.submit(next, iterator, None)
        while (batch := pending.result()) is not None:
            pending = reader.submit(next, iterator, None)
            yield batch


def _handover_folder(workers: int, part_bytes: int) -> tempfile.TemporaryDirectory[str]:
    """Where workers leave their prepared tables: in memory (/dev/shm) where the system has it
    with room for the parts in flight (a container's is often 64 MiB), else the temp folder."""
    shm = Path("/dev/shm")  # noqa: S108 - a private folder is made inside it
    # up to 2 × workers parts wait, each table about 2× its part's JSON; room for twice that
    room = 8 * workers * part_bytes
    usable = shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free >= room
    return tempfile.TemporaryDirectory(prefix="livelens-ingest-", dir=shm if usable else None)


# A batch a worker prepared: its source, the Arrow file holding its table, rejections, duplicates.
# Handing tables over as files that this process maps (zero-copy) instead of pickling them
# through the pool's pipe measured ~1 CPU-s less per 1M events in the writing process.
_HandedOver = tuple[str, Path, list[Rejection], int]

_WORKER: dict[str, Pseudonymiser] = {}  # a worker process's pseudonymiser, memo kept across parts


def _start_worker(pseudonymiser: Pseudonymiser) -> None:
    _WORKER["pseudonymiser"] = pseudonymiser


def _prepare_part(
    part: JsonLinesFile, policy: IngestPolicy, now: datetime, handover: Path
) -> list[_HandedOver]:
    pseudonymiser = _WORKER["pseudonymiser"]
    done: list[_HandedOver] = []
    for batch in part:
        prepared = prepare_batch(batch, pseudonymiser, policy, now)
        path = handover / f"{uuid.uuid4().hex}.arrow"
        schema = prepared.table.schema
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as out:
            out.write_table(prepared.table)
        done.append((batch.source, path, prepared.rejections, prepared.duplicates))
    return done


def _take_over(handed: _HandedOver) -> tuple[str, PreparedBatch]:
    source, path, rejections, duplicates = handed
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()  # maps, copies nothing
    path.unlink()  # the mapping outlives the name
    return source, PreparedBatch(table, rejections, duplicates)
