"""需求预测 Demand nowcasts: how the live 5/15/30-minute order nowcasts did in this session.

At every complete minute ``t`` from :data:`WARMUP_MINUTES` on, the top products' nowcast is made
as it would have been live — :func:`livelens.intelligence.nowcast.nowcast_arrays` (the core of
``nowcast_products``) over the minutes before ``t`` only, no look-ahead — and each horizon ``h``
that ends inside the session is checked against the orders of minutes ``t … t + h − 1``: whether
they fell inside the 80% and the 95% interval, and the absolute error of the point forecast. The
session's last minute is partial (it ended inside it), so it is never a minute checked against.

Pure: the session's metrics in, the scores out. One vectorised nowcast per minute (all top
products and horizons at once) keeps a 3-hour session to a few hundred small calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt

from livelens.information.metrics import SessionMetrics
from livelens.intelligence.nowcast import HORIZONS, nowcast_arrays

TOP_PRODUCTS: Final = 5
WARMUP_MINUTES: Final = 10  # no check from a nowcast resting on fewer minutes than this


class NowcastScore(msgspec.Struct, frozen=True, kw_only=True):
    """One product's (or, with ``product_id`` None, the top products') nowcasts at one horizon."""

    product_id: str | None
    title: str | None
    horizon_minutes: int
    checks: int  # product-minutes the nowcast was checked from
    predicted_mean: float  # orders over the horizon: mean point forecast
    actual_mean: float  # … and mean of what happened
    mae: float  # mean absolute error of the point forecast, orders
    coverage80: float  # share of checks inside the 80% interval
    coverage95: float


class NowcastSection(msgspec.Struct, frozen=True, kw_only=True):
    products: list[str]  # the top products by GMV that were checked
    complete_minutes: int
    warmup_minutes: int
    scores: list[NowcastScore]  # per product and horizon, then the top products together
    too_short: list[int]  # horizons that no check fits into this session
    unavailable: str | None = None


class _Tally:
    """Running sums per product for one horizon."""

    def __init__(self, products: int) -> None:
        self.checks = np.zeros(products)
        self.predicted = np.zeros(products)
        self.actual = np.zeros(products)
        self.error = np.zeros(products)
        self.inside80 = np.zeros(products)
        self.inside95 = np.zeros(products)

    def add(
        self,
        predicted: npt.NDArray[np.float64],
        actual: npt.NDArray[np.float64],
        within80: npt.NDArray[np.bool_],
        within95: npt.NDArray[np.bool_],
    ) -> None:
        self.checks += 1
        self.predicted += predicted
        self.actual += actual
        self.error += np.abs(predicted - actual)
        self.inside80 += within80
        self.inside95 += within95


def _score(
    tally: _Tally, row: int | slice, horizon: int, product_id: str | None, title: str | None
) -> NowcastScore:
    checks = float(np.sum(tally.checks[row]))
    return NowcastScore(
        product_id=product_id,
        title=title,
        horizon_minutes=horizon,
        checks=int(checks),
        predicted_mean=float(np.sum(tally.predicted[row])) / checks,
        actual_mean=float(np.sum(tally.actual[row])) / checks,
        mae=float(np.sum(tally.error[row])) / checks,
        coverage80=float(np.sum(tally.inside80[row])) / checks,
        coverage95=float(np.sum(tally.inside95[row])) / checks,
    )


def score_nowcasts(
    orders: npt.ArrayLike,
    gmv_minor: npt.ArrayLike,
    product_ids: Sequence[str],
    names: Mapping[str, str],
    *,
    horizons: Sequence[int] = HORIZONS,
    warmup_minutes: int = WARMUP_MINUTES,
) -> tuple[list[NowcastScore], list[int]]:
    """Every check over (products × complete minutes) arrays: the scores per horizon (each
    product, then all of them together) and the horizons no check fits into."""
    counts = np.asarray(orders, dtype=np.float64)
    money = np.asarray(gmv_minor, dtype=np.float64)
    minutes = counts.shape[1]
    tallies = {h: _Tally(counts.shape[0]) for h in horizons}
    cumulative = np.concatenate([np.zeros((counts.shape[0], 1)), counts.cumsum(axis=1)], axis=1)
    for t in range(max(warmup_minutes, 1), minutes - min(horizons) + 1):
        found = nowcast_arrays(counts[:, :t], money[:, :t], horizons)
        for col, h in enumerate(horizons):
            if t + h > minutes:
                continue
            actual = cumulative[:, t + h] - cumulative[:, t]
            lo80, hi80 = found.orders_lo[0.80][:, col], found.orders_hi[0.80][:, col]
            lo95, hi95 = found.orders_lo[0.95][:, col], found.orders_hi[0.95][:, col]
            tallies[h].add(
                found.orders_mean[:, col],
                actual,
                (lo80 <= actual) & (actual <= hi80),
                (lo95 <= actual) & (actual <= hi95),
            )
    scores: list[NowcastScore] = []
    for h, tally in tallies.items():
        if not tally.checks.any():
            continue
        for row, pid in enumerate(product_ids):
            scores.append(_score(tally, row, h, pid, names.get(pid, pid)))
        if len(product_ids) > 1:
            scores.append(_score(tally, slice(None), h, None, None))
    return scores, [h for h, tally in tallies.items() if not tally.checks.any()]


def nowcast_section(metrics: SessionMetrics, names: Mapping[str, str]) -> NowcastSection:
    """The top products' nowcasts (by GMV) checked against what happened in the session."""
    complete = max(metrics.minutes - 1, 0)
    sold = sorted(
        (
            p
            for p in metrics.products or []
            if p.orders > 0 and p.product_id in metrics.product_series
        ),
        key=lambda p: (-p.gmv_minor, p.product_id),
    )
    top = [p.product_id for p in sold[:TOP_PRODUCTS]]
    if not top:
        return NowcastSection(
            products=[],
            complete_minutes=complete,
            warmup_minutes=WARMUP_MINUTES,
            scores=[],
            too_short=[],
            unavailable="no product sold in this session"
            if metrics.products
            else "no product events in this session",
        )
    series = [metrics.product_series[pid] for pid in top]
    scores, too_short = score_nowcasts(
        [s.orders[:complete] for s in series],
        [s.gmv_minor[:complete] for s in series],
        top,
        names,
    )
    return NowcastSection(
        products=top,
        complete_minutes=complete,
        warmup_minutes=WARMUP_MINUTES,
        scores=scores,
        too_short=too_short,
    )
