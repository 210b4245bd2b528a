"""跨场需求预测 Demand outlook across sessions: the next days' units of the session's categories,
the regressors the forecast used and its backtest against seasonal naive — or why there is none."""

from __future__ import annotations

from typing import Final

from livelens.information.detectors import phrasing as say
from livelens.intelligence.daily_outlook import DailyOutlook
from livelens.reports.decisions.outlook import CategoryOutlook, OutlookSection
from livelens.reports.markup import NOT_AVAILABLE, both, esc, missing, note, table

MODEL: Final = "ets_x"
BASELINE: Final = "seasonal_naive"


def _regressors(outlook: DailyOutlook) -> str:
    if not outlook.regressors:
        return both("无", "none")
    names = []
    for name in outlook.regressors:
        if name == "trend_heat":
            keywords = "、".join(outlook.trend_keywords[:3])
            names.append(
                both("热搜热度", "trend heat") + (f" ({esc(keywords)})" if keywords else "")
            )
        elif name.startswith("festival:"):
            names.append(both("节日", "festival") + f" {esc(name.removeprefix('festival:'))}")
        else:
            names.append(esc(name))
    return "<br>".join(names)


def _backtest(outlook: DailyOutlook) -> str:
    tested = outlook.backtest
    if tested is None or MODEL not in tested.mase or BASELINE not in tested.mase:
        said = next((n for n in outlook.notes if n.startswith("no backtest")), None)
        return esc(said) if said else NOT_AVAILABLE
    model, naive = tested.mase[MODEL], tested.mase[BASELINE]
    verdict = (
        both("优于季节朴素", "beats seasonal naive")
        if tested.beats_seasonal_naive
        else both("不优于季节朴素", "does not beat seasonal naive")
    )
    return (
        f"MASE {say.decimal(model, 2)} vs {say.decimal(naive, 2)}<br><small>{verdict}, "
        f"{tested.origins} {both('个起点', 'origins')}</small>"
    )


def _summary_row(row: CategoryOutlook, currency: str | None) -> tuple[str, ...]:
    outlook = row.outlook
    history = f"{outlook.days:,} · {say.decimal(outlook.units, 0)}"
    if outlook.status != "ok" or outlook.forecast is None:
        said = f"{both('无预测', 'no forecast')}：{esc(outlook.reason or '')}"
        cells: tuple[str, ...] = (said, NOT_AVAILABLE, NOT_AVAILABLE)
    else:
        f = outlook.forecast
        span = f"{len(f.days)} {both('天', 'days')}"
        said = f"{say.decimal(sum(f.mean), 0)} {both('件', 'units')} <small>({span})</small>"
        cells = (said, _regressors(outlook), _backtest(outlook))
    return (esc(row.category), esc(say.money(row.session_gmv_minor, currency)), history, *cells)


def _day_rows(row: CategoryOutlook) -> list[tuple[str, ...]]:
    f, naive = row.outlook.forecast, row.outlook.baseline
    if f is None:
        return []
    naive_mean = naive.mean if naive is not None else [None] * len(f.days)
    return [
        (
            esc(row.category),
            esc(day.isoformat()),
            say.decimal(mean, 1),
            f"{say.decimal(lo80, 1)} – {say.decimal(hi80, 1)}",
            f"{say.decimal(lo95, 1)} – {say.decimal(hi95, 1)}",
            say.decimal(base, 1) if base is not None else NOT_AVAILABLE,
        )
        for day, mean, lo80, hi80, lo95, hi95, base in zip(
            f.days, f.mean, f.lo80, f.hi80, f.lo95, f.hi95, naive_mean, strict=True
        )
    ]


def outlook(section: OutlookSection, currency: str | None) -> str:
    if section.unavailable is not None:
        return missing(section.unavailable)
    n, h, tz = len(section.rows), section.horizon_days, section.timezone
    parts = [
        note(
            f"本场成交额前 {n} 的品类：所有已存直播按天（{tz}）汇总的成交件数，预测未来 {h} 天"
            "（带节日与热搜热度等外部回归量的 ETS），区间为 80%/95% 预测区间；回测为滚动起点，"
            "MASE 越低越好，与季节朴素（上周同日）对比。",
            f"The session's top {n} categories by GMV: units ordered per day ({tz}) over every "
            f"stored session, forecast {h} days ahead (ETS with external regressors: festivals, "
            "trend heat) with 80%/95% intervals; the rolling-origin backtest's MASE (lower is "
            "better) against seasonal naive (the same weekday last week).",
        )
    ]
    short = [r for r in section.rows if r.outlook.status != "ok"]
    if short and len(short) == n:
        days = max(r.outlook.days for r in short)
        parts.append(
            note(
                f"历史不足：只有 {days} 天的销售数据，至少需要 {section.min_days} 天，"
                "暂无跨场预测。",
                f"Not enough history: {days} day(s) of sales, a forecast needs at least "
                f"{section.min_days}; no outlook yet.",
                "missing",
            )
        )
    head = [
        ("品类", "category"),
        ("本场成交额", "session GMV"),
        ("历史天数 · 件数", "days · units"),
        ("未来预测", "forecast"),
        ("外部回归量", "regressors"),
        ("回测 MASE（模型 vs 季节朴素）", "backtest MASE (model vs seasonal naive)"),
    ]
    parts.append(table(head, [_summary_row(r, currency) for r in section.rows], "outlook"))
    day_rows = [d for r in section.rows for d in _day_rows(r)]
    if day_rows:
        head = [
            ("品类", "category"),
            ("日期", "day"),
            ("预测件数", "forecast units"),
            ("80% 区间", "80% interval"),
            ("95% 区间", "95% interval"),
            ("季节朴素", "seasonal naive"),
        ]
        parts.append(table(head, day_rows, "outlook-days"))
    notes = sorted(
        {n for r in section.rows for n in r.outlook.notes if not n.startswith("no backtest")}
    )
    parts.extend(note(n, "", "note") for n in notes)
    return "".join(parts)
