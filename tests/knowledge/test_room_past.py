"""The room's past in the recommender: earlier sessions' prices for the guardrails, and their price
response for the model's expected uplift where the ledger has measured nothing."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from livelens.events.columns import events_to_table
from livelens.events.reference import Persona, Product
from livelens.information.compute import compute_session_metrics
from livelens.intelligence.elasticity import (
    PRICE_RESPONSE_TYPES,
    Estimate,
    PriceResponse,
    estimate_price_response,
)
from livelens.intelligence.price_guardrails import PriceHistory, PricePoint
from livelens.knowledge.recommender import Context, recommend_at
from livelens.knowledge.replay import read_room_past
from livelens.knowledge.room_past import RoomPast, room_past
from livelens.knowledge.uplift import UpliftEstimate
from livelens.knowledge.uplift_model import discount_uplift, gmv_shares
from livelens.sources.simulation.config import DEFAULT_START, SimulationConfig
from livelens.sources.simulation.licences import simulated_licences
from livelens.sources.simulator import build_session
from livelens.store.duckdb import DuckDBStore
from livelens.testing import DISCOUNT_FACTS, discount_playbook, make_event

START = datetime(2026, 11, 11, 12, tzinfo=UTC)
DISCOUNT = discount_playbook()
FACTS = DISCOUNT_FACTS
PRODUCT = Product(
    product_id="p1", title="T", category="服饰", list_price_minor=10_000, floor_price_minor=6_000
)
# elasticity -3 (95%: -5 … -1): 20% off multiplies orders by 0.8^-3 = 1.953125
RESPONSE = PriceResponse(
    scope="category:服饰",
    status="ok",
    reason=None,
    minutes=120,
    orders=300,
    price_changes=0,
    promos=6,
    discount_elasticity=Estimate(value=-3.0, low=-5.0, high=-1.0),
)


def _context(**changes: object) -> Context:
    personas = [Persona(persona_id="p-0", display_name="P0", licence_id="lic-0")]
    context = Context(
        room_id="r",
        platform="sim",
        session_id="s",
        started_at=START,
        products={"p1": PRODUCT},
        personas={"p-0": personas[0]},
        licences={lic.licence_id: lic for lic in simulated_licences(personas, START)},
        prices={"p1": [(0, 10_000)]},
        uplift={},
    )
    return msgspec.structs.replace(context, **changes) if changes else context


def test_the_model_uplift_scales_the_products_gmv_change_by_its_share() -> None:
    """g = r·(1 − p) − 1 with r = 0.8^ε: 1.953125·0.8 − 1 = 0.5625 (ε = −3); the ends from
    ε = −1 (1.25·0.8 − 1 = 0) and ε = −5 (0.8^−5·0.8 − 1 = 1.44140625); times the share 0.4."""
    found = discount_uplift(RESPONSE, 20.0, 0.4, 3)
    assert found is not None
    assert found.value == pytest.approx(0.4 * 0.5625)
    assert found.low == pytest.approx(0.0, abs=1e-12)
    assert found.high == pytest.approx(0.4 * 1.44140625)
    assert found.demand_ratio == pytest.approx(1.953125)
    assert discount_uplift(RESPONSE, 20.0, 0.0, 3) is None  # nothing sold: nothing to scale
    unsupported = msgspec.structs.replace(RESPONSE, discount_elasticity=None)
    assert discount_uplift(unsupported, 20.0, 0.4, 3) is None


def test_a_discount_without_ledger_outcomes_quotes_the_model_and_says_so() -> None:
    past = RoomPast(session_ids=("a", "b"), responses={"p1": RESPONSE})
    made, _ = recommend_at(
        [DISCOUNT], FACTS, _context(past=past), ranked_personas=["p-0"], shares={"p1": 0.4}
    )
    uplift = made[0].expected_uplift
    assert uplift.source == "model"
    assert uplift.value == pytest.approx(round(0.4 * 0.5625, 4))
    assert (uplift.low, uplift.high) == (0.0, round(0.4 * 1.44140625, 4))
    assert "2 earlier session(s)" in uplift.basis
    said = next(e for e in made[0].evidence if e["check"] == "uplift")
    assert "模型估计" in said["zh"]
    assert "+22.5%" in said["zh"]
    assert "orders by 1.95" in said["en"]
    # measured outcomes win over the model
    ledger = {
        "any-discount": UpliftEstimate(
            playbook_id="any-discount", outcomes=2, mean=0.05, low=-0.02, high=0.12, retire=False
        )
    }
    made, _ = recommend_at(
        [DISCOUNT], FACTS, _context(past=past, uplift=ledger), ["p-0"], shares={"p1": 0.4}
    )
    assert made[0].expected_uplift.source == "ledger"
    # no past, or a product that sold nothing lately: unknown, no number
    for context, shares in ((_context(), {"p1": 0.4}), (_context(past=past), {})):
        made, _ = recommend_at([DISCOUNT], FACTS, context, ["p-0"], shares=shares)
        assert (made[0].expected_uplift.source, made[0].expected_uplift.value) == ("unknown", None)


def test_a_raise_in_an_earlier_session_withholds_the_discount() -> None:
    """先涨后降 across sessions: the room sold at 9000 two days ago and opens at 10000 now."""
    two_days_ago = START - timedelta(days=2)
    past = RoomPast(
        session_ids=("earlier",),
        prices={"p1": PriceHistory(live=(PricePoint(two_days_ago, 9_000),))},
    )
    made, withheld = recommend_at([DISCOUNT], FACTS, _context(past=past), ["p-0"])
    assert made == []
    assert "no_raise_then_discount" in withheld[0].reason
    assert "9000 → 10000" in withheld[0].reason
    made, _ = recommend_at([DISCOUNT], FACTS, _context(), ["p-0"])
    assert len(made) == 1  # the same discount with no past


def test_gmv_shares_are_of_the_last_ten_minutes() -> None:
    session = build_session(SimulationConfig(minutes=30, peak_viewers=400, seed=3))
    metrics = compute_session_metrics(events_to_table(list(session.events())))
    shares = gmv_shares(metrics, 20)
    sold = {p: sum(s.gmv_minor[11:21]) for p, s in metrics.product_series.items()}
    total = sum(sold.values())
    assert total > 0
    assert shares == {p: v / total for p, v in sold.items() if v > 0}
    assert math.isclose(sum(shares.values()), 1.0)


def _session(seed: int, day: int, room: str = "sim-room-1") -> list[object]:
    config = SimulationConfig(
        minutes=30,
        peak_viewers=400,
        seed=seed,
        room_id=room,
        session_id=f"{room}-day-{day}",
        start=DEFAULT_START + timedelta(days=day),
    )
    return list(build_session(config).events())


def test_the_store_past_is_the_rooms_earlier_sessions_only(tmp_path: Path) -> None:
    """Read from a real store: the same room's earlier sessions (not another room's, not a later
    one), with the price points the guardrails read and the response the BI estimate gives."""
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        reference = build_session(SimulationConfig(minutes=30, seed=1)).reference
        store.put_reference(reference)
        parts = {
            "sim-room-1-day-0": _session(1, 0),
            "sim-room-1-day-1": _session(2, 1),
            "sim-room-1-day-2": _session(3, 2),
            "other-day-0": _session(4, 0, room="other"),
        }
        for events in parts.values():
            store.append_events(events_to_table(events))  # type: ignore[arg-type]
        store.refresh_sessions(list(parts))
        past = read_room_past(store, "sim-room-1-day-1", reference.products)
        earlier = store.events("sim-room-1-day-0")
    assert past.session_ids == ("sim-room-1-day-0",)
    changes = [
        (ts, price)
        for ts, kind, product, price in zip(
            earlier["ts"].to_pylist(),
            earlier["type"].to_pylist(),
            earlier["product_id"].to_pylist(),
            earlier["price_minor"].to_pylist(),
            strict=True,
        )
        if kind == "price.change" and product == reference.products[0].product_id
    ]
    pid = reference.products[0].product_id
    assert [(p.ts, p.price_minor) for p in past.prices[pid].live] == changes
    own = estimate_price_response([earlier], reference.products, product_id=pid)
    pooled = estimate_price_response(
        [earlier], reference.products, category=reference.products[0].category
    )
    assert past.responses[pid] in (own, pooled)


def test_a_type_filtered_read_gives_the_same_price_response() -> None:
    """The recommender reads only the types the estimate uses; the estimate must not change."""
    session = build_session(SimulationConfig(minutes=40, peak_viewers=600, seed=5))
    events = events_to_table(list(session.events()))
    products = list(session.reference.products)
    category = products[0].category
    full = estimate_price_response([events], products, category=category)
    fewer = events.filter(pc.is_in(events["type"], pa.array(PRICE_RESPONSE_TYPES)))
    assert fewer.num_rows < events.num_rows / 2
    assert estimate_price_response([fewer], products, category=category) == full


def test_room_past_without_earlier_sessions_is_empty() -> None:
    table = events_to_table([make_event("order.paid")])
    assert room_past([], table, [PRODUCT]) == RoomPast()
