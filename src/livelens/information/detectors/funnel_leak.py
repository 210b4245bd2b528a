"""Funnel leak: the funnel step whose conversion fell most in the latest minutes.

"Now" is the last 10 minutes (the last third of a session shorter than 30 minutes); "before" is
every earlier minute. Per-minute steps, pooled over each window:

- ``enter_to_click``: distinct clickers per viewer-minute present (Σ clickers / Σ viewers present),
- ``click_to_cart``: cart additions per click,
- ``cart_to_order``: paid orders per cart addition.

A step counts as leaking when its rate now is at least 20 % (relative) below before and the drop is
significant at p < 0.05 by the conditional Poisson rate test (significance.rate_test), Bonferroni-
corrected for the three steps tried (each p is multiplied by 3; the evidence holds the corrected p).
The rate test rather than a two-proportion z-test because the steps are not strict proportions (a
buy-now order skips the cart, so orders can exceed carts); for small rates the two agree, for large
ones the rate test is the more cautious. Both assume minutes are independent; the 20 % floor guards
against the burstiness they ignore. The whole-session :class:`~livelens.information.metrics.Funnel`
(distinct viewers) is reported beside it for the overall shape.
"""

from __future__ import annotations

from typing import Any, Final

from livelens.information.detectors import phrasing as say
from livelens.information.detectors.exposure import viewers_present
from livelens.information.detectors.significance import rate_test
from livelens.information.insight import Insight
from livelens.information.metrics import Funnel, SessionMetrics

KIND = "funnel_leak"
RECENT_MINUTES = 10
MIN_RELATIVE_DROP = 0.2
ALPHA = 0.05

# step -> (Chinese step, Chinese rate name, English step, English rate name)
STEP_NAMES: Final = {
    "enter_to_click": ("进房→点击", "点击率", "enter → click", "click-through rate"),
    "click_to_cart": ("点击→加购", "加购率", "click → cart", "add-to-cart rate"),
    "cart_to_order": ("加购→下单", "下单率", "cart → order", "order rate"),
}


def recent_length(minutes: int, recent: int = RECENT_MINUTES) -> int:
    """Minutes that count as "now": ``recent``, or a third of a session under 3×``recent``."""
    return recent if minutes >= 3 * recent else max(1, minutes // 3)


def _session_shape(funnel: Funnel) -> dict[str, float | None]:
    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    return {
        "enter_to_click": ratio(funnel.clicked, funnel.entered),
        "click_to_cart": ratio(funnel.carted, funnel.clicked),
        "cart_to_order": ratio(funnel.ordered, funnel.carted),
    }


def detect_funnel_leak(
    metrics: SessionMetrics,
    recent: int = RECENT_MINUTES,
    min_relative_drop: float = MIN_RELATIVE_DROP,
    alpha: float = ALPHA,
) -> list[Insight]:
    """The step with the largest significant, material drop now vs before; none if no step leaks."""
    funnel = metrics.funnel
    series = metrics.series
    minutes = len(series.clicks)
    if funnel is None or minutes < 2:
        return []
    split = minutes - recent_length(minutes, recent)
    steps = {
        "enter_to_click": (series.clickers, viewers_present(metrics)),
        "click_to_cart": (series.carts, series.clicks),
        "cart_to_order": (series.orders, series.carts),
    }
    best: dict[str, Any] | None = None
    for step, (successes, trials) in steps.items():
        hits_now, tries_now = sum(successes[split:]), sum(trials[split:])
        hits_before, tries_before = sum(successes[:split]), sum(trials[:split])
        if tries_now == 0 or tries_before == 0 or hits_before == 0:
            continue
        rate_now, rate_before = hits_now / tries_now, hits_before / tries_before
        change = rate_now / rate_before - 1.0
        p_value = min(1.0, len(steps) * rate_test(hits_now, tries_now, hits_before, tries_before))
        if change > -min_relative_drop or p_value >= alpha:
            continue
        if best is None or change < best["relative_change"]:
            best = {
                "step": step,
                "rate_now": rate_now,
                "rate_before": rate_before,
                "relative_change": change,
                "p_value": p_value,
                "significant": True,
                "test": "conditional Poisson rate test, two-sided, Bonferroni x3",
                "now": {
                    "start_minute": split,
                    "end_minute": minutes,
                    "successes": hits_now,
                    "trials": tries_now,
                },
                "before": {
                    "start_minute": 0,
                    "end_minute": split,
                    "successes": hits_before,
                    "trials": tries_before,
                },
            }
    if best is None:
        return []
    best["session_funnel"] = {
        "entered": funnel.entered,
        "clicked": funnel.clicked,
        "carted": funnel.carted,
        "ordered": funnel.ordered,
    }
    best["session_step_rates"] = _session_shape(funnel)
    step_zh, rate_zh, step_en, rate_en = STEP_NAMES[best["step"]]
    recent_span = minutes - split
    now, before = say.percent(best["rate_now"]), say.percent(best["rate_before"])
    drop = say.percent(-best["relative_change"], 0)
    return [
        Insight(
            kind=KIND,
            subject=best["step"],
            evidence=best,
            text_zh=f"最近{recent_span}分钟「{step_zh}」环节流失加剧：{rate_zh}从此前的{before}"
            f"降至{now}（下降{drop}），建议重点排查这一步",
            text_en=f"In the last {recent_span} minutes the {step_en} step leaked: the {rate_en} "
            f"fell from {before} to {now} (−{drop}).",
            confidence=1.0 - best["p_value"],
        )
    ]
