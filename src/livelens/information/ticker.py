"""Closed minutes as they happen: what the live screen and ``livelens run`` show per minute.

A minute is closed once its session's watermark has passed its end; its numbers are then final
(late events beyond the allowed lateness still update the totals, through the correction path).
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from livelens.engine.live import LiveEngine
from livelens.engine.session_state import SessionState
from livelens.engine.windows import MICROS, MINUTE_US


class MinuteSummary(msgspec.Struct, kw_only=True):
    session_id: str
    minute: int  # minutes from the session's first minute
    starts_at: datetime
    online: int  # viewers present at the end of the minute (joins − leaves − timeouts)
    online_reported: int | None
    entries: int
    exits: int
    comments: int
    likes: int
    clicks: int
    orders: int
    gmv_minor: int


def summarise_minute(state: SessionState, epoch_minute: int) -> MinuteSummary:
    def one(name: str) -> int:
        return state.counters.series(name, epoch_minute, 1)[0]

    return MinuteSummary(
        session_id=state.session_id,
        minute=epoch_minute - state.first_us // MINUTE_US,
        starts_at=datetime.fromtimestamp(epoch_minute * MINUTE_US / MICROS, UTC),
        online=sum(v for m, v in state.viewers.per_minute["delta"].items() if m <= epoch_minute),
        online_reported=state.online_reported.get(epoch_minute),
        entries=state.viewers.series("entries", epoch_minute, 1)[0],
        exits=state.viewers.series("exits", epoch_minute, 1)[0],
        comments=one("comments"),
        likes=one("likes"),
        clicks=one("clicks"),
        orders=one("orders"),
        gmv_minor=one("gmv_minor"),
    )


class MinuteTicker:
    """Remembers which minutes were reported; ``closed`` returns the newly closed ones."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}  # session -> first epoch minute not yet reported

    def closed(self, engine: LiveEngine, sessions: list[str]) -> list[MinuteSummary]:
        out: list[MinuteSummary] = []
        for session_id in sessions:
            state, watermark = engine.sessions[session_id], engine.watermarks[session_id]
            if watermark.value_us is None:
                continue
            first_open = watermark.value_us // MINUTE_US
            start = self._next.get(session_id, state.first_us // MINUTE_US)
            out.extend(summarise_minute(state, m) for m in range(start, first_open))
            self._next[session_id] = max(start, first_open)
        return out

    def remaining(self, engine: LiveEngine) -> list[MinuteSummary]:
        """At the end of input: every minute not reported yet, up to each session's last event."""
        out: list[MinuteSummary] = []
        for session_id, state in engine.sessions.items():
            start = self._next.get(session_id, state.first_us // MINUTE_US)
            last = state.last_us // MINUTE_US
            out.extend(summarise_minute(state, m) for m in range(start, last + 1))
            self._next[session_id] = last + 1
        return out
