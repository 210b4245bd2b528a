"""Price response: the discount effect against simulator truth, IRLS against known coefficients,
and the explicit "insufficient data" answers."""

from __future__ import annotations

import time
from datetime import timedelta

import msgspec
import numpy as np
import pyarrow as pa
import pytest

from livelens.events.columns import events_to_table
from livelens.events.reference import Product
from livelens.intelligence.elasticity import (
    Estimate,
    PriceResponse,
    estimate_price_response,
    fit_poisson,
)
from livelens.sources.simulator import SimulationConfig, build_session
from livelens.testing import T0, make_event

SEEDS = range(25)
TRUE_LIFT = 1.8  # the simulator's default ``discount_lift``


def _pooled(products: list[Product]) -> list[Product]:
    """The session's products as one category, so the estimate pools all its promos."""
    return [msgspec.structs.replace(p, category="all") for p in products]


def test_the_true_discount_effect_lies_in_the_95_interval_in_at_least_90_percent_of_seeds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The simulator multiplies the cart and the order step each by sqrt(discount_lift) while a
    # flash discount runs, so conversion per click is discount_lift times higher (no step rate
    # reaches its cap at these lifts): that is the effect the estimate must cover.
    started = time.perf_counter()
    covered: list[bool] = []
    for seed in SEEDS:
        config = SimulationConfig(minutes=40, peak_viewers=800, seed=seed)
        session = build_session(config)
        assert session.config.discount_lift == TRUE_LIFT
        events = events_to_table(list(session.events()))
        response = estimate_price_response(
            [events], _pooled(list(session.reference.products)), category="all"
        )
        assert response.status == "ok", response.reason
        effect = response.discount_effect
        assert effect is not None
        assert effect.low < effect.value < effect.high
        covered.append(effect.low <= TRUE_LIFT <= effect.high)
    rate = sum(covered) / len(covered)
    with capsys.disabled():
        print(
            f"\ndiscount effect: true ×{TRUE_LIFT} inside the 95% interval in "
            f"{sum(covered)}/{len(covered)} seeds ({rate:.0%}), "
            f"{time.perf_counter() - started:.1f} s"
        )
    assert rate >= 0.9


def test_irls_recovers_known_coefficients_within_their_intervals() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    x = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(size=n)])
    truth = np.array([-1.0, np.log(1.8), -0.5])
    exposure = rng.uniform(1, 20, n)
    y = rng.poisson(exposure * np.exp(x @ truth)).astype(np.float64)
    beta, cov = fit_poisson(x, y, np.log(exposure))
    se = np.sqrt(np.diag(cov))
    assert np.all(np.abs(beta - truth) < 1.96 * se * 1.5)
    assert np.all(se < 0.05)


def test_irls_refuses_a_singular_design() -> None:
    x = np.column_stack([np.ones(10), np.ones(10)])
    with pytest.raises(np.linalg.LinAlgError, match="rank deficient"):
        fit_poisson(x, np.ones(10), np.zeros(10))


def test_demand_ratio_follows_the_constant_elasticity_curve() -> None:
    response = PriceResponse(
        scope="p",
        status="ok",
        reason=None,
        minutes=100,
        orders=100,
        price_changes=0,
        promos=3,
        discount_elasticity=Estimate(value=-2.0, low=-3.0, high=-1.0),
    )
    ratio = response.demand_ratio(20)
    assert ratio is not None
    assert ratio.value == pytest.approx(0.8**-2.0)
    assert (ratio.low, ratio.high) == pytest.approx((0.8**-1.0, 0.8**-3.0))


PRODUCT = Product(
    product_id="sku-a", title="A", category="c", list_price_minor=10_000, floor_price_minor=6_000
)


def _table(kinds: list[tuple[str, int, dict[str, object]]]) -> pa.Table:
    return events_to_table(
        [
            make_event(kind, ts=T0 + timedelta(seconds=s), event_id=f"e{i}", **fields)
            for i, (kind, s, fields) in enumerate(kinds)
        ]
    )


def test_no_orders_is_insufficient_with_the_reason() -> None:
    clicks = [("product.click", s, {"product_id": "sku-a"}) for s in range(0, 600, 5)]
    response = estimate_price_response([_table(clicks)], [PRODUCT], product_id="sku-a")
    assert response.status == "insufficient"
    assert response.reason == "too few orders: 0 < 20"
    assert response.discount_effect is None


def test_orders_without_price_variation_are_insufficient() -> None:
    rows: list[tuple[str, int, dict[str, object]]] = []
    for s in range(0, 1800, 10):
        rows.append(("product.click", s, {"product_id": "sku-a"}))
        if s % 30 == 0:
            rows.append(("order.paid", s + 5, {"product_id": "sku-a", "order_id": f"o{s}"}))
    response = estimate_price_response([_table(rows)], [PRODUCT], product_id="sku-a")
    assert response.status == "insufficient"
    assert response.reason is not None
    assert response.reason.startswith("no price variation")


def test_an_unknown_product_is_insufficient() -> None:
    response = estimate_price_response([], [PRODUCT], product_id="sku-zzz")
    assert response.status == "insufficient"
    assert response.reason == "no catalog product matches sku-zzz"


def test_exactly_one_scope_is_required() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        estimate_price_response([], [PRODUCT])


def test_a_late_host_action_does_not_stretch_the_minute_grid() -> None:
    rows: list[tuple[str, int, dict[str, object]]] = []
    for s in range(0, 1800, 10):
        rows.append(("product.click", s, {"product_id": "sku-a"}))
        if s % 30 == 0:
            rows.append(("order.paid", s + 5, {"product_id": "sku-a", "order_id": f"o{s}"}))
    late = [("price.change", 86_400 * 20, {"product_id": "sku-a", "price_minor": 9_000})]
    plain = estimate_price_response([_table(rows)], [PRODUCT], product_id="sku-a")
    stretched = estimate_price_response([_table(rows + late)], [PRODUCT], product_id="sku-a")
    assert stretched.minutes == plain.minutes == 29  # whole minutes up to the last order
    assert stretched.price_changes == 1


def test_a_promo_given_as_a_price_is_read_as_its_discount() -> None:
    rows: list[tuple[str, int, dict[str, object]]] = [
        (
            "promo.start",
            600,
            {"promo_id": "p1", "product_id": "sku-a", "price_minor": 7_500, "discount_pct": None},
        ),
        ("promo.end", 1200, {"promo_id": "p1"}),
    ]
    for s in range(0, 1800, 5):
        rows.append(("product.click", s, {"product_id": "sku-a"}))
        if s % (10 if 600 <= s < 1200 else 30) == 0:
            rows.append(("order.paid", s + 5, {"product_id": "sku-a", "order_id": f"o{s}"}))
    response = estimate_price_response([_table(rows)], [PRODUCT], product_id="sku-a")
    assert response.status == "ok", response.reason
    assert response.mean_discount_pct == pytest.approx(25.0)
    assert response.discount_effect is not None
    assert response.discount_effect.low < 3.0 < response.discount_effect.high
