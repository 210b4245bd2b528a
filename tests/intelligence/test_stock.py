"""Stock left: the last ``stock.set`` (else the catalog's stock) less the units paid since, floored
at zero — table-driven cases, and the same level as the live Q&A catalog replaying the events
(hypothesis)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livelens.events.columns import events_to_table
from livelens.events.reference import Product
from livelens.events.schema import Event
from livelens.intelligence.stock import stock_left, stock_level
from livelens.qa.knowledge import Catalog, CatalogProduct
from livelens.testing import T0, make_event

AS_OF = T0 + timedelta(minutes=30)


def _product(stock: int = 100) -> Product:
    return Product(
        product_id="sku-a",
        title="A",
        category="c",
        list_price_minor=10_000,
        floor_price_minor=5_000,
        stock=stock,
    )


def _event(i: int, minute: float, kind: str, value: int, product_id: str = "sku-a") -> Event:
    payload: dict[str, Any] = (
        {"stock": value}
        if kind == "stock.set"
        else {"quantity": value, "order_id": f"o-{i}", "amount_minor": 100 * value}
    )
    return make_event(
        kind,
        event_id=f"e-{i:03d}",
        ts=(T0 + timedelta(minutes=minute)).isoformat(),
        product_id=product_id,
        **payload,
    )


def _table(steps: list[tuple[float, str, int]]) -> Any:
    first = make_event("comment", event_id="start", ts=T0.isoformat())
    return events_to_table([first, *(_event(i, *step) for i, step in enumerate(steps))])


@pytest.mark.parametrize(
    ("steps", "catalog", "expected"),
    [
        pytest.param([], 100, 100, id="no events: the catalog's stock"),
        pytest.param(
            [(1, "order.paid", 2), (2, "order.paid", 3)], 100, 95, id="catalog less units paid"
        ),
        pytest.param(
            [(1, "order.paid", 2), (5, "stock.set", 40), (6, "order.paid", 3)],
            100,
            37,
            id="orders before the stock.set do not count",
        ),
        pytest.param(
            [(5, "stock.set", 40), (10, "stock.set", 10), (11, "order.paid", 1)],
            100,
            9,
            id="the last stock.set counts",
        ),
        pytest.param(
            [(5, "stock.set", 40), (31, "stock.set", 5), (32, "order.paid", 1)],
            100,
            40,
            id="events after as_of do not count",
        ),
        pytest.param([(30, "order.paid", 4)], 100, 96, id="an order at as_of counts"),
        pytest.param(
            [(5, "stock.set", 3), (6, "order.paid", 2), (7, "order.paid", 2)],
            100,
            0,
            id="floored at zero",
        ),
    ],
)
def test_stock_left(steps: list[tuple[float, str, int]], catalog: int, expected: int) -> None:
    assert stock_left(_table(steps), _product(catalog), AS_OF) == expected


def test_another_products_events_do_not_count() -> None:
    events = events_to_table(
        [
            _event(0, 1, "stock.set", 7, product_id="sku-b"),
            _event(1, 2, "order.paid", 5, product_id="sku-b"),
            _event(2, 3, "order.paid", 1),
        ]
    )
    assert stock_left(events, _product(50), AS_OF) == 49


def test_the_level_says_where_it_comes_from() -> None:
    level = stock_level(
        _table([(1, "order.paid", 2), (5, "stock.set", 40), (6, "order.paid", 3)]),
        _product(),
        AS_OF,
    )
    assert (level.units, level.set_to, level.sold_since) == (37, 40, 3)
    assert level.set_at == T0 + timedelta(minutes=5)
    assert level.basis.startswith("stock.set to 40 at ")
    assert level.basis.endswith("less 3 unit(s) paid since")
    catalog = stock_level(_table([(1, "order.paid", 2)]), _product(), AS_OF)
    assert (catalog.set_at, catalog.basis) == (
        None,
        "catalog stock 100 less 2 unit(s) paid in the session",
    )


steps = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.sampled_from(["stock.set", "order.paid"]),
        st.integers(1, 30),
    ),
    max_size=20,
)


@settings(max_examples=100, deadline=None)
@given(steps, st.integers(0, 200))
def test_the_same_level_as_the_live_qa_catalog(
    raw: list[tuple[int, str, int]], catalog_stock: int
) -> None:
    ordered = sorted(raw, key=lambda s: s[0])  # stored order: by time, then event id (e-000 …)
    product = _product(catalog_stock)
    catalog = Catalog([CatalogProduct(product=product, name="A", aliases=("A",), link_no=1)])
    for i, (minute, kind, value) in enumerate(ordered):
        if minute <= 30:
            catalog.apply(_event(i, minute, kind, value))
    live = catalog.get("sku-a")
    assert live is not None
    assert stock_left(_table(ordered), product, AS_OF) == live.stock
