"""异常告警 Anomaly alerts: each episode with its band, its message and who acknowledged it.

Minutes are counted from 1 here, as the alert messages and ``livelens alerts list`` count them
(第33分钟 is minute index 32, the 33rd minute of the session).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from livelens.information.detectors import phrasing as say
from livelens.intelligence.alerts import Alert
from livelens.reports.decisions.alerts import AlertsSection
from livelens.reports.markup import both, esc, missing, note, table, when

METRICS: Final = {
    "online": ("在线人数", "online viewers"),
    "gmv": ("每分钟成交额", "GMV per minute"),
    "conversion": ("转化率", "conversion"),
}
TRIGGERS: Final = {"jump": ("突变", "jump"), "drift": ("漂移", "drift")}
DIRECTIONS: Final = {"above": ("高于预期", "above"), "below": ("低于预期", "below")}


def value(metric: str, number: float, currency: str | None) -> str:
    """A metric's value as the alert table prints it: viewers, money or a rate."""
    if metric == "gmv":
        return say.money(number, currency)
    if metric == "conversion":
        return say.percent(number, 2)
    return say.count(round(number))


def _basis(section: AlertsSection) -> str:
    if section.history:
        n, listed = len(section.history), ", ".join(section.history)
        return note(
            f"预期曲线来自本直播间之前的 {n} 场直播（{listed}）；每分钟按当时已有的数据打分，"
            f"区间为预期值 ± {section.z:g} 个标准差。",
            f"The expected curve comes from the room's {n} earlier session(s) ({listed}); every "
            f"minute is scored as it would have been live; the band is the expected value "
            f"± {section.z:g} standard deviations.",
        )
    return note(
        "本直播间没有更早的场次，因此没有基线：区间只来自本场此前30分钟，第10分钟前不打分；"
        "它分不清直播间惯常的起伏与真正的下滑，告警会偏多。",
        "This room has no earlier sessions, so there is no baseline: bands come from the "
        "session's own previous 30 minutes, nothing is scored before minute 10, and it cannot "
        "tell the room's usual ebb from a fall, so it alerts more.",
        "note baseline",
    )


def _acked(by: str | None, at: datetime | None) -> str:
    if by is None:
        return both("未确认", "not acknowledged")
    return esc(by) + (f" <small>{esc(when(at))}</small>" if at is not None else "")


def _row(
    alert: Alert, zh: str, en: str, by: str | None, at: datetime | None, currency: str | None
) -> tuple[str, ...]:
    trigger = TRIGGERS.get(alert.trigger, (alert.trigger, alert.trigger))
    side = DIRECTIONS.get(alert.direction, (alert.direction, alert.direction))
    low, high = (value(alert.metric, v, currency) for v in (alert.low, alert.high))
    status = (
        f"{both('已恢复', 'resolved')} <small>(第{(alert.resolved_minute or 0) + 1}分钟)</small>"
        if alert.status == "resolved"
        else both("未恢复", "open at the end")
    )
    return (
        both(*METRICS.get(alert.metric, (alert.metric, alert.metric))),
        f"{both(*trigger)} · {both(*side)}",
        f"第{alert.opened_minute + 1}–{alert.last_minute + 1}分钟",
        esc(value(alert.metric, alert.observed, currency)),
        f"{esc(value(alert.metric, alert.expected, currency))} <small>[{esc(low)} – "
        f"{esc(high)}]</small>",
        f'{esc(zh)}<br><span class="en">{esc(en)}</span>',
        status,
        _acked(by, at),
    )


HEAD: Final = [
    ("指标", "metric"),
    ("类型", "kind"),
    ("分钟", "minutes, from 1"),
    ("实际", "observed"),
    ("预期 [区间]", "expected [band]"),
    ("说明", "message"),
    ("状态（恢复分钟）", "status (minute)"),
    ("确认人", "acknowledged by"),
]


def alerts(section: AlertsSection, currency: str | None) -> str:
    if section.unavailable is not None:
        return missing(section.unavailable)
    parts = [_basis(section)]
    scored = section.minutes_scored
    if scored == 0:
        parts.append(
            note(
                "没有可打分的分钟：本场太短，不足以形成区间。",
                "No minute could be scored: the session is too short to form a band.",
                "missing",
            )
        )
    elif not section.rows:
        parts.append(
            note(
                f"已打分的 {scored} 分钟里，没有指标离开预期区间。",
                f"No metric left its expected band in the {scored} minutes scored.",
                "none",
            )
        )
    else:
        rows = [
            _row(r.alert, r.message_zh, r.message_en, r.acked_by, r.acked_at, currency)
            for r in section.rows
        ]
        parts.append(
            note(
                f"已打分 {scored} 分钟，{len(rows)} 次告警；实际、预期与区间取自偏离最大的一分钟。",
                f"{scored} minutes scored, {len(rows)} alert(s); observed, expected and the band "
                "are those of the episode's furthest minute.",
            )
        )
        parts.append(table(HEAD, rows, "alerts"))
    if section.stored_only:
        parts.append(
            note(
                f"另有 {len(section.stored_only)} 次告警由另一规则的扫描存储：",
                "Stored by a scan with another rule:",
            )
        )
        stored = [
            _row(s.alert, s.alert.message_zh, s.alert.message_en, s.acked_by, s.acked_at, currency)
            for s in section.stored_only
        ]
        parts.append(table(HEAD, stored, "alerts stored"))
    return "".join(parts)
