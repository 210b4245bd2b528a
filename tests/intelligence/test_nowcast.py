"""Live nowcasts: shapes, monotone intervals, and honest coverage on simulated sessions."""

from __future__ import annotations

import numpy as np
import pytest

from livelens.events.columns import events_to_table
from livelens.information.compute import compute_session_metrics
from livelens.information.metrics import SessionMetrics
from livelens.intelligence.nowcast import (
    HORIZONS,
    Interval,
    Nowcast,
    nowcast_arrays,
    nowcast_products,
    top_nowcasts,
)
from livelens.sources.simulator import SimulationConfig, build_session


def _metrics(seed: int, peak_viewers: int = 2000) -> SessionMetrics:
    session = build_session(SimulationConfig(minutes=90, peak_viewers=peak_viewers, seed=seed))
    return compute_session_metrics(events_to_table(list(session.events())))


@pytest.fixture(scope="module")
def sessions() -> list[SessionMetrics]:
    return [_metrics(0, 500), _metrics(1, 2000), _metrics(2, 5000)]


def test_intervals_nest_around_the_point() -> None:
    rng = np.random.default_rng(0)
    orders = rng.poisson(rng.uniform(0.0, 3.0, size=(200, 1)), size=(200, 240))
    gmv = orders * 9_900
    result = nowcast_arrays(orders, gmv)
    assert result.orders_mean.shape == (200, len(HORIZONS))
    lo80, hi80 = result.orders_lo[0.80], result.orders_hi[0.80]
    lo95, hi95 = result.orders_lo[0.95], result.orders_hi[0.95]
    assert np.all(lo95 <= lo80)
    assert np.all(lo80 <= hi80)
    assert np.all(hi80 <= hi95)
    assert np.all(lo80 <= result.orders_mean + 1)
    assert np.all(result.orders_mean <= hi80 + 1)
    # Longer horizons: more orders, wider intervals.
    assert np.all(np.diff(result.orders_mean, axis=1) >= 0)
    assert np.all(np.diff(hi95 - lo95, axis=1) >= 0)
    np.testing.assert_allclose(result.aov_minor[orders.sum(axis=1) > 0], 9_900)


def test_a_silent_product_gets_a_narrow_nonnegative_nowcast() -> None:
    result = nowcast_arrays(np.zeros((1, 60)), np.zeros((1, 60)))
    assert result.orders_lo[0.95][0, 0] == 0
    assert result.orders_hi[0.80][0, 0] <= 1


def test_nowcast_products_covers_every_product_and_horizon(sessions: list[SessionMetrics]) -> None:
    metrics = sessions[1]
    nowcasts = nowcast_products(metrics, as_of_minute=40)
    assert len(nowcasts) == len(metrics.product_series) * len(HORIZONS)
    for nowcast in nowcasts:
        assert nowcast.from_minute == 40
        assert nowcast.orders.lo95 <= nowcast.orders.point <= nowcast.orders.hi95 + 1
        assert nowcast.gmv_minor.lo80 <= nowcast.gmv_minor.hi80
    assert nowcast_products(metrics, as_of_minute=40) == nowcasts  # pure


def test_80_percent_intervals_cover_70_to_90_percent(sessions: list[SessionMetrics]) -> None:
    """Rolling every 3 minutes through three simulated sessions (8 products each)."""
    covered: dict[int, list[bool]] = {h: [] for h in HORIZONS}
    covered95: list[bool] = []
    for metrics in sessions:
        ids = sorted(metrics.product_series)
        orders = np.array([metrics.product_series[i].orders for i in ids], dtype=np.float64)
        gmv = np.array([metrics.product_series[i].gmv_minor for i in ids], dtype=np.float64)
        for end in range(15, metrics.minutes - max(HORIZONS), 3):
            result = nowcast_arrays(orders[:, :end], gmv[:, :end])
            for col, horizon in enumerate(HORIZONS):
                real = orders[:, end : end + horizon].sum(axis=1)
                lo, hi = result.orders_lo[0.80][:, col], result.orders_hi[0.80][:, col]
                covered[horizon].extend(((real >= lo) & (real <= hi)).tolist())
                lo, hi = result.orders_lo[0.95][:, col], result.orders_hi[0.95][:, col]
                covered95.extend(((real >= lo) & (real <= hi)).tolist())
    for horizon in HORIZONS:
        assert 0.70 <= np.mean(covered[horizon]) <= 0.90, (horizon, np.mean(covered[horizon]))
    assert 0.85 <= np.mean(covered95) <= 0.99


def _nowcast(product_id: str, horizon: int, gmv: float) -> Nowcast:
    orders = Interval(point=1.0, lo80=0.0, hi80=2.0, lo95=0.0, hi95=3.0)
    money = Interval(point=gmv, lo80=0.0, hi80=2 * gmv, lo95=0.0, hi95=3 * gmv)
    return Nowcast(
        product_id=product_id,
        from_minute=7,
        horizon_minutes=horizon,
        orders=orders,
        gmv_minor=money,
    )


@pytest.mark.parametrize(
    ("gmv_15", "limit", "expected"),
    [
        ({"a": 100.0, "b": 300.0, "c": 200.0}, 5, ["b", "c", "a"]),
        ({"a": 100.0, "b": 300.0, "c": 200.0}, 2, ["b", "c"]),
        ({"a": 100.0, "b": 100.0, "c": 0.0}, 5, ["a", "b"]),  # ties by id; nothing to sell: out
        ({"a": 0.0}, 5, []),
    ],
)
def test_top_nowcasts_rank_products_by_their_15_minute_gmv(
    gmv_15: dict[str, float], limit: int, expected: list[str]
) -> None:
    # the 5-minute GMV ranks the other way round: only the 15-minute one counts
    nowcasts = [
        _nowcast(p, h, gmv if h == 15 else 1_000.0 - gmv)
        for p, gmv in gmv_15.items()
        for h in HORIZONS
    ]
    top = top_nowcasts(nowcasts, horizon_minutes=15, limit=limit)
    assert [n.product_id for n in top[:: len(HORIZONS)]] == expected
    assert [(n.product_id, n.horizon_minutes) for n in top] == [
        (p, h) for p in expected for h in HORIZONS
    ]
