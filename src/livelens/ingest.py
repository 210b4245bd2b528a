"""Ingest: sources → validated, de-duplicated, pseudonymised events in the store.

For each batch a source yields, ingest applies the checks that need context (event time within
bounds of the ingest clock), gives events without an ``event_id`` one derived from their content,
drops repeats of an ``event_id`` (within the batch here, against the store with one anti-join),
replaces raw viewer ids by keyed pseudonyms, drops nicknames unless the policy keeps them, and
appends the batch to the store in one columnar write. Every rejected record goes to the quarantine
with its reason, place and raw text; a bad record never costs a good one.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import msgspec
import pyarrow.compute as pc

from livelens.events.codec import TS_OUT_OF_RANGE, encode_event
from livelens.events.columns import events_to_table, ts_micros
from livelens.events.pseudonymise import Pseudonymiser
from livelens.events.schema import Event
from livelens.sources.base import Rejection, Source, SourceBatch
from livelens.store.base import EventStore


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


def derive_event_id(event: Event) -> str:
    """A content-derived id, so identical records without producer ids are stored once."""
    return "h_" + hashlib.blake2b(encode_event(event), digest_size=12).hexdigest()


@dataclass(slots=True)
class _BatchOutcome:
    kept: list[Event] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    duplicates: int = 0


def _prepare(
    batch: SourceBatch,
    pseudonymiser: Pseudonymiser,
    policy: IngestPolicy,
    now: datetime,
) -> _BatchOutcome:
    outcome = _BatchOutcome(rejections=list(batch.rejections))
    latest = now + policy.max_future
    earliest_ms, latest_ms = ts_micros(policy.earliest) // 1000, ts_micros(latest) // 1000
    seen: set[str] = set()
    pseudonym = pseudonymiser.pseudonym
    keep_nicknames = policy.keep_nicknames
    kept = outcome.kept
    for index, event in enumerate(batch.events):
        ts = event.ts
        if (
            (ts < earliest_ms or ts > latest_ms)
            if type(ts) is int
            else (ts < policy.earliest or ts > latest)  # type: ignore[operator]
        ):
            location, raw = batch.locate(index)
            detail = (
                f"event time {ts} is outside {policy.earliest.isoformat()} .. "
                f"{latest.isoformat()} (ingest time + {policy.max_future})"
            )
            outcome.rejections.append(
                Rejection(TS_OUT_OF_RANGE, detail, batch.source, location, raw)
            )
            continue
        event_id = event.event_id
        if event_id is None:
            event_id = event.event_id = derive_event_id(event)
        if event_id in seen:
            outcome.duplicates += 1
            continue
        seen.add(event_id)
        if event.viewer_id is not None:
            event.viewer_id = pseudonym(event.platform, event.viewer_id)
        if event.nickname is not None and not keep_nicknames:
            event.nickname = None
        kept.append(event)
    return outcome


def ingest(
    sources: Iterable[Source],
    store: EventStore,
    pseudonymiser: Pseudonymiser,
    *,
    now: datetime,
    policy: IngestPolicy | None = None,
) -> IngestReport:
    """Read every source into ``store``; return what was accepted, repeated and quarantined."""
    policy = policy or IngestPolicy()
    store.bind_key(pseudonymiser.key_id)
    report = IngestReport()
    quarantined: Counter[str] = Counter()
    sessions: set[str] = set()
    for source in sources:
        for batch in source:
            if batch.source not in report.sources:
                report.sources.append(batch.source)
            outcome = _prepare(batch, pseudonymiser, policy, now)
            table = events_to_table(outcome.kept)
            inserted = store.append_events(table)
            report.accepted += inserted
            report.duplicates += outcome.duplicates + len(outcome.kept) - inserted
            store.append_quarantine(outcome.rejections, now)
            quarantined.update(r.reason for r in outcome.rejections)
            if inserted:
                sessions.update(pc.unique(table["session_id"]).to_pylist())
    store.refresh_sessions(sorted(sessions))
    report.quarantined = dict(quarantined)
    report.sessions = sorted(sessions)
    return report
