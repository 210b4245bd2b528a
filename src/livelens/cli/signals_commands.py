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
from livelens.comments.analyze import CommentAnalyzer
from livelens.errors import InvalidInput
from livelens.events.pseudonymise import Pseudonymiser, load_or_create_key
from livelens.ingest import ingest
from livelens.intelligence.leadlag import Expect, analyse_lead_lag, lead_lag_insight
from livelens.intelligence.leadlag_scan import metric_names
from livelens.intelligence.leadlag_store import read_events, scan_store
from livelens.intelligence.matching import TrendMatcher
from livelens.intelligence.series import (
    CONCERN_LABELS,
    HOUR,
    analyzer_classifier,
    comment_share_series,
    competitor_series,
    products_of,
    sales_series,
    trend_series,
)
from livelens.intelligence.signals import CompetitorPromoFile, WeiboHotSearchFile
from livelens.settings import load_settings
from livelens.sources.base import Source
from livelens.store.duckdb import DuckDBStore

SIGNAL_FORMATS: Final = ("weibo-hot", "competitor-promos")
SALES_METRICS: Final = ("clicks", "orders", "gmv_minor")
SHARE_METRICS: Final = (
    "positive_share",
    "negative_share",
    *(f"concern_{label}" for label in CONCERN_LABELS),
)
SIGNALS: Final = ("trend", "competitor")


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
    return read_events(store, types)


def _signal(
    store: DuckDBStore, signal: str, keyword: str | None, category: str | None
) -> tuple[pa.Table, str]:
    """The signal's events and what it follows (the keyword, or the competitors' category)."""
    if signal == "trend":
        if keyword is None:
            msg = "--signal trend needs --keyword WORD (a trend keyword)"
            raise click.UsageError(msg)
        return _events(store, ["trend.snapshot"]), keyword
    if category is None:
        msg = "--signal competitor needs --category NAME (the promotions' category)"
        raise click.UsageError(msg)
    return _events(store, ["competitor.promo"]), category


@signals_group.command("leadlag")
@DB_OPTION
@click.option(
    "--signal",
    type=click.Choice(SIGNALS),
    default="trend",
    show_default=True,
    help="Trend heat of --keyword, or the strongest competitor discount in --category.",
)
@click.option("--keyword", help="Trend keyword (matched as a substring of titles).")
@click.option("--product", "product_id", help="A product id of the catalog.")
@click.option("--category", help="A catalog category.")
@click.option(
    "--metric",
    type=click.Choice((*SALES_METRICS, *SHARE_METRICS)),
    default="clicks",
    show_default=True,
    help="A sales metric, or a comment share (hours without comments are left out).",
)
@click.option("--max-lag-hours", type=click.IntRange(0, 72), default=6, show_default=True)
def leadlag_command(
    db: Path,
    signal: str,
    keyword: str | None,
    product_id: str | None,
    category: str | None,
    metric: str,
    max_lag_hours: int,
) -> None:
    """Does the keyword's hourly heat (or a competitor's promotions in the category) lead the
    product's (or category's) sales or comment shares? Prints the insight as JSON, with its
    evidence and confidence.

    A trend must raise a sales metric to count; any other pairing may move either way.
    """
    if (product_id is None) == (category is None) and signal == "trend":
        msg = "give exactly one of --product ID or --category NAME"
        raise click.UsageError(msg)
    comments = metric in SHARE_METRICS
    with DuckDBStore(_store_path(db)) as store:
        products = store.reference().products
        signals, driver = _signal(store, signal, keyword, category)
        sales = _events(store, ["order.paid", "product.click"])
        events = _events(store, ["comment", "host.product_pin"]) if comments else sales
    ids = products_of(products, product_id=product_id, category=category)
    if not ids:
        msg = f"category {category!r} has no product in the store's catalog"
        raise InvalidInput(msg)
    if sales.num_rows == 0 or signals.num_rows == 0:
        kind = "trend.snapshot" if signal == "trend" else "competitor.promo"
        msg = f"store {db} needs both {kind} and sales events for lead-lag"
        raise InvalidInput(msg)
    start = sales["ts"][0].as_py().replace(minute=0, second=0, microsecond=0)
    end = sales["ts"][-1].as_py().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if signal == "trend":
        x = trend_series(signals, driver, start=start, end=end, bucket=HOUR).array("heat")
    else:
        x = competitor_series(signals, driver, start=start, end=end).array("discount_pct")
    if comments:
        classify = analyzer_classifier(CommentAnalyzer(p.title for p in products))
        shares = comment_share_series(
            events, ids, classify, concerns=CONCERN_LABELS, start=start, end=end, bucket=HOUR
        )
        y = shares.array(metric)
    else:
        y = sales_series(sales, ids, start=start, end=end, bucket=HOUR).array(metric)
    expect: Expect = "rise" if signal == "trend" and not comments else "either"
    try:
        result = analyse_lead_lag(x, y, max_lag=max_lag_hours, expect=expect)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    by_id = {p.product_id: p for p in products}
    if product_id is not None:
        subject = f"product {product_id}"
        subject_zh = by_id[product_id].title if product_id in by_id else product_id
    else:
        subject, subject_zh = f"category {category}", f"{category}类"
    metric_zh, metric_en = metric_names(metric)
    competitor = signal == "competitor"
    insight = lead_lag_insight(
        result,
        keyword=driver,
        subject=subject,
        subject_zh=f"本店{subject_zh}" if competitor else subject_zh,
        metric_zh=metric_zh,
        metric_en=metric_en,
        metric=metric,
        signal_zh=f"竞品「{driver}」类促销" if competitor else None,
        signal_en=f"a competitor runs a promotion in 「{driver}」" if competitor else None,
        kind="competitor_lead" if competitor else "trend_lead",
    )
    click.echo(msgspec.json.encode(insight).decode())


@signals_group.command("scan")
@DB_OPTION
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="False discovery rate (Benjamini-Hochberg) over all the tests.",
)
@click.option("--max-lag-hours", type=click.IntRange(0, 72), default=6, show_default=True)
@click.option(
    "--comments/--no-comments",
    default=True,
    show_default=True,
    help="Also test comment sentiment and concern shares.",
)
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
def scan_command(db: Path, alpha: float, max_lag_hours: int, comments: bool, as_json: bool) -> None:
    """Lead-lag of every matched trend word and every competitor category against the products
    and categories they concern (clicks, orders, GMV, comment shares), keeping the findings whose
    Benjamini-Hochberg q-value is at most --alpha."""
    with DuckDBStore(_store_path(db)) as store:
        classify = None
        if comments:
            classify = analyzer_classifier(CommentAnalyzer(store.display_names().values()))
        scan = scan_store(store, alpha=alpha, max_lag=max_lag_hours, classify=classify)
    if scan is None:
        msg = (
            f"store {db} has no external signals overlapping its sales in time; import them "
            "with `livelens signals import` and the sales with `livelens ingest`"
        )
        raise InvalidInput(msg)
    if as_json:
        summary = {
            "start": scan.start.isoformat(),
            "end": scan.end.isoformat(),
            "bucket_s": scan.bucket_s,
            "max_lag": scan.max_lag,
            "alpha": scan.alpha,
            "pairs": scan.pairs,
            "tests": scan.tests,
            "skipped": scan.skipped,
            "findings": [msgspec.to_builtins(f) for f in scan.findings],
        }
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(
        f"{scan.start.isoformat()} – {scan.end.isoformat()}: {scan.pairs} pairs, "
        f"{scan.tests} tests, {sum(scan.skipped.values())} skipped, "
        f"{len(scan.findings)} findings at FDR {scan.alpha:g}"
    )
    for finding in scan.findings:
        click.echo(f"{finding.confidence:.3f}  {finding.text_zh}")
        click.echo(f"       {finding.text_en}")
