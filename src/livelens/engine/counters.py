"""Per-minute counters: the mergeable aggregate behind every per-minute metric.

A :class:`MinuteCounters` holds, for a fixed set of named metrics, one int64 array indexed by
absolute epoch minute (``base_minute`` + index). ``add`` is vectorised (``np.bincount``) and grows
the arrays in either direction, so events may arrive in any order; ``merge`` adds two counters.
Counting is commutative and associative, hence independent of batch size and order.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import numpy as np
import numpy.typing as npt

from livelens.engine.windows import Int64Array


class MinuteCounters:
    __slots__ = ("_arrays", "base_minute", "names")

    def __init__(self, names: Iterable[str]) -> None:
        self.names: tuple[str, ...] = tuple(names)
        self.base_minute: int | None = None
        self._arrays: dict[str, Int64Array] = {n: np.zeros(0, np.int64) for n in self.names}

    @property
    def span(self) -> tuple[int, int] | None:
        """First and one-past-last epoch minute held, or ``None`` when empty."""
        if self.base_minute is None:
            return None
        return self.base_minute, self.base_minute + len(self._arrays[self.names[0]])

    def _cover(self, low: int, high: int) -> None:
        """Grow the arrays so they hold epoch minutes [low, high)."""
        if self.base_minute is None:
            self.base_minute = low
            for name in self.names:
                self._arrays[name] = np.zeros(high - low, np.int64)
            return
        start, end = self.base_minute, self.base_minute + len(self._arrays[self.names[0]])
        if low >= start and high <= end:
            return
        new_start, new_end = min(low, start), max(high, end)
        for name in self.names:
            grown = np.zeros(new_end - new_start, np.int64)
            grown[start - new_start : end - new_start] = self._arrays[name]
            self._arrays[name] = grown
        self.base_minute = new_start

    def add(
        self, name: str, minutes: Int64Array, weights: npt.NDArray[np.int64] | None = None
    ) -> None:
        """Add 1 (or ``weights``) at each epoch minute in ``minutes``."""
        if len(minutes) == 0:
            return
        low, high = int(minutes.min()), int(minutes.max()) + 1
        self._cover(low, high)
        assert self.base_minute is not None  # noqa: S101 - set by _cover
        offset = self.base_minute
        counts = np.bincount(minutes - low, weights=weights, minlength=high - low)
        self._arrays[name][low - offset : high - offset] += counts.astype(np.int64)

    def merge(self, other: MinuteCounters) -> None:
        span = other.span
        if span is None:
            return
        self._cover(*span)
        assert self.base_minute is not None  # noqa: S101 - set by _cover
        low = span[0] - self.base_minute
        for name in self.names:
            values = other._arrays[name]
            self._arrays[name][low : low + len(values)] += values

    def series(self, name: str, first_minute: int, minutes: int) -> list[int]:
        """The counts of ``name`` for epoch minutes [first_minute, first_minute + minutes)."""
        out = np.zeros(minutes, np.int64)
        if self.base_minute is not None:
            values = self._arrays[name]
            low = max(first_minute, self.base_minute)
            high = min(first_minute + minutes, self.base_minute + len(values))
            if high > low:
                out[low - first_minute : high - first_minute] = values[
                    low - self.base_minute : high - self.base_minute
                ]
        return [int(v) for v in out]

    def total(self, name: str) -> int:
        return int(self._arrays[name].sum())

    # Checkpointing -------------------------------------------------------------------------
    def snapshot(self) -> CountersSnapshot:
        return CountersSnapshot(
            names=list(self.names),
            base_minute=self.base_minute,
            arrays={n: a.tolist() for n, a in self._arrays.items()},
        )

    @classmethod
    def restore(cls, snapshot: CountersSnapshot) -> MinuteCounters:
        counters = cls(snapshot.names)
        counters.base_minute = snapshot.base_minute
        counters._arrays = {n: np.asarray(v, np.int64) for n, v in snapshot.arrays.items()}
        return counters


class CountersSnapshot(msgspec.Struct, kw_only=True):
    names: list[str]
    base_minute: int | None
    arrays: dict[str, list[int]]
