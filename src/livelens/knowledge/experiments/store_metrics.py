"""An experiment's metric per minute, read from a store's events of one session.

Orders per minute count ``order.paid`` events; GMV per minute sums their ``amount_minor``
(paid, before refunds). Minute 0 starts at the session's first event unless a start is
given.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from livelens.errors import InvalidInput, NotFound
from livelens.knowledge.experiments.analysis import Metric, per_minute_totals
from livelens.store.duckdb import DuckDBStore

FloatArray = npt.NDArray[np.float64]


def read_minute_metric(
    store: DuckDBStore,
    session_id: str,
    minutes: int,
    metric: Metric,
    start: datetime | None = None,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """The metric per minute and whether each minute holds any event of the session."""
    if start is not None and start.utcoffset() is None:
        msg = f"experiment start {start} has no timezone; give an offset, e.g. +08:00"
        raise InvalidInput(msg)
    events = store.events(session_id)
    if events.num_rows == 0:
        known = [s.session_id for s in store.sessions()]
        msg = f"session {session_id!r} has no events in this store; known sessions: {known}"
        raise NotFound(msg)
    micros = events.column("ts").cast(pa.int64()).to_numpy().astype(np.float64)
    origin_us = float(micros.min()) if start is None else start.timestamp() * 1e6
    offsets_s = (micros - origin_us) / 1e6
    paid = np.asarray(pc.equal(events.column("type"), "order.paid").to_numpy(zero_copy_only=False))
    if metric == "gmv":
        amounts = np.nan_to_num(
            events.column("amount_minor").to_numpy(zero_copy_only=False).astype(np.float64)
        )
        values = np.where(paid, amounts, 0.0)
    else:
        values = paid.astype(np.float64)
    per_minute = per_minute_totals(offsets_s, values, minutes)
    has_data = per_minute_totals(offsets_s, np.ones(len(offsets_s)), minutes) > 0
    return per_minute, has_data
