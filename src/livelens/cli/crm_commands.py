"""``livelens crm …``: RFM segments, CLV, migration, holdout checks, consent and audiences.

Purchases come from a CSV/Parquet file whose columns the flags name, or from a store's
``order.paid`` events (``--db``), where RFM also gains the live engagement score E.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from livelens.cli.app import cli
from livelens.crm.audiences import export_audience, list_exports
from livelens.crm.clv import customer_lifetime_value
from livelens.crm.consent import consent_counts, import_consent, parse_consent_csv
from livelens.crm.engagement import Engagement, compute_engagement
from livelens.crm.holdout import validate_holdout
from livelens.crm.rfm import RfmTable, compute_rfm
from livelens.crm.segments import SEGMENTS, migrate, segment_name
from livelens.crm.store_orders import read_store_transactions
from livelens.crm.summary import summarise
from livelens.crm.transactions import Columns, Transactions, read_transactions
from livelens.errors import InvalidInput
from livelens.governance.audit import AuditLog
from livelens.store.duckdb import DuckDBStore

F = TypeVar("F", bound=Callable[..., Any])

DATE = click.DateTime(formats=["%Y-%m-%d"])
EXISTING_DB = click.Path(exists=True, dir_okay=False, path_type=Path)


@cli.group("crm", short_help="Customer analytics: RFM segments, CLV, audiences with consent.")
def crm_group() -> None:
    """Customers from orders: RFM(+E) segments, BG/NBD + Gamma-Gamma CLV, consented audiences.

    Purchases are counted per calendar day. Read from a file (--transactions with --customer-col,
    --date-col, --amount-col) or from a store (--db: order.paid net of refunds, plus engagement).
    """


def _source(command: F) -> F:
    options = [
        click.option(
            "--transactions",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="CSV or Parquet file of purchases (one row per purchase or invoice line).",
        ),
        click.option("--db", type=EXISTING_DB, help="Read order.paid events from this store."),
        click.option("--customer-col", help="File column holding the customer id."),
        click.option("--date-col", help="File column holding the purchase date or time."),
        click.option("--amount-col", help="File column holding the amount (decimal currency)."),
        click.option("--quantity-col", help="Multiply the amount (a unit price) by this column."),
        click.option("--invoice-col", help="Invoices starting with 'C' are cancellations."),
        click.option("--date-format", help="strptime format of the date column, e.g. %Y%m%d."),
        click.option("--keep-zero-amounts", is_flag=True, help="Count zero amounts as purchases."),
        click.option("--strict", is_flag=True, help="Refuse rows that are not purchases."),
        click.option(
            "--timezone",
            default="UTC",
            show_default=True,
            help="Store only: the time zone whose calendar days count.",
        ),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), command)


def _load(params: dict[str, Any]) -> tuple[Transactions, Path | None]:
    if (params["transactions"] is None) == (params["db"] is None):
        msg = "pass exactly one of --transactions FILE or --db STORE"
        raise InvalidInput(msg)
    if params["db"] is not None:
        with DuckDBStore(params["db"]) as store:
            return read_store_transactions(store.con, timezone=params["timezone"]), params["db"]
    missing = [flag for flag in ("customer_col", "date_col", "amount_col") if not params[flag]]
    if missing:
        flags = ", ".join("--" + flag.replace("_", "-") for flag in missing)
        msg = f"--transactions needs {flags} to name the file's columns"
        raise InvalidInput(msg)
    columns = Columns(
        customer=params["customer_col"],
        date=params["date_col"],
        amount=params["amount_col"],
        quantity=params["quantity_col"],
        invoice=params["invoice_col"],
        date_format=params["date_format"],
        keep_zero_amounts=params["keep_zero_amounts"],
    )
    return read_transactions(params["transactions"], columns, strict=params["strict"]), None


def _engagement(db: Path | None, as_of: date, timezone: str) -> Engagement | None:
    if db is None:
        return None
    with DuckDBStore(db) as store:
        events = store.con.sql(
            "SELECT type, ts, session_id, viewer_id FROM events"
        ).to_arrow_table()
    return compute_engagement(events, as_of, timezone=timezone)


def _rfm(params: dict[str, Any], as_of: date) -> tuple[Transactions, RfmTable]:
    transactions, db = _load(params)
    summary = summarise(transactions.table, as_of)
    engagement = _engagement(db, as_of, params["timezone"])
    return transactions, compute_rfm(summary, bins=params["bins"], engagement=engagement)


def _emit(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False))


BINS = click.option(
    "--bins", type=int, default=5, show_default=True, help="Score levels (5 = quintiles)."
)
AS_OF = click.option("--as-of", type=DATE, required=True, help="The analysis date (YYYY-MM-DD).")


@crm_group.command("rfm", short_help="RFM(+E) scores, segments and sizes (JSON).")
@_source
@AS_OF
@BINS
def rfm_command(as_of: datetime, **params: Any) -> None:
    """RFM(+E) scores and segment per customer, and segment sizes, as JSON."""
    transactions, table = _rfm(params, as_of.date())
    _emit(
        {
            "as_of": as_of.date().isoformat(),
            "bins": table.bins,
            "customers": len(table),
            "excluded": transactions.excluded,
            "after_as_of": table.summary.after_as_of,
            "segments": table.sizes(),
            "results": table.rows(),
        }
    )


@crm_group.command("clv", short_help="BG/NBD + Gamma-Gamma fit and CLV (JSON).")
@_source
@AS_OF
@click.option("--time-unit", type=click.Choice(["day", "week"]), default="week", show_default=True)
@click.option("--horizon", type=int, default=52, show_default=True, help="In time units.")
@click.option("--discount-rate", type=float, default=0.10, show_default=True, help="Per year.")
@click.option("--margin", type=float, default=1.0, show_default=True, help="Profit share.")
def clv_command(
    as_of: datetime,
    time_unit: str,
    horizon: int,
    discount_rate: float,
    margin: float,
    **params: Any,
) -> None:
    """BG/NBD + Gamma-Gamma fit, and P(alive), purchases, AOV and CLV per customer, as JSON."""
    transactions, _ = _load(params)
    summary = summarise(transactions.table, as_of.date())
    result = customer_lifetime_value(
        summary,
        time_unit=time_unit,
        horizon=horizon,
        annual_discount_rate=discount_rate,
        margin=margin,
    )
    _emit(
        {
            "as_of": as_of.date().isoformat(),
            "time_unit": time_unit,
            "horizon": horizon,
            "discount_rate": discount_rate,
            "margin": margin,
            "customers": len(summary),
            "excluded": transactions.excluded,
            "bgnbd": result.bgnbd.params.as_dict(),
            "gamma_gamma": result.gamma_gamma.params.as_dict(),
            "fit": {
                "bgnbd_log_likelihood": result.bgnbd.log_likelihood,
                "gamma_gamma_log_likelihood": result.gamma_gamma.log_likelihood,
                "gamma_gamma_customers": result.gamma_gamma.customers,
                "frequency_spend_corr": result.gamma_gamma.frequency_spend_corr,
            },
            "results": result.rows(),
        }
    )


@crm_group.command("migrate", short_help="Segment migration between two dates (JSON).")
@_source
@click.option("--from", "from_", type=DATE, required=True, help="The earlier date.")
@click.option("--to", type=DATE, required=True, help="The later date.")
@BINS
def migrate_command(from_: datetime, to: datetime, **params: Any) -> None:
    """Segment migration between two dates: a from × to matrix and who moved, as JSON."""
    if to <= from_:
        msg = f"--to ({to:%Y-%m-%d}) must be after --from ({from_:%Y-%m-%d})"
        raise InvalidInput(msg)
    transactions, db = _load(params)
    tables = []
    for day in (from_.date(), to.date()):
        engagement = _engagement(db, day, params["timezone"])
        summary = summarise(transactions.table, day)
        tables.append(compute_rfm(summary, bins=params["bins"], engagement=engagement))
    before, after = tables
    moved = migrate(before.customer_id, before.segment, after.customer_id, after.segment)
    _emit(
        {
            "from": from_.date().isoformat(),
            "to": to.date().isoformat(),
            "matrix": moved.matrix,
            "stayed": moved.stayed,
            "moved": len(moved.moves),
            "moves": [{"customer_id": c, "from": a, "to": b} for c, a, b in moved.moves],
        }
    )


@crm_group.command("holdout", short_help="Predicted vs actual purchases in a holdout.")
@_source
@click.option("--calibration-end", type=DATE, required=True, help="Last day to fit on.")
@click.option("--holdout-end", type=DATE, required=True, help="Last day to predict.")
@click.option("--time-unit", type=click.Choice(["day", "week"]), default="week", show_default=True)
def holdout_command(
    calibration_end: datetime, holdout_end: datetime, time_unit: str, **params: Any
) -> None:
    """Check BG/NBD: predicted vs actual holdout purchases, by calibration frequency."""
    transactions, _ = _load(params)
    report = validate_holdout(
        transactions.table, calibration_end.date(), holdout_end.date(), time_unit=time_unit
    )
    _emit(report.as_dict())


@crm_group.command("audience", short_help="Export a segment's consenting viewers.")
@click.option("--db", type=EXISTING_DB, required=True, help="The store with orders and consent.")
@click.option("--segment", required=True, help=f"One of: {', '.join(SEGMENTS)}.")
@click.option("--purpose", required=True, help="The named campaign the audience is for.")
@click.option("--by", "by", required=True, help="Who asks for the export (recorded).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@AS_OF
@BINS
@click.option("--timezone", default="UTC", show_default=True, help="Calendar-day time zone.")
def audience_command(
    db: Path,
    segment: str,
    purpose: str,
    by: str,
    out: Path,
    as_of: datetime,
    bins: int,
    timezone: str,
) -> None:
    """Export a segment's marketing-consenting viewers (pseudonyms) to --out; record it."""
    name = segment_name(segment)
    params = {"db": db, "transactions": None, "timezone": timezone, "bins": bins}
    _, table = _rfm(params, as_of.date())
    with DuckDBStore(db) as store:
        export = export_audience(
            store.con,
            table,
            segment=name,
            purpose=purpose,
            exported_by=by,
            at=datetime.now(UTC),
            out=out,
        )
        details = {
            "purpose": export.purpose,
            "exported": export.exported,
            "excluded": export.excluded,
            "sha256": export.sha256,
            "export_id": export.export_id,
        }
        AuditLog(store).append(by, "audience.export", name, details, at=export.exported_at)
    _emit(export.as_dict())


@crm_group.command("consent", short_help="Import and count viewer consent scopes.")
@click.option("--db", type=EXISTING_DB, required=True, help="The store.")
@click.option(
    "--import",
    "import_",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with header viewer_id,scopes (scopes separated by ';').",
)
def consent_command(db: Path, import_: Path | None) -> None:
    """Import viewer consent scopes (replacing earlier ones) and show the totals."""
    with DuckDBStore(db) as store:
        payload: dict[str, Any] = {}
        if import_ is not None:
            records = parse_consent_csv(import_.read_text(encoding="utf-8"), str(import_))
            payload["imported"] = import_consent(
                store.con, records, at=datetime.now(UTC), source=str(import_)
            )
        payload["totals"] = consent_counts(store.con)
    _emit(payload)


@crm_group.command("exports", short_help="List the recorded audience exports.")
@click.option("--db", type=EXISTING_DB, required=True, help="The store.")
def exports_command(db: Path) -> None:
    """The recorded audience exports: who, when, purpose, segment, counts."""
    with DuckDBStore(db) as store:
        _emit({"exports": list_exports(store.con)})
