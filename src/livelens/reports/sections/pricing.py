"""价格与弹性 Pricing: the price response each product's data support; the guarded suggestion."""

from __future__ import annotations

from typing import Final

from livelens.information.detectors import phrasing as say
from livelens.intelligence.elasticity import Estimate, PriceResponse
from livelens.intelligence.pricing import PriceSuggestion
from livelens.reports.decisions.pricing import PricingSection
from livelens.reports.markup import NOT_AVAILABLE, both, esc, missing, note, table

GUARDRAILS: Final = {
    "floor_price": ("底价", "floor"),
    "max_discount": ("折扣上限", "max discount"),
    "reference_price": ("划线价真实", "real reference"),
    "no_raise_then_discount": ("不先涨后降", "no raise-then-cut"),
}


def _interval(found: Estimate | None, prefix: str = "", digits: int = 2) -> str:
    if found is None:
        return NOT_AVAILABLE
    return (
        f"{prefix}{found.value:.{digits}f} <small>[{found.low:.{digits}f} – "
        f"{found.high:.{digits}f}]</small>"
    )


def _money_interval(found: Estimate | None, currency: str | None) -> str:
    if found is None:
        return NOT_AVAILABLE
    shown = esc(say.money(found.value, currency))
    if found.low == found.high == found.value:  # keeping the price: nothing is uncertain
        return shown
    low, high = say.money(found.low, currency), say.money(found.high, currency)
    return f"{shown} <small>[{esc(low)} – {esc(high)}]</small>"


def _response_row(title: str, response: PriceResponse) -> tuple[str, ...]:
    data = f"{response.orders:,} · {response.promos:,} · {response.price_changes:,}"
    effect = _interval(response.discount_effect, "×")
    if response.discount_effect is not None and response.mean_discount_pct is not None:
        effect += f" <small>({response.mean_discount_pct:.0f}% off)</small>"
    if response.status == "insufficient":
        said = both("数据不足", "cannot support an estimate") + f": {esc(response.reason or '')}"
    else:
        said = esc("; ".join(response.notes)) or NOT_AVAILABLE
    return (
        esc(title),
        esc(response.scope),
        data,
        effect,
        _interval(response.price_elasticity),
        said,
    )


def _checks(suggestion: PriceSuggestion) -> str:
    """All passed in one phrase (the section's note names them); else each by name, a failing
    one with what failed."""
    checks = suggestion.checks
    if not checks:
        return NOT_AVAILABLE
    if all(check.passed for check in checks):
        return f"{both('全部通过', f'all {len(checks)} pass')} ✓"
    items = []
    for check in checks:
        name = both(*GUARDRAILS.get(check.name, (check.name, check.name)))
        verdict = "✓" if check.passed else f"{both('未通过', 'FAIL')}：{esc(check.detail)}"
        items.append(f"{name} {verdict}")
    return "<br>".join(items)


def _suggestion_row(
    title: str, suggestion: PriceSuggestion, currency: str | None
) -> tuple[str, ...]:
    current = say.money(suggestion.current_price_minor, currency)
    if suggestion.status == "withheld" or suggestion.price_minor is None:
        verdict, price = both("暂不建议", "withheld"), esc(current)
    elif suggestion.status == "hold" and suggestion.blocked_by:
        names = [both(*GUARDRAILS.get(n, (n, n))) for n in suggestion.blocked_by]
        verdict = f"{both('维持现价', 'hold')}<br><small>{both('护栏拦下降价', 'cut blocked by')}："
        verdict += f"{'、'.join(names)}</small>"
        price = esc(current)
    elif suggestion.status == "hold" or suggestion.price_minor == suggestion.current_price_minor:
        verdict, price = both("维持现价", "keep the price"), esc(current)
    else:
        verdict = both("建议降价", "suggested")
        price = f"{esc(current)} → {esc(say.money(suggestion.price_minor, currency))}"
        price += f" <small>(-{suggestion.discount_pct or 0:g}%)</small>"
    return (
        esc(title),
        verdict,
        price,
        _money_interval(suggestion.delta_gmv_minor, currency),
        _money_interval(suggestion.delta_margin_minor, currency),
        esc(suggestion.reason),
        _checks(suggestion),
    )


def pricing(section: PricingSection, currency: str | None) -> str:
    if section.unavailable is not None:
        return missing(section.unavailable)
    n, listed = len(section.sessions), ", ".join(section.sessions)
    horizon = section.rows[0].suggestion.horizon_minutes if section.rows else 15
    parts = [
        note(
            f"价格响应基于 {n} 场直播（{listed}），不含本场之后的直播；区间为95%置信区间。"
            f"建议针对本场结束后的 {horizon} 分钟；护栏：底价、折扣上限（"
            f"{section.max_discount_pct:g}%）、划线价须为真实成交价、不先涨后降。",
            f"The price response is estimated over {n} session(s) ({listed}), none later than "
            f"this one; intervals are 95%. The suggestion is for the {horizon} minutes after the "
            f"session's last event; guardrails: the floor price, at most "
            f"{section.max_discount_pct:g}% off, a reference price that orders really paid, no "
            "raise before a cut.",
        )
    ]
    head = [
        ("商品", "product"),
        ("估计范围", "scope"),
        ("订单·优惠·调价", "orders · promos · price changes"),
        ("折扣效应 (每次点击转化)", "discount effect (conversion per click)"),
        ("价格弹性", "price elasticity"),
        ("说明", "note"),
    ]
    parts.append(table(head, [_response_row(r.title, r.response) for r in section.rows], "price"))
    head = [
        ("商品", "product"),
        ("建议", "suggestion"),
        ("价格", "price"),
        ("成交额变化", "Δ GMV"),
        ("毛利变化", "Δ margin"),
        ("理由", "reason"),
        ("护栏（建议价）", "guardrails of that price"),
    ]
    rows = [_suggestion_row(r.title, r.suggestion, currency) for r in section.rows]
    parts.append(table(head, rows, "price-suggestions"))
    return "".join(parts)
