"""Persona ranking: which host persona sold best, and whether the lead is more than chance.

Minutes are attributed to the persona on air (``series.persona``); minutes with none are left out.
Per persona, from its per-minute series:

- conversion: orders per 1,000 viewer-minutes (viewer-minutes = Σ viewers present),
- GMV per minute (minor units),
- retention: exits per 1,000 viewer-minutes (lower is better).

95 % intervals are analytic, not bootstrapped: the ratio-estimator (between-minute) variance with
Student's t on minutes − 1 degrees of freedom, floored at the Poisson variance for counts (see
significance.ratio_estimate). Minutes are treated as independent, which ignores autocorrelation
within a persona's block; the intervals are a little too narrow when a persona airs in one long
block. Ranking is by conversion, ties by GMV per minute, then persona id. The top two are compared
with Welch's t on their conversion estimates; "significant" means p < 0.05.
"""

from __future__ import annotations

from typing import Any

from livelens.information.detectors import phrasing as say
from livelens.information.detectors.exposure import viewers_present
from livelens.information.detectors.significance import RatioEstimate, ratio_estimate, welch_p
from livelens.information.insight import Insight
from livelens.information.metrics import SessionMetrics

KIND = "persona_ranking"
ALPHA = 0.05
MIN_MINUTES = 3  # a persona on air for fewer minutes (or to no viewers) is listed, not ranked
PER_1K = 1000.0
CI_METHOD = "ratio estimator, between-minute variance floored at Poisson, Student t (minutes-1 df)"


def _interval(estimate: RatioEstimate | None, scale: float) -> dict[str, float] | None:
    if estimate is None:
        return None
    return {
        "value": estimate.value * scale,
        "low": estimate.low * scale,
        "high": estimate.high * scale,
    }


def _stats(metrics: SessionMetrics) -> dict[str, tuple[RatioEstimate | None, dict[str, Any]]]:
    """Per persona: the conversion estimate (for the test) and the evidence numbers."""
    series = metrics.series
    present = viewers_present(metrics)
    minutes_of: dict[str, list[int]] = {}
    for minute, persona in enumerate(series.persona):
        if persona is not None:
            minutes_of.setdefault(persona, []).append(minute)
    out: dict[str, tuple[RatioEstimate | None, dict[str, Any]]] = {}
    for persona, ms in sorted(minutes_of.items()):
        exposure = [present[m] for m in ms]
        orders = [series.orders[m] for m in ms]
        conversion = ratio_estimate(orders, exposure, counts=True)
        out[persona] = (
            conversion,
            {
                "minutes": len(ms),
                "viewer_minutes": sum(exposure),
                "orders": sum(orders),
                "gmv_minor": sum(series.gmv_minor[m] for m in ms),
                "exits": sum(series.exits[m] for m in ms),
                "orders_per_1k_viewer_minutes": _interval(conversion, PER_1K),
                "gmv_per_minute_minor": _interval(
                    ratio_estimate([series.gmv_minor[m] for m in ms], [1] * len(ms), counts=False),
                    1.0,
                ),
                "exits_per_1k_viewer_minutes": _interval(
                    ratio_estimate([series.exits[m] for m in ms], exposure, counts=True), PER_1K
                ),
            },
        )
    return out


def _rank_key(item: tuple[str, tuple[RatioEstimate, dict[str, Any]]]) -> tuple[float, float, str]:
    persona, (_, stats) = item
    conversion = stats["orders_per_1k_viewer_minutes"]
    gmv = stats["gmv_per_minute_minor"]
    return (-conversion["value"], -gmv["value"], persona)


def detect_persona_ranking(
    metrics: SessionMetrics, alpha: float = ALPHA, min_minutes: int = MIN_MINUTES
) -> list[Insight]:
    """One insight naming the best-selling persona; none with under two personas or no orders."""
    if metrics.totals.orders is None:
        return []
    stats = _stats(metrics)
    rankable: dict[str, tuple[RatioEstimate, dict[str, Any]]] = {
        persona: (estimate, numbers)
        for persona, (estimate, numbers) in stats.items()
        if estimate is not None and numbers["minutes"] >= min_minutes
    }
    ranked = sorted(rankable.items(), key=_rank_key)
    if len(ranked) < 2:
        return []
    (top, (top_estimate, top_stats)), (second, (second_estimate, second_stats)) = ranked[:2]
    if top_estimate.value == 0.0:
        return []  # nobody sold anything: nothing to rank
    p_value = welch_p(top_estimate, second_estimate)
    significant = p_value < alpha
    evidence: dict[str, Any] = {
        "personas": [persona for persona, _ in ranked],
        "per_persona": {persona: numbers for persona, (_, numbers) in ranked},
        "unranked": sorted(set(stats) - set(rankable)),
        "runner_up": second,
        "p_value": p_value,
        "significant": significant,
        "test": "Welch t on orders per 1k viewer-minutes, two-sided",
        "ci_method": CI_METHOD,
        "ci_level": 0.95,
    }
    c = top_stats["orders_per_1k_viewer_minutes"]
    c2 = second_stats["orders_per_1k_viewer_minutes"]
    value, low, high = say.decimal(c["value"]), say.decimal(c["low"]), say.decimal(c["high"])
    other = say.decimal(c2["value"])
    head_zh = (
        f"主播{say.named_zh(top)}带货效果最好：每千人分钟成交{value}单（95%置信区间{low}–{high}）"
    )
    head_en = (
        f"Host {say.named_en(top)} sold best: {value} orders per 1,000 viewer-minutes "
        f"(95% CI {low}–{high})"
    )
    if c["value"] == c2["value"]:
        zh = f"{head_zh}，与{say.named_zh(second)}持平"
        en = f"{head_en}, level with {say.named_en(second)}."
    elif significant:
        zh = f"{head_zh}，显著高于{say.named_zh(second)}的{other}单"
        en = f"{head_en}, significantly above {say.named_en(second)} at {other}."
    else:
        zh = f"{head_zh}，略高于{say.named_zh(second)}的{other}单，但差距在统计上不显著"
        en = f"{head_en}, ahead of {say.named_en(second)} at {other}, but not significantly."
    return [
        Insight(
            kind=KIND,
            subject=top,
            evidence=evidence,
            text_zh=zh,
            text_en=en,
            confidence=1.0 - p_value,
        )
    ]
