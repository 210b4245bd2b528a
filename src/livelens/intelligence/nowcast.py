"""Live nowcasts: orders and GMV per product for the next 5/15/30 minutes, with intervals.

The model, for every product at once (numpy over a products × minutes matrix, no per-product
loop): the order rate is a recency-weighted mean of the last ``window_minutes`` per-minute orders
(exponential weights, half-life ``half_life_minutes``). Orders over the next ``h`` minutes are
negative binomial with mean ``rate · h`` and variance ``h · v + h² · (v / n_eff + drift · v)``:
``v`` is the weighted per-minute variance (over-dispersion: bursts after a pin or a promo), the
``h²`` terms carry the uncertainty of the rate itself (``n_eff`` is the effective number of
weighted minutes) and its drift while the horizon runs. GMV is compound: orders × the product's
recency-weighted average order value, so its interval is the order interval scaled by the AOV.

Pure: the caller passes the metrics (or arrays) as of the last complete minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt
from scipy import stats

from livelens.information.metrics import SessionMetrics

HORIZONS: Final = (5, 15, 30)
LEVELS: Final = (0.80, 0.95)
WINDOW_MINUTES: Final = 60
HALF_LIFE_MINUTES: Final = 15.0
DRIFT: Final = 0.2  # rate drift per minute of horizon (calibrated on simulated sessions)

FloatArray = npt.NDArray[np.float64]


class Interval(msgspec.Struct, kw_only=True, frozen=True):
    """A point forecast with central 80% and 95% prediction intervals."""

    point: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class Nowcast(msgspec.Struct, kw_only=True, frozen=True):
    """Orders and GMV of one product over the ``horizon_minutes`` after ``from_minute``."""

    product_id: str
    from_minute: int  # first forecast minute (session minute index)
    horizon_minutes: int
    orders: Interval
    gmv_minor: Interval


class NowcastArrays(msgspec.Struct, kw_only=True, frozen=True):
    """The vectorised result: arrays shaped (products, horizons); quantile keys as in LEVELS."""

    orders_mean: FloatArray
    orders_lo: dict[float, FloatArray]
    orders_hi: dict[float, FloatArray]
    aov_minor: FloatArray  # shape (products,)


def _weights(minutes: int, half_life: float) -> FloatArray:
    age = np.arange(minutes - 1, -1, -1, dtype=np.float64)
    return np.asarray(0.5 ** (age / half_life), dtype=np.float64)


def nowcast_arrays(
    orders: npt.ArrayLike,
    gmv_minor: npt.ArrayLike,
    horizons: Sequence[int] = HORIZONS,
    *,
    window_minutes: int = WINDOW_MINUTES,
    half_life_minutes: float = HALF_LIFE_MINUTES,
    drift: float = DRIFT,
) -> NowcastArrays:
    """Nowcast all products from per-minute ``orders`` and ``gmv_minor`` (products × minutes)."""
    counts = np.asarray(orders, dtype=np.float64)
    money = np.asarray(gmv_minor, dtype=np.float64)
    if counts.ndim != 2 or counts.shape != money.shape:
        msg = (
            "orders and gmv_minor must be (products, minutes) arrays of one shape, "
            f"got {counts.shape} and {money.shape}"
        )
        raise ValueError(msg)
    # A product without orders in the window falls back to its AOV over the whole history given.
    all_orders = counts.sum(axis=1)
    fallback = np.divide(
        money.sum(axis=1), all_orders, out=np.zeros_like(all_orders), where=all_orders > 0
    )
    counts = counts[:, -window_minutes:]
    money = money[:, -window_minutes:]
    h = np.asarray(horizons, dtype=np.float64)
    if counts.shape[1] == 0:
        zeros = np.zeros((counts.shape[0], h.size))
        return NowcastArrays(
            orders_mean=zeros,
            orders_lo=dict.fromkeys(LEVELS, zeros),
            orders_hi=dict.fromkeys(LEVELS, zeros),
            aov_minor=fallback,
        )
    w = _weights(counts.shape[1], half_life_minutes)
    total_w = w.sum()
    n_eff = total_w**2 / np.square(w).sum()
    # A prior of half an order over the window keeps a quiet product's interval above zero width.
    prior = 0.5 / counts.shape[1]
    rate = (counts @ w + prior * total_w) / (total_w * (1.0 + prior))
    var = (np.square(counts - rate[:, None]) @ w) / total_w * n_eff / max(n_eff - 1.0, 1.0)
    var = np.maximum(var, rate)  # never under-dispersed below Poisson
    mean = rate[:, None] * h[None, :]
    variance = h[None, :] * var[:, None] + np.square(h)[None, :] * var[:, None] * (
        1.0 / n_eff + drift
    )
    variance = np.maximum(variance, mean * (1.0 + 1e-9) + 1e-12)
    # Negative binomial with this mean and variance: p = mean / variance, n = mean · p / (1 − p).
    p = mean / variance
    n = np.maximum(mean * p / (1.0 - p), 1e-9)
    lo: dict[float, FloatArray] = {}
    hi: dict[float, FloatArray] = {}
    for level in LEVELS:
        tail = (1.0 - level) / 2.0
        lo[level] = np.asarray(stats.nbinom.ppf(tail, n, p), dtype=np.float64)
        hi[level] = np.asarray(stats.nbinom.ppf(1.0 - tail, n, p), dtype=np.float64)
    order_w = counts @ w
    aov = np.divide(money @ w, order_w, out=np.zeros_like(order_w), where=order_w > 0)
    aov = np.where(order_w > 0, aov, fallback)
    return NowcastArrays(orders_mean=mean, orders_lo=lo, orders_hi=hi, aov_minor=aov)


def nowcast_products(
    metrics: SessionMetrics,
    horizons: Sequence[int] = HORIZONS,
    *,
    as_of_minute: int | None = None,
    window_minutes: int = WINDOW_MINUTES,
    half_life_minutes: float = HALF_LIFE_MINUTES,
) -> list[Nowcast]:
    """Nowcasts for every product with a per-minute series, from minutes before ``as_of_minute``.

    ``as_of_minute`` defaults to ``metrics.minutes`` (all minutes are complete); during the live
    pass the current, still-filling minute so that it is left out.
    """
    end = metrics.minutes if as_of_minute is None else as_of_minute
    ids = sorted(metrics.product_series)
    if not ids:
        return []
    orders = np.array([metrics.product_series[i].orders[:end] for i in ids], dtype=np.float64)
    gmv = np.array([metrics.product_series[i].gmv_minor[:end] for i in ids], dtype=np.float64)
    result = nowcast_arrays(
        orders,
        gmv,
        horizons,
        window_minutes=window_minutes,
        half_life_minutes=half_life_minutes,
    )
    out: list[Nowcast] = []
    mean = result.orders_mean.tolist()
    lo80, hi80 = result.orders_lo[0.80].tolist(), result.orders_hi[0.80].tolist()
    lo95, hi95 = result.orders_lo[0.95].tolist(), result.orders_hi[0.95].tolist()
    aov = result.aov_minor.tolist()
    for row, product_id in enumerate(ids):
        for col, horizon in enumerate(horizons):
            o = Interval(
                point=round(mean[row][col], 3),
                lo80=lo80[row][col],
                hi80=hi80[row][col],
                lo95=lo95[row][col],
                hi95=hi95[row][col],
            )
            a = aov[row]
            g = Interval(
                point=round(o.point * a, 1),
                lo80=round(o.lo80 * a, 1),
                hi80=round(o.hi80 * a, 1),
                lo95=round(o.lo95 * a, 1),
                hi95=round(o.hi95 * a, 1),
            )
            out.append(
                Nowcast(
                    product_id=product_id,
                    from_minute=end,
                    horizon_minutes=int(horizon),
                    orders=o,
                    gmv_minor=g,
                )
            )
    return out


def top_nowcasts(
    nowcasts: Sequence[Nowcast], *, horizon_minutes: int = 15, limit: int = 5
) -> list[Nowcast]:
    """The nowcasts (every horizon) of the ``limit`` products with the highest expected GMV over
    the next ``horizon_minutes``, best first; products expected to sell nothing are left out."""
    expected = {
        n.product_id: n.gmv_minor.point
        for n in nowcasts
        if n.horizon_minutes == horizon_minutes and n.gmv_minor.point > 0
    }
    ranked = sorted(expected, key=lambda p: (-expected[p], p))[:limit]
    rank = {product_id: i for i, product_id in enumerate(ranked)}
    shown = [n for n in nowcasts if n.product_id in rank]
    return sorted(shown, key=lambda n: (rank[n.product_id], n.horizon_minutes))
