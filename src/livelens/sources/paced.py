"""The simulator as a live source: events released at the pace of their event time.

With ``speed`` 1 a 60-minute session takes 60 minutes; with 10 it takes 6. Events are released in
micro-batches every ``tick_s`` of wall time. ``position`` is the number of events released so far:
resuming regenerates the (deterministic) session and skips that many.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from livelens.errors import InvalidInput
from livelens.events.columns import ts_micros
from livelens.events.schema import Event
from livelens.sources.base import SourceBatch
from livelens.sources.simulator import SimulationConfig, build_session


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
        if not self.speed > 0:
            msg = (
                "--speed must be a positive number (1 = real time, 10 = ten times faster); "
                f"got {self.speed}"
            )
            raise InvalidInput(msg)

    def __iter__(self) -> Iterator[SourceBatch]:
        skip = int(self.position) if self.position else 0
        released = 0
        origin_us: int | None = None
        started = self.clock()
        tick_end = started + self.tick_s  # wall time at which the current batch is released
        pending: list[Event] = []
        for event in build_session(self.config).events():
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
                    yield SourceBatch(self._source, pending, position=str(released - 1))
                    pending = []
                tick_end = max(tick_end + self.tick_s, due)
            pending.append(event)
        if pending:
            self._wait_until(tick_end)
            yield SourceBatch(self._source, pending, position=str(released))

    def _wait_until(self, wall: float) -> None:
        wait = wall - self.clock()
        if wait > 0:
            self.sleep(wait)
