"""Event-time windows: which window(s) an event time falls into, vectorised over a batch.

Times are integer microseconds since the epoch (the store's ``ts``). A tumbling window of size S
puts time t in [floor(t/S)·S, +S); a sliding window of size S and step P puts t in every window
[k·P, k·P + S) that contains it. Window assignment is pure arithmetic, so the result never depends
on batch size or arrival order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

MICROS: Final = 1_000_000
MINUTE_US: Final = 60 * MICROS

Int64Array = npt.NDArray[np.int64]


def _micros(duration: timedelta) -> int:
    return int(duration / timedelta(microseconds=1))


@dataclass(frozen=True, slots=True)
class TumblingWindows:
    size: timedelta

    def __post_init__(self) -> None:
        if self.size <= timedelta(0):
            msg = f"window size must be positive; got {self.size}"
            raise ValueError(msg)

    def starts(self, ts_us: Int64Array) -> Int64Array:
        """The start (µs) of the one window each time falls into."""
        size = _micros(self.size)
        return (ts_us // size) * size


@dataclass(frozen=True, slots=True)
class SlidingWindows:
    size: timedelta
    step: timedelta

    def __post_init__(self) -> None:
        if self.step <= timedelta(0) or self.size < self.step:
            msg = f"need 0 < step <= size; got size {self.size}, step {self.step}"
            raise ValueError(msg)

    def starts(self, ts_us: Int64Array) -> tuple[Int64Array, Int64Array]:
        """Pairs (row index, window start µs): one pair for every window that holds each time."""
        size, step = _micros(self.size), _micros(self.step)
        last = (ts_us // step) * step  # the latest window start at or before t
        per_event = -(-size // step)  # windows per event when size is a multiple of step
        offsets = np.arange(per_event, dtype=np.int64) * step
        starts = last[:, None] - offsets[None, :]
        inside = starts + size > ts_us[:, None]
        rows = np.broadcast_to(np.arange(len(ts_us))[:, None], starts.shape)
        return rows[inside].astype(np.int64), starts[inside]


def minute_index(ts_us: Int64Array, origin_us: int) -> Int64Array:
    """Whole minutes from ``origin_us`` (negative before it)."""
    return (ts_us - origin_us) // MINUTE_US
