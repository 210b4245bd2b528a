"""The demand a price suggestion starts from: units expected at the current price over its horizon.

The live nowcast (:func:`livelens.intelligence.nowcast.nowcast_arrays`, the model behind
``livelens forecast nowcast``) over the product's per-minute orders of the session so far, for the
suggestion's own horizon, with its 95% interval; orders become units at the product's mean units
per order over the same window. The minute grid is the engine's (minute 0 is the clock minute of
the session's first event); the minute holding ``as_of`` is still filling, so the data are the
complete minutes before it and the forecast starts there. Where no complete minute precedes
``as_of`` (the session is under a minute old, or ``as_of`` is before it) the nowcast cannot be
made and the recent order rate stands in (:func:`recent_demand`, an exact Poisson interval), as the
baseline's ``source`` and ``note`` say. Pure: the events and ``as_of`` are passed in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from livelens.intelligence.elasticity import Estimate
from livelens.intelligence.nowcast import WINDOW_MINUTES, nowcast_arrays

RECENT_WINDOW: Final = timedelta(minutes=15)
NOWCAST_LEVEL: Final = 0.95
MINUTE_US: Final = 60_000_000

BaselineSource = Literal["nowcast", "recent rate"]


class Baseline(msgspec.Struct, frozen=True, kw_only=True):
    """Units expected over the horizon at the current price, where they come from and how."""

    source: BaselineSource
    units: Estimate
    note: str


def _paid(events: pa.Table, product_id: str, as_of: datetime) -> pa.Table:
    at = pa.scalar(as_of, events.schema.field("ts").type)
    return events.filter(
        pc.and_(
            pc.and_(
                pc.equal(events["type"], "order.paid"), pc.equal(events["product_id"], product_id)
            ),
            pc.less_equal(events["ts"], at),
        )
    )


def recent_demand(
    events: pa.Table, product_id: str, *, as_of: datetime, window: timedelta, horizon: timedelta
) -> Estimate:
    """Units expected over ``horizon`` at the recent rate (the ``window`` before ``as_of``), with
    the exact Poisson 95% interval of the order count scaled by the mean units per order."""
    paid = _paid(events, product_id, as_of)
    recent = [
        int(q)
        for ts, q in zip(paid["ts"].to_pylist(), paid["quantity"].to_pylist(), strict=True)
        if as_of - window < ts <= as_of
    ]
    orders = len(recent)
    per_order = sum(recent) / orders if orders else 1.0
    scale = horizon / window * per_order
    low = float(stats.chi2.ppf(0.025, 2 * orders) / 2) if orders else 0.0
    high = float(stats.chi2.ppf(0.975, 2 * orders + 2) / 2)
    return Estimate(value=orders * scale, low=low * scale, high=high * scale)


def _micros(ts: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.cast(ts, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def nowcast_demand(
    events: pa.Table, product_id: str, *, as_of: datetime, horizon: timedelta
) -> Estimate | None:
    """Units expected over ``horizon`` from the live nowcast of the session ``events`` as of
    ``as_of``; None where no complete minute precedes ``as_of``."""
    minutes = int(horizon / timedelta(minutes=1))
    if events.num_rows == 0 or minutes < 1:
        return None
    first_minute = int(_micros(events["ts"]).min()) // MINUTE_US
    as_of_us = int(_micros(pa.array([as_of], events.schema.field("ts").type))[0])
    end = as_of_us // MINUTE_US - first_minute  # the minute still filling at as_of
    if end < 1:
        return None
    paid = _paid(events, product_id, as_of)
    index = _micros(paid["ts"]) // MINUTE_US - first_minute
    done = index < end
    index = index[done]
    amounts = np.asarray(paid["amount_minor"].to_numpy(zero_copy_only=False), dtype=np.float64)
    quantities = np.asarray(paid["quantity"].to_numpy(zero_copy_only=False), dtype=np.float64)
    amounts, quantities = amounts[done], quantities[done]
    orders = np.bincount(index, minlength=end).astype(np.float64)[None, :]
    gmv = np.bincount(index, weights=amounts, minlength=end)[None, :]
    found = nowcast_arrays(orders, gmv, (minutes,))
    window = index >= end - WINDOW_MINUTES
    counted = quantities[window] if window.any() else quantities
    per_order = float(counted.mean()) if counted.size else 1.0
    return Estimate(
        value=float(found.orders_mean[0, 0]) * per_order,
        low=float(found.orders_lo[NOWCAST_LEVEL][0, 0]) * per_order,
        high=float(found.orders_hi[NOWCAST_LEVEL][0, 0]) * per_order,
    )


def demand_baseline(
    events: pa.Table, product_id: str, *, as_of: datetime, horizon: timedelta
) -> Baseline:
    """The nowcast's units over ``horizon`` (95% interval), else the recent rate's, saying which."""
    minutes = int(horizon / timedelta(minutes=1))
    found = nowcast_demand(events, product_id, as_of=as_of, horizon=horizon)
    if found is not None:
        return Baseline(
            source="nowcast",
            units=found,
            note=(
                f"baseline: the live nowcast of the next {minutes} min at the current price "
                f"(95% interval), from the session's complete minutes before {as_of.isoformat()}"
            ),
        )
    recent = recent_demand(events, product_id, as_of=as_of, window=RECENT_WINDOW, horizon=horizon)
    window = int(RECENT_WINDOW / timedelta(minutes=1))
    return Baseline(
        source="recent rate",
        units=recent,
        note=(
            f"baseline: the order rate of the last {window} min (the nowcast needs a complete "
            f"minute of the session before {as_of.isoformat()}, and there is none)"
        ),
    )
