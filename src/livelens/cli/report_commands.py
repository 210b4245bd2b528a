"""The post-live review: ``livelens report``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from livelens.cli.app import cli
from livelens.errors import InvalidInput
from livelens.store.duckdb import DuckDBStore


@cli.command("report", short_help="Write a session's post-live review (复盘) as HTML or PDF.")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The DuckDB store file holding the session.",
)
@click.option("--session", "session_id", required=True, help="The session to review.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The report file; its suffix picks the format: .html or .pdf.",
)
def report_command(db: Path, session_id: str, out: Path) -> None:
    """Write the post-live review of one stored session: headline metrics, per-minute curves
    with persona turns, promos and anomaly alerts, the funnel, products, personas, comment
    concerns, hot words, every insight with its evidence, the live Q&A, anomaly alerts against the
    room's earlier sessions, pricing (discount response and guardrailed suggestions), how the
    in-live nowcasts did, and the playbooks' recommendations with their fates and measured
    outcomes (建议与结果). Chinese first, English beside it."""
    # Imported here: matplotlib and weasyprint are only needed when a report is written.
    from livelens.reports import report_format, write_report

    report_format(out)  # a wrong suffix fails before any work
    if not db.exists():
        msg = f"store {db} does not exist; ingest a session first (`livelens ingest --db {db}`)"
        raise InvalidInput(msg)
    with DuckDBStore(db) as store:
        stored = [s.session_id for s in store.sessions()]
        if session_id not in stored:
            listed = ", ".join(stored[:10]) + (" …" if len(stored) > 10 else "")
            msg = (
                f"session {session_id!r} is not in {db}; stored sessions: {listed or 'none'} "
                f"(`livelens sessions --db {db}`)"
            )
            raise InvalidInput(msg)
        written = write_report(store, session_id, out, generated_at=datetime.now(UTC))
    click.echo(f"wrote {written} ({written.stat().st_size / 1e3:,.0f} kB)")
