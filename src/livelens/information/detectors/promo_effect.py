"""Promo effect: how selling changed while each promo ran, against the minutes just before it.

Windows are whole minutes of the series. "During" is the minutes whose middle falls inside the
promo (the rule that labels ``series.promo``), clipped to the session; "before" and "after" are the
same number of minutes immediately either side, clipped to the session (so they can be shorter).
Where no minute precedes the promo, the after window is the baseline instead.

Per window: orders per minute, GMV per minute and conversion (orders per viewer-minute). A promo on
one product is measured on that product's own minutes (``scope: "product"``, from
``metrics.product_series``); a room-wide promo, or one whose product has no series, on the whole
session's orders (``scope: "session"``). The lift is orders/min during ÷ baseline; its p-value is
the conditional Poisson rate test (significance.rate_test), which assumes orders arrive
independently at a steady rate within each window.
"""

from __future__ import annotations

import math
from typing import Any

from livelens.information.detectors import phrasing as say
from livelens.information.detectors.exposure import viewers_present
from livelens.information.detectors.significance import rate_test
from livelens.information.insight import Insight
from livelens.information.metrics import (
    MinuteSeries,
    ProductSeries,
    PromoMetrics,
    SessionMetrics,
)

KIND = "promo_effect"
ALPHA = 0.05


def promo_minutes(promo: PromoMetrics, minutes: int) -> tuple[int, int]:
    """[start, end) minutes of the promo: minutes whose middle lies in it, at least one if any."""
    start = min(max(0, math.ceil(promo.start_minute - 0.5)), minutes)
    end = min(max(start, math.ceil(promo.end_minute - 0.5)), minutes)
    if end == start and start < minutes:
        end = start + 1
    return start, end


def _window(
    series: ProductSeries | MinuteSeries, present: list[int], start: int, end: int
) -> dict[str, Any]:
    length = end - start
    orders = sum(series.orders[start:end])
    gmv = sum(series.gmv_minor[start:end])
    viewer_minutes = sum(present[start:end])
    return {
        "start_minute": start,
        "end_minute": end,
        "minutes": length,
        "orders": orders,
        "gmv_minor": gmv,
        "viewer_minutes": viewer_minutes,
        "orders_per_minute": orders / length if length else None,
        "gmv_per_minute_minor": gmv / length if length else None,
        "conversion": orders / viewer_minutes if viewer_minutes else None,
    }


def _offer(promo: PromoMetrics, currency: str | None) -> tuple[str, str]:
    if promo.discount_pct is not None:
        return say.discount_zh(promo.discount_pct), say.discount_en(promo.discount_pct)
    if promo.price_minor is not None:
        price = say.money(promo.price_minor, currency)
        return f"特价{price}", f"at {price}"
    return "促销", "promo"


def _text(promo: PromoMetrics, e: dict[str, Any], currency: str | None) -> tuple[str, str]:
    offer_zh, offer_en = _offer(promo, currency)
    whole_zh = "该商品" if e["scope"] == "product" else "全场"
    whole_en = "the product" if e["scope"] == "product" else "the session"
    during = e["during"]
    length = say.duration_minutes(during["minutes"])
    item_zh = f"商品{say.named_zh(promo.product_id)}" if promo.product_id else ""
    item_en = f" on {say.named_en(promo.product_id)}" if promo.product_id else ""
    head_zh = f"{item_zh}限时{length}分钟{offer_zh}期间"
    head_en = f"During the {length}-minute {offer_en} promo{item_en}"
    now = say.decimal(during["orders_per_minute"])
    lift = e["lift"]
    if e["p_value"] is None:
        return (
            f"{head_zh}，{whole_zh}每分钟成交{now}单（无可对照的前后时段）",
            f"{head_en}, {whole_en} sold {now} orders a minute (no window to compare with).",
        )
    base = e[e["baseline"]]
    base_len = say.duration_minutes(base["minutes"])
    was = say.decimal(base["orders_per_minute"])
    side_zh = "前" if e["baseline"] == "before" else "后"
    side_en = "before" if e["baseline"] == "before" else "after"
    numbers_zh = f"（{side_zh}{base_len}分钟{was}单/分 → 期间{now}单/分）"
    numbers_en = f" ({was}/min in the {base_len} minutes {side_en} → {now}/min during)"
    if not e["significant"] or lift is None:
        # Significant without a lift means the baseline sold nothing: growth from zero.
        verdict_zh = "从零起量" if e["significant"] else "变化不显著"
        verdict_en = "rose from zero" if e["significant"] else "did not change significantly"
        return (
            f"{head_zh}，{whole_zh}每分钟成交{verdict_zh}{numbers_zh}",
            f"{head_en}, orders per minute {verdict_en}{numbers_en}.",
        )
    verb_zh = "提升至" if lift >= 1.0 else "反而降至"
    verb_en = "rose to" if lift >= 1.0 else "fell to"
    return (
        f"{head_zh}，{whole_zh}每分钟成交量{verb_zh}{side_zh}{base_len}分钟的{say.times(lift)}倍"
        f"{numbers_zh}",
        f"{head_en}, orders per minute {verb_en} {say.times(lift)}× the level {side_en} it"
        f"{numbers_en}.",
    )


def detect_promo_effect(metrics: SessionMetrics, alpha: float = ALPHA) -> list[Insight]:
    """One insight per promo that overlaps the session; none when orders are unavailable."""
    minutes = len(metrics.series.orders)
    if metrics.totals.orders is None or minutes == 0:
        return []
    present = viewers_present(metrics)
    insights = []
    for promo in metrics.promos:
        start, end = promo_minutes(promo, minutes)
        length = end - start
        if length == 0:
            continue
        own = metrics.product_series.get(promo.product_id) if promo.product_id else None
        series: ProductSeries | MinuteSeries = own if own is not None else metrics.series
        windows = {
            "before": _window(series, present, max(0, start - length), start),
            "during": _window(series, present, start, end),
            "after": _window(series, present, end, min(minutes, end + length)),
        }
        baseline = "before" if windows["before"]["minutes"] else "after"
        base, during = windows[baseline], windows["during"]
        lift, p_value = None, None
        if base["minutes"]:
            p_value = rate_test(during["orders"], length, base["orders"], base["minutes"])
            if base["orders"] > 0:
                lift = during["orders_per_minute"] / base["orders_per_minute"]
        gmv_lift = (
            during["gmv_minor"] / length / base["gmv_per_minute_minor"]
            if base["minutes"] and base["gmv_minor"] > 0
            else None
        )
        evidence: dict[str, Any] = {
            "promo_id": promo.promo_id,
            "product_id": promo.product_id,
            "discount_pct": promo.discount_pct,
            "price_minor": promo.price_minor,
            "scope": "product" if own is not None else "session",
            **windows,
            "baseline": baseline,
            "lift": lift,
            "gmv_lift": gmv_lift,
            "p_value": p_value,
            "significant": p_value is not None and p_value < alpha,
            "test": "conditional Poisson rate test on orders per minute, two-sided",
        }
        zh, en = _text(promo, evidence, metrics.currency)
        insights.append(
            Insight(
                kind=KIND,
                subject=promo.promo_id,
                evidence=evidence,
                text_zh=zh,
                text_en=en,
                confidence=None if p_value is None else 1.0 - p_value,
            )
        )
    return insights
