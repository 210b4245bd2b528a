"""Viewer sessions: who is present, for how long, and when they left.

Joins and leaves are order-sensitive (a leave before its join means nothing), so they wait in a
buffer until the watermark passes them and are then applied in event-time order: any arrival order
within the allowed lateness gives the same sessions. A viewer with no activity for ``timeout`` is
taken to have left at their last activity (platforms do not always send a leave). Joins and leaves
arriving after the watermark are applied at once (the correction path) and counted as late.
"""

from __future__ import annotations

import bisect
from typing import Final

import msgspec

from livelens.engine.windows import MINUTE_US

JOIN: Final = 0  # sorts before LEAVE at the same instant
LEAVE: Final = 1


class ViewerSnapshot(msgspec.Struct, kw_only=True):
    timeout_us: int
    present: dict[str, int]
    last_seen: dict[str, int]
    pending: list[tuple[int, int, str]]
    per_minute: dict[str, dict[int, int]]
    watch_us_closed: int
    sessions_closed: int
    late: int
    checked_minute: int | None
    timed_out: dict[str, tuple[int, int]]
    orphan_leaves: dict[str, int]


class ViewerSessions:
    """Presence and watch time per viewer; per-minute entries, exits and online delta."""

    def __init__(self, timeout_us: int) -> None:
        self.timeout_us = timeout_us
        self.present: dict[str, int] = {}  # viewer -> join time (µs)
        self.last_seen: dict[str, int] = {}
        self.pending: list[tuple[int, int, str]] = []  # (ts, JOIN|LEAVE, viewer), not yet applied
        # Per epoch minute; dicts, not arrays: joins and leaves are applied one at a time.
        self.per_minute: dict[str, dict[int, int]] = {n: {} for n in ("entries", "exits", "delta")}
        self.watch_us_closed = 0
        self.sessions_closed = 0
        self.late = 0
        self._checked_minute: int | None = None
        # Viewers closed by the timeout: (joined, assumed left); a later sign of life corrects it.
        self.timed_out: dict[str, tuple[int, int]] = {}
        self.orphan_leaves: dict[str, int] = {}  # leaves with no visit open, by viewer
        self._late_join = False  # a late join may already be past its timeout

    def observe(self, viewers: list[str], ts_us: list[int]) -> None:
        """Record activity (any viewer event) for the timeout clock.

        Activity from a viewer who was timed out shows they never left: the timeout is undone.
        """
        last_seen, timed_out = self.last_seen, self.timed_out
        for viewer, ts in zip(viewers, ts_us, strict=True):
            if ts > last_seen.get(viewer, -1):
                last_seen[viewer] = ts
            if timed_out and viewer in timed_out and ts > timed_out[viewer][1]:
                self._undo_timeout(viewer)

    def offer(self, kinds: list[int], viewers: list[str], ts_us: list[int], watermark: int) -> None:
        """Queue joins/leaves; those already behind the watermark are applied now (late)."""
        if ts_us and min(ts_us) < watermark:
            for kind, viewer, ts in zip(kinds, viewers, ts_us, strict=True):
                if ts < watermark:
                    self.late += 1
                    self._apply(ts, kind, viewer)
                    self._late_join = self._late_join or kind == JOIN
                else:
                    self.pending.append((ts, kind, viewer))
            return
        self.pending.extend(zip(ts_us, kinds, viewers, strict=True))

    def advance(self, watermark: int) -> None:
        """Apply queued joins/leaves up to the watermark, then time out idle viewers."""
        pending = self.pending
        if pending:
            pending.sort()  # nearly sorted already: timsort is close to linear here
            cut = bisect.bisect_left(pending, (watermark,))
            apply = self._apply
            for ts, kind, viewer in pending[:cut]:
                apply(ts, kind, viewer)
            del pending[:cut]
        # Timeouts move in whole minutes of watermark, so they do not depend on batch boundaries.
        minute = watermark // MINUTE_US
        if self._checked_minute is None or minute > self._checked_minute or self._late_join:
            self._checked_minute, self._late_join = minute, False
            self._time_out(minute * MINUTE_US - self.timeout_us)

    def flush(self) -> None:
        """Apply everything queued (end of input: nothing later can arrive)."""
        self.pending.sort()
        for ts, kind, viewer in self.pending:
            self._apply(ts, kind, viewer)
        self.pending.clear()

    def _apply(self, ts: int, kind: int, viewer: str) -> None:
        minute = ts // MINUTE_US
        per_minute = self.per_minute
        if ts > self.last_seen.get(viewer, -1):
            self.last_seen[viewer] = ts
        if kind == JOIN:
            if viewer in self.present:
                return  # a repeated join while present is the same visit
            entries, delta = per_minute["entries"], per_minute["delta"]
            entries[minute] = entries.get(minute, 0) + 1
            delta[minute] = delta.get(minute, 0) + 1
            left = self.orphan_leaves.get(viewer) if self.orphan_leaves else None
            if left is not None and left >= ts:  # its leave came first (late join): close now
                del self.orphan_leaves[viewer]
                self._close(ts, left, left // MINUTE_US)
            else:
                self.present[viewer] = ts
            return
        if self.timed_out and viewer in self.timed_out:
            self._undo_timeout(viewer)  # the real leave replaces the assumed one
        exits = per_minute["exits"]
        exits[minute] = exits.get(minute, 0) + 1
        joined = self.present.pop(viewer, None)
        if joined is not None:
            self._close(joined, ts, minute)
        else:  # joined before capture, or its join is late: remember it for a late join
            self.orphan_leaves[viewer] = ts

    def _time_out(self, cutoff: int) -> None:
        idle = [v for v, joined in self.present.items() if self.last_seen.get(v, joined) < cutoff]
        for viewer in idle:
            joined = self.present.pop(viewer)
            left = max(self.last_seen.get(viewer, joined), joined)
            minute = left // MINUTE_US
            self._bump("exits", minute)
            self._close(joined, left, minute)
            self.timed_out[viewer] = (joined, left)

    def _undo_timeout(self, viewer: str) -> None:
        joined, left = self.timed_out.pop(viewer)
        minute = left // MINUTE_US
        self._bump("exits", minute, -1)
        self._bump("delta", minute, 1)
        self.watch_us_closed -= max(0, left - joined)
        self.sessions_closed -= 1
        self.present[viewer] = joined

    def _close(self, joined: int, left: int, minute: int) -> None:
        self._bump("delta", minute, -1)
        self.watch_us_closed += max(0, left - joined)
        self.sessions_closed += 1

    def _bump(self, name: str, minute: int, by: int = 1) -> None:
        counts = self.per_minute[name]
        counts[minute] = counts.get(minute, 0) + by

    def series(self, name: str, first_minute: int, minutes: int) -> list[int]:
        """Per-minute entries, exits or delta for epoch minutes from ``first_minute``."""
        counts = self.per_minute[name]
        return [counts.get(first_minute + i, 0) for i in range(minutes)]

    def total(self, name: str) -> int:
        return sum(self.per_minute[name].values())

    def open_watch_us(self, until_us: int) -> tuple[int, int]:
        """Watch time and count of visits still open, censored at ``until_us``."""
        total = sum(max(0, until_us - joined) for joined in self.present.values())
        return total, len(self.present)

    def snapshot(self) -> ViewerSnapshot:
        return ViewerSnapshot(
            timeout_us=self.timeout_us,
            present=dict(self.present),
            last_seen=dict(self.last_seen),
            pending=list(self.pending),
            per_minute={n: dict(c) for n, c in self.per_minute.items()},
            watch_us_closed=self.watch_us_closed,
            sessions_closed=self.sessions_closed,
            late=self.late,
            checked_minute=self._checked_minute,
            timed_out=dict(self.timed_out),
            orphan_leaves=dict(self.orphan_leaves),
        )

    @classmethod
    def restore(cls, snapshot: ViewerSnapshot) -> ViewerSessions:
        sessions = cls(snapshot.timeout_us)
        sessions.present = dict(snapshot.present)
        sessions.last_seen = dict(snapshot.last_seen)
        sessions.pending = [(p[0], p[1], p[2]) for p in snapshot.pending]
        sessions.per_minute = {n: dict(c) for n, c in snapshot.per_minute.items()}
        sessions.watch_us_closed = snapshot.watch_us_closed
        sessions.sessions_closed = snapshot.sessions_closed
        sessions.late = snapshot.late
        sessions._checked_minute = snapshot.checked_minute
        sessions.timed_out = {k: (v[0], v[1]) for k, v in snapshot.timed_out.items()}
        sessions.orphan_leaves = dict(snapshot.orphan_leaves)
        return sessions
