"""``livelens forecast …``: live nowcasts per product and daily demand forecasts with backtests."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from livelens.cli.app import DB_OPTION, cli
from livelens.errors import InvalidInput
from livelens.information.compute import compute_session_metrics
from livelens.intelligence.backtest import backtest
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
    "--transactions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Transactions as Parquet (one row per line item).",
)
@click.option("--date-col", required=True, help="Timestamp or date column.")
@click.option("--item-col", required=True, help="Product (or category) column.")
@click.option("--quantity-col", required=True, help="Units column; rows ≤ 0 are returns.")
@click.option("--horizon", default=14, show_default=True, type=click.IntRange(1, 366))
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--backtest", "with_backtest", is_flag=True, help="Add a rolling-origin backtest.")
def daily_command(
    transactions: Path,
    date_col: str,
    item_col: str,
    quantity_col: str,
    horizon: int,
    top: int,
    with_backtest: bool,
) -> None:
    """Daily demand of the top items: ETS + calendar forecasts with intervals (JSON)."""
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
