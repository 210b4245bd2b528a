"""The recommender: every minute, the playbooks whose conditions hold become ranked
recommendations — action, target, timing, expected uplift and the evidence chain — unless a
guardrail or a likeness licence forbids them, in which case nothing is emitted for that playbook.

Constraints enforced here, each recorded as a check in the evidence:

* **price** — the price a flash discount, or a coupon / 福袋 worth ``amount_minor``, leaves a
  buyer to pay must pass every BI price guardrail
  (:func:`livelens.intelligence.price_guardrails.check_suggestion`, applied in
  :mod:`livelens.knowledge.price_checks`): the floor price, the maximum discount (the playbook's
  ``max_discount_percent``, at most the BI default), a reference (划线) price that orders really
  paid, and no discount after a raise (先涨后降); a discount the floor cuts below half of what was
  asked is withheld rather than offered as a token;
* **licence** — a persona named by the action must hold a licence valid for this room, platform,
  the product's category and the time (:func:`livelens.governance.licences.licence_problems`); an
  unlicensed best persona is replaced by the next best licensed one, or the action is withheld.

Each evidence item also says itself in words, ``zh`` and ``en``
(:mod:`livelens.knowledge.evidence_text`), beside its data.

Expected uplift comes from the uplift ledger (:mod:`livelens.knowledge.uplift`): measured effects of
the same playbook in past sessions, shrunk toward zero. Where the ledger has none, a price action
(flash discount, or a coupon / 福袋 on a product) takes it from a model
(:mod:`livelens.knowledge.uplift_model`: the discount's effect on the product's GMV from the price
response of the room's earlier sessions, scaled by the product's share of the session's GMV) and
says ``source: "model"``; without either the recommendation says ``source: "unknown"`` and gives no
number.

Pure: the facts, catalog, licences, the room's past and ledger estimates are passed in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import msgspec

from livelens.events.reference import Persona, Product, ReferenceData
from livelens.governance.licences import Appearance, Licence, licence_problems
from livelens.information.metrics import SessionMetrics
from livelens.intelligence.price_guardrails import PriceHistory
from livelens.intelligence.stock import StockMoves
from livelens.knowledge.evidence_text import UpliftFigure, Wording, worded
from livelens.knowledge.facts import AlertSpan, Facts, facts_at
from livelens.knowledge.playbooks import Condition, Playbook
from livelens.knowledge.price_checks import (
    PriceGuard,
    guard_amount,
    guard_discount,
    session_history,
)
from livelens.knowledge.room_past import RoomPast
from livelens.knowledge.uplift import UpliftEstimate
from livelens.knowledge.uplift_model import ModelUplift, discount_uplift, gmv_shares

UPLIFT_METRIC: Final = "gmv_per_minute"


class Uplift(msgspec.Struct, kw_only=True, frozen=True):
    metric: str
    value: float | None  # relative change, e.g. 0.10 for +10%; None when unknown
    low: float | None
    high: float | None
    source: str  # "ledger", "model" or "unknown"
    basis: str  # in words: how many sessions, or why there is no number


class Recommendation(msgspec.Struct, kw_only=True, frozen=True):
    recommendation_id: str
    session_id: str
    room_id: str
    playbook: str  # id@vN
    priority: int
    minute: int
    start: datetime
    action: str
    target: dict[str, Any]
    duration_s: int
    expected_uplift: Uplift
    evidence: list[dict[str, Any]]
    text_zh: str
    text_en: str


class Withheld(msgspec.Struct, kw_only=True, frozen=True):
    """A playbook that fired but whose action broke a constraint: recorded, never emitted."""

    playbook: str
    minute: int
    reason: str


class Replay(msgspec.Struct, kw_only=True, frozen=True):
    recommendations: list[Recommendation]
    withheld: list[Withheld]


def holds(condition: Condition, facts: Facts) -> bool:
    """Whether the condition holds; a fact that is absent (no data yet) never holds."""
    if condition.fact not in facts or facts[condition.fact] is None:
        return False
    value, target = facts[condition.fact], condition.value
    if condition.op in ("==", "!="):
        return (value == target) is (condition.op == "==")
    if isinstance(value, bool) or isinstance(target, bool | str) or isinstance(value, str):
        return False  # ordering makes no sense on flags and names
    compare: dict[str, Callable[[float, float], bool]] = {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return compare[condition.op](float(value), float(target))


class Context(msgspec.Struct, kw_only=True, frozen=True):
    """What the recommender needs beyond the facts: catalog, licences, prices, the room's earlier
    sessions (price histories and price responses), the ledger."""

    room_id: str
    platform: str
    session_id: str
    started_at: datetime
    products: dict[str, Product]
    personas: dict[str, Persona]
    licences: dict[str, Licence]
    prices: dict[str, list[tuple[int, int]]]  # product -> [(minute, price_minor)] in order
    uplift: dict[str, UpliftEstimate]  # playbook id -> ledger estimate
    paid: dict[str, list[tuple[int, int]]] = {}  # product -> [(minute, unit price paid)]
    past: RoomPast = RoomPast()
    # the session's stock.set and order.paid so far (the live adds to it as batches arrive);
    # empty: every product has its catalog stock
    stock: StockMoves = msgspec.field(default_factory=StockMoves)

    def price_at(self, product_id: str, minute: int) -> int:
        current = self.products[product_id].list_price_minor
        for at, price in self.prices.get(product_id, []):
            if at <= minute:
                current = price
        return current

    def history(self, product_id: str) -> PriceHistory:
        """The product's price history: the room's earlier sessions', then this session's (list
        price, live prices, paid prices)."""
        return session_history(
            self.products[product_id],
            self.started_at,
            self.prices.get(product_id, []),
            self.paid.get(product_id, []),
            self.past.prices.get(product_id),
        )


def _product(playbook: Playbook, facts: Facts) -> str | None:
    name = playbook.action.product
    if name is None:
        return None
    return facts.get(name) if name in ("hot_product", "pinned_product") else name


def _licensed(persona_id: str, context: Context, at: datetime, category: str | None) -> list[str]:
    appearance = Appearance(
        persona_id=persona_id,
        room_id=context.room_id,
        platform=context.platform,
        at=at,
        category=category,
    )
    return licence_problems(appearance, context.personas, context.licences)


def _persona(
    playbook: Playbook,
    facts: Facts,
    context: Context,
    at: datetime,
    category: str | None,
    ranked: Sequence[str],
) -> tuple[str | None, dict[str, Any] | None, str | None]:
    """(persona, licence check, reason withheld)."""
    name = playbook.action.persona
    if name is None:
        return None, None, None
    wanted = facts.get("best_persona") if name == "best_persona" else name
    candidates = (
        [wanted] if name != "best_persona" else [wanted, *[p for p in ranked if p != wanted]]
    )
    refused: dict[str, list[str]] = {}
    for candidate in candidates:
        if candidate is None:
            continue
        problems = _licensed(candidate, context, at, category)
        if not problems:
            check = {"check": "licence", "persona": candidate, "passed": True, "refused": refused}
            return candidate, check, None
        refused[candidate] = problems
    listed = "; ".join(f"{p}: {', '.join(refused[p])}" for p in sorted(refused))
    reason = f"no licensed persona ({listed})" if refused else "no persona to put on air yet"
    return None, None, reason


def _guard_price(
    playbook: Playbook, product: Product | None, context: Context, minute: int, at: datetime
) -> tuple[list[PriceGuard], dict[str, Any]]:
    """The price guardrails of the action (none when it sets no price), and what it adds to the
    target: a flash discount's percent, price and reference price. A coupon or 福袋 without a
    product can be used on any product in the catalog: each is checked."""
    action = playbook.action
    if action.kind == "flash_discount" and product is not None:
        history = context.history(product.product_id)
        current = context.price_at(product.product_id, minute)
        guard, offered = guard_discount(playbook, product, current, history, at)
        if offered is None:
            return [guard], {}
        added: dict[str, Any] = {
            "percent": offered,
            "price_minor": guard.evidence["new_price_minor"],
        }
        if guard.evidence["reference_price_minor"] is not None:
            added["reference_price_minor"] = guard.evidence["reference_price_minor"]
        return [guard], added
    if action.kind in ("coupon_drop", "lucky_bag") and action.amount_minor is not None:
        usable = [product] if product is not None else list(context.products.values())
        guards = [
            guard_amount(
                playbook,
                p,
                context.price_at(p.product_id, minute),
                context.history(p.product_id),
                at,
            )
            for p in usable
        ]
        return guards, {}  # the amount goes into the target below, as for any action
    return [], {}


def _modelled(
    playbook: Playbook,
    product: Product | None,
    target: Mapping[str, Any],
    context: Context,
    minute: int,
    shares: Mapping[str, float],
) -> ModelUplift | None:
    """The model's uplift of a priced action on one product, where the room's past supports it."""
    if product is None:
        return None
    response = context.past.responses.get(product.product_id)
    if response is None:
        return None
    percent = target.get("percent")
    amount = playbook.action.amount_minor
    if playbook.action.kind in ("coupon_drop", "lucky_bag") and amount is not None:
        current = context.price_at(product.product_id, minute)
        percent = 100.0 * amount / current if current > 0 else None
    if not isinstance(percent, float | int):
        return None
    share = shares.get(product.product_id, 0.0)
    return discount_uplift(response, float(percent), share, len(context.past.session_ids))


def _model_basis(model: ModelUplift) -> str:
    return (
        f"model: price response of {model.scope} over the room's {model.sessions} earlier "
        f"session(s): {model.percent:.0f}% off multiplies its orders by "
        f"{model.demand_ratio:.2f}; it sold {model.share:.0%} of the session's GMV in the last "
        "10 minutes; other products taken as unchanged"
    )


def _uplift(playbook: Playbook, context: Context, model: ModelUplift | None = None) -> Uplift:
    """The ledger's estimate where it has measured the playbook, else the model's, else none."""
    estimate = context.uplift.get(playbook.id)
    if estimate is not None and estimate.outcomes > 0:
        return Uplift(
            metric=UPLIFT_METRIC,
            value=round(estimate.mean, 4),
            low=round(estimate.low, 4),
            high=round(estimate.high, 4),
            source="ledger",
            basis=f"{estimate.outcomes} measured outcome(s), shrunk toward no effect",
        )
    if model is not None:
        return Uplift(
            metric=UPLIFT_METRIC,
            value=round(model.value, 4),
            low=round(model.low, 4),
            high=round(model.high, 4),
            source="model",
            basis=_model_basis(model),
        )
    return Uplift(
        metric=UPLIFT_METRIC,
        value=None,
        low=None,
        high=None,
        source="unknown",
        basis=(
            "no measured outcome of this playbook yet, and no model for its action: "
            "accept it and measure it"
        ),
    )


def _texts(playbook: Playbook, target: dict[str, Any], names: Mapping[str, str]) -> tuple[str, str]:
    product = names.get(target.get("product") or "", target.get("product") or "")
    persona = names.get(target.get("persona") or "", target.get("persona") or "")
    percent = f"{target['percent']:.0f}" if "percent" in target else ""
    minutes = f"{playbook.action.duration_s // 60}"
    script = playbook.action.script
    zh_base, en_base = playbook.title.zh, playbook.title.en
    if script is not None:
        values = {"product": product, "persona": persona, "percent": percent, "minutes": minutes}
        return script.zh.format(**values), script.en.format(**values)
    return f"{zh_base}：{product or persona}", f"{en_base}: {product or persona}"


def _figure(
    playbook: Playbook, uplift: Uplift, context: Context, model: ModelUplift | None
) -> UpliftFigure | None:
    """The figure the uplift evidence quotes (rounded as the recommendation quotes it): the
    ledger's, or the model's with its parts."""
    if uplift.value is None or uplift.low is None or uplift.high is None:
        return None
    if uplift.source == "model" and model is not None:
        return UpliftFigure(
            uplift.value,
            uplift.low,
            uplift.high,
            0,
            percent=model.percent,
            demand_ratio=model.demand_ratio,
            share=model.share,
            sessions=model.sessions,
        )
    estimate = context.uplift.get(playbook.id)
    if estimate is None:
        return None
    return UpliftFigure(uplift.value, uplift.low, uplift.high, estimate.outcomes)


def recommend_at(
    playbooks: Sequence[Playbook],
    facts: Facts,
    context: Context,
    ranked_personas: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
    shares: Mapping[str, float] | None = None,
) -> tuple[list[Recommendation], list[Withheld]]:
    """The recommendations of one minute, highest priority first, and what was withheld.
    ``shares``: each product's share of the session's recent GMV
    (:func:`~livelens.knowledge.uplift_model.gmv_shares`), for the model's uplift."""
    minute = int(facts["minute"])
    at = context.started_at + timedelta(minutes=minute)
    made: list[Recommendation] = []
    withheld: list[Withheld] = []
    wording = Wording.of(context.products, context.personas, names or {})
    for playbook in playbooks:
        if not playbook.enabled or not all(holds(c, facts) for c in playbook.when):
            continue
        evidence: list[dict[str, Any]] = [
            {
                "check": "condition",
                "fact": c.fact,
                "op": c.op,
                "value": c.value,
                "observed": facts.get(c.fact),
            }
            for c in playbook.when
        ]
        target: dict[str, Any] = {}
        product_id = _product(playbook, facts)
        product = context.products.get(product_id) if product_id else None
        if playbook.action.product is not None:
            if product is None:
                withheld.append(
                    Withheld(
                        playbook=playbook.key,
                        minute=minute,
                        reason=f"no such product {product_id!r} in the catalog",
                    )
                )
                continue
            target["product"] = product.product_id
        persona, licence_check, reason = _persona(
            playbook, facts, context, at, product.category if product else None, ranked_personas
        )
        if reason is not None:
            withheld.append(Withheld(playbook=playbook.key, minute=minute, reason=reason))
            continue
        if playbook.action.kind == "switch_persona" and persona == facts.get("persona"):
            continue  # already on air: nothing to do
        if persona is not None and licence_check is not None:
            target["persona"] = persona
            evidence.append(licence_check)
        guards, priced = _guard_price(playbook, product, context, minute, at)
        evidence.extend(g.evidence for g in guards)
        refused = next((g.reason for g in guards if g.reason is not None), None)
        if refused is not None:
            withheld.append(Withheld(playbook=playbook.key, minute=minute, reason=refused))
            continue
        target.update(priced)
        if playbook.action.amount_minor is not None:
            target["amount_minor"] = playbook.action.amount_minor
        model = _modelled(playbook, product, target, context, minute, shares or {})
        uplift = _uplift(playbook, context, model)
        evidence.append({"check": "uplift", "source": uplift.source, "basis": uplift.basis})
        said = dataclasses.replace(
            wording,
            currency=product.currency if product is not None else wording.currency,
            uplift=_figure(playbook, uplift, context, model),
        )
        evidence = [worded(item, said) for item in evidence]
        text_zh, text_en = _texts(playbook, target, names or {})
        made.append(
            Recommendation(
                recommendation_id=f"{context.session_id}:{playbook.id}:{minute}",
                session_id=context.session_id,
                room_id=context.room_id,
                playbook=playbook.key,
                priority=playbook.priority,
                minute=minute,
                start=at,
                action=playbook.action.kind,
                target=target,
                duration_s=playbook.action.duration_s,
                expected_uplift=uplift,
                evidence=evidence,
                text_zh=text_zh,
                text_en=text_en,
            )
        )
    made.sort(key=lambda r: (-r.priority, r.playbook))
    return made, withheld


def _ranked_personas(metrics: SessionMetrics, t: int) -> list[str]:
    minutes: dict[str, int] = {}
    gmv: dict[str, int] = {}
    for persona, value in zip(
        metrics.series.persona[: t + 1], metrics.series.gmv_minor, strict=False
    ):
        if persona is not None:
            minutes[persona] = minutes.get(persona, 0) + 1
            gmv[persona] = gmv.get(persona, 0) + value
    return sorted(minutes, key=lambda p: (-gmv[p] / minutes[p], p))


def replay_session(
    playbooks: Sequence[Playbook],
    metrics: SessionMetrics,
    reference: ReferenceData,
    context: Context,
    names: Mapping[str, str] | None = None,
    alerts: Sequence[AlertSpan] = (),
) -> Replay:
    """Evaluate the playbooks every minute of a session, as the live would have, with cooldowns:
    a playbook that fired does not fire again in the same session for ``cooldown_minutes``.
    Each withheld playbook is listed once per reason, at the first minute it was withheld.
    ``alerts``: the session's anomaly alerts as the live knew them (the ``alert_open`` facts)."""
    last_fired: dict[str, int] = {}
    emitted: list[Recommendation] = []
    withheld: list[Withheld] = []
    for t in range(metrics.minutes):
        ready = [
            p
            for p in playbooks
            if p.id not in last_fired or t - last_fired[p.id] >= max(1, p.cooldown_minutes)
        ]
        if not ready:
            continue
        facts = facts_at(metrics, t, reference, alerts, stock=context.stock)
        made, refused = recommend_at(
            ready, facts, context, _ranked_personas(metrics, t), names, gmv_shares(metrics, t)
        )
        for recommendation in made:
            last_fired[recommendation.playbook.split("@")[0]] = t
        emitted.extend(made)
        seen = {(w.playbook, w.reason) for w in withheld}
        withheld.extend(w for w in refused if (w.playbook, w.reason) not in seen)
    return Replay(recommendations=emitted, withheld=withheld)
