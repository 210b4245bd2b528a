"""需求预测 Demand nowcasts: how the live order nowcasts of the top products did in the session."""

from __future__ import annotations

from livelens.information.detectors import phrasing as say
from livelens.reports.decisions.nowcasts import NowcastSection
from livelens.reports.markup import both, esc, missing, note, table


def nowcasts(section: NowcastSection) -> str:
    if section.unavailable is not None:
        return missing(section.unavailable)
    n, warmup, complete = len(section.products), section.warmup_minutes, section.complete_minutes
    parts = [
        note(
            f"成交额前 {n} 的商品：开播 {warmup} 分钟后起，每分钟只用此前的数据做一次预测"
            f"（不看之后的数据），与随后 5/15/30 分钟的实际订单数对照；共 {complete} 个完整分钟"
            "（最后一分钟不完整，不计）。覆盖率 = 实际值落在预测区间内的比例"
            "（80% 区间约应覆盖 80%）。",
            f"The top {n} products by GMV: from {warmup} minutes in, a nowcast every minute from "
            "the minutes before it only (no look-ahead), checked against the orders of the next "
            f"5, 15 and 30 minutes; {complete} complete minutes (the last, partial minute is left "
            "out). "
            "Coverage is the share of checks whose actual orders fell inside the interval (an 80% "
            "interval should cover about 80%).",
        )
    ]
    if section.too_short:
        listed = "/".join(str(h) for h in section.too_short)
        parts.append(
            note(
                f"本场太短，无法检验 {listed} 分钟的预测。",
                f"The session is too short to check the {listed}-minute nowcasts.",
                "missing",
            )
        )
    rows = [
        (
            esc(s.title)
            if s.product_id is not None
            else both(f"前 {n} 商品合计", f"top {n} pooled"),
            f"{s.horizon_minutes}",
            f"{s.checks:,}",
            say.decimal(s.predicted_mean, 2),
            say.decimal(s.actual_mean, 2),
            say.decimal(s.mae, 2),
            say.percent(s.coverage80),
            say.percent(s.coverage95),
        )
        for s in section.scores
    ]
    head = [
        ("商品", "product"),
        ("预测分钟", "horizon min"),
        ("检验次数", "checks"),
        ("平均预测订单", "mean forecast orders"),
        ("平均实际订单", "mean actual orders"),
        ("平均绝对误差", "MAE orders"),
        ("80% 区间覆盖率", "80% coverage"),
        ("95% 区间覆盖率", "95% coverage"),
    ]
    if rows:
        parts.append(table(head, rows, "nowcasts"))
    return "".join(parts)
