"""A daily demand outlook from the store's orders: one product's or one category's units per day,
the ETS + calendar forecast with its intervals, the seasonal naive baseline, optionally a
rolling-origin backtest — :mod:`~livelens.intelligence.forecast` over the store instead of a
transactions file.

:func:`read_daily_series` reads the store (call it under the store's lock); :func:`daily_outlook`
is pure. Units are those ``order.paid`` events ordered (gross of refunds, as the file forecast
leaves returns out), per calendar day in a time zone; a day without orders counts 0, from the
series' first order to the last order day in the store.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final, Literal

import duckdb
import msgspec

from livelens.errors import InvalidInput, NotFound
from livelens.intelligence.backtest import SeriesBacktest, backtest_series
from livelens.intelligence.forecast import SEASON, DailyForecast, forecast_daily
from livelens.store.duckdb import DuckDBStore

MIN_DAYS: Final = 2 * SEASON  # what the forecast needs (two weeks)
BASELINE: Final = "seasonal_naive"


class DailyOutlook(msgspec.Struct, kw_only=True, frozen=True):
    """The forecast of one series (a product id, or ``category:<name>``) for ``horizon`` days."""

    series_id: str
    products: list[str]  # the products whose units the series adds up
    timezone: str  # the calendar days' time zone
    status: Literal["ok", "insufficient"]
    reason: str | None  # why there is no forecast
    first_day: date | None
    last_day: date | None
    days: int  # days observed
    units: float  # units ordered over those days
    horizon: int
    forecast: DailyForecast | None = None  # ETS with calendar regressors
    baseline: DailyForecast | None = None  # seasonal naive (period 7)
    backtest: SeriesBacktest | None = None
    notes: tuple[str, ...] = ()


class DailySeries(msgspec.Struct, kw_only=True, frozen=True):
    """Units ordered per calendar day (consecutive days, zeros filled in)."""

    series_id: str  # a product id, or ``category:<name>``
    products: list[str]
    timezone: str
    days: list[date]
    values: list[float]


def read_daily_series(
    store: DuckDBStore,
    *,
    product_id: str | None = None,
    category: str | None = None,
    timezone: str = "UTC",
) -> DailySeries:
    """The daily units of one product (in the catalog or ordered) or one catalog category.

    InvalidInput unless exactly one of ``product_id`` and ``category`` is given, or for an unknown
    time zone; NotFound for a product neither in the catalog nor ever ordered, or a category no
    catalog product has."""
    if (product_id is None) == (category is None):
        msg = (
            "name exactly one series: a product or a category (e.g. ?product=sku-1 or "
            f"?category=女装); got product {product_id!r} and category {category!r}"
        )
        raise InvalidInput(msg)
    con = store.con
    try:
        con.execute("SELECT timezone(?, TIMESTAMPTZ '2026-01-01 00:00:00+00')", [timezone])
    except duckdb.Error:
        msg = f"unknown time zone {timezone!r}; use an IANA name such as Asia/Shanghai or UTC"
        raise InvalidInput(msg) from None
    catalog = store.reference().products
    if product_id is not None:
        ordered = con.execute(
            "SELECT count(*) FROM events WHERE type = 'order.paid' AND product_id = ?",
            [product_id],
        ).fetchone()
        if not any(p.product_id == product_id for p in catalog) and not (ordered and ordered[0]):
            known = ", ".join(p.product_id for p in catalog[:10]) or "none"
            msg = f"product {product_id!r} is neither in the catalog nor ordered; catalog: {known}"
            raise NotFound(msg)
        series_id, products = product_id, [product_id]
    else:
        products = sorted(p.product_id for p in catalog if p.category == category)
        if not products:
            known = ", ".join(sorted({p.category for p in catalog})[:10]) or "none"
            msg = f"no product of the catalog is in category {category!r}; categories: {known}"
            raise NotFound(msg)
        series_id = f"category:{category}"
    rows = con.execute(
        """
        SELECT CAST(timezone(?, ts) AS DATE) AS day,
               coalesce(sum(quantity) FILTER (WHERE list_contains(?, product_id)), 0)
        FROM events WHERE type = 'order.paid' GROUP BY day ORDER BY day
        """,
        [timezone, products],
    ).fetchall()
    units = {day: float(n) for day, n in rows}
    first = next((day for day, n in rows if n > 0), None)
    days: list[date] = []
    if first is not None:
        last: date = rows[-1][0]
        days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    return DailySeries(
        series_id=series_id,
        products=products,
        timezone=timezone,
        days=days,
        values=[units.get(day, 0.0) for day in days],
    )


def daily_outlook(
    series: DailySeries, *, horizon: int = 14, with_backtest: bool = False
) -> DailyOutlook:
    """Forecast and baseline for the ``horizon`` days after the series, or the reason it is too
    short; with ``with_backtest``, the rolling-origin backtest where the series is long enough."""
    series_id, days, values = series.series_id, series.days, series.values
    common: dict[str, Any] = {
        "series_id": series_id,
        "products": series.products,
        "timezone": series.timezone,
        "first_day": days[0] if days else None,
        "last_day": days[-1] if days else None,
        "days": len(days),
        "units": float(sum(values)),
        "horizon": horizon,
    }
    if len(days) < MIN_DAYS:
        reason = (
            f"no orders of {series_id} in the store"
            if not days
            else f"{len(days)} day(s) of orders of {series_id}; a daily forecast needs at least "
            f"{MIN_DAYS} (two weekly seasons)"
        )
        return DailyOutlook(status="insufficient", reason=reason, **common)
    named = {series_id: (days, values)}
    (forecast,) = forecast_daily(named, horizon)
    (baseline,) = forecast_daily(named, horizon, BASELINE)
    tested: SeriesBacktest | None = None
    notes: tuple[str, ...] = ()
    if with_backtest:
        try:
            tested = backtest_series(series_id, days, values, horizon=horizon)
        except ValueError as error:
            notes = (f"no backtest: {error}",)
    return DailyOutlook(
        status="ok",
        reason=None,
        forecast=forecast,
        baseline=baseline,
        backtest=tested,
        notes=notes,
        **common,
    )
