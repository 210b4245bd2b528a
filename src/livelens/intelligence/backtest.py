"""Rolling-origin backtests of the daily forecasts: MASE per model, interval coverage.

Origins step back from the end of each series by ``horizon`` days. MASE scales the absolute error
by the in-sample mean absolute error of the seasonal naive forecast (period 7) before the origin,
so a MASE ratio model / seasonal naive below 1 means the model beats seasonal naive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import msgspec
import numpy as np

from livelens.intelligence.forecast import MODELS, SEASON, forecast_arrays


class SeriesBacktest(msgspec.Struct, kw_only=True, frozen=True):
    series_id: str
    origins: int
    horizon: int
    mase: dict[str, float]  # model -> MASE averaged over origins
    coverage80: dict[str, float]
    coverage95: dict[str, float]
    beats_seasonal_naive: bool


class BacktestReport(msgspec.Struct, kw_only=True, frozen=True):
    series: list[SeriesBacktest]
    beats_seasonal_naive: int  # series where ets_x has the lower MASE
    median_mase_ratio: float  # median over series of MASE(ets_x) / MASE(seasonal naive)


def backtest_series(
    series_id: str,
    days: Sequence[date],
    values: Sequence[float],
    origins: int = 8,
    horizon: int = 14,
) -> SeriesBacktest:
    y = np.asarray(values, dtype=np.float64)
    errors: dict[str, list[float]] = {m: [] for m in MODELS}
    inside80: dict[str, list[float]] = {m: [] for m in MODELS}
    inside95: dict[str, list[float]] = {m: [] for m in MODELS}
    used = 0
    for k in range(origins, 0, -1):
        origin = len(y) - k * horizon
        if origin < 4 * SEASON:
            continue
        train, actual = y[:origin], y[origin : origin + horizon]
        scale = float(np.mean(np.abs(train[SEASON:] - train[:-SEASON]))) or 1.0
        used += 1
        for model in MODELS:
            result = forecast_arrays(train, days[:origin], horizon, model)
            errors[model].append(float(np.mean(np.abs(actual - result.mean))) / scale)
            inside80[model].append(
                float(np.mean((actual >= result.lo[80]) & (actual <= result.hi[80])))
            )
            inside95[model].append(
                float(np.mean((actual >= result.lo[95]) & (actual <= result.hi[95])))
            )
    if used == 0:
        msg = f"series {series_id}: too short for {origins} origins of {horizon} days"
        raise ValueError(msg)
    mase = {m: round(float(np.mean(errors[m])), 4) for m in MODELS}
    return SeriesBacktest(
        series_id=series_id,
        origins=used,
        horizon=horizon,
        mase=mase,
        coverage80={m: round(float(np.mean(inside80[m])), 4) for m in MODELS},
        coverage95={m: round(float(np.mean(inside95[m])), 4) for m in MODELS},
        beats_seasonal_naive=mase["ets_x"] < mase["seasonal_naive"],
    )


def backtest(
    series: Mapping[str, tuple[Sequence[date], Sequence[float]]],
    origins: int = 8,
    horizon: int = 14,
) -> BacktestReport:
    rows = [
        backtest_series(sid, days, values, origins, horizon)
        for sid, (days, values) in sorted(series.items())
    ]
    ratios = [r.mase["ets_x"] / r.mase["seasonal_naive"] for r in rows if r.mase["seasonal_naive"]]
    return BacktestReport(
        series=rows,
        beats_seasonal_naive=sum(r.beats_seasonal_naive for r in rows),
        median_mase_ratio=round(float(np.median(ratios)), 4) if ratios else float("nan"),
    )
