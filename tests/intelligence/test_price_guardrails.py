"""Each guardrail, passing and failing: floor, maximum discount, real reference price, 先涨后降."""

from __future__ import annotations

from datetime import timedelta

import pytest

from livelens.events.columns import events_to_table
from livelens.intelligence.price_guardrails import (
    GuardrailCheck,
    Guardrails,
    PriceHistory,
    PricePoint,
    check_suggestion,
    price_history,
    raises_in_window,
    real_transaction_prices,
)
from livelens.testing import T0, make_event

AS_OF = T0 + timedelta(days=10)
RAILS = Guardrails(floor_price_minor=6_000, max_discount_pct=30, lookback=timedelta(days=7))
PAID = PriceHistory(
    live=(PricePoint(T0, 10_000),),
    paid=(
        PricePoint(T0 + timedelta(days=5), 9_900),
        PricePoint(T0 + timedelta(days=9), 9_500),
        PricePoint(T0 + timedelta(days=1), 12_000),  # outside the 7-day window
    ),
)


def _check(name: str, **kwargs: object) -> GuardrailCheck:
    args: dict[str, object] = {
        "price_minor": 8_000,
        "current_minor": 9_900,
        "reference_minor": 9_900,
        "history": PAID,
        "rails": RAILS,
        "as_of": AS_OF,
    }
    args.update(kwargs)
    checks = check_suggestion(**args)  # type: ignore[arg-type]
    assert [c.name for c in checks] == [
        "floor_price",
        "max_discount",
        "reference_price",
        "no_raise_then_discount",
    ]
    return next(c for c in checks if c.name == name)


@pytest.mark.parametrize(("price", "passed"), [(6_000, True), (5_999, False), (9_000, True)])
def test_floor_price(price: int, passed: bool) -> None:
    assert _check("floor_price", price_minor=price, reference_minor=None).passed is passed


@pytest.mark.parametrize(
    ("price", "reference", "passed"),
    [(6_930, 9_900, True), (6_929, 9_900, False), (6_930, None, True), (6_929, None, False)],
)
def test_max_discount_off_the_reference_or_the_current_price(
    price: int, reference: int | None, passed: bool
) -> None:
    check = _check("max_discount", price_minor=price, reference_minor=reference)
    assert check.passed is passed
    assert "max 30%" in check.detail


def test_the_reference_price_must_have_been_paid_inside_the_window() -> None:
    assert real_transaction_prices(PAID, AS_OF, RAILS.lookback) == [9_900, 9_500]
    assert _check("reference_price", reference_minor=9_900).passed
    assert _check("reference_price", reference_minor=9_500).passed
    # 12,000 was paid, but eleven days ago; 10,000 was a list price nobody paid.
    assert not _check("reference_price", reference_minor=12_000).passed
    assert not _check("reference_price", reference_minor=10_000).passed


def test_no_reference_shown_needs_no_transaction() -> None:
    check = _check("reference_price", reference_minor=None, history=PriceHistory())
    assert check.passed
    assert check.detail == "no reference (划线) price shown"


def test_raise_then_discount_inside_the_window_is_refused() -> None:
    history = PriceHistory(
        live=(
            PricePoint(T0, 9_000),
            PricePoint(T0 + timedelta(days=6), 9_900),  # raised 4 days before AS_OF
        ),
        paid=PAID.paid,
    )
    raised = raises_in_window(history, AS_OF, RAILS.lookback)
    assert [(p.price_minor, before) for p, before in raised] == [(9_900, 9_000)]
    cut = _check("no_raise_then_discount", history=history, price_minor=9_500)
    assert not cut.passed
    assert "9000 → 9900" in cut.detail
    # Holding or raising the price after a raise is not 先涨后降.
    assert _check("no_raise_then_discount", history=history, price_minor=9_900).passed


def test_a_raise_before_the_window_does_not_block_a_cut() -> None:
    history = PriceHistory(
        live=(PricePoint(T0, 9_000), PricePoint(T0 + timedelta(days=1), 9_900)), paid=PAID.paid
    )
    assert raises_in_window(history, AS_OF, RAILS.lookback) == []
    assert _check("no_raise_then_discount", history=history).passed


def test_a_price_cut_is_not_a_raise() -> None:
    history = PriceHistory(
        live=(PricePoint(T0 + timedelta(days=8), 9_900), PricePoint(AS_OF, 9_500))
    )
    assert raises_in_window(history, AS_OF, RAILS.lookback) == []


def test_price_history_reads_live_and_paid_unit_prices() -> None:
    table = events_to_table(
        [
            make_event("price.change", product_id="sku-a", price_minor=9_900, ts=T0),
            make_event(
                "order.paid",
                product_id="sku-a",
                quantity=2,
                amount_minor=19_000,
                ts=T0 + timedelta(minutes=1),
            ),
            make_event("price.change", product_id="sku-b", price_minor=100, ts=T0),
        ]
    )
    history = price_history(table, "sku-a")
    assert [p.price_minor for p in history.live] == [9_900]
    assert [p.price_minor for p in history.paid] == [9_500]
