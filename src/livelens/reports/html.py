"""The review as one self-contained HTML file: inline CSS, inline SVG, no script, no URL.

Chinese first, English as the second label. Every piece of text from the data (titles, comments'
hot words, insight sentences, evidence) is escaped; only the SVG made by
:mod:`livelens.reports.charts` is inlined as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from typing import Final

from livelens.information.detectors import phrasing as say
from livelens.reports.charts import concerns_svg, timeline_svg
from livelens.reports.model import Metric, Review
from livelens.reports.style import SCREEN_CSS

AI_NOTE: Final = "本报告由 livelens 自动生成 (AI-generated analysis)"
NOT_AVAILABLE: Final = "—"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _both(zh: str, en: str) -> str:
    return f'{_e(zh)} <span class="en">{_e(en)}</span>'


def _ratio(value: float | None) -> str:
    return NOT_AVAILABLE if value is None else say.percent(value)


def _money(value: float | None, currency: str | None) -> str:
    return NOT_AVAILABLE if value is None else say.money(value, currency)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}分{rest:02d}秒" if minutes else f"{rest}秒"


def metric_value(metric: Metric, currency: str | None) -> str:
    """A headline value as the report prints it; ``—`` when it is not available."""
    if metric.value is None:
        return NOT_AVAILABLE
    if metric.unit == "money":
        return say.money(metric.value, currency)
    if metric.unit == "ratio":
        return say.percent(metric.value)
    if metric.unit == "duration_s":
        return _duration(metric.value)
    return say.count(metric.value)


def _table(head: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """A table; cells are already escaped HTML."""
    header = "".join(f"<th>{_both(zh, en)}</th>" for zh, en in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def _section(zh: str, en: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{_both(zh, en)}</h2>{body}</section>'


def _missing(reason: str | None) -> str:
    return f'<p class="missing">不可用 not available — {_e(reason or "no data")}</p>'


def _headline(review: Review) -> str:
    cards = []
    for m in review.headline:
        note = f'<div class="note">{_e(m.note)}</div>' if m.note else ""
        cards.append(
            f'<div class="card{" na" if m.value is None else ""}" data-metric="{_e(m.key)}">'
            f'<div class="label">{_both(m.label_zh, m.label_en)}</div>'
            f'<div class="value">{_e(metric_value(m, review.currency))}</div>{note}</div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _curves(review: Review) -> str:
    curves = review.curves
    parts = [f'<div class="chart">{timeline_svg(curves, review.currency)}</div>']
    if curves.personas:
        turns = "，".join(
            f"{_e(s.label)} {say.duration_minutes(s.start_minute)}–"
            f"{say.duration_minutes(s.end_minute)}"
            for s in curves.personas
        )
        parts.append(f'<p class="turns">{_both("主播时段", "persona turns")}：{turns}</p>')
    if curves.promos:
        rows = [
            (
                _e(s.key),
                _e(s.detail or "全场 session"),
                _e(s.label),
                f"{say.duration_minutes(s.start_minute)}–{say.duration_minutes(s.end_minute)}",
            )
            for s in curves.promos
        ]
        head = [("优惠", "promo"), ("商品", "product"), ("力度", "offer"), ("分钟", "minutes")]
        parts.append(_table(head, rows, "promos"))
    if "online" in review.unavailable:
        parts.append(
            f'<p class="note">在线人数来自平台 online.count：{_e(review.unavailable["online"])}</p>'
        )
    return "".join(parts)


def _funnel(review: Review) -> str:
    if review.funnel is None:
        return _missing(review.unavailable.get("products"))
    rows = [
        (
            _both(s.label_zh, s.label_en),
            f"{s.viewers:,}",
            _ratio(s.step_rate),
            _ratio(s.overall_rate),
            f'<div class="bar" style="width:{(s.overall_rate or 0) * 100:.1f}%"></div>',
        )
        for s in review.funnel
    ]
    head = [
        ("环节", "step"),
        ("人数", "viewers"),
        ("环节转化", "step rate"),
        ("整体转化", "of entered"),
        ("", ""),
    ]
    return _table(head, rows, "funnel")


def _products(review: Review) -> str:
    if review.products is None:
        return _missing(review.unavailable.get("products"))
    c = review.currency
    rows = [
        (
            _e(p.title),
            _e(p.product_id),
            f"{p.clicks:,}",
            f"{p.orders:,}",
            f"{p.units:,}",
            _money(p.gmv_minor, c),
            _ratio(p.ctr),
            _ratio(p.conversion),
        )
        for p in review.products
    ]
    head = [
        ("商品", "product"),
        ("编号", "id"),
        ("点击", "clicks"),
        ("订单", "orders"),
        ("件数", "units"),
        ("成交额", "GMV"),
        ("点击率", "CTR"),
        ("转化率", "conversion"),
    ]
    return _table(head, rows, "products")


def _personas(review: Review) -> str:
    if review.personas is None:
        return _missing("no host.persona_switch events in this session")
    c = review.currency
    rows = [
        (
            _e(p.name),
            _e(p.persona_id),
            say.duration_minutes(p.minutes_on_air),
            say.count(round(p.viewer_minutes)),
            f"{p.clicks:,}",
            f"{p.orders:,}",
            _money(p.gmv_minor, c),
            _money(p.gmv_per_minute_minor, c),
            NOT_AVAILABLE
            if p.orders_per_1k_viewer_minutes is None
            else say.decimal(p.orders_per_1k_viewer_minutes),
            NOT_AVAILABLE
            if p.exits_per_1k_viewer_minutes is None
            else say.decimal(p.exits_per_1k_viewer_minutes),
        )
        for p in review.personas
    ]
    head = [
        ("主播", "persona"),
        ("编号", "id"),
        ("在播分钟", "minutes on air"),
        ("观看人分钟", "viewer-minutes"),
        ("点击", "clicks"),
        ("订单", "orders"),
        ("成交额", "GMV"),
        ("每分钟成交额", "GMV/min"),
        ("每千人分钟订单", "orders/1k vm"),
        ("每千人分钟离开", "exits/1k vm"),
    ]
    return _table(head, rows, "personas")


def _concerns(review: Review) -> str:
    if not review.concerns:
        return _missing("comments were not classified")
    rows = [
        (
            _both(r.name_zh, r.name_en),
            f"{r.comments:,}",
            _ratio(r.share_of_comments),
            f"{r.questions:,}",
            _ratio(r.share_of_questions),
        )
        for r in review.concerns
    ]
    head = [
        ("关注点", "concern"),
        ("评论", "comments"),
        ("占评论", "of comments"),
        ("提问", "questions"),
        ("占提问", "of questions"),
    ]
    intro = (
        f'<p class="note">共 {review.comments:,} 条评论，其中 {review.questions:,} 条提问；'
        "一条评论可有多个标签 (a comment can carry several labels)</p>"
    )
    chart = f'<div class="chart narrow">{concerns_svg(review.concerns)}</div>'
    return intro + _table(head, rows, "concerns") + chart


def _hot_words(review: Review) -> str:
    rows = [
        (
            f"{w.start_minute}–{w.end_minute}",
            "、".join(f"{_e(h.word)}<small>×{h.count}</small>" for h in w.words) or NOT_AVAILABLE,
        )
        for w in review.hot_words
    ]
    note = (
        f'<p class="note">每{review.hot_words_window_minutes}分钟窗口相对全场其余时段显著多出的词'
        f"（G² ≥ 10.83）— words over-represented in each {review.hot_words_window_minutes}-minute"
        " window against the rest of the session</p>"
    )
    return note + _table([("分钟", "minutes"), ("热词", "hot words")], rows, "hotwords")


def _insights(review: Review) -> str:
    if not review.insights:
        return '<p class="missing">本场没有检测到洞察 no insights were detected</p>'
    parts = []
    for i in review.insights:
        confidence = (
            f'<span class="confidence">置信度 confidence {say.percent(i.confidence)}</span>'
            if i.confidence is not None
            else ""
        )
        evidence = "".join(
            f"<tr><th>{_e(r.key)}</th><td>{_e(r.value)}</td></tr>" for r in i.evidence
        )
        parts.append(
            f'<article class="insight" data-kind="{_e(i.kind)}">'
            f'<div class="kind">{_e(i.kind)} · {_e(i.subject)} {confidence}</div>'
            f'<p class="zh">{_e(i.text_zh)}</p><p class="en">{_e(i.text_en)}</p>'
            f'<table class="evidence"><caption>证据 evidence</caption><tbody>{evidence}'
            "</tbody></table></article>"
        )
    return "".join(parts)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def _qa(review: Review) -> str:
    """The live Q&A: what was answered, how fast, and askers' conversion with its caveat."""
    assert review.qa is not None  # noqa: S101 - rendered only when the log exists
    stats, conversion = review.qa.stats, review.qa.conversion
    figures = [
        (_both("提问", "questions"), f"{stats.questions:,}"),
        (_both("已回答", "answered"), f"{stats.answered:,} ({_ratio(stats.answer_rate)})"),
        (_both("其中人工回答", "by an operator"), f"{stats.answered_by_operator:,}"),
        (_both("转人工", "escalated"), f"{stats.escalated:,}"),
        (_both("合规拦截", "blocked"), f"{stats.blocked:,}"),
        (_both("未发出", "not said"), f"{stats.waiting:,}"),
        (_both("合并回答", "merged"), f"{stats.merged:,}"),
        (
            _both("回答延迟 p50 / p90 / p99", "latency p50 / p90 / p99"),
            " / ".join(
                _ms(v) for v in (stats.latency_p50_ms, stats.latency_p90_ms, stats.latency_p99_ms)
            ),
        ),
    ]
    groups = [
        (_both("被回答的提问者", "askers answered"), conversion.answered),
        (_both("未被回答的提问者", "askers not answered"), conversion.unanswered),
    ]
    rows = [(name, f"{g.viewers:,}", f"{g.converted:,}", _ratio(g.rate)) for name, g in groups]
    head = [("分组", "group"), ("观众", "viewers"), ("下单", "bought"), ("转化率", "rate")]
    difference = ""
    if conversion.difference is not None and conversion.difference_ci95 is not None:
        low, high = conversion.difference_ci95
        difference = (
            f'<p class="note">差值 difference {conversion.difference * 100:+.1f} pp '
            f"(95% CI {low * 100:+.1f} – {high * 100:+.1f} pp), "
            f"提问后 {conversion.within_ms // 60_000} 分钟内下单 (orders within "
            f"{conversion.within_ms // 60_000} min of the first question)</p>"
        )
    return (
        _table([("指标", "figure"), ("数值", "value")], figures, "qa")
        + _table(head, rows, "qa-conversion")
        + difference
        + f'<p class="note caveat">{_e(conversion.caveat)}</p>'
    )


def _when(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


def render_html(review: Review, *, extra_css: str = "") -> str:
    """The review as one HTML document (``extra_css`` is appended, e.g. the print rules)."""
    title = f"直播复盘 Post-live review · {review.session_id}"
    meta = (
        f"{_both('场次', 'session')} {_e(review.session_id)} · {_both('直播间', 'room')} "
        f"{_e(review.room_id)} ({_e(review.platform)}) · {_e(_when(review.started_at))} – "
        f"{_e(_when(review.ended_at))} · {review.minutes} 分钟 min"
    )
    sections = [
        _section("核心指标", "Headline metrics", _headline(review), "headline"),
        _section("分钟曲线", "Per-minute curves", _curves(review), "curves"),
        _section("转化漏斗", "Funnel", _funnel(review), "funnel"),
        _section("商品表现", "Products", _products(review), "products"),
        _section("主播对比", "Personas", _personas(review), "personas"),
        _section("评论关注点", "Comment concerns", _concerns(review), "concerns"),
        _section("热词", "Hot words", _hot_words(review), "hotwords"),
        _section("洞察与证据", "Insights and evidence", _insights(review), "insights"),
    ]
    if review.qa is not None:
        sections.insert(-1, _section("直播问答", "Live Q&A", _qa(review), "qa"))
    footer = (
        f"<footer><p>{_both('生成时间', 'generated at')} {_e(_when(review.generated_at))} · "
        f"livelens {_e(review.version)} · {_both('场次', 'session')} {_e(review.session_id)}</p>"
        f'<p class="ai">{_e(AI_NOTE)}</p></footer>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{SCREEN_CSS}{extra_css}</style></head><body>"
        f'<header><h1>{_both("直播复盘报告", "Post-live review")}</h1><p class="meta">{meta}</p>'
        f"</header><main>{''.join(sections)}</main>{footer}</body></html>\n"
    )
