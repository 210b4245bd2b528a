"""The streaming engine: totals reconcile with a plain recount; results do not depend on batch
size, on arrival order within the allowed lateness, or on a checkpoint/restore in the middle."""

from __future__ import annotations

import random
from datetime import timedelta

import duckdb
import msgspec
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livelens.engine.counters import MinuteCounters
from livelens.engine.live import LiveEngine
from livelens.engine.windows import MINUTE_US, SlidingWindows, TumblingWindows
from livelens.events.codec import decode_event
from livelens.events.columns import events_to_table
from livelens.information.compute import metrics_of
from livelens.information.metrics import SessionMetrics
from livelens.testing import T0, event_record, random_session_records

LATENESS = timedelta(seconds=10)


def _table(records: list[dict[str, object]]) -> pa.Table:
    events = [decode_event(msgspec.json.encode(r)) for r in records]
    return events_to_table(events).sort_by([("ts", "ascending")])


def _run(batches: list[pa.Table]) -> SessionMetrics:
    engine = LiveEngine(allowed_lateness=LATENESS)
    for batch in batches:
        engine.process(batch)
    engine.finish()
    (state,) = engine.sessions.values()
    return metrics_of(state)


def _batches(table: pa.Table, size: int) -> list[pa.Table]:
    return [table.slice(i, size) for i in range(0, table.num_rows, size)]


def _shuffled_within_lateness(table: pa.Table, seed: int) -> pa.Table:
    """Arrival order = event time + a jitter below the lateness: no event arrives late."""
    rng = np.random.default_rng(seed)
    ts = table["ts"].cast(pa.int64()).to_numpy()
    jitter = rng.integers(0, int(LATENESS.total_seconds() * 1_000_000) - 1, len(ts))
    return table.take(np.argsort(ts + jitter, kind="stable"))


@pytest.fixture(scope="module")
def session() -> pa.Table:
    return _table(random_session_records(seed=7, viewers=400, minutes=30))


def test_totals_reconcile_with_a_plain_recount(session: pa.Table) -> None:
    metrics = _run(_batches(session, 97))
    (recount,) = duckdb.sql(
        """
        SELECT
          count(*) FILTER (type = 'comment'),
          coalesce(sum(count) FILTER (type = 'like'), 0),
          count(*) FILTER (type = 'product.click'),
          count(*) FILTER (type = 'order.paid'),
          coalesce(sum(amount_minor) FILTER (type = 'order.paid'), 0),
          coalesce(sum(amount_minor) FILTER (type = 'order.refunded'), 0),
          count(DISTINCT viewer_id),
          count(DISTINCT viewer_id) FILTER (type = 'product.click'),
          count(DISTINCT viewer_id) FILTER (type = 'order.paid'),
          count(*) FILTER (type = 'viewer.join'),
          count(*) FILTER (type = 'viewer.leave'),
          count(*)
        FROM session
        """
    ).fetchall()
    totals, series, funnel = metrics.totals, metrics.series, metrics.funnel
    assert funnel is not None
    assert (
        totals.comments,
        totals.likes,
        totals.clicks,
        totals.orders,
        totals.gmv_minor,
        totals.refunds_minor,
        totals.unique_viewers,
        funnel.clicked,
        funnel.ordered,
        totals.entries,
        totals.events,
    ) == (*recount[:9], recount[9], recount[11])
    # Every leave is an exit; viewers idle past the timeout who never left are exits too.
    leaves, never_left = recount[10], recount[9] - recount[10]
    assert leaves <= totals.exits <= leaves + never_left
    assert series.online[-1] == totals.entries - totals.exits
    # The per-minute series sum to the totals.
    assert sum(series.comments) == totals.comments
    assert sum(series.gmv_minor) == totals.gmv_minor
    assert sum(series.entries) == totals.entries


@given(size=st.integers(min_value=1, max_value=500))
@settings(max_examples=25, deadline=None)
def test_batch_size_does_not_change_results(session: pa.Table, size: int) -> None:
    assert _run(_batches(session, size)) == _run([session])


@given(seed=st.integers(min_value=0, max_value=2**32 - 1), size=st.integers(1, 300))
@settings(max_examples=25, deadline=None)
def test_order_within_lateness_does_not_change_results(
    session: pa.Table, seed: int, size: int
) -> None:
    shuffled = _shuffled_within_lateness(session, seed)
    assert _run(_batches(shuffled, size)) == _run([session])


def test_late_events_are_still_counted(session: pa.Table) -> None:
    """Events later than the lateness go through the correction path: totals still reconcile."""
    rows = list(range(session.num_rows))
    random.Random(3).shuffle(rows)
    shuffled = session.take(rows)
    engine = LiveEngine(allowed_lateness=LATENESS)
    for batch in _batches(shuffled, 50):
        engine.process(batch)
    engine.finish()
    assert engine.late_events > 0
    (state,) = engine.sessions.values()
    late, on_time = metrics_of(state).totals, _run([session]).totals
    assert (late.comments, late.gmv_minor, late.entries, late.exits) == (
        on_time.comments,
        on_time.gmv_minor,
        on_time.entries,
        on_time.exits,
    )


@given(cut=st.integers(min_value=1, max_value=40))
@settings(max_examples=10, deadline=None)
def test_checkpoint_and_restore_mid_stream_equals_uninterrupted(
    session: pa.Table, cut: int
) -> None:
    batches = _batches(session, 53)
    first = LiveEngine(allowed_lateness=LATENESS)
    for batch in batches[:cut]:
        first.process(batch)
    resumed = LiveEngine.decode(first.encode())
    for batch in batches[cut:]:
        resumed.process(batch)
    resumed.finish()
    (state,) = resumed.sessions.values()
    assert metrics_of(state) == _run(batches)


@given(
    minutes=st.lists(st.integers(-1000, 1000), min_size=1, max_size=200),
    split=st.integers(0, 200),
)
def test_minute_counters_merge_equals_single_pass(minutes: list[int], split: int) -> None:
    values = np.asarray(minutes, np.int64)
    whole = MinuteCounters(["n"])
    whole.add("n", values)
    left, right = MinuteCounters(["n"]), MinuteCounters(["n"])
    left.add("n", values[:split])
    right.add("n", values[split:])
    left.merge(right)
    assert left.series("n", -1000, 2001) == whole.series("n", -1000, 2001)
    assert whole.total("n") == len(minutes)


@given(ts=st.lists(st.integers(0, 10**12), min_size=1, max_size=100))
def test_windows_hold_each_time(ts: list[int]) -> None:
    values = np.asarray(ts, np.int64)
    starts = TumblingWindows(timedelta(minutes=1)).starts(values)
    assert np.all((starts <= values) & (values < starts + MINUTE_US))
    rows, sliding = SlidingWindows(timedelta(minutes=5), timedelta(minutes=1)).starts(values)
    assert np.all(np.bincount(rows, minlength=len(values)) == 5)
    held = values[rows]
    assert np.all((sliding <= held) & (held < sliding + 5 * MINUTE_US))


def test_metrics_without_products_say_so(session: pa.Table) -> None:
    no_shop = session.filter(
        pa.compute.invert(
            pa.compute.is_in(
                session["type"],
                pa.array(["product.impression", "product.click", "cart.add", "order.paid"]),
            )
        )
    )
    metrics = _run([no_shop])
    assert metrics.products is None
    assert metrics.totals.gmv_minor is None
    assert metrics.totals.ctr is None
    assert metrics.funnel is None
    assert "products" in metrics.unavailable


def test_promo_metrics_count_the_promoted_products_selling_while_it_runs(
    session: pa.Table,
) -> None:
    metrics = _run([session])
    (promo,) = metrics.promos
    assert (promo.scope, promo.product_id) == ("product", "sku-b")
    origin_us = int(metrics.started_at.timestamp()) // 60 * 60 * 1_000_000
    inside = [m for m in range(metrics.minutes) if promo.start_minute <= m + 0.5 < promo.end_minute]
    assert promo.minutes_on == len(inside) > 0
    low, high = origin_us + inside[0] * MINUTE_US, origin_us + (inside[-1] + 1) * MINUTE_US
    (expected,) = duckdb.sql(
        f"""
        SELECT count(*), coalesce(sum(amount_minor), 0) FROM session
        WHERE type = 'order.paid' AND product_id = 'sku-b'
          AND epoch_us(ts) >= {low} AND epoch_us(ts) < {high}
        """  # noqa: S608 - integers computed above
    ).fetchall()
    assert (promo.orders, promo.gmv_minor) == expected
    assert promo.clicks > 0


def test_stock_set_events_change_no_metric_but_the_event_count(session: pa.Table) -> None:
    stock = _table(
        [
            event_record(
                "stock.set",
                ts=(T0 + timedelta(minutes=minute, seconds=30)).isoformat(),
                room_id="room-1",
                session_id="session-1",
                platform="sim",
                product_id=product,
                stock=level,
            )
            for minute, product, level in [(1, "sku-a", 0), (2, "sku-b", 40), (9, "sku-x", 10**9)]
        ]
    )
    both = pa.concat_tables([session, stock]).sort_by([("ts", "ascending")])
    base, with_stock = _run([session]), _run(_batches(both, 97))
    assert with_stock.totals.events == base.totals.events + 3
    totals = msgspec.structs.replace(with_stock.totals, events=base.totals.events)
    assert msgspec.structs.replace(with_stock, totals=totals) == base
