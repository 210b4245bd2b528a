"""Who is in the room: arrivals, stays and departures, kept in arrays of present viewers.

Memory grows with the number of viewers present, never with the number who came and went: a
viewer's leave second is drawn when they arrive (a mixture of exponential stays, depending on the
traffic source), and a departure is a swap-remove in the arrays. Arrivals follow a target
concurrency curve (a fast rise, a plateau with a peak, a decay) the way a platform's traffic
allocation does: it sends more viewers when the room falls below the level it is being given.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from livelens.sources.simulation.config import cumulative_shares, draw_categories

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

TRAFFIC_SOURCES: Final = ("recommend", "follow", "search", "share", "ad")
_SOURCE_SHARE: Final = np.array([0.58, 0.14, 0.08, 0.08, 0.12])
# Stay classes: bounce, browse, stay. Followers stay longest, ad traffic bounces most.
_STAY_MEAN_S: Final = np.array([25.0, 180.0, 900.0])
_STAY_CLASS_SHARE: Final = np.array(
    [
        [0.50, 0.38, 0.12],
        [0.15, 0.45, 0.40],
        [0.30, 0.50, 0.20],
        [0.35, 0.45, 0.20],
        [0.60, 0.32, 0.08],
    ]
)
_SOURCE_CDF: Final = cumulative_shares(_SOURCE_SHARE)
_STAY_CLASS_CDF: Final = _STAY_CLASS_SHARE.cumsum(axis=1)
_TRACKING_GAIN: Final = 0.3  # share of the gap to the target concurrency closed per second
_LEVEL_BEFORE_PEAK: Final = 0.8
_LEVEL_AFTER_PEAK: Final = 0.85
_LEVEL_AT_END: Final = 0.5
_PROMO_LEVEL_BOOST: Final = 0.08
_NOISE_SD: Final = 0.04


def concurrency_target(
    seconds: int,
    peak_viewers: int,
    peak_window_s: tuple[int, int],
    promo_active: BoolArray,
    rng: np.random.Generator,
) -> FloatArray:
    """The concurrency the room is steered towards each second; its maximum is ``peak_viewers``."""
    t = np.arange(seconds, dtype=np.float64)
    start, end = peak_window_s
    ramp = max(1.0, min(60.0, seconds * 0.02))
    knots = [
        (0.0, _LEVEL_BEFORE_PEAK),
        (max(0.0, start - ramp), _LEVEL_BEFORE_PEAK),
        (float(start), 1.0),
        (float(end), 1.0),
        (min(float(seconds), end + ramp), _LEVEL_AFTER_PEAK),
        (float(seconds), _LEVEL_AT_END),
    ]
    xs: list[float] = []
    ys: list[float] = []
    for x, y in knots:
        if not xs or x > xs[-1]:
            xs.append(x)
            ys.append(y)
    level = np.interp(t, xs, ys)
    rise_s = max(30.0, seconds * 0.03)
    level *= 1.0 - np.exp(-(t + 1.0) / rise_s)
    level *= 1.0 + _PROMO_LEVEL_BOOST * promo_active
    # Traffic comes in waves: smoothed (AR(1), about a minute of memory) multiplicative noise.
    shocks = rng.normal(0.0, _NOISE_SD * np.sqrt(1 - 0.98**2), seconds)
    noise = np.empty(seconds)
    value = 0.0
    for i, shock in enumerate(shocks.tolist()):
        value = 0.98 * value + shock
        noise[i] = value
    level *= 1.0 + noise
    return np.asarray(peak_viewers * level / level.max(), dtype=np.float64)


class Audience:
    """The viewers present now, in parallel arrays; positions are valid until the next departure."""

    def __init__(self, seconds: int, rng: np.random.Generator) -> None:
        self._seconds = seconds
        self._rng = rng
        self._count = 0
        self._next_viewer = 0
        self.viewer = np.empty(1024, dtype=np.int64)
        self.leave_s = np.empty(1024, dtype=np.int64)
        self.followed = np.zeros(1024, dtype=np.bool_)

    @property
    def count(self) -> int:
        return self._count

    def depart(self, second: int) -> IntArray:
        """Remove the viewers whose stay ends at ``second``; return who they were."""
        n = self._count
        gone = np.flatnonzero(self.leave_s[:n] == second)
        k = len(gone)
        if k == 0:
            return np.empty(0, dtype=np.int64)
        viewers = self.viewer[gone]
        tail = np.arange(n - k, n)
        fillers = tail[self.leave_s[tail] != second]
        holes = gone[gone < n - k]
        for column in (self.viewer, self.leave_s, self.followed):
            column[holes] = column[fillers]
        self._count = n - k
        return viewers

    def arrivals_due(self, second: int, departed: int, target: float) -> int:
        """How many viewers the platform sends now: replace leavers, close part of the gap."""
        if second >= self._seconds - 1:
            return 0
        expected = departed + _TRACKING_GAIN * (target - self._count)
        return int(self._rng.poisson(max(0.0, expected)))

    def admit(self, second: int, count: int) -> tuple[IntArray, IntArray]:
        """Add ``count`` arrivals at ``second``: their viewer numbers and traffic-source codes."""
        if count == 0:  # no draws to make: the same stream as making none
            return _NO_POSITIONS, _NO_POSITIONS
        rng = self._rng
        sources = draw_categories(rng, _SOURCE_CDF, count)
        cumulative = _STAY_CLASS_CDF[sources]
        stay_class = (rng.random(count)[:, None] > cumulative).sum(axis=1)
        stay_class = np.minimum(stay_class, len(_STAY_MEAN_S) - 1)
        # exponential(scale) is scale x standard_exponential(), draw for draw
        stay_s = _STAY_MEAN_S[stay_class] * rng.standard_exponential(count)
        leave_s = np.minimum(second + 1 + stay_s.astype(np.int64), self._seconds - 1)
        viewers = np.arange(self._next_viewer, self._next_viewer + count, dtype=np.int64)
        self._next_viewer += count
        self._reserve(self._count + count)
        new = slice(self._count, self._count + count)
        self.viewer[new] = viewers
        self.leave_s[new] = leave_s
        self.followed[new] = False
        self._count += count
        return viewers, sources.astype(np.int64)

    def pick(self, count: int) -> IntArray:
        """Positions of ``count`` present viewers drawn at random (one may be drawn twice)."""
        return self._rng.integers(0, self._count, size=count) if self._count else _NO_POSITIONS

    def first_follows(self, positions: IntArray) -> IntArray:
        """Of the viewers at ``positions``, those who follow now for the first time."""
        positions = np.unique(positions)
        positions = positions[~self.followed[positions]]
        self.followed[positions] = True
        return self.viewer[positions]

    def _reserve(self, size: int) -> None:
        capacity = len(self.viewer)
        if size <= capacity:
            return
        while capacity < size:
            capacity *= 2
        self.viewer = np.resize(self.viewer, capacity)
        self.leave_s = np.resize(self.leave_s, capacity)
        self.followed = np.resize(self.followed, capacity)


_NO_POSITIONS: Final = np.empty(0, dtype=np.int64)
