"""The post-live review (复盘) of one session, as data: what the report shows, nothing it reads.

:func:`build_review` is pure: an :class:`~livelens.information.analysis.Analysis`, the display
names, the hot words per window and the generation time in, a
:class:`~livelens.reports.model.Review` out. It reads no file and no clock;
:mod:`livelens.reports.collect` does the reading. A metric the data cannot support is ``None``
with the reason beside it, never a zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

from livelens.comments.hotwords import WindowHotWords
from livelens.information.analysis import Analysis
from livelens.information.detectors import phrasing as say
from livelens.information.metrics import PersonaMetrics, SessionMetrics
from livelens.reports.evidence import evidence_rows
from livelens.reports.model import (
    ConcernRow,
    Curves,
    FunnelStep,
    InsightEntry,
    Metric,
    PersonaRow,
    ProductRow,
    Review,
    Span,
    Unit,
)

# Every comment label of :data:`livelens.comments.intents.INTENT_LABELS`, as a manager names it.
CONCERN_NAMES: Final[dict[str, tuple[str, str]]] = {
    "price": ("价格", "price"),
    "discount": ("优惠", "discount"),
    "size": ("尺码", "size"),
    "shipping": ("物流", "shipping"),
    "stock": ("库存", "stock"),
    "quality": ("质量", "quality"),
    "authenticity": ("正品", "authenticity"),
    "how_to_buy": ("购买方式", "how to buy"),
    "after_sales": ("售后", "after-sales"),
    "comparison": ("对比", "comparison"),
    "praise": ("好评", "praise"),
    "complaint": ("抱怨", "complaint"),
    "interaction": ("互动", "interaction"),
    "spam": ("广告", "spam"),
    "other": ("其他", "other"),
}

NO_SHOP: Final = "no product events in this session"
NO_CLICKS: Final = "no product clicks in this session"
NO_ORDERS: Final = "no orders in this session"
NO_IMPRESSIONS: Final = "no product impressions in this session"
NO_ENTRIES: Final = "no viewer entries in this session"
NO_VISITS: Final = "no closed viewing sessions"


def _ratio(part: float | None, whole: float | None) -> float | None:
    return part / whole if part is not None and whole else None


def _headline(metrics: SessionMetrics) -> list[Metric]:
    totals, why = metrics.totals, metrics.unavailable
    no_shop = None if totals.gmv_minor is not None else why.get("products", NO_SHOP)
    conversion = _ratio(metrics.funnel.ordered, metrics.funnel.clicked) if metrics.funnel else None
    platform = "平台在线人数 platform online.count" if "online" in why else None
    # key, Chinese, English, unit, value, why it can be missing, note when present
    rows: list[tuple[str, str, str, Unit, float | None, str | None, str | None]] = [
        ("viewers", "观众", "viewers", "count", totals.unique_viewers, None, None),
        ("peak_online", "峰值在线", "peak online", "count", totals.peak_online, None, platform),
        (
            "avg_watch_time",
            "平均观看时长",
            "avg watch time",
            "duration_s",
            totals.avg_watch_time_s,
            why.get("online", NO_VISITS),
            None,
        ),
        ("comments", "评论", "comments", "count", totals.comments, None, None),
        ("orders", "订单", "orders", "count", totals.orders, no_shop, None),
        ("gmv", "成交额", "GMV", "money", totals.gmv_minor, no_shop, None),
        ("ctr", "点击率", "CTR", "ratio", totals.ctr, no_shop or NO_IMPRESSIONS, None),
        (
            "conversion",
            "转化率",
            "conversion",
            "ratio",
            conversion,
            no_shop or NO_CLICKS,
            "下单人数 ÷ 点击人数 buyers ÷ clickers",
        ),
        (
            "gpm",
            "千次观看成交额",
            "GPM",
            "money",
            totals.gpm_minor,
            no_shop or NO_ENTRIES,
            "每千次进入 per 1,000 entries",
        ),
        ("aov", "客单价", "AOV", "money", totals.aov_minor, no_shop or NO_ORDERS, None),
    ]
    return [
        Metric(
            key=key,
            label_zh=zh,
            label_en=en,
            unit=unit,
            value=value,
            note=(missing or "not available") if value is None else present,
        )
        for key, zh, en, unit, value, missing, present in rows
    ]


def _persona_order(persona: PersonaMetrics) -> tuple[float, str]:
    """Best seller first: orders per 1,000 viewer-minutes, as the persona ranking compares."""
    return (-(persona.orders_per_1k_viewer_minutes or 0.0), persona.persona_id)


def _runs(values: Sequence[str | None]) -> list[tuple[int, int, str]]:
    runs: list[tuple[int, int, str]] = []
    for minute, value in enumerate(values):
        if value is None:
            continue
        if runs and runs[-1][2] == value and runs[-1][1] == minute:
            runs[-1] = (runs[-1][0], minute + 1, value)
        else:
            runs.append((minute, minute + 1, value))
    return runs


def _curves(metrics: SessionMetrics, names: Mapping[str, str]) -> Curves:
    series = metrics.series
    platform = "online" in metrics.unavailable
    online: list[float | None] = (
        list(series.online_reported) if platform else [float(v) for v in series.online]
    )
    shop = metrics.products is not None
    promos = []
    for promo in metrics.promos:
        if promo.discount_pct is not None:
            label = say.discount_zh(promo.discount_pct)
        elif promo.price_minor is not None:
            label = say.money(promo.price_minor, metrics.currency)
        else:
            label = promo.promo_id
        promos.append(
            Span(
                start_minute=promo.start_minute,
                end_minute=promo.end_minute,
                key=promo.promo_id,
                label=label,
                detail=names.get(promo.product_id, promo.product_id) if promo.product_id else None,
            )
        )
    return Curves(
        minutes=metrics.minutes,
        online=online,
        online_basis="platform" if platform else "viewers",
        comments=list(series.comments),
        gmv_minor=list(series.gmv_minor) if shop else None,
        orders=list(series.orders) if shop else None,
        personas=[
            Span(start_minute=start, end_minute=end, key=pid, label=names.get(pid, pid))
            for start, end, pid in _runs(series.persona)
        ],
        promos=promos,
    )


def _funnel(metrics: SessionMetrics) -> list[FunnelStep] | None:
    if metrics.funnel is None or metrics.products is None:
        return None
    f = metrics.funnel
    steps = [
        ("entered", "进入直播间", "entered", f.entered),
        ("clicked", "点击商品", "clicked", f.clicked),
        ("carted", "加入购物车", "carted", f.carted),
        ("ordered", "下单支付", "ordered", f.ordered),
    ]
    out, before = [], None
    for key, zh, en, viewers in steps:
        out.append(
            FunnelStep(
                key=key,
                label_zh=zh,
                label_en=en,
                viewers=viewers,
                step_rate=_ratio(viewers, before),
                overall_rate=_ratio(viewers, f.entered),
            )
        )
        before = viewers
    return out


def _concerns(metrics: SessionMetrics) -> tuple[list[ConcernRow], int]:
    concerns = metrics.series.concerns
    comments = metrics.totals.comments
    questions = sum(concerns.get("?", []))
    if not concerns:
        return [], questions
    rows = []
    for label, (zh, en) in CONCERN_NAMES.items():
        said, asked = sum(concerns.get(label, [])), sum(concerns.get("?" + label, []))
        rows.append(
            ConcernRow(
                label=label,
                name_zh=zh,
                name_en=en,
                comments=said,
                share_of_comments=_ratio(said, comments),
                questions=asked,
                share_of_questions=_ratio(asked, questions),
            )
        )
    rows.sort(key=lambda r: (-r.comments, -r.questions, r.label))
    return rows, questions


def build_review(
    analysis: Analysis,
    names: Mapping[str, str],
    hot_words: Sequence[WindowHotWords],
    *,
    hot_words_window_minutes: int,
    generated_at: datetime,
) -> Review:
    """The review of ``analysis``; ``names`` maps product and persona ids to display names."""
    if generated_at.tzinfo is None:
        msg = f"generated_at must be timezone-aware; got {generated_at.isoformat()}"
        raise ValueError(msg)
    metrics = analysis.metrics
    products = None
    if metrics.products is not None:
        products = [
            ProductRow(
                product_id=p.product_id,
                title=names.get(p.product_id, p.product_id),
                clicks=p.clicks,
                orders=p.orders,
                units=p.units,
                gmv_minor=p.gmv_minor,
                ctr=p.ctr,
                conversion=p.conversion,
            )
            for p in sorted(metrics.products, key=lambda p: (-p.gmv_minor, -p.clicks, p.product_id))
        ]
    personas = None
    if metrics.personas is not None:
        personas = [
            PersonaRow(
                persona_id=p.persona_id,
                name=names.get(p.persona_id, p.persona_id),
                minutes_on_air=p.minutes_on_air,
                viewer_minutes=p.viewer_minutes,
                clicks=p.clicks,
                orders=p.orders,
                gmv_minor=p.gmv_minor,
                gmv_per_minute_minor=p.gmv_per_minute,
                orders_per_1k_viewer_minutes=p.orders_per_1k_viewer_minutes,
                exits_per_1k_viewer_minutes=p.exits_per_1k_viewer_minutes,
            )
            for p in sorted(metrics.personas, key=_persona_order)
        ]
    concerns, questions = _concerns(metrics)
    return Review(
        session_id=analysis.session_id,
        room_id=metrics.room_id,
        platform=metrics.platform,
        started_at=metrics.started_at,
        ended_at=metrics.ended_at,
        minutes=metrics.minutes,
        currency=metrics.currency,
        headline=_headline(metrics),
        curves=_curves(metrics, names),
        funnel=_funnel(metrics),
        products=products,
        personas=personas,
        concerns=concerns,
        comments=metrics.totals.comments,
        questions=questions,
        hot_words_window_minutes=hot_words_window_minutes,
        hot_words=list(hot_words),
        insights=[
            InsightEntry(
                kind=i.kind,
                subject=i.subject,
                text_zh=i.text_zh,
                text_en=i.text_en,
                evidence=evidence_rows(i.evidence, metrics.currency, names),
                confidence=i.confidence,
            )
            for i in analysis.insights
        ],
        unavailable=dict(metrics.unavailable),
        generated_at=generated_at,
    )
