"""跨场需求预测 Demand outlook across sessions: with weeks of orders in the store, the section is
``livelens forecast daily --category C --backtest`` for the session's top categories (forecast
with intervals, regressors, MASE against seasonal naive); with one session of history it says
plainly that there is not enough history."""

from __future__ import annotations

import time
from datetime import timedelta
from html import escape
from pathlib import Path

import numpy as np
import pytest

from livelens.events.columns import events_to_table
from livelens.events.reference import Product, ReferenceData
from livelens.intelligence.daily_outlook import MIN_DAYS, daily_outlook, read_daily_series
from livelens.reports import Review
from livelens.reports.decisions.outlook import (
    HORIZON_DAYS,
    TIMEZONE,
    TOP_CATEGORIES,
    read_outlook,
)
from livelens.reports.sections.outlook import outlook as render_outlook
from livelens.store.duckdb import DuckDBStore
from livelens.testing import T0, make_event

CATEGORIES = ("女装", "美妆", "食品", "家居")


def _section(html: str, anchor: str) -> str:
    return html.split(f'<section id="{anchor}">', 1)[1].split("</section>", 1)[0]


def _product(i: int, category: str) -> Product:
    return Product(
        product_id=f"sku-{i}",
        title=f"商品{i}",
        category=category,
        list_price_minor=10_000,
        floor_price_minor=5_000,
        stock=10_000,
    )


@pytest.fixture(scope="module")
def weeks_of_orders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five weeks of daily orders (a weekly pattern plus noise) of four products in four
    categories, one session a day, in a real DuckDB store with the catalog."""
    db = tmp_path_factory.mktemp("outlook") / "weeks.duckdb"
    rng = np.random.default_rng(8)
    products = [_product(i, c) for i, c in enumerate(CATEGORIES)]
    events = []
    for day in range(35):
        start = T0 + timedelta(days=day)
        common = {"room_id": "room-1", "session_id": f"d{day:02d}", "platform": "douyin"}
        for i, product in enumerate(products):
            orders = int(rng.poisson(4 + 3 * (day % 7 in (5, 6)) + 2 * (3 - i)))
            for k in range(orders):
                events.append(
                    make_event(
                        "order.paid",
                        event_id=f"o-{day}-{i}-{k}",
                        ts=(start + timedelta(minutes=k)).isoformat(),
                        order_id=f"o-{day}-{i}-{k}",
                        product_id=product.product_id,
                        quantity=1,
                        amount_minor=10_000,
                        **common,
                    )
                )
    with DuckDBStore(db) as store:
        store.put_reference(ReferenceData(products=products))
        store.append_events(events_to_table(events))
    return db


def test_the_top_categories_get_the_daily_forecast_with_its_backtest(
    weeks_of_orders: Path,
) -> None:
    sold = {"sku-0": 50_000, "sku-1": 90_000, "sku-2": 10_000, "sku-3": 70_000}
    with DuckDBStore(weeks_of_orders) as store:
        section = read_outlook(store, sold)
        # what ``livelens forecast daily --db FILE --category 美妆 --backtest`` gives
        expected = daily_outlook(
            read_daily_series(store, category="美妆", timezone=TIMEZONE),
            horizon=HORIZON_DAYS,
            with_backtest=True,
        )
    assert section.unavailable is None
    assert [r.category for r in section.rows] == ["美妆", "家居", "女装"][:TOP_CATEGORIES]
    assert [r.session_gmv_minor for r in section.rows] == [90_000, 70_000, 50_000]
    first = section.rows[0]
    assert first.outlook == expected
    assert first.outlook.status == "ok"
    forecast = first.outlook.forecast
    assert forecast is not None
    assert len(forecast.days) == HORIZON_DAYS
    bounds = zip(forecast.lo95, forecast.mean, forecast.hi95, strict=True)
    assert all(lo <= m <= hi for lo, m, hi in bounds)
    tested = first.outlook.backtest
    assert tested is not None
    assert {"ets_x", "seasonal_naive"} <= set(tested.mase)
    assert "festival:双11" in first.outlook.regressors  # T0 is 11-11: the festival is a day seen

    html = render_outlook(section, "CNY")
    assert "历史不足" not in html
    summary = html.split('<table class="outlook">', 1)[1].split("</table>", 1)[0]
    assert summary.count("<tr>") == 1 + TOP_CATEGORIES  # the header and a row per category
    assert f"MASE {tested.mase['ets_x']:.2f} vs {tested.mase['seasonal_naive']:.2f}" in summary
    assert "节日" in summary
    assert "双11" in summary
    days = html.split('<table class="outlook-days">', 1)[1].split("</table>", 1)[0]
    assert days.count("<tr>") == 1 + TOP_CATEGORIES * HORIZON_DAYS
    day = forecast.days[0].isoformat()
    assert f"<td>{day}</td><td>{forecast.mean[0]:.1f}</td>" in days
    assert f"{forecast.lo95[0]:.1f} – {forecast.hi95[0]:.1f}" in days


def test_one_session_of_history_says_there_is_not_enough_quickly(
    review: Review, review_html: str
) -> None:
    section = review.outlook
    assert section is not None
    assert section.unavailable is None
    assert section.rows, "the session sold products of catalog categories"
    assert all(r.outlook.status == "insufficient" for r in section.rows)
    assert all(r.outlook.days == 1 for r in section.rows)
    html = _section(review_html, "outlook")
    assert "<h2>跨场需求预测 " in html
    assert f"历史不足：只有 1 天的销售数据，至少需要 {MIN_DAYS} 天" in html
    for row in section.rows:
        assert escape(row.outlook.reason or "?") in html
    assert review_html.index("<h2>需求预测 ") < review_html.index("<h2>跨场需求预测 ")


def test_the_short_history_costs_little(tmp_path: Path) -> None:
    db = tmp_path / "one-day.duckdb"
    products = [_product(i, c) for i, c in enumerate(CATEGORIES)]
    events = [
        make_event(
            "order.paid",
            event_id=f"o-{i}",
            ts=(T0 + timedelta(minutes=i)).isoformat(),
            order_id=f"o-{i}",
            product_id=products[i % 4].product_id,
            quantity=1,
            amount_minor=10_000,
        )
        for i in range(200)
    ]
    with DuckDBStore(db) as store:
        store.put_reference(ReferenceData(products=products))
        store.append_events(events_to_table(events))
        started = time.perf_counter()
        section = read_outlook(store, {p.product_id: 1 for p in products})
        elapsed = time.perf_counter() - started
    assert [r.outlook.status for r in section.rows] == ["insufficient"] * TOP_CATEGORIES
    assert elapsed < 2.0, f"a one-day outlook took {elapsed:.2f} s"


def test_a_session_without_products_says_why(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "empty.duckdb") as store:
        section = read_outlook(store, {})
    assert section.unavailable == "the store has no catalog (no categories to forecast)"
    html = render_outlook(section, None)
    assert f"不可用 not available — {escape(section.unavailable)}" in html
