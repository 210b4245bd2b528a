"""The evidence chain in plain words: one sentence in Chinese and one in English for each evidence
item of a recommendation (:mod:`livelens.knowledge.recommender`), so that an operator reads *why*
without knowing the fact names.

The recommender adds them to each item as ``zh`` and ``en`` beside the item's data, which stays as
it is. By kind:

* ``condition`` — the fact as a manager names it (:data:`FACTS`; ``concern_share.<label>`` and
  ``alert_open.<metric>`` by their prefix), what it was and what the playbook needs:
  ``价格关注占比 15.5%（条件 ≥ 15%）`` / ``Share of questions about price 15.5% (needs ≥ 15%)``;
  a fact not in the table is named by its key, its value shown as it is;
* ``licence`` — whose likeness licence is valid, and who was passed over and why;
* ``price`` — that every price guardrail passed, with the floor, the new price and the reference
  price, or which guardrail failed;
* ``uplift`` — the ledger's figure with its interval and the number of outcomes, the model's
  figure with the discount, demand ratio and GMV share it rests on, or that there is none yet.

Money is shown in major units from the minor units of the item (``4990`` → ``49.90 元`` /
``¥49.90``), shares as percents, products and personas by their display names. Pure: the item and
the names come in, two sentences go out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from livelens.events.reference import Persona, Product
from livelens.governance.licences import EXEMPT_KINDS, PROBLEMS
from livelens.information.detectors import phrasing as say
from livelens.information.detectors.top_concern import CONCERNS
from livelens.intelligence.price_guardrails import DEFAULT_LOOKBACK

LOOKBACK_DAYS: Final = DEFAULT_LOOKBACK.days  # the price guardrails' window (the recommender's)


class Label(NamedTuple):
    """How a manager names a fact, and how its value reads."""

    zh: str
    en: str
    kind: str  # flag | count | share | ratio | minutes | product | persona | direction | value


FACTS: Final[dict[str, Label]] = {
    "minute": Label("已开播", "On air for", "minutes"),
    "interaction_index": Label("互动为本场平均的", "Interaction vs the session's usual", "ratio"),
    "interaction_peak": Label("互动高峰", "Interaction peak", "flag"),
    "hot_product": Label("爆款商品", "Hot product", "product"),
    "hot_product.stock": Label("爆款商品库存", "Hot product stock", "count"),
    "hot_product.gmv_share": Label("爆款商品 GMV 占比", "Hot product's share of GMV", "share"),
    "pinned_product": Label("讲解中的商品", "Product on screen", "product"),
    "pinned_product.sized": Label("讲解中的商品分尺码", "Product on screen comes in sizes", "flag"),
    "best_persona": Label("本场最受欢迎的形象", "Best-selling persona", "persona"),
    "persona": Label("在播形象", "Persona on air", "persona"),
    "promo_running": Label("促销进行中", "Promotion running", "flag"),
    "online": Label("在线人数", "Viewers online", "count"),
    "conversion_5m": Label("近5分钟转化率", "Conversion in the last 5 minutes", "share"),
    "questions_5m": Label("近5分钟提问数", "Questions in the last 5 minutes", "count"),
    "alert_open": Label("有未关闭的异常告警", "An anomaly alert is open", "flag"),
}
ALERT_METRICS: Final[dict[str, tuple[str, str]]] = {
    "online": ("在线人数", "viewers online"),
    "gmv": ("GMV", "GMV"),
    "conversion": ("转化率", "conversion"),
}
DIRECTIONS: Final[dict[str, tuple[str, str]]] = {
    "above": ("高于预期", "above expected"),
    "below": ("低于预期", "below expected"),
}
OPS: Final = {">": ">", ">=": "≥", "<": "<", "<=": "≤"}
NO_RAISE: Final = (  # the no-raise-then-discount guardrail passed, in words
    f"近{LOOKBACK_DAYS}天未先涨后降",
    f"no raise-then-discount in the last {LOOKBACK_DAYS} days",
)


class UpliftFigure(NamedTuple):
    """The estimate a recommendation quotes (relative changes; 95% interval): the ledger's over
    ``outcomes`` measured outcomes, or the model's (:mod:`livelens.knowledge.uplift_model`) with
    the discount, the product's demand ratio and GMV share, and the earlier sessions behind it."""

    value: float
    low: float
    high: float
    outcomes: int
    percent: float | None = None
    demand_ratio: float | None = None
    share: float | None = None
    sessions: int = 0


@dataclass(frozen=True, slots=True)
class Wording:
    """What the sentences need beyond the item: display names by id, the currency of each product
    (``currency`` for the others), the personas that need no likeness licence (human hosts), and
    the ledger's figure for the uplift item."""

    names: Mapping[str, str] = field(default_factory=dict)
    currency: str = "CNY"
    currencies: Mapping[str, str] = field(default_factory=dict)
    exempt: Collection[str] = ()
    uplift: UpliftFigure | None = None

    @classmethod
    def of(
        cls,
        products: Mapping[str, Product],
        personas: Mapping[str, Persona],
        names: Mapping[str, str],
    ) -> Wording:
        """The catalog's and the registry's names (``names`` first), each product's currency, and
        the personas that need no likeness licence."""
        shown = {p.product_id: p.title for p in products.values()}
        shown |= {p.persona_id: p.display_name for p in personas.values()}
        return cls(
            names=shown | dict(names),
            currencies={p.product_id: p.currency for p in products.values()},
            exempt=frozenset(p.persona_id for p in personas.values() if p.kind in EXEMPT_KINDS),
        )


def worded(check: Mapping[str, Any], wording: Wording) -> dict[str, Any]:
    """The evidence item with its ``zh`` and ``en`` sentences added."""
    zh, en = explain(check, wording)
    return {**check, "zh": zh, "en": en}


def sentences(check: Mapping[str, Any], wording: Wording | None = None) -> tuple[str, str]:
    """The item's ``zh`` and ``en`` as the recommender wrote them; worded now for an item written
    before it did (a ledger entry recorded by an older livelens)."""
    zh, en = check.get("zh"), check.get("en")
    if isinstance(zh, str) and isinstance(en, str) and zh and en:
        return zh, en
    return explain(check, wording)


def explain(check: Mapping[str, Any], wording: Wording | None = None) -> tuple[str, str]:
    """The evidence item in words: (Chinese, English)."""
    wording = wording or Wording()
    kind = check.get("check")
    if kind == "condition":
        fact, op = str(check["fact"]), str(check["op"])
        return condition_text(fact, op, check["value"], check["observed"], wording)
    if kind == "licence":
        return licence_text(check, wording)
    if kind == "price":
        return price_text(check, wording)
    if kind == "uplift":
        return uplift_text(str(check.get("source")), str(check.get("basis", "")), wording.uplift)
    data = ", ".join(f"{k}={v}" for k, v in check.items() if k != "check")
    return f"检查「{kind}」：{data}", f'Check "{kind}": {data}'


# -- conditions ---------------------------------------------------------------------------------


def label_of(fact: str) -> Label | None:
    """The fact's label; None for a fact livelens does not know."""
    if fact in FACTS:
        return FACTS[fact]
    prefix, _, rest = fact.partition(".")
    if prefix == "concern_share" and rest:
        zh, en = CONCERNS.get(rest, (f"「{rest}」", rest))
        return Label(f"{zh}关注占比", f"Share of questions about {en}", "share")
    if prefix == "alert_open" and rest:
        zh, en = ALERT_METRICS.get(rest, (rest, rest))
        return Label(f"{zh}异常告警", f"Open alert on {en}", "direction")
    return None


def _trimmed(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def value_text(value: Any, kind: str, names: Mapping[str, str]) -> tuple[str, str]:
    """A fact's value as it reads: (Chinese, English)."""
    if value is None:
        return "暂无数据", "no data yet"
    if isinstance(value, bool):
        return ("是", "yes") if value else ("否", "no")
    if isinstance(value, str):
        if kind == "direction" and value in DIRECTIONS:
            return DIRECTIONS[value]
        shown = names.get(value, value)
        return shown, shown
    if not isinstance(value, int | float):
        return str(value), str(value)
    if kind == "share":
        shown = f"{_trimmed(value * 100, 1)}%"
        return shown, shown
    if kind == "ratio":
        return f"{_trimmed(value, 3)} 倍", f"{_trimmed(value, 3)}×"
    if kind == "minutes":
        return f"{_trimmed(value, 1)} 分钟", f"{_trimmed(value, 1)} min"
    if kind == "count" and float(value).is_integer():
        return str(int(value)), f"{int(value):,}"
    return _trimmed(value, 3), _trimmed(value, 3)


def condition_text(
    fact: str, op: str, needs: Any, observed: Any, wording: Wording | None = None
) -> tuple[str, str]:
    """The fact, what it was and what the playbook needs: ``价格关注占比 15.5%（条件 ≥ 15%）``."""
    names = (wording or Wording()).names
    label = label_of(fact)
    if label is None:
        kind = "flag" if isinstance(observed, bool) else "value"
        label = Label(f"指标 {fact}", fact, kind)
    seen_zh, seen_en = value_text(observed, label.kind, names)
    want_zh, want_en = value_text(needs, label.kind, names)
    if op in OPS:
        shown = "：" if label.zh.startswith("指标 ") else " "
        return (
            f"{label.zh}{shown}{seen_zh}（条件 {OPS[op]} {want_zh}）",
            f"{label.en}{': ' if shown == '：' else ' '}{seen_en} (needs {OPS[op]} {want_en})",
        )
    negated = op == "!="
    return (
        f"{label.zh}：{seen_zh}（条件：{'不是' if negated else ''}{want_zh}）",
        f"{label.en}: {seen_en} (needs: {'not ' if negated else ''}{want_en})",
    )


# -- licences -----------------------------------------------------------------------------------


def _problems(codes: Collection[str]) -> tuple[str, str]:
    found = [PROBLEMS.get(c, (c, c)) for c in codes]
    return "、".join(zh for zh, _ in found), "; ".join(en for _, en in found)


def licence_text(check: Mapping[str, Any], wording: Wording | None = None) -> tuple[str, str]:
    """``阿强的肖像许可有效（本直播间、平台、品类、时间）``, and who was passed over and why."""
    wording = wording or Wording()
    persona = str(check.get("persona"))
    name = wording.names.get(persona, persona)
    if not check.get("passed", True):
        return f"{name}的肖像许可无效", f"The likeness licence of {name} is not valid"
    if persona in wording.exempt:
        zh = f"{name}是真人主播，无需肖像许可"
        en = f"{name} is a human host: no likeness licence needed"
    else:
        zh = f"{name}的肖像许可有效（本直播间、平台、品类、时间）"
        en = f"The likeness licence of {name} is valid (this room, platform, category and time)"
    for other, codes in sorted((check.get("refused") or {}).items()):
        shown = wording.names.get(other, other)
        why_zh, why_en = _problems(codes)
        zh += f"；{shown}不能上播（{why_zh}），改用{name}"
        en += f"; {shown} may not appear ({why_en}), so {name} instead"
    return zh, en


# -- prices -------------------------------------------------------------------------------------


def money_text(amount_minor: int | float | None, currency: str) -> tuple[str, str]:
    """Money from minor units: ``4990`` → ``49.90 元`` / ``¥49.90`` (CNY)."""
    if amount_minor is None:
        return "—", "—"
    if currency.upper() in ("CNY", "RMB"):
        return f"{say.money(amount_minor, None)} 元", say.money(amount_minor, currency)
    shown = say.money(amount_minor, currency)
    return shown, shown


def _failed_text(
    rail: Mapping[str, Any], check: Mapping[str, Any], currency: str
) -> tuple[str, str]:
    name = str(rail.get("name"))
    price = check.get("new_price_minor", check.get("effective_price_minor"))
    price_zh, price_en = money_text(price, currency)
    if name == "floor_price":
        floor_zh, floor_en = money_text(check.get("floor_price_minor"), currency)
        return f"{price_zh}低于底价 {floor_zh}", f"{price_en} is below the floor {floor_en}"
    if name == "max_discount":
        ceiling = check.get("max_discount_percent")
        if ceiling is None:
            return "折扣超过上限", "the discount is above the maximum"
        top = _trimmed(float(ceiling), 1)
        return f"折扣超过上限 {top}%", f"the discount is above the maximum of {top}%"
    if name == "reference_price":
        ref_zh, ref_en = money_text(check.get("reference_price_minor"), currency)
        return (
            f"划线价 {ref_zh}不是近{LOOKBACK_DAYS}天的真实成交价",
            f"the struck-through price {ref_en} was not paid in the last {LOOKBACK_DAYS} days",
        )
    if name == "no_raise_then_discount":
        return (
            f"近{LOOKBACK_DAYS}天内涨过价，不能再降价（先涨后降）",
            f"the price was raised in the last {LOOKBACK_DAYS} days: no discount after a raise",
        )
    detail = str(rail.get("detail", ""))
    return f"{name}（{detail}）", f"{name} ({detail})"


def price_text(check: Mapping[str, Any], wording: Wording | None = None) -> tuple[str, str]:
    """Every price guardrail passed, with the numbers; or which failed."""
    wording = wording or Wording()
    product = check.get("product")
    currency = wording.currencies.get(product, wording.currency) if product else wording.currency
    shown = wording.names.get(product, product) if isinstance(product, str) else None
    rails = list(check.get("guardrails") or [])
    failed = [r for r in rails if not r.get("passed", True)]
    if failed or not check.get("passed", True):
        reasons = [_failed_text(r, check, currency) for r in failed]
        where_zh, where_en = (f"（「{shown}」）", f' ("{shown}")') if shown else ("", "")
        return (
            f"价格检查未通过{where_zh}：" + ("；".join(zh for zh, _ in reasons) or "原因未记录"),
            f"Price check failed{where_en}: "
            + ("; ".join(en for _, en in reasons) or "no reason recorded"),
        )
    floor_zh, floor_en = money_text(check.get("floor_price_minor"), currency)
    raised_zh, raised_en = NO_RAISE
    if "new_price_minor" in check:
        new_zh, new_en = money_text(check["new_price_minor"], currency)
        off = float(check.get("offered_percent") or 0.0)
        ceiling = _trimmed(float(check.get("max_discount_percent") or 0.0), 1)
        reference = check.get("reference_price_minor")
        if reference is None:
            ref_zh, ref_en = "不显示划线价", "no struck-through price shown"
        else:
            ref_zh, ref_en = money_text(reference, currency)
            ref_zh, ref_en = (
                f"划线价 {ref_zh}为真实成交价",
                f"the struck-through price {ref_en} was really paid",
            )
        return (
            f"价格检查通过：底价 {floor_zh}，折后 {new_zh}（{say.discount_zh(off)}，"
            f"上限 {ceiling}%），{ref_zh}，{raised_zh}",
            f"Price checks passed: floor {floor_en}, {new_en} after {say.discount_en(off)} "
            f"(max {ceiling}%), {ref_en}, {raised_en}",
        )
    after_zh, after_en = money_text(check.get("effective_price_minor"), currency)
    amount_zh, amount_en = money_text(check.get("amount_minor"), currency)
    who_zh, who_en = (f"「{shown}」", f'"{shown}" at ') if shown else ("", "")
    return (
        f"价格检查通过：{who_zh}减 {amount_zh}后 {after_zh}，不低于底价 {floor_zh}，{raised_zh}",
        f"Price checks passed: {who_en}{after_en} after {amount_en} off, not below the floor "
        f"{floor_en}, {raised_en}",
    )


# -- expected uplift ----------------------------------------------------------------------------


def _signed(value: float) -> str:
    return f"{value:+.1%}"


def uplift_text(source: str, basis: str, figure: UpliftFigure | None = None) -> tuple[str, str]:
    """``预期提升：暂无测量（接受后可测量）``, or the ledger's or the model's figure with its
    interval."""
    if source == "unknown":
        return (
            "预期提升：暂无测量（接受后可测量）",
            "Expected uplift: not measured yet (accept it to measure it)",
        )
    if source == "ledger" and figure is not None:
        value, low, high = _signed(figure.value), _signed(figure.low), _signed(figure.high)
        n = figure.outcomes
        return (
            f"预期提升：每分钟 GMV {value}（95% 区间 {low} ~ {high}，"
            f"来自提升台账 {n} 次实测，向零收缩）",
            f"Expected uplift: {value} GMV per minute (95% interval {low} to {high}; "
            f"{n} measured outcome{'s' if n != 1 else ''} in the ledger, shrunk toward no effect)",
        )
    if source == "model" and figure is not None and figure.percent is not None:
        value, low, high = _signed(figure.value), _signed(figure.low), _signed(figure.high)
        ratio, share = figure.demand_ratio or 0.0, figure.share or 0.0
        return (
            f"预期提升：每分钟 GMV {value}（95% 区间 {low} ~ {high}，模型估计："
            f"按本直播间往场 {figure.sessions} 场的价格反应，降价 {figure.percent:.0f}% 时"
            f"该商品订单 ×{ratio:.2f}，其近 10 分钟 GMV 占比 {share:.0%}，其余商品视为不变）",
            f"Expected uplift: {value} GMV per minute (95% interval {low} to {high}; modelled "
            f"from the price response of the room's {figure.sessions} earlier "
            f"session{'s' if figure.sessions != 1 else ''}: {figure.percent:.0f}% off multiplies "
            f"the product's orders by {ratio:.2f}, and it sold {share:.0%} of the GMV of the "
            "last 10 minutes; other products taken as unchanged)",
        )
    if source == "ledger":
        return f"预期提升：来自提升台账（{basis}）", f"Expected uplift: from the ledger ({basis})"
    return f"预期提升：来自{source}（{basis}）", f"Expected uplift: from {source} ({basis})"
