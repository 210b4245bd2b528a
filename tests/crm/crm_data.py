"""Purchase tables and order stores that the CRM tests share.

A module beside the tests (not conftest) so that test modules can import its names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from livelens.events.columns import events_to_table
from livelens.store.duckdb import DuckDBStore
from livelens.testing import T0, make_event

CDNOW_END = date(1997, 9, 30)  # 39 weeks after 1997-01-01: FHL's calibration period

Order = tuple[str, datetime, int]  # viewer, paid at, amount_minor


def purchases(rows: Sequence[tuple[str, str, float]]) -> pa.Table:
    """A transactions table from (customer, YYYY-MM-DD, amount) rows."""
    return pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], pa.string()),
            "day": pa.array([date.fromisoformat(r[1]) for r in rows], pa.date32()),
            "amount": pa.array([float(r[2]) for r in rows], pa.float64()),
        }
    )


def day(n: int, hour: int = 0) -> datetime:
    """T0 (2026-11-11 20:00 +08:00, 12:00 UTC) plus ``n`` days and ``hour`` hours."""
    return T0 + timedelta(days=n, hours=hour)


def write_store(
    path: Path,
    orders: Sequence[Order],
    *,
    refunds: Sequence[tuple[int, int]] = (),
    extra: Sequence[tuple[str, dict[str, Any]]] = (),
) -> Path:
    """A store with one ``order.paid`` per order (order ids o-0, o-1, …), refunds as
    (order index, amount_minor) and extra events as (type, overrides)."""
    events = [
        make_event(
            "order.paid",
            event_id=f"paid-{n}",
            viewer_id=viewer,
            ts=at.isoformat(),
            order_id=f"o-{n}",
            amount_minor=amount,
        )
        for n, (viewer, at, amount) in enumerate(orders)
    ]
    events += [
        make_event(
            "order.refunded",
            event_id=f"refund-{n}",
            order_id=f"o-{n}",
            amount_minor=amount,
            ts=(orders[n][1] + timedelta(hours=1)).isoformat(),
        )
        for n, amount in refunds
    ]
    events += [
        make_event(kind, event_id=f"extra-{n}", **fields) for n, (kind, fields) in enumerate(extra)
    ]
    with DuckDBStore(path) as store:
        store.append_events(events_to_table(events))
    return path


def simulate_bgnbd(
    n: int, r: float, alpha: float, a: float, b: float, seed: int, max_age: float = 52.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) of ``n`` customers drawn from the BG/NBD process itself (FHL 2005, section 2):
    rate λ ~ Gamma(r, 1/α), drop-out p ~ Beta(a, b) after each purchase, ages uniform."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    age = rng.uniform(1.0, max_age, n)
    x, last, now = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        now[active] += rng.exponential(1.0, active.sum()) / rate[active]
        bought = active & (now <= age)
        x[bought] += 1
        last[bought] = now[bought]
        active = bought & (rng.uniform(size=n) >= drop)
    return x, last, age
