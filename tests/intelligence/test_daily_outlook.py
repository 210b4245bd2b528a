"""The daily outlook from a real DuckDB store: the stored Weibo trend keywords that name a
product (or its category or brand) are its trend-heat regressor, named in the outlook, and they
pay in the backtest where demand responds to them; a product no keyword names is forecast on the
calendar alone, and the outlook says why."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import msgspec
import numpy as np
import pytest
from click.testing import CliRunner

from livelens.cli import cli
from livelens.events.columns import events_to_table
from livelens.events.reference import ReferenceData
from livelens.events.schema import Event
from livelens.intelligence.daily_outlook import daily_outlook, read_daily_series
from livelens.sources.simulation.catalog import catalog_specs
from livelens.store.duckdb import DuckDBStore
from livelens.testing import make_event

FIRST = date(2025, 1, 6)
DAYS = 98
HOT = "羽绒服怎么选不踩雷"  # names 羽绒 goods: the down vest (a title synonym)
OTHER = "黄金价格又涨了"  # names nothing in the catalog


def _events(seed: int = 7) -> list[Event]:
    """Daily orders of the down vest with 3 units per 100,000 heat of ``HOT`` that day (bursts
    of a day or two about every nine days), the apple without any response, and hourly boards."""
    rng = np.random.default_rng(seed)
    heat = np.zeros(DAYS)
    for start in range(3, DAYS, 9):
        first = start + int(rng.integers(0, 4))
        heat[first : first + int(rng.integers(1, 3))] = rng.uniform(2e5, 1e6)
    weekly = np.array([0, 0, 0, 0, 3, 6, 5.0])
    k = np.arange(DAYS)
    vest = np.maximum(20 + weekly[k % 7] + 3 * heat / 1e5 + rng.normal(0, 2, DAYS), 0).round()
    apple = np.maximum(30 + weekly[k % 7] + rng.normal(0, 2, DAYS), 0).round()
    events: list[Event] = []
    for day in range(DAYS):
        noon = datetime.combine(FIRST + timedelta(days=day), time(12), tzinfo=UTC)
        session = {"room_id": "room-1", "session_id": f"day-{day}", "platform": "sim"}
        for product_id, units in (("sku-down-vest", vest[day]), ("sku-apple", apple[day])):
            if units > 0:
                events.append(
                    make_event(
                        "order.paid",
                        event_id=f"o-{product_id}-{day}",
                        order_id=f"o-{product_id}-{day}",
                        ts=noon.isoformat(),
                        product_id=product_id,
                        quantity=int(units),
                        amount_minor=int(units) * 100,
                        **session,
                    )
                )
        for hour in range(24):
            at = noon.replace(hour=hour).isoformat()
            board = {"room_id": "external", "session_id": "weibo", "platform": "other"}
            for keyword, value in ((HOT, heat[day]), (OTHER, 5e5 if day % 5 == 0 else 0.0)):
                if value:
                    events.append(
                        make_event(
                            "trend.snapshot",
                            event_id=f"t-{keyword}-{day}-{hour}",
                            ts=at,
                            keyword=keyword,
                            rank=3,
                            heat=float(value),
                            source="weibo-hot",
                            **board,
                        )
                    )
    return events


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "o.duckdb"
    with DuckDBStore(path) as store:
        store.put_reference(ReferenceData(products=[s.product for s in catalog_specs(1)]))
        store.append_events(events_to_table(_events()))
    return path


@pytest.fixture
def store(db: Path) -> Iterator[DuckDBStore]:
    with DuckDBStore(db) as opened:
        yield opened


def test_matching_trend_keywords_are_the_forecasts_regressor(store: DuckDBStore) -> None:
    series = read_daily_series(store, product_id="sku-down-vest")
    assert (series.days[0], len(series.days)) == (FIRST, DAYS)
    assert series.trend_keywords == [HOT]  # 黄金 names nothing of the vest
    assert series.stored_keywords == 2
    assert series.trend_heat is not None
    assert max(series.trend_heat) > 0  # the day's mean hourly heat on the boards

    outlook = daily_outlook(series, horizon=7, with_backtest=True)
    assert outlook.regressors == ["trend_heat"]  # no festival falls in Jan – Apr 2025
    assert outlook.forecast is not None
    assert outlook.forecast.regressors == outlook.regressors
    assert outlook.trend_keywords == [HOT]
    assert any(HOT in note and "mean hourly heat" in note for note in outlook.notes)
    tested = outlook.backtest
    assert tested is not None
    assert tested.regressors == ["trend_heat"]
    assert tested.trend_heat_helps, tested.mase
    assert tested.mase["ets_x"] < tested.mase["ets_x_without_trend"]


def test_a_product_no_keyword_names_is_forecast_without_trend_heat(store: DuckDBStore) -> None:
    series = read_daily_series(store, product_id="sku-apple")
    assert (series.trend_keywords, series.trend_heat) == ([], None)
    outlook = daily_outlook(series, horizon=7, with_backtest=True)
    assert outlook.regressors == []
    assert outlook.backtest is not None
    assert outlook.backtest.trend_heat_helps is None
    assert "ets_x_without_trend" not in outlook.backtest.mase
    assert outlook.notes == (
        "trend heat: none of the 2 stored trend keyword(s) names sku-apple, its category or brand",
    )


def test_the_cli_gives_the_outlook_from_the_store(db: Path) -> None:
    args = ["forecast", "daily", "--db", str(db), "--product", "sku-down-vest", "--horizon", "7"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    with DuckDBStore(db) as store:
        expected = daily_outlook(read_daily_series(store, product_id="sku-down-vest"), horizon=7)
    assert json.loads(result.output) == json.loads(msgspec.json.encode(expected))
    assert json.loads(result.output)["regressors"] == ["trend_heat"]

    category = CliRunner().invoke(cli, ["forecast", "daily", "--db", str(db), "--category", "服装"])
    assert category.exit_code == 0, category.output
    assert json.loads(category.output)["series_id"] == "category:服装"


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--product", "nope"], 1, "product 'nope' is neither in the catalog nor ordered"),
        ([], 2, "exactly one of --product ID or --category NAME"),
        (["--product", "sku-apple", "--category", "服装"], 2, "exactly one of"),
        (["--transactions", "{db}"], 2, "either --db FILE"),
    ],
)
def test_the_cli_refuses_an_unclear_series(db: Path, args: list[str], code: int, said: str) -> None:
    given = [a.replace("{db}", str(db)) for a in args]
    result = CliRunner().invoke(cli, ["forecast", "daily", "--db", str(db), *given])
    assert result.exit_code == code, result.output
    assert said in result.output
