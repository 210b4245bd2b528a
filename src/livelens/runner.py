"""The live runner: source → ingest → engine, continuously, with checkpoints.

Each batch a source yields is ingested (validated, pseudonymised, de-duplicated, stored) and the
events it newly stored are folded into the :class:`~livelens.engine.live.LiveEngine`. Store writes
and engine state move together: the runner keeps a store transaction open and, every
``checkpoint_every`` batches, saves the engine state with the source position it covers and
commits. After a crash the uncommitted writes are rolled back, so resuming from the last
checkpoint re-reads exactly the events whose effect was lost, and the results equal an
uninterrupted run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from livelens.engine.live import LiveEngine
from livelens.events.pseudonymise import Pseudonymiser
from livelens.ingest import IngestPolicy, ingest_batch
from livelens.sources.base import SourceBatch
from livelens.store.duckdb import DuckDBStore


@dataclass(slots=True)
class BatchUpdate:
    """What one batch did, handed to the caller after the engine has applied it."""

    engine: LiveEngine
    sessions: list[str]  # sessions the batch touched
    new_events: int
    latency_s: float  # from the batch leaving the source to the engine state being updated


@dataclass(slots=True)
class RunReport:
    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    checkpoints: int = 0
    latencies_s: list[float] = field(default_factory=list)


class LiveRunner:
    """Runs one named pipeline over a store; ``resume`` picks up its last checkpoint."""

    def __init__(
        self,
        store: DuckDBStore,
        pseudonymiser: Pseudonymiser,
        *,
        name: str = "live",
        engine: LiveEngine | None = None,
        checkpoint_every: int = 20,
        policy: IngestPolicy | None = None,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.store, self.pseudonymiser, self.name = store, pseudonymiser, name
        self.engine = engine or LiveEngine()
        self.checkpoint_every = checkpoint_every
        self.policy = policy or IngestPolicy()
        self.clock, self.monotonic = clock, monotonic
        self.position: str | None = None

    def resume(self) -> str | None:
        """Restore the engine from the last checkpoint; return the source position to read from."""
        saved = self.store.load_checkpoint(self.name)
        if saved is None:
            return None
        self.position, state = saved
        self.engine = LiveEngine.decode(state, self.engine.comment_intents)
        return self.position

    def checkpoint(self) -> None:
        if self.position is not None:
            state = self.engine.encode()
            self.store.save_checkpoint(self.name, self.position, state, self.clock())

    def run(
        self,
        batches: Iterable[SourceBatch],
        on_update: Callable[[BatchUpdate], None] | None = None,
        *,
        finish: bool = True,
    ) -> RunReport:
        """Consume ``batches`` until they end; ``finish`` closes the input (flushes the engine)."""
        report = RunReport()
        self.store.bind_key(self.pseudonymiser.key_id)
        self.store.begin()
        try:
            for batch in batches:
                arrived = self.monotonic()
                result = ingest_batch(
                    batch, self.store, self.pseudonymiser, now=self.clock(), policy=self.policy
                )
                self.engine.process(result.new)
                latency = self.monotonic() - arrived
                report.batches += 1
                report.accepted += result.new.num_rows
                report.duplicates += result.duplicates
                report.quarantined += len(result.rejections)
                report.latencies_s.append(latency)
                if batch.position is not None:
                    self.position = batch.position
                if report.batches % self.checkpoint_every == 0:
                    self._commit(report, reopen=True)
                if on_update is not None:
                    touched = sorted(set(result.new["session_id"].to_pylist()))
                    on_update(BatchUpdate(self.engine, touched, result.new.num_rows, latency))
            if finish:
                self.engine.finish()
            self.store.refresh_sessions(sorted(self.engine.sessions))
            self._commit(report, reopen=False)
        except BaseException:
            self.store.rollback()
            raise
        return report

    def _commit(self, report: RunReport, *, reopen: bool) -> None:
        self.checkpoint()
        self.store.commit()
        if reopen:
            self.store.begin()
        report.checkpoints += 1
