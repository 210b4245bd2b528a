"""A daily demand outlook from the store's orders: one product's or one category's units per day,
the ETS forecast with its external regressors (the festival calendar and, where the store holds
matching hot-search boards, trend heat) and intervals, the seasonal naive baseline, optionally a
rolling-origin backtest — :mod:`~livelens.intelligence.forecast` over the store instead of a
transactions file.

:func:`read_daily_series` reads the store (call it under the store's lock); :func:`daily_outlook`
is pure. Units are those ``order.paid`` events ordered (gross of refunds, as the file forecast
leaves returns out), per calendar day in a time zone; a day without orders counts 0, from the
series' first order to the last order day in the store.

Trend heat: the stored ``trend.snapshot`` keywords (``livelens signals import``) that
:class:`~livelens.intelligence.matching.TrendMatcher` ties to the series — to one of its
products, to a category or a brand of its products — with a score of at least
:data:`MIN_TREND_SCORE` (a category hint or a weak title word is not enough), and per day the
mean hourly heat of those keywords on the boards (the sum of their heat over the day's snapshots
over 24; a day off the boards is 0). The outlook names the keywords and says which regressors the
forecast used.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Final, Literal

import duckdb
import msgspec

from livelens.errors import InvalidInput, NotFound
from livelens.events.reference import Product
from livelens.intelligence.backtest import SeriesBacktest, backtest_series
from livelens.intelligence.forecast import SEASON, TREND_HEAT, DailyForecast, forecast_daily
from livelens.intelligence.matching import SCORE_TITLE_SYNONYM, TrendMatcher
from livelens.store.duckdb import DuckDBStore

MIN_DAYS: Final = 2 * SEASON  # what the forecast needs (two weeks)
BASELINE: Final = "seasonal_naive"
MIN_TREND_SCORE: Final = SCORE_TITLE_SYNONYM  # a product, category or brand named (or a synonym)
HOURS_PER_DAY: Final = 24


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
    regressors: list[str] = msgspec.field(default_factory=list)  # what the forecast used
    trend_keywords: list[str] = msgspec.field(default_factory=list)  # whose heat it read


class DailySeries(msgspec.Struct, kw_only=True, frozen=True):
    """Units ordered per calendar day (consecutive days, zeros filled in), and the daily heat of
    the stored trend keywords that match the series (``None`` where none does)."""

    series_id: str  # a product id, or ``category:<name>``
    products: list[str]
    timezone: str
    days: list[date]
    values: list[float]
    trend_keywords: list[str] = msgspec.field(default_factory=list)
    trend_heat: list[float] | None = None  # one per day of ``days``
    stored_keywords: int = 0  # distinct trend keywords in the store, matched or not


def matching_keywords(
    keywords: Sequence[str], catalog: Sequence[Product], products: Sequence[str]
) -> list[str]:
    """The ``keywords`` that name one of ``products``, or a category or brand of theirs, with a
    match score of at least :data:`MIN_TREND_SCORE`; sorted."""
    if not keywords or not catalog:
        return []
    mine = [p for p in catalog if p.product_id in set(products)]
    categories = {p.category for p in mine}
    brands = {p.brand for p in mine if p.brand}
    matcher = TrendMatcher(catalog)
    found = []
    for keyword in keywords:
        for match in matcher.match(keyword):
            if match.score >= MIN_TREND_SCORE and (
                match.product_id in products
                or match.category in categories
                or match.brand in brands
            ):
                found.append(keyword)
                break
    return sorted(found)


def _trend_heat(
    store: DuckDBStore, keywords: Sequence[str], days: Sequence[date], timezone: str
) -> list[float]:
    rows = store.con.execute(
        """
        SELECT CAST(timezone(?, ts) AS DATE) AS day, sum(heat) FROM events
        WHERE type = 'trend.snapshot' AND list_contains(?, keyword) GROUP BY day
        """,
        [timezone, list(keywords)],
    ).fetchall()
    heat = {day: float(total or 0.0) / HOURS_PER_DAY for day, total in rows}
    return [heat.get(day, 0.0) for day in days]


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
    stored = [
        str(r[0])
        for r in con.execute(
            "SELECT DISTINCT keyword FROM events WHERE type = 'trend.snapshot' "
            "AND keyword IS NOT NULL ORDER BY keyword"
        ).fetchall()
    ]
    keywords = matching_keywords(stored, catalog, products) if days else []
    return DailySeries(
        series_id=series_id,
        products=products,
        timezone=timezone,
        days=days,
        values=[units.get(day, 0.0) for day in days],
        trend_keywords=keywords,
        trend_heat=_trend_heat(store, keywords, days, timezone) if keywords else None,
        stored_keywords=len(stored),
    )


def _trend_note(series: DailySeries, regressors: Sequence[str]) -> str | None:
    if not series.stored_keywords:
        return None  # no boards imported: nothing to say beyond the regressors list
    if not series.trend_keywords:
        return (
            f"trend heat: none of the {series.stored_keywords} stored trend keyword(s) names "
            f"{series.series_id}, its category or brand"
        )
    shown = ", ".join(series.trend_keywords[:5])
    more = f" and {len(series.trend_keywords) - 5} more" if len(series.trend_keywords) > 5 else ""
    if TREND_HEAT not in regressors:
        return f"trend heat: {shown}{more} match(es) but were never on a board in these days"
    return (
        f"trend heat: the mean hourly heat of {shown}{more} on the boards; the forecast days "
        "take its mean over the observed days (future boards are unknown)"
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
    heat = {series_id: series.trend_heat} if series.trend_heat is not None else None
    (forecast,) = forecast_daily(named, horizon, trend_heat=heat)
    (baseline,) = forecast_daily(named, horizon, BASELINE)
    tested: SeriesBacktest | None = None
    notes: list[str] = []
    if with_backtest:
        try:
            tested = backtest_series(
                series_id, days, values, horizon=horizon, trend_heat=series.trend_heat
            )
        except ValueError as error:
            notes.append(f"no backtest: {error}")
    trend = _trend_note(series, forecast.regressors)
    if trend is not None:
        notes.append(trend)
    return DailyOutlook(
        status="ok",
        reason=None,
        forecast=forecast,
        baseline=baseline,
        backtest=tested,
        notes=tuple(notes),
        regressors=forecast.regressors,
        trend_keywords=series.trend_keywords,
        **common,
    )
