"""Reading what a lead-lag scan needs from a DuckDB store, and running the scan over it.

The I/O half of :mod:`livelens.intelligence.leadlag_scan` (the CLI, the API and the post-live
report share it). The scan's grid is the hours where both the shop's history and the external
signals exist: from the later of their first events to the earlier of their last, whole hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.events.columns import EVENTS_SCHEMA
from livelens.events.reference import Product
from livelens.intelligence.leadlag import DEFAULT_ALPHA
from livelens.intelligence.leadlag_scan import LeadLagScan, scan_lead_lag
from livelens.intelligence.matching import match_trends
from livelens.intelligence.series import HOUR, CommentClassifier
from livelens.store.duckdb import DuckDBStore

SIGNAL_TYPES: Final = ("trend.snapshot", "competitor.promo")
SHOP_TYPES: Final = ("order.paid", "product.click")
COMMENT_TYPES: Final = ("comment", "host.product_pin")


def read_events(
    store: DuckDBStore, types: Sequence[str], window: tuple[datetime, datetime] | None = None
) -> pa.Table:
    """The stored events of ``types`` (in ``[start, end)`` of ``window``), oldest first, in the
    canonical schema."""
    marks = ", ".join("?" for _ in types)
    columns = ", ".join(f'"{n}"' for n in EVENTS_SCHEMA.names)
    params: list[object] = list(types)
    where = f"type IN ({marks})"
    if window is not None:
        where += " AND ts >= ? AND ts < ?"
        params += list(window)
    query = f"SELECT {columns} FROM events WHERE {where} ORDER BY ts"  # noqa: S608
    table: pa.Table = store.con.sql(query, params=params).to_arrow_table()
    return table.cast(EVENTS_SCHEMA)


def has_signals(store: DuckDBStore) -> bool:
    """Whether the store holds any trend board entry or competitor promotion (cheap)."""
    rows = store.con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM events WHERE type IN (?, ?) LIMIT 1)",
        list(SIGNAL_TYPES),
    ).fetchall()
    return bool(rows[0][0])


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def scan_window(shop: pa.Table, signals: pa.Table) -> tuple[datetime, datetime] | None:
    """Whole hours where both tables have events (both sorted by ts); None when they do not
    overlap."""
    if shop.num_rows == 0 or signals.num_rows == 0:
        return None
    start = _hour(max(shop["ts"][0].as_py(), signals["ts"][0].as_py()))
    end = _hour(min(shop["ts"][-1].as_py(), signals["ts"][-1].as_py())) + HOUR
    return (start, end) if end > start else None


class ScanInputs(msgspec.Struct, frozen=True, kw_only=True):
    """What a scan of the store reads: the signals, the shop's events (with comments and pins
    when comment shares are wanted), the catalog and the scan's window."""

    trends: pa.Table
    promos: pa.Table
    shop: pa.Table
    products: list[Product]
    window: tuple[datetime, datetime]


def read_scan_inputs(store: DuckDBStore, *, comments: bool) -> ScanInputs | None:
    """Read what :func:`run_scan` needs (hold the store's lock for this part only); None when
    the store has no external signal, no sales, or the two do not overlap in time."""
    if not has_signals(store):
        return None
    signals = read_events(store, SIGNAL_TYPES)
    shop = read_events(store, SHOP_TYPES)
    window = scan_window(shop, signals)
    if window is None:
        return None
    if comments:
        # The pins before the window still attribute its first comments; a day back is plenty.
        since = (window[0] - timedelta(days=1), window[1])
        shop = read_events(store, (*SHOP_TYPES, *COMMENT_TYPES), since)
    return ScanInputs(
        trends=signals.filter(pc.equal(signals["type"], "trend.snapshot")),
        promos=signals.filter(pc.equal(signals["type"], "competitor.promo")),
        shop=shop,
        products=list(store.reference().products),
        window=window,
    )


def run_scan(
    inputs: ScanInputs,
    *,
    alpha: float = DEFAULT_ALPHA,
    max_lag: int = 6,
    classify: CommentClassifier | None = None,
    bucket: timedelta = HOUR,
) -> LeadLagScan:
    """The scan over what :func:`read_scan_inputs` read (pure)."""
    keywords = list(dict.fromkeys(inputs.trends["keyword"].to_pylist()))
    return scan_lead_lag(
        trends=inputs.trends,
        promos=inputs.promos,
        events=inputs.shop,
        products=inputs.products,
        matches=match_trends(keywords, inputs.products),
        start=inputs.window[0],
        end=inputs.window[1],
        bucket=bucket,
        max_lag=max_lag,
        alpha=alpha,
        classify=classify,
    )


def scan_store(
    store: DuckDBStore,
    *,
    alpha: float = DEFAULT_ALPHA,
    max_lag: int = 6,
    classify: CommentClassifier | None = None,
    bucket: timedelta = HOUR,
) -> LeadLagScan | None:
    """The scan of everything stored; None when the store has no external signal, no sales, or
    the two do not overlap in time."""
    inputs = read_scan_inputs(store, comments=classify is not None)
    if inputs is None:
        return None
    return run_scan(inputs, alpha=alpha, max_lag=max_lag, classify=classify, bucket=bucket)
