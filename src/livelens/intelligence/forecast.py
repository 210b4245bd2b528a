"""Daily demand per product or category: statsforecast ETS with calendar regressors, and baselines.

The model ("ets_x"): a ridge regression of the series on the external regressors (the festival
calendar, and the daily trend heat where the caller has it) takes out their effect, statsforecast's
``AutoETS`` (weekly season) forecasts the adjusted series with 80%/95% intervals, and the
regressors' effect on the forecast days is added back. AutoETS takes no exogenous inputs itself;
seasonal AutoARIMA would, but costs ~10 s per series. Baselines: naive (last value) and seasonal
naive (period 7), with intervals from their in-sample errors.

Trend heat on the forecast days is not known when the forecast is made (no one has tomorrow's
hot-search board), so a heat series that covers only the observed days is carried into the
forecast days at its mean over them: the forecast is "no trend beyond the usual". A caller with a
scenario may pass heat for the forecast days too. Each forecast names the regressors it used.
Pure: arrays and dates in, forecasts out; nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt
from statsforecast.models import AutoETS

from livelens.intelligence.calendar import FESTIVALS, calendar_regressors, festival_of

SEASON: Final = 7
MODELS: Final = ("ets_x", "seasonal_naive", "naive")
TREND_HEAT: Final = "trend_heat"  # the regressor's name in ``regressors``
RIDGE: Final = 1.0
_Z: Final = {80: 1.2815515655446004, 95: 1.959963984540054}

FloatArray = npt.NDArray[np.float64]


class DailyForecast(msgspec.Struct, kw_only=True, frozen=True):
    """One series' forecast for the ``horizon`` days after its last observed day."""

    series_id: str
    model: str
    days: list[date]
    mean: list[float]
    lo80: list[float]
    hi80: list[float]
    lo95: list[float]
    hi95: list[float]
    # what the model was given and could use: the festivals with a day in the observed days
    # (``festival:双11``), and ``trend_heat`` where heat was given and not all zero
    regressors: list[str] = msgspec.field(default_factory=list)


class ForecastArrays(msgspec.Struct, kw_only=True, frozen=True):
    mean: FloatArray
    lo: dict[int, FloatArray]
    hi: dict[int, FloatArray]


def _naive(y: FloatArray, horizon: int, period: int) -> ForecastArrays:
    period = min(period, len(y))
    steps = np.arange(horizon)
    mean = y[-period:][steps % period]
    errors = y[period:] - y[:-period] if len(y) > period else np.zeros(1)
    sigma = float(np.std(errors)) if errors.size > 1 else 0.0
    spread = sigma * np.sqrt(steps // period + 1.0)
    return ForecastArrays(
        mean=mean,
        lo={k: np.maximum(mean - z * spread, 0.0) for k, z in _Z.items()},
        hi={k: mean + z * spread for k, z in _Z.items()},
    )


def _ets_x(y: FloatArray, x: FloatArray, x_future: FloatArray, horizon: int) -> ForecastArrays:
    design = np.column_stack([np.ones(len(y)), x])
    penalty = RIDGE * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    beta = np.linalg.solve(design.T @ design + penalty, design.T @ y)
    # Keep only the regressors' effect; ETS models the level.
    effect = x @ beta[1:]
    future_effect = x_future @ beta[1:]
    fitted = AutoETS(season_length=SEASON).forecast(y=y - effect, h=horizon, level=[80, 95])
    mean = np.asarray(fitted["mean"], dtype=np.float64) + future_effect
    return ForecastArrays(
        mean=np.maximum(mean, 0.0),
        lo={k: np.maximum(np.asarray(fitted[f"lo-{k}"]) + future_effect, 0.0) for k in _Z},
        hi={k: np.maximum(np.asarray(fitted[f"hi-{k}"]) + future_effect, 0.0) for k in _Z},
    )


def regressors_used(days: Sequence[date], trend_heat: Sequence[float] | None = None) -> list[str]:
    """The regressors ``ets_x`` can learn from over ``days``: each festival with a day among
    them, and trend heat unless it is absent or all zero over them."""
    seen = {festival_of(day) for day in days}
    used = [f"festival:{name}" for name in FESTIVALS if name in seen]
    if trend_heat is not None and any(h != 0 for h in trend_heat[: len(days)]):
        used.append(TREND_HEAT)
    return used


def heat_through(trend_heat: Sequence[float] | None, days: int, horizon: int) -> list[float] | None:
    """``trend_heat`` over ``days`` observed days and the ``horizon`` after them: as given where
    it covers them, else carried into the forecast days at its mean over the observed days."""
    if trend_heat is None:
        return None
    heat = [float(h) for h in trend_heat]
    if len(heat) == days + horizon:
        return heat
    if len(heat) != days:
        msg = (
            f"trend_heat needs one value per observed day ({days}), or per observed and forecast "
            f"day ({days + horizon}); got {len(heat)}"
        )
        raise ValueError(msg)
    mean = float(np.mean(heat)) if heat else 0.0
    return heat + [mean] * horizon


def forecast_arrays(
    y: npt.ArrayLike,
    days: Sequence[date],
    horizon: int,
    model: str = "ets_x",
    trend_heat: Sequence[float] | None = None,
) -> ForecastArrays:
    """Forecast daily ``y`` (one value per day in ``days``, consecutive) ``horizon`` days ahead.

    ``trend_heat``, when given, covers ``days`` (the forecast days take its mean, see
    :func:`heat_through`) or ``days`` and the ``horizon`` days after them; only ``ets_x`` reads it.
    """
    values = np.asarray(y, dtype=np.float64)
    if values.shape != (len(days),) or len(days) < 2 * SEASON:
        msg = f"need one value per day and at least {2 * SEASON} days, got {values.shape}"
        raise ValueError(msg)
    if model == "naive":
        return _naive(values, horizon, 1)
    if model == "seasonal_naive":
        return _naive(values, horizon, SEASON)
    if model != "ets_x":
        msg = f"unknown model {model!r}; expected one of {MODELS}"
        raise ValueError(msg)
    future = [days[-1] + timedelta(days=k + 1) for k in range(horizon)]
    x_all = calendar_regressors([*days, *future], heat_through(trend_heat, len(days), horizon))
    return _ets_x(values, x_all[: len(days)], x_all[len(days) :], horizon)


def forecast_daily(
    series: Mapping[str, tuple[Sequence[date], Sequence[float]]],
    horizon: int = 14,
    model: str = "ets_x",
    trend_heat: Mapping[str, Sequence[float]] | None = None,
) -> list[DailyForecast]:
    """Forecasts for every series (``id -> (days, values)``), sorted by id; ``trend_heat`` maps
    a series id to its daily heat (see :func:`forecast_arrays`)."""
    out: list[DailyForecast] = []
    for series_id in sorted(series):
        days, values = series[series_id]
        heat = (trend_heat or {}).get(series_id)
        result = forecast_arrays(values, days, horizon, model, heat)
        out.append(
            DailyForecast(
                series_id=series_id,
                model=model,
                days=[days[-1] + timedelta(days=k + 1) for k in range(horizon)],
                mean=np.round(result.mean, 3).tolist(),
                lo80=np.round(result.lo[80], 3).tolist(),
                hi80=np.round(result.hi[80], 3).tolist(),
                lo95=np.round(result.lo[95], 3).tolist(),
                hi95=np.round(result.hi[95], 3).tolist(),
                regressors=regressors_used(days, heat) if model == "ets_x" else [],
            )
        )
    return out


def daily_demand(
    table: object,
    date_col: str,
    item_col: str,
    quantity_col: str,
    top: int = 10,
) -> dict[str, tuple[list[date], list[float]]]:
    """Daily units of the ``top`` items by volume from a transactions table (pyarrow).

    Returns (cancellations) are left out (quantity ≤ 0); days without sales are 0, from the
    first to the last day of the whole table.
    """
    import duckdb

    con = duckdb.connect()
    con.register("t", table)
    q, d, i = (f'"{c}"' for c in (quantity_col, date_col, item_col))
    rows = con.execute(
        f"""
        WITH s AS (SELECT CAST({d} AS DATE) AS day, CAST({i} AS VARCHAR) AS item,
                          CAST({q} AS DOUBLE) AS qty FROM t WHERE {q} > 0),
        top AS (SELECT item FROM s GROUP BY item ORDER BY sum(qty) DESC, item LIMIT ?),
        span AS (SELECT min(day) AS lo, max(day) AS hi FROM s),
        grid AS (SELECT CAST(g AS DATE) AS day, item FROM span,
                 generate_series(span.lo, span.hi, INTERVAL 1 DAY) AS r(g), top)
        SELECT grid.item, grid.day, coalesce(sum(s.qty), 0) FROM grid
        LEFT JOIN s ON s.day = grid.day AND s.item = grid.item
        GROUP BY grid.item, grid.day ORDER BY grid.item, grid.day
        """,  # noqa: S608 (column names are quoted identifiers)
        [top],
    ).fetchall()
    con.close()
    out: dict[str, tuple[list[date], list[float]]] = {}
    for item, day, qty in rows:
        days, values = out.setdefault(str(item), ([], []))
        days.append(day)
        values.append(float(qty))
    return out
