"""Top product: the product that led the session by GMV, and the click leader where it differs.

Descriptive, not inferential: ranks are exact counts over the whole session. Ties are broken
deterministically (GMV, then clicks, then product id ascending for the GMV ranking; clicks, then
GMV, then id for the click ranking) and reported in ``tied_with`` so the text can say 并列.
"""

from __future__ import annotations

from typing import Any

from livelens.information.detectors import phrasing as say
from livelens.information.insight import Insight
from livelens.information.metrics import ProductMetrics, SessionMetrics

KIND = "top_product"


def _by_gmv(p: ProductMetrics) -> tuple[int, int, str]:
    return (-p.gmv_minor, -p.clicks, p.product_id)


def _by_clicks(p: ProductMetrics) -> tuple[int, int, str]:
    return (-p.clicks, -p.gmv_minor, p.product_id)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _measure(product: ProductMetrics, led_by: str) -> int:
    return product.gmv_minor if led_by == "gmv" else product.clicks


def _tie(e: dict[str, Any]) -> tuple[str, str]:
    if not e["tied_with"]:
        return "", ""
    return (
        f"，与{'、'.join(map(say.named_zh, e['tied_with']))}并列",
        f", tied with {', '.join(map(say.named_en, e['tied_with']))}",
    )


def _rank(product: ProductMetrics, order: list[ProductMetrics]) -> int:
    return next(i for i, p in enumerate(order, start=1) if p.product_id == product.product_id)


def _evidence(
    product: ProductMetrics,
    gmv_order: list[ProductMetrics],
    click_order: list[ProductMetrics],
    led_by: str,
) -> dict[str, Any]:
    total_gmv = sum(p.gmv_minor for p in gmv_order)
    total_clicks = sum(p.clicks for p in gmv_order)
    order = gmv_order if led_by == "gmv" else click_order
    rivals = [p for p in order if p.product_id != product.product_id]
    runner_up = rivals[0] if rivals else None
    return {
        "led_by": led_by,
        "product_id": product.product_id,
        "rank_by_clicks": _rank(product, click_order),
        "rank_by_gmv": _rank(product, gmv_order),
        "clicks": product.clicks,
        "gmv_minor": product.gmv_minor,
        "orders": product.orders,
        "share_of_clicks": _share(product.clicks, total_clicks),
        "share_of_gmv": _share(product.gmv_minor, total_gmv),
        "tied_with": [
            p.product_id for p in rivals if _measure(p, led_by) == _measure(product, led_by)
        ],
        "runner_up": None
        if runner_up is None
        else {
            "product_id": runner_up.product_id,
            "clicks": runner_up.clicks,
            "gmv_minor": runner_up.gmv_minor,
        },
    }


def _gmv_leader_text(e: dict[str, Any], currency: str | None) -> tuple[str, str]:
    pid, gmv = e["product_id"], say.money(e["gmv_minor"], currency)
    clicks = say.count(e["clicks"])
    tie_zh, tie_en = _tie(e)
    if e["rank_by_clicks"] == 1:
        return (
            f"商品{say.named_zh(pid)}是本场直播最受欢迎的产品（点击{clicks}次，GMV {gmv}，"
            f"均为全场第一{tie_zh}）",
            f"Product {say.named_en(pid)} was the session's most popular product "
            f"({clicks} clicks and {gmv} GMV, both first{tie_en}).",
        )
    share = e["share_of_gmv"]
    share_zh = f"，占全场{say.percent(share, 0)}" if share is not None else ""
    share_en = f", {say.percent(share, 0)} of the total" if share is not None else ""
    return (
        f"商品{say.named_zh(pid)}是本场GMV最高的产品（GMV {gmv}{share_zh}{tie_zh}），"
        f"点击{clicks}次，排第{e['rank_by_clicks']}",
        f"Product {say.named_en(pid)} led the session's GMV ({gmv}{share_en}{tie_en}) "
        f"with {clicks} clicks, #{e['rank_by_clicks']} by clicks.",
    )


def _click_leader_text(e: dict[str, Any], currency: str | None) -> tuple[str, str]:
    pid, gmv = e["product_id"], say.money(e["gmv_minor"], currency)
    clicks = say.count(e["clicks"])
    share = e["share_of_clicks"]
    share_zh = f"，占全场{say.percent(share, 0)}" if share is not None else ""
    share_en = f", {say.percent(share, 0)} of all clicks" if share is not None else ""
    tie_zh, tie_en = _tie(e)
    head_zh = f"商品{say.named_zh(pid)}是本场点击最多的产品（点击{clicks}次{share_zh}{tie_zh}）"
    head_en = f"Product {say.named_en(pid)} drew the most clicks ({clicks}{share_en}{tie_en})"
    if e["gmv_minor"] == 0:
        return f"{head_zh}，但没有成交", f"{head_en} but sold nothing."
    return (
        f"{head_zh}，但GMV仅排第{e['rank_by_gmv']}（{gmv}），关注度没有充分转化为成交",
        f"{head_en} but ranked #{e['rank_by_gmv']} by GMV ({gmv}): "
        "attention did not turn into sales.",
    )


def detect_top_product(metrics: SessionMetrics) -> list[Insight]:
    """The GMV leader (saying whether it also leads clicks) and, if different, the click leader.

    Nothing when products are unavailable (``metrics.products is None``) or nothing sold or was
    clicked.
    """
    if not metrics.products:
        return []
    gmv_order = sorted(metrics.products, key=_by_gmv)
    click_order = sorted(metrics.products, key=_by_clicks)
    insights: list[Insight] = []
    gmv_leader, click_leader = gmv_order[0], click_order[0]
    if gmv_leader.gmv_minor > 0:
        evidence = _evidence(gmv_leader, gmv_order, click_order, "gmv")
        zh, en = _gmv_leader_text(evidence, metrics.currency)
        insights.append(
            Insight(
                kind=KIND, subject=gmv_leader.product_id, evidence=evidence, text_zh=zh, text_en=en
            )
        )
    led_both = gmv_leader.gmv_minor > 0 and click_leader is gmv_leader
    if click_leader.clicks > 0 and not led_both:
        evidence = _evidence(click_leader, gmv_order, click_order, "clicks")
        zh, en = _click_leader_text(evidence, metrics.currency)
        insights.append(
            Insight(
                kind=KIND,
                subject=click_leader.product_id,
                evidence=evidence,
                text_zh=zh,
                text_en=en,
            )
        )
    return insights
