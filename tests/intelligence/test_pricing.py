"""Price suggestions: no emitted suggestion ever breaks a guardrail (hypothesis), the choice
follows margin, withheld suggestions say why, and acceptance makes a ``price.change``."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livelens.events.columns import events_to_table
from livelens.events.reference import Product
from livelens.events.schema import PriceChange
from livelens.information.compute import compute_session_metrics
from livelens.intelligence.elasticity import Estimate, PriceResponse
from livelens.intelligence.nowcast import nowcast_products
from livelens.intelligence.price_guardrails import (
    Guardrails,
    PriceHistory,
    PricePoint,
    check_suggestion,
    price_history,
    raises_in_window,
    real_transaction_prices,
)
from livelens.intelligence.pricing import (
    PriceSuggestion,
    price_change_event,
    room_history,
    suggest_for_product,
    suggest_price,
)
from livelens.testing import T0, make_event

AS_OF = T0 + timedelta(days=40)


def _response(elasticity: Estimate | None) -> PriceResponse:
    return PriceResponse(
        scope="sku-a",
        status="ok" if elasticity else "insufficient",
        reason=None if elasticity else "too few orders: 3 < 20",
        minutes=60,
        orders=100,
        price_changes=1,
        promos=2,
        discount_elasticity=elasticity,
    )


def _product(floor: int = 6_000, cost: int | None = None, stock: int = 1_000) -> Product:
    attributes: dict[str, list[str] | str] = {} if cost is None else {"cost_minor": str(cost)}
    return Product(
        product_id="sku-a",
        title="A",
        category="c",
        list_price_minor=12_000,
        floor_price_minor=floor,
        stock=stock,
        attributes=attributes,
    )


def _points(draw: st.DrawFn, low: int, high: int) -> tuple[PricePoint, ...]:
    offsets = draw(st.lists(st.integers(0, 60 * 24 * 45), max_size=8))
    return tuple(
        PricePoint(T0 + timedelta(minutes=m), draw(st.integers(low, high))) for m in offsets
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Product, PriceResponse, PriceHistory, int, Guardrails]:
    list_price = draw(st.integers(100, 100_000))
    floor = draw(st.integers(1, list_price))
    cost = draw(st.none() | st.integers(0, list_price))
    product = Product(
        product_id="sku-a",
        title="A",
        category="c",
        list_price_minor=list_price,
        floor_price_minor=floor,
        stock=draw(st.integers(0, 10_000)),
        attributes={} if cost is None else {"cost_minor": str(cost)},
    )
    elasticity = draw(
        st.none()
        | st.tuples(st.floats(-8, 3), st.floats(0, 4)).map(
            lambda v: Estimate(value=v[0], low=v[0] - v[1], high=v[0] + v[1])
        )
    )
    history = PriceHistory(
        live=tuple(sorted(_points(draw, 1, 2 * list_price), key=lambda p: p.ts)),
        paid=_points(draw, 1, 2 * list_price),
    )
    current = draw(st.integers(1, 2 * list_price))
    rails = Guardrails(
        floor_price_minor=floor,
        max_discount_pct=draw(st.floats(0, 90)),
        lookback=timedelta(days=draw(st.integers(1, 30))),
    )
    return product, _response(elasticity), history, current, rails


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.floats(0, 500), st.floats(0, 3))
def test_no_emitted_suggestion_breaks_a_guardrail(
    scenario: tuple[Product, PriceResponse, PriceHistory, int, Guardrails],
    baseline: float,
    spread: float,
) -> None:
    product, response, history, current, rails = scenario
    units = Estimate(value=baseline, low=baseline / (1 + spread), high=baseline * (1 + spread))
    suggestion = suggest_price(
        product,
        response,
        history,
        current_price_minor=current,
        baseline_units=units,
        horizon_minutes=15,
        as_of=AS_OF,
        rails=rails,
    )
    if suggestion.status == "withheld":
        assert suggestion.price_minor is None
        assert suggestion.reason
        return
    price = suggestion.price_minor
    assert price is not None
    assert all(c.passed for c in suggestion.checks)
    # the status says what happens to the price: a cut, or the current price kept
    assert (price < current) == (suggestion.status == "suggested")
    assert (price == current) == (suggestion.status == "hold")
    assert suggestion.blocked_by == () or suggestion.status == "hold"
    # The guardrails re-derived here, independent of the checks the suggestion carries:
    assert price >= rails.floor_price_minor
    base = suggestion.reference_price_minor or current
    assert 100 * (1 - price / base) <= rails.max_discount_pct + 1e-9
    if suggestion.reference_price_minor is not None:
        real = real_transaction_prices(history, AS_OF, rails.lookback)
        assert suggestion.reference_price_minor in real
    if price < current:
        assert raises_in_window(history, AS_OF, rails.lookback) == []
    again = check_suggestion(
        price_minor=price,
        current_minor=current,
        reference_minor=suggestion.reference_price_minor,
        history=history,
        rails=rails,
        as_of=AS_OF,
    )
    assert all(c.passed for c in again)


HISTORY = PriceHistory(
    live=(PricePoint(T0, 10_000),),
    paid=(PricePoint(AS_OF - timedelta(days=2), 10_000),),
)


def _suggest(
    product: Product, elasticity: Estimate | None, history: PriceHistory = HISTORY, **kw: object
) -> PriceSuggestion:
    args: dict[str, object] = {
        "current_price_minor": 10_000,
        "baseline_units": Estimate(value=100, low=80, high=120),
        "horizon_minutes": 15,
        "as_of": AS_OF,
    }
    args.update(kw)
    return suggest_price(product, _response(elasticity), history, **args)  # type: ignore[arg-type]


def test_an_elastic_product_with_room_above_cost_is_discounted() -> None:
    # Demand ×(1-d)^-4: 20% off sells 2.44× as much; at cost 2,000 that adds margin.
    suggestion = _suggest(_product(cost=2_000), Estimate(value=-4.0, low=-5.0, high=-3.0))
    assert suggestion.status == "suggested"
    assert suggestion.price_minor == 7_000  # the 30% cap, as margin still grows there
    assert suggestion.reference_price_minor == 10_000
    assert suggestion.delta_margin_minor is not None
    assert suggestion.delta_margin_minor.value > 0
    assert suggestion.delta_margin_minor.low <= suggestion.delta_margin_minor.value
    assert suggestion.expected_units is not None
    assert suggestion.expected_units.value == pytest.approx(100 * 0.7**-4.0)


def test_stock_caps_the_expected_units() -> None:
    suggestion = _suggest(
        _product(cost=2_000, stock=150), Estimate(value=-4.0, low=-5.0, high=-3.0)
    )
    assert suggestion.expected_units is not None
    assert suggestion.expected_units.high <= 150


def test_an_inelastic_product_keeps_its_price() -> None:
    suggestion = _suggest(_product(), Estimate(value=-0.5, low=-1.0, high=0.0))
    assert (suggestion.status, suggestion.price_minor) == ("hold", 10_000)
    assert suggestion.blocked_by == ()  # nothing blocked a cut: none is worth making
    assert suggestion.reason == (
        "keep the current price: the discount effect is not distinguishable from none"
    )
    assert suggestion.delta_gmv_minor == Estimate(value=0.0, low=0.0, high=0.0)


def test_without_a_price_response_the_price_is_kept_and_the_reason_given() -> None:
    suggestion = _suggest(_product(cost=100), None)
    assert suggestion.price_minor == 10_000
    assert "too few orders" in suggestion.reason


def test_a_raise_in_the_window_blocks_every_cut() -> None:
    raised = PriceHistory(
        live=(
            PricePoint(AS_OF - timedelta(days=3), 8_000),
            PricePoint(AS_OF - timedelta(days=1), 10_000),
        ),
        paid=HISTORY.paid,
    )
    suggestion = _suggest(_product(cost=2_000), Estimate(value=-4.0, low=-5.0, high=-3.0), raised)
    assert suggestion.price_minor == 10_000  # the best cut would add margin, but is 先涨后降
    # said as a hold with the blocking guardrail named, not as a "suggested" 0% off
    assert (suggestion.status, suggestion.blocked_by) == ("hold", ("no_raise_then_discount",))
    assert suggestion.reason.startswith("a cut to 7000 would be expected to add")
    assert "fails no_raise_then_discount (1 raise(s) in the last 30 days" in suggestion.reason
    assert all(c.passed for c in suggestion.checks)  # the kept price's own checks
    with pytest.raises(ValueError, match="is hold, not a price change"):
        price_change_event(
            suggestion, room_id="r", session_id="s", platform="sim", currency="CNY", at=AS_OF
        )


def test_a_current_price_below_the_floor_is_withheld() -> None:
    suggestion = _suggest(_product(floor=11_000), None)
    assert suggestion.status == "withheld"
    assert suggestion.reason == "every candidate price fails a guardrail"
    assert not next(c for c in suggestion.checks if c.name == "floor_price").passed
    with pytest.raises(ValueError, match="withheld"):
        price_change_event(
            suggestion, room_id="r", session_id="s", platform="sim", currency="CNY", at=AS_OF
        )


def test_an_accepted_suggestion_is_a_price_change() -> None:
    suggestion = _suggest(_product(cost=2_000), Estimate(value=-4.0, low=-5.0, high=-3.0))
    at = datetime.fromisoformat("2026-12-21T20:00:00+08:00")
    event = price_change_event(
        suggestion, room_id="r", session_id="s", platform="sim", currency="CNY", at=at
    )
    assert isinstance(event, PriceChange)
    assert (event.product_id, event.price_minor, event.ts) == (
        "sku-a",
        7_000,
        at,
    )


def test_a_suggestion_that_changes_nothing_cannot_be_accepted() -> None:
    cut = _suggest(_product(cost=2_000), Estimate(value=-4.0, low=-5.0, high=-3.0))
    same = msgspec.structs.replace(cut, price_minor=cut.current_price_minor)
    with pytest.raises(ValueError, match="accepting it would change nothing"):
        price_change_event(
            same, room_id="r", session_id="s", platform="sim", currency="CNY", at=AS_OF
        )


def _session(
    session_id: str,
    start: datetime,
    prices: list[int],
    *,
    room_id: str = "room-1",
    platform: str = "douyin",
    minutes: int = 60,
) -> pa.Table:
    """A session with the live prices of sku-a spread over it, and a last event at its end."""
    step = timedelta(minutes=minutes) / max(len(prices), 1)
    common = {"session_id": session_id, "room_id": room_id, "platform": platform}
    events = [
        make_event(
            "price.change",
            event_id=f"{session_id}-p{i}",
            ts=(start + i * step).isoformat(),
            product_id="sku-a",
            price_minor=price,
            **common,
        )
        for i, price in enumerate(prices)
    ]
    end = (start + timedelta(minutes=minutes)).isoformat()
    events.append(make_event("comment", event_id=f"{session_id}-end", ts=end, **common))
    return events_to_table(events)


DAY1 = AS_OF - timedelta(days=2)
DAY2 = AS_OF - timedelta(days=1)
CUT_IN_DAY2 = [10_000, 9_000]


@pytest.mark.parametrize(
    ("earlier", "history", "raised"),
    [
        pytest.param(
            [_session("s1", DAY1, [8_000])], ("s1", "s2"), True, id="the room's own raise"
        ),
        pytest.param(
            [_session("x", DAY2 - timedelta(hours=2), [8_000], room_id="room-2")],
            ("s2",),
            False,
            id="another room's cut before this session",
        ),
        pytest.param(
            [_session("x", DAY1, [8_000], platform="taobao")],
            ("s2",),
            False,
            id="the same room id on another platform",
        ),
        pytest.param([_session("later", AS_OF, [8_000])], ("s2",), False, id="a later session"),
        pytest.param(
            [
                _session("s1", DAY1, [10_000, 8_000]),
                _session("dup", DAY2 - timedelta(minutes=30), [8_000]),
            ],
            ("s1", "s2"),
            True,
            id="an overlapping session is left out, the earlier one kept",
        ),
    ],
)
def test_the_price_history_is_the_rooms_in_event_time(
    earlier: list[pa.Table], history: tuple[str, ...], raised: bool
) -> None:
    this = _session("s2", DAY2, CUT_IN_DAY2)
    room = room_history([*earlier, this], this)
    assert room.session_ids == history
    left_out = {"dup"} & {s for t in earlier for s in t["session_id"].to_pylist()}
    assert [n.split()[1] for n in room.notes] == sorted(left_out)
    raises = raises_in_window(price_history(room.events, "sku-a"), AS_OF, timedelta(days=30))
    assert bool(raises) == raised, raises


def _selling(minutes: int, *, stock_set: tuple[int, int] | None = None) -> pa.Table:
    """sku-a sold (1 unit, ¥100) every other minute from T0 for ``minutes`` minutes; optionally a
    ``stock.set`` (minute, level)."""
    common = {"session_id": "s", "room_id": "room-1", "platform": "douyin"}
    events = [make_event("comment", event_id="s-start", ts=T0.isoformat(), **common)]
    for m in range(0, minutes, 2):
        events.append(
            make_event(
                "order.paid",
                event_id=f"s-o{m:03d}",
                ts=(T0 + timedelta(minutes=m, seconds=10)).isoformat(),
                order_id=f"o{m}",
                product_id="sku-a",
                quantity=1,
                amount_minor=10_000,
                **common,
            )
        )
    if stock_set is not None:
        minute, level = stock_set
        at = (T0 + timedelta(minutes=minute)).isoformat()
        events.append(
            make_event(
                "stock.set", event_id="s-stock", ts=at, product_id="sku-a", stock=level, **common
            )
        )
    return events_to_table(events)


def test_the_baseline_is_the_live_nowcast_for_the_horizon() -> None:
    events = _selling(20)  # the last event: the order at 18:10, in minute 18
    as_of = T0 + timedelta(minutes=18, seconds=10)
    _response, suggestion = suggest_for_product(
        [events], [_product()], "sku-a", session_events=events, as_of=as_of
    )
    assert suggestion.baseline == "nowcast"
    # the nowcast that ``livelens forecast nowcast`` gives: from minute 18, still filling
    metrics = compute_session_metrics(events)
    (nowcast,) = nowcast_products(metrics, (15,), as_of_minute=metrics.minutes - 1)
    found = suggestion.baseline_units
    assert found is not None
    assert found.value == pytest.approx(nowcast.orders.point, abs=1e-3)
    assert (found.low, found.high) == (nowcast.orders.lo95, nowcast.orders.hi95)
    assert suggestion.notes[0].startswith("baseline: the live nowcast of the next 15 min")


def test_without_a_complete_minute_the_recent_rate_is_the_baseline() -> None:
    events = _selling(1)
    as_of = T0 + timedelta(seconds=50)
    _response, suggestion = suggest_for_product(
        [events], [_product()], "sku-a", session_events=events, as_of=as_of
    )
    assert suggestion.baseline == "recent rate"
    assert suggestion.baseline_units == Estimate(
        value=1.0, low=pytest.approx(0.0253, abs=1e-4), high=pytest.approx(5.5716, abs=1e-4)
    )
    assert "the nowcast needs a complete minute" in suggestion.notes[0]


def test_the_stock_left_caps_the_units_and_is_shown() -> None:
    # 5 units set at minute 11; orders at minutes 12, 14, 16, 18 take 4 of them
    events = _selling(20, stock_set=(11, 5))
    as_of = T0 + timedelta(minutes=20, seconds=30)
    _response, suggestion = suggest_for_product(
        [events], [_product(stock=1_000)], "sku-a", session_events=events, as_of=as_of
    )
    assert suggestion.stock_left == 1
    assert suggestion.expected_units is not None
    assert suggestion.expected_units.high <= 1
    assert any(n.startswith("stock left 1: stock.set to 5 at ") for n in suggestion.notes)


def test_a_suggestion_stored_before_the_baseline_fields_still_decodes() -> None:
    stored = msgspec.json.encode(_suggest(_product(), None))
    old = msgspec.json.decode(stored)
    for field in ("baseline", "baseline_units", "stock_left"):
        del old[field]
    decoded = msgspec.json.decode(msgspec.json.encode(old), type=PriceSuggestion)
    assert (decoded.baseline, decoded.baseline_units, decoded.stock_left) == (
        "recent rate",
        None,
        None,
    )
