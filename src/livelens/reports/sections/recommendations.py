"""建议与结果 Recommendations and outcomes: what fired when and why (its evidence chain in words),
what was withheld, each one's fate and measured outcome in the ledger, and every playbook's running
uplift estimate.

Minutes are counted from 1, as ``livelens recommend`` prints them; the clock time beside is the
recommendation's start in the time zone the store gives (as the header's session times).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from livelens.information.detectors import phrasing as say
from livelens.knowledge.evidence_text import Wording, sentences
from livelens.knowledge.ledger import Entry
from livelens.knowledge.recommender import Recommendation, Uplift
from livelens.reports.decisions.recommendations import RecommendationsSection
from livelens.reports.markup import NOT_AVAILABLE, both, esc, missing, note, table

ACTIONS: Final = {
    "switch_persona": "换主播",
    "pin_product": "讲解商品",
    "flash_discount": "限时折扣",
    "coupon_drop": "发优惠券",
    "lucky_bag": "福袋",
    "script_cue": "话术提示",
}
FATES: Final = {
    "pending": ("待定", "pending"),
    "accepted": ("已采纳", "accepted"),
    "rejected": ("已拒绝", "rejected"),
    "auto_executed": ("自动执行", "auto-executed"),
    "expired": ("已过期", "expired"),
}


def _target(target: Mapping[str, Any], names: Mapping[str, str], currency: str | None) -> str:
    parts = []
    for key in ("product", "persona"):
        if key in target:
            found = str(target[key])
            shown = names.get(found)
            parts.append(f"{esc(shown)} <small>{esc(found)}</small>" if shown else esc(found))
    if "percent" in target:
        percent = float(target["percent"])
        parts.append(f"{esc(say.discount_zh(percent))} <small>{percent:g}% off</small>")
    if "price_minor" in target:
        parts.append(esc(say.money(target["price_minor"], currency)))
    if "amount_minor" in target:
        parts.append(f"{both('券', 'coupon')} {esc(say.money(target['amount_minor'], currency))}")
    return " · ".join(parts) or NOT_AVAILABLE


def _uplift(uplift: Uplift) -> str:
    if uplift.value is None or uplift.low is None or uplift.high is None:
        return f"{both('未知', 'unknown')}<br><small>{esc(uplift.basis)}</small>"
    return (
        f"{uplift.value:+.1%} <small>[{uplift.low:+.1%}, {uplift.high:+.1%}]</small> "
        f"({esc(uplift.source)})<br><small>{esc(uplift.basis)}</small>"
    )


def _why(r: Recommendation, wording: Wording) -> str:
    """The evidence chain in words, Chinese first (the recommender's ``zh`` / ``en``)."""
    items = "".join(
        f'<li>{esc(zh)} <span class="en">{esc(en)}</span></li>'
        for zh, en in (sentences(item, wording) for item in r.evidence)
    )
    return f'<div class="why">{both("为什么", "why")}<ul>{items}</ul></div>' if items else ""


def _fate(entry: Entry | None) -> str:
    if entry is None:
        return both("未记入台账", "not in the ledger")
    zh, en = FATES.get(entry.fate, (entry.fate, entry.fate))
    shown = both(zh, en) + (f" <small>{esc(entry.fate_by)}</small>" if entry.fate_by else "")
    outcome = entry.outcome
    if outcome is not None:
        shown += (
            f"<br>{both('实测', 'measured')} {outcome.effect:+.1%} ± {1.96 * outcome.se:.1%} "
            f"<small>({esc(outcome.design)})</small>"
        )
    return shown


def _fired(
    made: list[Recommendation],
    ledger: Mapping[str, Entry],
    names: Mapping[str, str],
    currency: str | None,
) -> str:
    wording = Wording(names=names, currency=currency or "CNY")
    rows = [
        (
            f"第{r.minute + 1}分钟 <small>{r.start:%H:%M}</small>",
            esc(r.playbook),
            f"{esc(ACTIONS.get(r.action, r.action))} <small>{esc(r.action)}</small>",
            _target(r.target, names, currency),
            f"{say.duration_minutes(r.duration_s / 60)} 分钟 min",
            _uplift(r.expected_uplift),
            f'{esc(r.text_zh)}<br><span class="en">{esc(r.text_en)}</span>{_why(r, wording)}',
            _fate(ledger.get(r.recommendation_id)),
        )
        for r in made
    ]
    head = [
        ("开始", "start minute, from 1"),
        ("剧本", "playbook"),
        ("动作", "action"),
        ("对象", "target"),
        ("时长", "duration"),
        ("预期提升", "expected uplift"),
        ("建议", "recommendation"),
        ("台账结果", "ledger fate"),
    ]
    return table(head, rows, "recommendations")


def _estimates(section: RecommendationsSection) -> str:
    found = {e.playbook_id: e for e in section.estimates}
    ids = [key.split("@")[0] for key in section.playbooks]
    ids += [pid for pid in found if pid not in ids]
    rows = []
    for pid in ids:
        e = found.get(pid)
        if e is None:
            rows.append((esc(pid), "0", both("尚无测量结果", "no measured outcome yet"), ""))
            continue
        retire = {
            "hurts": both("建议停用", "retire: its effect is below zero"),
            "no worthwhile effect": both("建议停用：效果太小", "retire: no worthwhile effect"),
            None: "",
        }[e.retire_reason]
        rows.append(
            (
                esc(pid),
                f"{e.outcomes:,}",
                f"{e.mean:+.1%} <small>[{e.low:+.1%}, {e.high:+.1%}]</small>",
                retire,
            )
        )
    head = [
        ("剧本", "playbook"),
        ("已测次数", "outcomes"),
        ("提升估计 95%", "uplift 95%"),
        ("", ""),
    ]
    return table(head, rows, "uplift-estimates")


def recommendations(
    section: RecommendationsSection, names: Mapping[str, str], currency: str | None
) -> str:
    n = len(section.playbooks)
    parts = [
        note(
            f"{n} 个剧本（{', '.join(section.playbooks)}）按直播时每分钟已有的数据回放；"
            "预期提升来自提升台账，没有测量结果时为“未知”。",
            f"{n} playbook(s) ({', '.join(section.playbooks)}) replayed minute by minute on what "
            "was known at the time; the expected uplift comes from the uplift ledger, 'unknown' "
            "where no outcome has been measured.",
        )
    ]
    ledger = {e.recommendation.recommendation_id: e for e in section.ledger}
    if section.unavailable is not None:
        parts.append(missing(section.unavailable))
    elif section.recommendations:
        parts.append(_fired(section.recommendations, ledger, names, currency))
    else:
        parts.append(note("本场没有剧本触发。", "No playbook fired in this session.", "none"))
    if section.withheld:
        rows = [(esc(w.playbook), f"第{w.minute + 1}分钟", esc(w.reason)) for w in section.withheld]
        head = [
            ("被拦下的剧本", "withheld playbook"),
            ("首次", "first at, from 1"),
            ("原因", "reason"),
        ]
        parts.append(table(head, rows, "withheld"))
    made = {r.recommendation_id for r in section.recommendations}
    others = [
        e.recommendation for e in section.ledger if e.recommendation.recommendation_id not in made
    ]
    if others:
        parts.append(
            note(
                "台账中本场的其他建议（不在本次回放中）：",
                "Other recommendations of this session in the ledger (not made by this replay):",
            )
        )
        parts.append(_fired(others, ledger, names, currency))
    parts.append(
        note(
            "各剧本的提升估计（台账中全部实测结果，向零收缩）：",
            "Each playbook's uplift estimate (every measured outcome in the ledger, shrunk "
            "toward no effect):",
        )
    )
    parts.append(_estimates(section))
    return "".join(parts)
