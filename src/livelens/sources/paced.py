"""Sources released at the pace of their event time: the simulator, or a recording, "live".

With ``speed`` 1 a 60-minute session takes 60 minutes; with 10 it takes 6. Events are released in
micro-batches every ``tick_s`` of wall time. For the simulator ``position`` is the number of
events released so far: resuming regenerates the (deterministic) session and skips that many.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from livelens.errors import InvalidInput
from livelens.events.columns import ts_micros
from livelens.events.schema import Event
from livelens.sources.base import Rejection, SourceBatch
from livelens.sources.simulator import SimulationConfig, build_session


def check_speed(speed: float) -> None:
    if not speed > 0:
        msg = (
            f"--speed must be a positive number (1 = real time, 10 = ten times faster); got {speed}"
        )
        raise InvalidInput(msg)


@dataclass(slots=True)
class Pacer:
    """Releases events (in event-time order) as batches when their time comes, scaled by speed."""

    speed: float = 1.0
    tick_s: float = 0.1
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        check_speed(self.speed)

    def pace(self, source: str, events: Iterable[Event], *, skip: int = 0) -> Iterator[SourceBatch]:
        """Batches of ``events``; ``position`` counts events released, skipped ones included."""
        released = 0
        origin_us: int | None = None
        started = self.clock()
        tick_end = started + self.tick_s  # wall time at which the current batch is released
        pending: list[Event] = []
        for event in events:
            released += 1
            if released <= skip:
                continue
            at_us = ts_micros(event.ts)
            if origin_us is None:
                origin_us = at_us
            due = started + (at_us - origin_us) / 1_000_000 / self.speed
            if due >= tick_end:
                if pending:
                    self._wait_until(tick_end)
                    yield SourceBatch(source, pending, position=str(released - 1))
                    pending = []
                tick_end = max(tick_end + self.tick_s, due)
            pending.append(event)
        if pending:
            self._wait_until(tick_end)
            yield SourceBatch(source, pending, position=str(released))

    def _wait_until(self, wall: float) -> None:
        wait = wall - self.clock()
        if wait > 0:
            self.sleep(wait)


@dataclass(slots=True)
class PacedSimulator:
    config: SimulationConfig
    speed: float = 1.0
    position: str | None = None
    tick_s: float = 0.1
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _source: str = field(init=False, default="simulator")

    def __post_init__(self) -> None:
        check_speed(self.speed)

    def __iter__(self) -> Iterator[SourceBatch]:
        pacer = Pacer(self.speed, self.tick_s, self.clock, self.sleep)
        skip = int(self.position) if self.position else 0
        return pacer.pace(self._source, build_session(self.config).events(), skip=skip)


def paced_recording(batches: Iterable[SourceBatch], pacer: Pacer) -> Iterator[SourceBatch]:
    """A recording read in full, sorted by event time and replayed at ``pacer``'s speed.

    Recordings come file by file (comments, then gifts, ...), not in time order; this puts them
    back on one clock. What the source rejected travels with the first batch, into the quarantine.
    """
    events: list[Event] = []
    rejections: list[Rejection] = []
    name = "recording"
    for batch in batches:
        events.extend(batch.events)
        rejections.extend(batch.rejections)
        name = batch.source
    events.sort(key=lambda e: ts_micros(e.ts))
    first = True
    for batch in pacer.pace(name, events):
        if first:
            batch.rejections, first = rejections, False
        yield batch
    if first and rejections:
        yield SourceBatch(name, [], rejections)
