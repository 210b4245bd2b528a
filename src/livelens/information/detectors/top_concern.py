"""Top concern: what viewers are asking about most right now, where it is heading, and whether
it goes with a drop in conversion.

The window is the last ``window`` minutes of the series (the live "now"; the end of the session in a
review), compared with the ``window`` minutes before it. Shares are of *questions* — a viewer who
asks about the price is voicing a concern; praise and chatter are not — unless the window holds
fewer than ``MIN_QUESTIONS`` questions, when shares of all comments are used instead. The trend is
the change in share, tested with a two-proportion z-test (normal approximation; it assumes
comments are independent, which flood chants violate — chants are rarely concerns). The link to
conversion is orders per click in the same two windows, reported, not claimed as a cause.
"""

from __future__ import annotations

import math
from typing import Any, Final

from livelens.information.detectors import phrasing as say
from livelens.information.detectors.significance import normal_two_sided_p
from livelens.information.insight import Insight
from livelens.information.metrics import SessionMetrics

KIND: Final = "top_concern"
WINDOW_MINUTES: Final = 5
MIN_QUESTIONS: Final = 10
MIN_COMMENTS: Final = 20
ALPHA: Final = 0.05

# The labels that are concerns (a question a host can answer), with how a manager names them.
CONCERNS: Final[dict[str, tuple[str, str]]] = {
    "price": ("价格", "price"),
    "discount": ("优惠券和折扣", "discounts and coupons"),
    "size": ("尺码", "size and fit"),
    "shipping": ("发货和物流", "shipping"),
    "stock": ("库存", "stock"),
    "quality": ("质量和材质", "quality"),
    "authenticity": ("是否正品", "authenticity"),
    "how_to_buy": ("怎么购买", "how to buy"),
    "after_sales": ("售后和退换", "returns and after-sales"),
    "comparison": ("比价", "comparisons"),
}


def _sum(values: list[int], start: int, end: int) -> int:
    return sum(values[max(0, start) : max(0, end)])


def _shares(
    metrics: SessionMetrics, start: int, end: int, prefix: str
) -> tuple[int, dict[str, int]]:
    concerns = metrics.series.concerns
    total_key = "?" if prefix else None
    total = (
        _sum(concerns.get("?", []), start, end)
        if total_key
        else _sum(metrics.series.comments, start, end)
    )
    counts = {label: _sum(concerns.get(prefix + label, []), start, end) for label in CONCERNS}
    return total, counts


def _two_proportion_p(a: int, n_a: int, b: int, n_b: int) -> float | None:
    if not n_a or not n_b:
        return None
    pooled = (a + b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if spread == 0:
        return None
    return normal_two_sided_p((a / n_a - b / n_b) / spread)


def _conversion(metrics: SessionMetrics, start: int, end: int) -> float | None:
    clicks = _sum(metrics.series.clicks, start, end)
    return _sum(metrics.series.orders, start, end) / clicks if clicks else None


def detect_top_concern(metrics: SessionMetrics, window: int = WINDOW_MINUTES) -> list[Insight]:
    """One insight: the concern with the largest share in the last ``window`` minutes."""
    minutes = len(metrics.series.comments)
    if not metrics.series.concerns or minutes == 0:
        return []
    end, start = minutes, max(0, minutes - window)
    before = (max(0, start - window), start)
    prefix = "?"
    total, counts = _shares(metrics, start, end, prefix)
    if total < MIN_QUESTIONS:
        prefix = ""
        total, counts = _shares(metrics, start, end, prefix)
    if total < (MIN_QUESTIONS if prefix else MIN_COMMENTS) or not any(counts.values()):
        return []
    label = max(counts, key=lambda k: (counts[k], k == "price"))
    share = counts[label] / total
    total_before, counts_before = _shares(metrics, *before, prefix)
    share_before = counts_before[label] / total_before if total_before else None
    p_value = _two_proportion_p(counts[label], total, counts_before[label], total_before)
    rising = share_before is not None and share > share_before
    significant = p_value is not None and p_value < ALPHA
    conversion, conversion_before = _conversion(metrics, start, end), _conversion(metrics, *before)
    evidence: dict[str, Any] = {
        "window": {"start_minute": start, "end_minute": end},
        "basis": "questions" if prefix else "comments",
        "total": total,
        "shares": {k: v / total for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v},
        "share": share,
        "share_before": share_before,
        "trend_p_value": p_value,
        "trend": ("rising" if rising else "falling") if significant else "steady",
        "orders_per_click": conversion,
        "orders_per_click_before": conversion_before,
    }
    zh, en = _text(label, evidence, window)
    return [
        Insight(
            kind=KIND,
            subject=label,
            evidence=evidence,
            text_zh=zh,
            text_en=en,
            confidence=None if p_value is None else 1.0 - p_value,
        )
    ]


def _text(label: str, e: dict[str, Any], window: int) -> tuple[str, str]:
    name_zh, name_en = CONCERNS[label]
    basis_zh, basis_en = (
        ("提问", "questions") if e["basis"] == "questions" else ("评论", "comments")
    )
    share = say.percent(e["share"], 0)
    zh = f"{name_zh}是观众最关心的问题（近{window}分钟{share}的{basis_zh}）"
    en = (
        f"{name_en.capitalize()} is what viewers ask about most "
        f"({share} of {basis_en} in the last {window} minutes)"
    )
    if e["trend"] != "steady" and e["share_before"] is not None:
        before = say.percent(e["share_before"], 0)
        verb_zh, verb_en = ("上升", "up") if e["trend"] == "rising" else ("下降", "down")
        zh += f"，比前{window}分钟的{before}{verb_zh}"
        en += f", {verb_en} from {before} in the {window} minutes before"
    now, was = e["orders_per_click"], e["orders_per_click_before"]
    if e["trend"] == "rising" and now is not None and was is not None and now < was:
        zh += f"，同时点击→成交转化从{say.percent(was)}降到{say.percent(now)}"
        en += f", while orders per click fell from {say.percent(was)} to {say.percent(now)}"
    return zh + "。", en + "."
