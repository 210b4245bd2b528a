"""The review as one self-contained HTML file: inline CSS, inline SVG, no script, no URL.

Chinese first, English as the second label. Every piece of text from the data (titles, comments'
hot words, insight sentences, evidence, alert and recommendation texts) is escaped; only the SVG
made by :mod:`livelens.reports.charts` is inlined as markup. Each section is rendered by
:mod:`livelens.reports.sections`; this module puts them in order under one header and footer.
"""

from __future__ import annotations

from typing import Final

from livelens.reports.markup import NOT_AVAILABLE, both, esc, missing, section, when
from livelens.reports.model import Review
from livelens.reports.sections import comments, insights, qa, session
from livelens.reports.sections.alerts import alerts
from livelens.reports.sections.nowcasts import nowcasts
from livelens.reports.sections.outlook import outlook
from livelens.reports.sections.pricing import pricing
from livelens.reports.sections.recommendations import recommendations
from livelens.reports.sections.session import metric_value
from livelens.reports.sections.signals import signals
from livelens.reports.style import SCREEN_CSS

AI_NOTE: Final = "本报告由 livelens 自动生成 (AI-generated analysis)"
NOT_READ: Final = "not read: the review was built without its store"

__all__ = ["AI_NOTE", "NOT_AVAILABLE", "metric_value", "render_html"]


def _names(review: Review) -> dict[str, str]:
    """Display names of the session's products and personas, as the review shows them."""
    found = {p.product_id: p.title for p in review.products or []}
    found.update({p.persona_id: p.name for p in review.personas or []})
    return found


def _decisions(review: Review) -> list[str]:
    """The decision sections, each present: a missing one says why in one sentence."""
    c = review.currency
    return [
        section(
            "异常告警",
            "Anomaly alerts",
            alerts(review.alerts, c) if review.alerts else missing(NOT_READ),
            "alerts",
        ),
        section(
            "价格与弹性",
            "Pricing",
            pricing(review.pricing, c) if review.pricing else missing(NOT_READ),
            "pricing",
        ),
        section(
            "需求预测",
            "Demand nowcasts",
            nowcasts(review.nowcasts) if review.nowcasts else missing(NOT_READ),
            "nowcasts",
        ),
        section(
            "跨场需求预测",
            "Demand outlook across sessions",
            outlook(review.outlook, c) if review.outlook else missing(NOT_READ),
            "outlook",
        ),
        section(
            "建议与结果",
            "Recommendations and outcomes",
            recommendations(review.recommendations, _names(review), c)
            if review.recommendations
            else missing(NOT_READ),
            "recommendations",
        ),
        section(
            "外部信号与销售",
            "External signals and sales",
            signals(review.signals) if review.signals else missing(NOT_READ),
            "signals",
        ),
    ]


def render_html(review: Review, *, extra_css: str = "") -> str:
    """The review as one HTML document (``extra_css`` is appended, e.g. the print rules)."""
    title = f"直播复盘 Post-live review · {review.session_id}"
    meta = (
        f"{both('场次', 'session')} {esc(review.session_id)} · {both('直播间', 'room')} "
        f"{esc(review.room_id)} ({esc(review.platform)}) · {esc(when(review.started_at))} – "
        f"{esc(when(review.ended_at))} · {review.minutes} 分钟 min"
    )
    sections = [
        section("核心指标", "Headline metrics", session.headline(review), "headline"),
        section("分钟曲线", "Per-minute curves", session.curves(review), "curves"),
        section("转化漏斗", "Funnel", session.funnel(review), "funnel"),
        section("商品表现", "Products", session.products(review), "products"),
        section("主播对比", "Personas", session.personas(review), "personas"),
        section("评论关注点", "Comment concerns", comments.concerns(review), "concerns"),
        section("热词", "Hot words", comments.hot_words(review), "hotwords"),
    ]
    if review.qa is not None:
        sections.append(section("直播问答", "Live Q&A", qa.qa(review.qa), "qa"))
    sections += _decisions(review)
    sections.append(
        section("洞察与证据", "Insights and evidence", insights.insights(review), "insights")
    )
    footer = (
        f"<footer><p>{both('生成时间', 'generated at')} {esc(when(review.generated_at))} · "
        f"livelens {esc(review.version)} · {both('场次', 'session')} {esc(review.session_id)}</p>"
        f'<p class="ai">{esc(AI_NOTE)}</p></footer>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{SCREEN_CSS}{extra_css}</style></head><body>"
        f'<header><h1>{both("直播复盘报告", "Post-live review")}</h1><p class="meta">{meta}</p>'
        f"</header><main>{''.join(sections)}</main>{footer}</body></html>\n"
    )
