"""Live engagement per viewer: watch time, live sessions attended and comments, as of a date.

* Watch time: each ``viewer.join`` opens a presence that ends at the viewer's next join or leave
  in the same session, or at the session's last event when none follows (a lost leave).
* Sessions attended: distinct sessions in which the viewer did anything.
* Comments: ``comment`` events.

Only events on or before ``as_of`` (the calendar day in ``timezone``) count. Pure: events in,
numbers out; the caller reads the events (from the store's ``events`` table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, TypeVar

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from livelens.crm.summary import FloatArray, IntArray

T = TypeVar("T", bound=np.generic)

_SQL: Final = """
WITH scoped AS (
    SELECT type, ts, session_id, viewer_id FROM events
    WHERE CAST(timezone($tz, ts) AS DATE) <= $as_of),
session_end AS (SELECT session_id, max(ts) AS ended FROM scoped GROUP BY session_id),
presence AS (
    SELECT viewer_id, session_id, type, ts,
           lead(ts) OVER (PARTITION BY viewer_id, session_id ORDER BY ts, type) AS next_ts
    FROM scoped WHERE type IN ('viewer.join', 'viewer.leave') AND viewer_id IS NOT NULL),
watch AS (
    SELECT viewer_id, sum(epoch(coalesce(next_ts, ended)) - epoch(ts)) AS watch_seconds
    FROM presence JOIN session_end USING (session_id)
    WHERE type = 'viewer.join' GROUP BY viewer_id),
activity AS (
    SELECT viewer_id, count(DISTINCT session_id) AS sessions,
           count(*) FILTER (WHERE type = 'comment') AS comments
    FROM scoped WHERE viewer_id IS NOT NULL GROUP BY viewer_id)
SELECT viewer_id, coalesce(watch_seconds, 0) AS watch_seconds, sessions, comments
FROM activity LEFT JOIN watch USING (viewer_id) ORDER BY viewer_id
"""


@dataclass(frozen=True, slots=True, eq=False)
class Engagement:
    """Per viewer: seconds watched, sessions attended, comments written."""

    viewer_id: pa.Array
    watch_seconds: FloatArray
    sessions: IntArray
    comments: IntArray

    def __len__(self) -> int:
        return len(self.viewer_id)

    def aligned_to(self, ids: pa.Array) -> Engagement:
        """The rows for ``ids`` in their order; a viewer without engagement gets zeros."""
        index = pc.fill_null(pc.index_in(ids, value_set=self.viewer_id), -1).to_numpy()
        known = index >= 0
        picked = np.where(known, index, 0)

        def take(values: npt.NDArray[T]) -> npt.NDArray[T]:
            if not len(values):
                return np.zeros(len(index), dtype=values.dtype)
            return np.where(known, values[picked], 0).astype(values.dtype)

        return Engagement(
            viewer_id=ids,
            watch_seconds=take(self.watch_seconds),
            sessions=take(self.sessions),
            comments=take(self.comments),
        )


def compute_engagement(events: pa.Table, as_of: date, *, timezone: str = "UTC") -> Engagement:
    """Engagement per viewer from events with columns ``type, ts, session_id, viewer_id``."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'").fetchall()
    con.register("events", events.select(["type", "ts", "session_id", "viewer_id"]))
    result = con.sql(_SQL, params={"tz": timezone, "as_of": as_of}).to_arrow_table()
    con.close()
    return Engagement(
        viewer_id=result.column("viewer_id").combine_chunks(),
        watch_seconds=np.asarray(result.column("watch_seconds").to_numpy(), dtype=np.float64),
        sessions=np.asarray(result.column("sessions").to_numpy(), dtype=np.int64),
        comments=np.asarray(result.column("comments").to_numpy(), dtype=np.int64),
    )
