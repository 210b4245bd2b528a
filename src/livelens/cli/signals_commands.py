"""``livelens signals …``: import external signals, match them to the catalog, test lead-lag."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final

import click
import msgspec
import pyarrow as pa

from livelens.cli.app import DB_OPTION, EXIT_QUARANTINED, WORKSPACE_OPTION, cli
from livelens.errors import InvalidInput
from livelens.events.columns import EVENTS_SCHEMA
from livelens.events.pseudonymise import Pseudonymiser, load_or_create_key
from livelens.ingest import ingest
from livelens.intelligence.leadlag import analyse_lead_lag, lead_lag_insight
from livelens.intelligence.matching import TrendMatcher
from livelens.intelligence.series import HOUR, products_of, sales_series, trend_series
from livelens.intelligence.signals import CompetitorPromoFile, WeiboHotSearchFile
from livelens.settings import load_settings
from livelens.sources.base import Source
from livelens.store.duckdb import DuckDBStore

SIGNAL_FORMATS: Final = ("weibo-hot", "competitor-promos")
METRICS: Final = {"clicks": "点击", "orders": "订单", "gmv_minor": "成交额"}


@cli.group("signals", short_help="External signals: import trends and promos, match, lead-lag.")
def signals_group() -> None:
    """External signals (Weibo hot search, competitor promotions) and what they lead."""


def _store_path(db: Path) -> Path:
    if not db.exists():
        msg = f"store {db} does not exist; import signals first (`livelens signals import`)"
        raise InvalidInput(msg)
    return db


@signals_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(SIGNAL_FORMATS), required=True)
@DB_OPTION
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First board day (weibo-hot).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last board day (weibo-hot).")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON summary object.")
@WORKSPACE_OPTION
def import_command(
    path: Path,
    fmt: str,
    db: Path,
    since: datetime | None,
    until: datetime | None,
    as_json: bool,
    workspace: str,
) -> None:
    """Import Weibo hot-search boards (trend.snapshot) or competitor promotions (CSV/JSONL,
    competitor.promo) through ingest. Re-importing a file stores nothing twice.

    Exit status: 0 all records stored, 3 some records quarantined, 1 error.
    """
    source: Source
    if fmt == "weibo-hot":
        first: date | None = since.date() if since else None
        last: date | None = until.date() if until else None
        source = WeiboHotSearchFile(path, since=first, until=last)
    else:
        source = CompetitorPromoFile(path)
    settings = load_settings(workspace)
    pseudonymiser = Pseudonymiser(load_or_create_key(settings.key_path))
    with DuckDBStore(db) as store:
        report = ingest([source], store, pseudonymiser, now=datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(report.summary(), ensure_ascii=False))
    else:
        click.echo(f"accepted     {report.accepted:>10,}")
        click.echo(f"duplicates   {report.duplicates:>10,}")
        click.echo(f"quarantined  {report.quarantined_total:>10,}")
        for reason, n in sorted(report.quarantined.items()):
            click.echo(f"  {reason:<22} {n:>8,}")
        click.echo(f"sessions     {len(report.sessions):>10,}")
    if report.quarantined_total:
        sys.exit(EXIT_QUARANTINED)


def _keywords(store: DuckDBStore) -> list[str]:
    rows = store.con.execute(
        "SELECT keyword FROM events WHERE type = 'trend.snapshot' "
        "GROUP BY keyword ORDER BY max(heat) DESC"
    ).fetchall()
    return [str(r[0]) for r in rows]


@signals_group.command("match")
@DB_OPTION
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one match per line.")
def match_command(db: Path, min_score: float, as_json: bool) -> None:
    """Match stored trend keywords to the catalog's products, categories and brands."""
    with DuckDBStore(_store_path(db)) as store:
        products = store.reference().products
        keywords = _keywords(store)
    if not products:
        msg = f"store {db} has no catalog; load one with `livelens ingest --catalog FILE`"
        raise InvalidInput(msg)
    matcher = TrendMatcher(products)
    for keyword in keywords:
        for found in matcher.match(keyword):
            if found.score < min_score:
                continue
            if as_json:
                click.echo(msgspec.json.encode(found).decode())
            else:
                click.echo(f"{found.score:.1f}  {keyword}  →  {found.target}  ({found.reason})")


def _events(store: DuckDBStore, types: Sequence[str]) -> pa.Table:
    marks = ", ".join("?" for _ in types)
    columns = ", ".join(f'"{n}"' for n in EVENTS_SCHEMA.names)
    query = f"SELECT {columns} FROM events WHERE type IN ({marks}) ORDER BY ts"  # noqa: S608
    table: pa.Table = store.con.sql(query, params=list(types)).to_arrow_table()
    return table.cast(EVENTS_SCHEMA)


@signals_group.command("leadlag")
@DB_OPTION
@click.option("--keyword", required=True, help="Trend keyword (matched as a substring of titles).")
@click.option("--product", "product_id", help="A product id of the catalog.")
@click.option("--category", help="A catalog category.")
@click.option("--metric", type=click.Choice(tuple(METRICS)), default="clicks", show_default=True)
@click.option("--max-lag-hours", type=click.IntRange(0, 72), default=6, show_default=True)
def leadlag_command(
    db: Path,
    keyword: str,
    product_id: str | None,
    category: str | None,
    metric: str,
    max_lag_hours: int,
) -> None:
    """Does the keyword's hourly heat lead the product's (or category's) sales? Prints the
    trend_lead insight as JSON, with its evidence and confidence."""
    if (product_id is None) == (category is None):
        msg = "give exactly one of --product ID or --category NAME"
        raise click.UsageError(msg)
    with DuckDBStore(_store_path(db)) as store:
        products = store.reference().products
        trends = _events(store, ["trend.snapshot"])
        sales = _events(store, ["order.paid", "product.click"])
    ids = products_of(products, product_id=product_id, category=category)
    if not ids:
        msg = f"category {category!r} has no product in the store's catalog"
        raise InvalidInput(msg)
    if sales.num_rows == 0 or trends.num_rows == 0:
        msg = f"store {db} needs both trend.snapshot and sales events for lead-lag"
        raise InvalidInput(msg)
    start = sales["ts"][0].as_py().replace(minute=0, second=0, microsecond=0)
    end = sales["ts"][-1].as_py().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    x = trend_series(trends, keyword, start=start, end=end, bucket=HOUR).array("heat")
    y = sales_series(sales, ids, start=start, end=end, bucket=HOUR).array(metric)
    try:
        result = analyse_lead_lag(x, y, max_lag=max_lag_hours)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    by_id = {p.product_id: p for p in products}
    if product_id is not None:
        subject = f"product {product_id}"
        subject_zh = by_id[product_id].title if product_id in by_id else product_id
    else:
        subject, subject_zh = f"category {category}", f"{category}类"
    insight = lead_lag_insight(
        result,
        keyword=keyword,
        subject=subject,
        subject_zh=subject_zh,
        metric_zh=METRICS[metric],
        metric_en=metric,
    )
    click.echo(msgspec.json.encode(insight).decode())
