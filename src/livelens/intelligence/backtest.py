"""Rolling-origin backtests of the daily forecasts: MASE per model, interval coverage.

Origins step back from the end of each series by ``horizon`` days. MASE scales the absolute error
by the in-sample mean absolute error of the seasonal naive forecast (period 7) before the origin,
so a MASE ratio model / seasonal naive below 1 means the model beats seasonal naive.

With a daily trend heat, ``ets_x`` is given the heat of the days before each origin only (the
forecast days take its mean, as a live forecast must), and the same ETS without the heat is
scored beside it as ``ets_x_without_trend``: the heat's worth, measured, not assumed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final

import msgspec
import numpy as np

from livelens.intelligence.forecast import MODELS, SEASON, forecast_arrays, regressors_used

WITHOUT_TREND: Final = "ets_x_without_trend"


class SeriesBacktest(msgspec.Struct, kw_only=True, frozen=True):
    series_id: str
    origins: int
    horizon: int
    mase: dict[str, float]  # model -> MASE averaged over origins
    coverage80: dict[str, float]
    coverage95: dict[str, float]
    beats_seasonal_naive: bool
    regressors: list[str] = msgspec.field(default_factory=list)  # those ets_x used
    # with trend heat: does ets_x have the lower MASE than ets_x_without_trend?
    trend_heat_helps: bool | None = None


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
    trend_heat: Sequence[float] | None = None,
) -> SeriesBacktest:
    """Score every model over up to ``origins`` rolling origins; ``trend_heat`` (one value per
    day of ``days``) adds ``ets_x_without_trend``, and ``ets_x`` reads the heat."""
    y = np.asarray(values, dtype=np.float64)
    if trend_heat is not None and len(trend_heat) != len(y):
        msg = f"series {series_id}: trend_heat has {len(trend_heat)} days, the series {len(y)}"
        raise ValueError(msg)
    heat_all = list(trend_heat or [])
    with_trend = any(h != 0 for h in heat_all)
    models = (*MODELS, WITHOUT_TREND) if with_trend else MODELS
    errors: dict[str, list[float]] = {m: [] for m in models}
    inside80: dict[str, list[float]] = {m: [] for m in models}
    inside95: dict[str, list[float]] = {m: [] for m in models}
    used = 0
    for k in range(origins, 0, -1):
        origin = len(y) - k * horizon
        if origin < 4 * SEASON:
            continue
        train, actual = y[:origin], y[origin : origin + horizon]
        scale = float(np.mean(np.abs(train[SEASON:] - train[:-SEASON]))) or 1.0
        used += 1
        for model in models:
            heat = heat_all[:origin] if with_trend and model == "ets_x" else None
            name = "ets_x" if model == WITHOUT_TREND else model
            result = forecast_arrays(train, days[:origin], horizon, name, heat)
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
    mase = {m: round(float(np.mean(errors[m])), 4) for m in models}
    return SeriesBacktest(
        series_id=series_id,
        origins=used,
        horizon=horizon,
        mase=mase,
        coverage80={m: round(float(np.mean(inside80[m])), 4) for m in models},
        coverage95={m: round(float(np.mean(inside95[m])), 4) for m in models},
        beats_seasonal_naive=mase["ets_x"] < mase["seasonal_naive"],
        regressors=regressors_used(days, heat_all if with_trend else None),
        trend_heat_helps=mase["ets_x"] < mase[WITHOUT_TREND] if with_trend else None,
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
