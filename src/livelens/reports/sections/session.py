"""What happened in the session: headline metrics, per-minute curves, funnel, products, personas."""

from __future__ import annotations

from livelens.information.detectors import phrasing as say
from livelens.reports.charts import timeline_svg
from livelens.reports.markup import (
    NOT_AVAILABLE,
    both,
    duration,
    esc,
    minutes_span,
    missing,
    money,
    ratio,
    table,
)
from livelens.reports.model import Metric, Review


def metric_value(metric: Metric, currency: str | None) -> str:
    """A headline value as the report prints it; ``—`` when it is not available."""
    if metric.value is None:
        return NOT_AVAILABLE
    if metric.unit == "money":
        return say.money(metric.value, currency)
    if metric.unit == "ratio":
        return say.percent(metric.value)
    if metric.unit == "duration_s":
        return duration(metric.value)
    return say.count(metric.value)


def headline(review: Review) -> str:
    cards = []
    for m in review.headline:
        note = f'<div class="note">{esc(m.note)}</div>' if m.note else ""
        cards.append(
            f'<div class="card{" na" if m.value is None else ""}" data-metric="{esc(m.key)}">'
            f'<div class="label">{both(m.label_zh, m.label_en)}</div>'
            f'<div class="value">{esc(metric_value(m, review.currency))}</div>{note}</div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def curves(review: Review) -> str:
    found = review.curves
    parts = [f'<div class="chart">{timeline_svg(found, review.currency)}</div>']
    if found.personas:
        turns = "，".join(
            f"{esc(s.label)} {minutes_span(s.start_minute, s.end_minute)}" for s in found.personas
        )
        parts.append(f'<p class="turns">{both("主播时段", "persona turns")}：{turns}</p>')
    if found.promos:
        rows = [
            (
                esc(s.key),
                esc(s.detail or "全场 session"),
                esc(s.label),
                minutes_span(s.start_minute, s.end_minute),
            )
            for s in found.promos
        ]
        head = [("优惠", "promo"), ("商品", "product"), ("力度", "offer"), ("分钟", "minutes")]
        parts.append(table(head, rows, "promos"))
    if "online" in review.unavailable:
        why = esc(review.unavailable["online"])
        parts.append(f'<p class="note">在线人数来自平台 online.count：{why}</p>')
    return "".join(parts)


def funnel(review: Review) -> str:
    if review.funnel is None:
        return missing(review.unavailable.get("products"))
    rows = [
        (
            both(s.label_zh, s.label_en),
            f"{s.viewers:,}",
            ratio(s.step_rate),
            ratio(s.overall_rate),
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
    return table(head, rows, "funnel")


def products(review: Review) -> str:
    if review.products is None:
        return missing(review.unavailable.get("products"))
    c = review.currency
    rows = [
        (
            esc(p.title),
            esc(p.product_id),
            f"{p.clicks:,}",
            f"{p.orders:,}",
            f"{p.units:,}",
            money(p.gmv_minor, c),
            ratio(p.ctr),
            ratio(p.conversion),
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
    return table(head, rows, "products")


def _per_1k(value: float | None) -> str:
    return NOT_AVAILABLE if value is None else say.decimal(value)


def personas(review: Review) -> str:
    if review.personas is None:
        return missing("no host.persona_switch events in this session")
    c = review.currency
    rows = [
        (
            esc(p.name),
            esc(p.persona_id),
            say.duration_minutes(p.minutes_on_air),
            say.count(round(p.viewer_minutes)),
            f"{p.clicks:,}",
            f"{p.orders:,}",
            money(p.gmv_minor, c),
            money(p.gmv_per_minute_minor, c),
            _per_1k(p.orders_per_1k_viewer_minutes),
            _per_1k(p.exits_per_1k_viewer_minutes),
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
    return table(head, rows, "personas")
