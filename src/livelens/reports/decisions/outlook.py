"""跨场需求预测 Demand outlook across sessions: the next days' units of the session's categories.

For the reviewed session's :data:`TOP_CATEGORIES` categories by GMV (its products' catalog
categories), the daily outlook that ``livelens forecast daily --db FILE --category C --backtest``
gives (:func:`livelens.intelligence.daily_outlook.daily_outlook`): units ordered per calendar day
in :data:`TIMEZONE` over every stored session, the ETS forecast with its external regressors
(festivals, trend heat) and 80%/95% intervals for the next :data:`HORIZON_DAYS` days, the seasonal
naive baseline, and the rolling-origin backtest's MASE of both. Under two weeks of orders a
category has no forecast and its ``reason`` says how many days there are and how many it needs —
quickly: the daily series is one grouped query, and a short one goes no further.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import msgspec

from livelens.intelligence.daily_outlook import (
    MIN_DAYS,
    DailyOutlook,
    daily_outlook,
    read_daily_series,
)
from livelens.store.duckdb import DuckDBStore

TOP_CATEGORIES: Final = 3
HORIZON_DAYS: Final = 7
TIMEZONE: Final = "Asia/Shanghai"  # the calendar days of the lives' audience


class CategoryOutlook(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    session_gmv_minor: int  # the category's GMV in the reviewed session
    outlook: DailyOutlook  # the forecast, baseline and backtest, or ``reason`` why there is none


class OutlookSection(msgspec.Struct, frozen=True, kw_only=True):
    timezone: str
    horizon_days: int
    min_days: int  # the days of orders a forecast needs
    rows: list[CategoryOutlook]  # top categories by the session's GMV, best first
    unavailable: str | None = None


def read_outlook(store: DuckDBStore, gmv_by_product: Mapping[str, int]) -> OutlookSection:
    """The outlook of the top categories of the session whose products sold ``gmv_by_product``."""
    common = {"timezone": TIMEZONE, "horizon_days": HORIZON_DAYS, "min_days": MIN_DAYS}
    catalog = {p.product_id: p.category for p in store.reference().products}
    gmv: dict[str, int] = {}
    for product_id, amount in gmv_by_product.items():
        category = catalog.get(product_id)
        if category:
            gmv[category] = gmv.get(category, 0) + amount
    if not gmv:
        reason = (
            "the store has no catalog (no categories to forecast)"
            if not catalog
            else "no product of this session is in the catalog"
            if gmv_by_product
            else "no product events in this session"
        )
        return OutlookSection(rows=[], unavailable=reason, **common)  # type: ignore[arg-type]
    top = sorted(gmv, key=lambda c: (-gmv[c], c))[:TOP_CATEGORIES]
    rows = []
    for category in top:
        series = read_daily_series(store, category=category, timezone=TIMEZONE)
        outlook = daily_outlook(series, horizon=HORIZON_DAYS, with_backtest=True)
        rows.append(
            CategoryOutlook(category=category, session_gmv_minor=gmv[category], outlook=outlook)
        )
    return OutlookSection(rows=rows, **common)  # type: ignore[arg-type]
