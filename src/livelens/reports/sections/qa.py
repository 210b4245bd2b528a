"""The live Q&A: what was answered, how fast, and askers' conversion with its caveat."""

from __future__ import annotations

from livelens.reports.markup import both, esc, ratio, table
from livelens.reports.model import QaSection


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def qa(found: QaSection) -> str:
    stats, conversion = found.stats, found.conversion
    figures = [
        (both("提问", "questions"), f"{stats.questions:,}"),
        (both("已回答", "answered"), f"{stats.answered:,} ({ratio(stats.answer_rate)})"),
        (both("其中人工回答", "by an operator"), f"{stats.answered_by_operator:,}"),
        (both("转人工", "escalated"), f"{stats.escalated:,}"),
        (both("合规拦截", "blocked"), f"{stats.blocked:,}"),
        (both("未发出", "not said"), f"{stats.waiting:,}"),
        (both("合并回答", "merged"), f"{stats.merged:,}"),
        (
            both("回答延迟 p50 / p90 / p99", "latency p50 / p90 / p99"),
            " / ".join(
                _ms(v) for v in (stats.latency_p50_ms, stats.latency_p90_ms, stats.latency_p99_ms)
            ),
        ),
    ]
    groups = [
        (both("被回答的提问者", "askers answered"), conversion.answered),
        (both("未被回答的提问者", "askers not answered"), conversion.unanswered),
    ]
    rows = [(name, f"{g.viewers:,}", f"{g.converted:,}", ratio(g.rate)) for name, g in groups]
    head = [("分组", "group"), ("观众", "viewers"), ("下单", "bought"), ("转化率", "rate")]
    difference = ""
    if conversion.difference is not None and conversion.difference_ci95 is not None:
        low, high = conversion.difference_ci95
        within = conversion.within_ms // 60_000
        difference = (
            f'<p class="note">差值 difference {conversion.difference * 100:+.1f} pp '
            f"(95% CI {low * 100:+.1f} – {high * 100:+.1f} pp), "
            f"提问后 {within} 分钟内下单 (orders within {within} min of the first question)</p>"
        )
    return (
        table([("指标", "figure"), ("数值", "value")], figures, "qa")
        + table(head, rows, "qa-conversion")
        + difference
        + f'<p class="note caveat">{esc(conversion.caveat)}</p>'
    )
