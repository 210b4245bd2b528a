"""``livelens forecast …``: live nowcasts per product and daily demand forecasts with backtests."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from livelens.cli.app import DB_OPTION, cli
from livelens.errors import InvalidInput
from livelens.information.compute import compute_session_metrics
from livelens.intelligence.backtest import backtest
from livelens.intelligence.daily_outlook import daily_outlook, read_daily_series
from livelens.intelligence.forecast import daily_demand, forecast_daily
from livelens.intelligence.nowcast import nowcast_products
from livelens.store.duckdb import DuckDBStore


@cli.group("forecast", short_help="Demand forecasts: live nowcasts and daily demand backtests.")
def forecast_group() -> None:
    """Nowcasts of orders and GMV per product, and daily demand forecasts with backtests."""


@forecast_group.command("nowcast")
@DB_OPTION
@click.option("--session", "session_id", required=True, help="The stored session id.")
def nowcast_command(db: Path, session_id: str) -> None:
    """Orders and GMV per product for the next 5/15/30 minutes, with 80%/95% intervals (JSON)."""
    if not db.exists():
        msg = f"store {db} does not exist; ingest a session first (`livelens ingest --db {db}`)"
        raise InvalidInput(msg)
    with DuckDBStore(db) as store:
        stored = [s.session_id for s in store.sessions()]
        if session_id not in stored:
            msg = (
                f"session {session_id!r} is not in {db}; stored: {', '.join(stored[:10]) or 'none'}"
            )
            raise InvalidInput(msg)
        metrics = compute_session_metrics(store.events(session_id))
    nowcasts = nowcast_products(metrics)
    click.echo(msgspec.json.encode({"session_id": session_id, "nowcasts": nowcasts}).decode())


@forecast_group.command("daily")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A store: forecast one product's or category's daily orders (with --product/--category).",
)
@click.option(
    "--product", "product_id", help="With --db: the product whose daily units to forecast."
)
@click.option("--category", help="With --db: the catalog category whose daily units to forecast.")
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    help="With --db: the time zone of the calendar days (an IANA name, e.g. Asia/Shanghai).",
)
@click.option(
    "--transactions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Instead of --db: transactions as Parquet (one row per line item).",
)
@click.option("--date-col", help="With --transactions: timestamp or date column.")
@click.option("--item-col", help="With --transactions: product (or category) column.")
@click.option("--quantity-col", help="With --transactions: units column; rows ≤ 0 are returns.")
@click.option("--horizon", default=14, show_default=True, type=click.IntRange(1, 366))
@click.option(
    "--top",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="With --transactions: how many items, by volume.",
)
@click.option("--backtest", "with_backtest", is_flag=True, help="Add a rolling-origin backtest.")
def daily_command(
    db: Path | None,
    product_id: str | None,
    category: str | None,
    timezone: str,
    transactions: Path | None,
    date_col: str | None,
    item_col: str | None,
    quantity_col: str | None,
    horizon: int,
    top: int,
    with_backtest: bool,
) -> None:
    """Daily demand: ETS with festival and trend-heat regressors, intervals, baseline (JSON).

    From a store (--db with --product or --category): the outlook the API's
    GET /api/forecast/daily gives — the forecast, the seasonal naive baseline, the regressors used
    (festivals; trend heat of the stored Weibo keywords that name the series) and, with
    --backtest, MASE and interval coverage. From a transactions file: the top items' forecasts.
    """
    if db is not None and transactions is None:
        _daily_from_store(db, product_id, category, timezone, horizon, with_backtest)
        return
    if transactions is None or db is not None:
        msg = "give either --db FILE (with --product or --category) or --transactions FILE"
        raise click.UsageError(msg)
    if product_id is not None or category is not None:
        msg = "--product and --category go with --db, not --transactions"
        raise click.UsageError(msg)
    if date_col is None or item_col is None or quantity_col is None:
        msg = "--transactions needs --date-col, --item-col and --quantity-col"
        raise click.UsageError(msg)
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(transactions, columns=[date_col, item_col, quantity_col])
    except (KeyError, ValueError) as error:
        msg = f"{transactions}: cannot read columns {date_col}, {item_col}, {quantity_col}: {error}"
        raise InvalidInput(msg) from error
    series = daily_demand(table, date_col, item_col, quantity_col, top=top)
    out: dict[str, object] = {"forecasts": forecast_daily(series, horizon)}
    if with_backtest:
        out["backtest"] = backtest(series, horizon=horizon)
    click.echo(msgspec.json.encode(out).decode())


def _daily_from_store(
    db: Path,
    product_id: str | None,
    category: str | None,
    timezone: str,
    horizon: int,
    with_backtest: bool,
) -> None:
    if not db.exists():
        msg = f"store {db} does not exist; ingest sessions first (`livelens ingest --db {db}`)"
        raise InvalidInput(msg)
    if (product_id is None) == (category is None):
        msg = "with --db, give exactly one of --product ID or --category NAME"
        raise click.UsageError(msg)
    with DuckDBStore(db) as store:
        series = read_daily_series(
            store, product_id=product_id, category=category, timezone=timezone
        )
    outlook = daily_outlook(series, horizon=horizon, with_backtest=with_backtest)
    click.echo(msgspec.json.encode(outlook).decode())
