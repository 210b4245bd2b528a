"""The recommender on simulated sessions whose interaction peak and hot product are known, and
the two constraints no recommendation may break: the price guardrails and likeness licences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livelens.comments.analyze import CommentAnalyzer
from livelens.events.columns import events_to_table
from livelens.events.reference import Persona, Product, ReferenceData
from livelens.events.schema import Event
from livelens.governance.licences import Appearance, Licence, licence_problems
from livelens.information.compute import compute_session_metrics
from livelens.information.metrics import SessionMetrics
from livelens.intelligence.stock import StockMoves
from livelens.knowledge.playbooks import starter_playbooks
from livelens.knowledge.recommender import Context, recommend_at, replay_session
from livelens.knowledge.uplift import UpliftEstimate
from livelens.sources.simulation.config import SimulationConfig
from livelens.sources.simulation.licences import simulated_licences
from livelens.sources.simulation.truth import GroundTruth
from livelens.sources.simulator import build_session
from livelens.testing import DISCOUNT_FACTS, discount_playbook, make_event

# (seed, planted interaction peak): the default early peak, and later ones
SESSIONS = ((1, None), (2, None), (3, None), (4, (30, 42)), (5, (35, 47)))


@dataclass(frozen=True)
class Simulated:
    metrics: SessionMetrics
    reference: ReferenceData
    truth: GroundTruth


def context_for(
    sim: Simulated, licences: list[Licence] | None = None, **changes: object
) -> Context:
    metrics = sim.metrics
    found = (
        simulated_licences(sim.reference.personas, metrics.started_at)
        if licences is None
        else licences
    )
    context = Context(
        room_id=metrics.room_id,
        platform=metrics.platform,
        session_id=metrics.session_id,
        started_at=metrics.started_at,
        products={p.product_id: p for p in sim.reference.products},
        personas={p.persona_id: p for p in sim.reference.personas},
        licences={lic.licence_id: lic for lic in found},
        prices={},
        uplift={},
    )
    return msgspec.structs.replace(context, **changes) if changes else context


@pytest.fixture(scope="module")
def sessions() -> list[Simulated]:
    found = []
    for seed, peak in SESSIONS:
        config = SimulationConfig(minutes=60, peak_viewers=600, seed=seed, peak_window=peak)
        session = build_session(config)
        names = [p.title for p in session.reference.products]
        metrics = compute_session_metrics(
            events_to_table(list(session.events())), comment_intents=CommentAnalyzer(names).intents
        )
        found.append(Simulated(metrics, session.reference, session.truth))
    return found


def test_the_peak_recommendation_fires_inside_the_peak_for_the_hot_product(
    sessions: list[Simulated],
) -> None:
    for sim in sessions:
        replay = replay_session(starter_playbooks(), sim.metrics, sim.reference, context_for(sim))
        peak = sim.truth.peak_window
        discounts = [
            r for r in replay.recommendations if r.playbook.startswith("peak-flash-discount")
        ]
        print(sim.truth.session_id, peak, [(r.minute, r.target) for r in discounts])
        assert discounts, (sim.truth.session_id, replay.withheld)
        first = discounts[0]
        assert peak.start_minute <= first.minute < peak.end_minute
        assert first.target["product"] == sim.truth.hot_product_id
        assert first.expected_uplift.source == "unknown"
        assert first.expected_uplift.value is None  # no ledger yet: no number, said so
        checks = {e["check"] for e in first.evidence}
        assert {"condition", "price", "licence", "uplift"} <= checks
        for made in replay.recommendations:  # every item says itself in both languages
            for item in made.evidence:
                for language in ("zh", "en"):
                    assert isinstance(item[language], str), item
                    assert item[language].strip(), item
        price = next(e for e in first.evidence if e["check"] == "price")
        assert price["zh"].startswith("价格检查通过：底价 ")
        assert first.evidence[-1]["zh"] == "预期提升：暂无测量（接受后可测量）"


def test_no_flash_discount_while_a_stock_set_leaves_too_few_units(
    sessions: list[Simulated],
) -> None:
    """``peak-flash-discount`` wants more than 100 units of the hot product on hand: a
    ``stock.set`` to 60 before the peak holds it back until a restock to 500."""
    sim = sessions[3]  # its planted peak: minutes 30-41
    hot = sim.truth.hot_product_id

    def discounts(context: Context) -> list[int]:
        replay = replay_session(starter_playbooks(), sim.metrics, sim.reference, context)
        return [r.minute for r in replay.recommendations if r.action == "flash_discount"]

    assert discounts(context_for(sim)) == [30]  # at the peak's start, with the catalog's stock
    low = StockMoves()
    minute = sim.metrics.started_at.replace(second=0, microsecond=0)
    low.add(events_to_table([stock_set(sim, hot, minute + timedelta(minutes=20), 60)]))
    assert discounts(context_for(sim, stock=low)) == []
    low.add(events_to_table([stock_set(sim, hot, minute + timedelta(minutes=36), 500)]))
    restocked = discounts(context_for(sim, stock=low))
    assert restocked, "the peak lasts past the restock"
    assert 36 <= restocked[0] < 42, restocked


def stock_set(sim: Simulated, product_id: str, at: datetime, level: int) -> Event:
    return make_event(
        "stock.set",
        event_id=f"stock-{level}",
        ts=at.isoformat(),
        room_id=sim.metrics.room_id,
        session_id=sim.metrics.session_id,
        platform=sim.metrics.platform,
        product_id=product_id,
        stock=level,
    )


def test_cooldowns_and_ranking(sessions: list[Simulated]) -> None:
    sim = sessions[0]
    replay = replay_session(starter_playbooks(), sim.metrics, sim.reference, context_for(sim))
    by_playbook: dict[str, list[int]] = {}
    for r in replay.recommendations:
        by_playbook.setdefault(r.playbook, []).append(r.minute)
    library = {p.key: p for p in starter_playbooks()}
    for key, minutes in by_playbook.items():
        gaps = [b - a for a, b in pairwise(minutes)]
        assert all(gap >= library[key].cooldown_minutes for gap in gaps), (key, minutes)
    same_minute = [
        r for r in replay.recommendations if r.minute == replay.recommendations[0].minute
    ]
    assert [r.priority for r in same_minute] == sorted(
        (r.priority for r in same_minute), reverse=True
    )


def test_the_ledger_estimate_is_quoted_with_its_source(sessions: list[Simulated]) -> None:
    sim = sessions[0]
    estimate = UpliftEstimate(
        playbook_id="peak-flash-discount", outcomes=4, mean=0.08, low=0.01, high=0.15, retire=False
    )
    context = context_for(sim, uplift={"peak-flash-discount": estimate})
    replay = replay_session(starter_playbooks(), sim.metrics, sim.reference, context)
    first = next(r for r in replay.recommendations if r.playbook.startswith("peak-flash-discount"))
    uplift = first.expected_uplift
    assert (uplift.source, uplift.value, uplift.low, uplift.high) == ("ledger", 0.08, 0.01, 0.15)
    assert "4 measured outcome(s)" in uplift.basis
    said = next(e for e in first.evidence if e["check"] == "uplift")
    assert said["zh"].startswith("预期提升：每分钟 GMV +8.0%（95% 区间 +1.0% ~ +15.0%，")
    assert "4 measured outcomes in the ledger" in said["en"]


def test_without_licences_no_persona_is_put_forward(sessions: list[Simulated]) -> None:
    sim = sessions[0]
    replay = replay_session(
        starter_playbooks(), sim.metrics, sim.reference, context_for(sim, licences=[])
    )
    assert not [r for r in replay.recommendations if "persona" in r.target]
    reasons = {w.playbook.split("@")[0]: w.reason for w in replay.withheld}
    assert "licence_not_found" in reasons["peak-flash-discount"]


def test_a_revoked_best_persona_is_replaced_by_a_licensed_one(sessions: list[Simulated]) -> None:
    sim = sessions[0]
    licences = simulated_licences(sim.reference.personas, sim.metrics.started_at)
    replay = replay_session(starter_playbooks(), sim.metrics, sim.reference, context_for(sim))
    best = next(r for r in replay.recommendations if "persona" in r.target).target["persona"]
    revoked_id = next(p.licence_id for p in sim.reference.personas if p.persona_id == best)
    at = sim.metrics.started_at - timedelta(days=1)
    changed = [
        msgspec.structs.replace(lic, revoked_at=at) if lic.licence_id == revoked_id else lic
        for lic in licences
    ]
    again = replay_session(
        starter_playbooks(), sim.metrics, sim.reference, context_for(sim, licences=changed)
    )
    put_forward = {r.target["persona"] for r in again.recommendations if "persona" in r.target}
    assert put_forward
    assert best not in put_forward


DISCOUNT = discount_playbook()
START = datetime(2026, 11, 11, 12, tzinfo=UTC)


def _raised_before(list_price: int, changes: list[tuple[int, int]], minute: int) -> bool:
    """Whether the live price rose at any step up to ``minute``, from the opening price on: the
    list price, unless a change in minute 0 sets the opening price (changes are in order)."""
    opening = [] if changes and changes[0][0] == 0 else [list_price]
    live = [*opening, *(price for at, price in changes if at <= minute)]
    return any(after > before for before, after in pairwise(live))


@settings(max_examples=300, deadline=None)
@given(
    list_price=st.integers(min_value=100, max_value=1_000_000),
    floor_share=st.floats(min_value=0.0, max_value=1.0),
    changes=st.lists(
        st.tuples(st.integers(0, 8), st.floats(min_value=0.5, max_value=1.3)), max_size=4
    ),
    paid=st.lists(
        st.tuples(st.integers(0, 8), st.floats(min_value=0.5, max_value=1.3)), max_size=4
    ),
    percent=st.floats(min_value=0.5, max_value=25.0),
    coupon_share=st.one_of(st.none(), st.floats(min_value=0.001, max_value=0.6)),
    valid=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_no_emitted_recommendation_breaks_a_price_guardrail_or_a_licence(
    list_price: int,
    floor_share: float,
    changes: list[tuple[int, float]],
    paid: list[tuple[int, float]],
    percent: float,
    coupon_share: float | None,
    valid: list[bool],
) -> None:
    """Flash discounts and coupons over live prices that may rise and fall (先涨后降 included) and
    orders paid at any of them: whatever is emitted passes all four BI price guardrails, checked
    here from the history itself, and puts only a licensed persona on air."""
    floor = int(list_price * floor_share)
    product = Product(
        product_id="p1",
        title="T",
        category="服饰",
        list_price_minor=list_price,
        floor_price_minor=floor,
    )
    personas = [
        Persona(persona_id=f"p-{i}", display_name=f"P{i}", licence_id=f"lic-{i}") for i in range(3)
    ]
    licences = simulated_licences(personas, START)
    licences = [
        lic if ok else msgspec.structs.replace(lic, revoked_at=START - timedelta(days=1))
        for lic, ok in zip(licences, valid, strict=True)
    ]
    live = sorted(
        ((at, max(floor, int(list_price * share))) for at, share in changes), key=lambda c: c[0]
    )
    bought = sorted((at, max(1, int(list_price * share))) for at, share in paid)
    context = Context(
        room_id="r",
        platform="sim",
        session_id="s",
        started_at=START,
        products={"p1": product},
        personas={p.persona_id: p for p in personas},
        licences={lic.licence_id: lic for lic in licences},
        prices={"p1": live},
        paid={"p1": bought},
        uplift={},
    )
    if coupon_share is None:
        action = msgspec.structs.replace(DISCOUNT.action, percent=percent)
    else:
        amount = max(1, int(list_price * coupon_share))
        action = msgspec.structs.replace(
            DISCOUNT.action, kind="coupon_drop", percent=None, amount_minor=amount
        )
    playbook = msgspec.structs.replace(DISCOUNT, action=action)
    minute = 5
    facts = {"minute": minute, "best_persona": "p-0", "persona": None}
    made, withheld = recommend_at([playbook], facts, context, ranked_personas=["p-0", "p-1", "p-2"])
    assert len(made) + len(withheld) == 1
    current = ([list_price] + [price for at, price in live if at <= minute])[-1]
    paid_by_now = {price for at, price in bought if at <= minute}
    for r in made:
        if coupon_share is None:
            price = r.target["price_minor"]
            assert r.target["percent"] <= min(percent, playbook.max_discount_percent)
            assert price == round(current * (1 - r.target["percent"] / 100))
        else:
            price = current - r.target["amount_minor"]
        reference = r.target.get("reference_price_minor")
        base = current if reference is None else reference
        assert price >= floor  # floor_price
        assert 100 * (1 - price / base) <= playbook.max_discount_percent + 1e-9  # max_discount
        assert reference is None or reference in paid_by_now  # reference_price: really paid
        assert not (price < current and _raised_before(list_price, live, minute))  # 先涨后降
        price_checks = [e for e in r.evidence if e["check"] == "price"]
        assert price_checks
        assert all(g["passed"] for e in price_checks for g in e["guardrails"])
        assert {g["name"] for g in price_checks[0]["guardrails"]} == {
            "floor_price",
            "max_discount",
            "reference_price",
            "no_raise_then_discount",
        }
        appearance = Appearance(
            persona_id=r.target["persona"], room_id="r", platform="sim", at=r.start, category="服饰"
        )
        assert licence_problems(appearance, context.personas, context.licences) == []
    if not any(valid):
        assert not made
    if _raised_before(list_price, live, minute):
        assert not made  # every discount and coupon is a cut: none after a raise


def _one_product_context(
    *, list_price: int = 10_000, floor: int = 6_000, **changes: object
) -> Context:
    product = Product(
        product_id="p1",
        title="T",
        category="服饰",
        list_price_minor=list_price,
        floor_price_minor=floor,
    )
    personas = [Persona(persona_id="p-0", display_name="P0", licence_id="lic-0")]
    context = Context(
        room_id="r",
        platform="sim",
        session_id="s",
        started_at=START,
        products={"p1": product},
        personas={"p-0": personas[0]},
        licences={lic.licence_id: lic for lic in simulated_licences(personas, START)},
        prices={},
        uplift={},
    )
    return msgspec.structs.replace(context, **changes) if changes else context


FACTS = DISCOUNT_FACTS


def test_a_discount_after_a_raise_is_withheld() -> None:
    """先涨后降: the price went up from 9000 to 10000 at minute 2; a 10% cut at minute 5 would land
    above the floor and within the maximum, and is still withheld, with the raise as the reason."""
    playbook = msgspec.structs.replace(
        DISCOUNT, action=msgspec.structs.replace(DISCOUNT.action, percent=10)
    )
    context = _one_product_context(prices={"p1": [(0, 9_000), (2, 10_000)]})
    made, withheld = recommend_at([playbook], FACTS, context, ranked_personas=["p-0"])
    assert made == []
    assert "no_raise_then_discount" in withheld[0].reason
    assert "9000 → 10000" in withheld[0].reason
    steady = _one_product_context(prices={"p1": [(0, 10_000)]})
    made, _ = recommend_at([playbook], FACTS, steady, ranked_personas=["p-0"])
    assert [r.target["price_minor"] for r in made] == [9_000]


def test_the_struck_through_price_is_one_that_orders_paid() -> None:
    """The reference (划线) price a flash discount shows is the highest unit price orders paid so
    far that is not above the current price; with no orders it shows none."""
    playbook = msgspec.structs.replace(
        DISCOUNT, action=msgspec.structs.replace(DISCOUNT.action, percent=10)
    )
    paid = {"p1": [(1, 9_500), (2, 10_000), (7, 10_000)]}  # minute 7 is after the decision
    context = _one_product_context(prices={"p1": [(0, 9_800)]}, paid=paid)
    made, _ = recommend_at([playbook], FACTS, context, ranked_personas=["p-0"])
    assert made[0].target["reference_price_minor"] == 9_500
    price = next(e for e in made[0].evidence if e["check"] == "price")
    reference = next(g for g in price["guardrails"] if g["name"] == "reference_price")
    assert reference["passed"]
    assert "9500" in reference["detail"]
    unpaid = _one_product_context(prices={"p1": [(0, 9_800)]})
    made, _ = recommend_at([playbook], FACTS, unpaid, ranked_personas=["p-0"])
    assert "reference_price_minor" not in made[0].target


@pytest.mark.parametrize("kind", ["coupon_drop", "lucky_bag"])
@pytest.mark.parametrize("product", ["p1", None])
def test_a_coupon_or_lucky_bag_below_the_floor_is_withheld(kind: str, product: str | None) -> None:
    """A 2000 coupon on a 7000 price leaves 5000, below the 6000 floor: withheld; 500 is fine.
    Without a product the coupon can be used on anything in the catalog: each is checked."""
    context = _one_product_context(prices={"p1": [(0, 7_000)]})
    for amount, emitted in ((2_000, False), (500, True)):
        action = msgspec.structs.replace(
            DISCOUNT.action, kind=kind, product=product, percent=None, amount_minor=amount
        )
        playbook = msgspec.structs.replace(DISCOUNT, action=action)
        made, withheld = recommend_at([playbook], FACTS, context, ranked_personas=["p-0"])
        assert bool(made) is emitted
        if emitted:
            price = next(e for e in made[0].evidence if e["check"] == "price")
            assert (price["effective_price_minor"], price["passed"]) == (6_500, True)
        else:
            assert "p1: price guardrail fails: floor_price (price 5000 vs floor 6000)" in (
                withheld[0].reason
            )
