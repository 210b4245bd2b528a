"""Commands over the store: ingest files, list sessions, show the quarantine, export."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import click

from livelens.cli.app import DB_OPTION, EXIT_QUARANTINED, WORKSPACE_OPTION, cli
from livelens.cli.render import render_report
from livelens.errors import InvalidInput
from livelens.events.pseudonymise import Pseudonymiser, load_or_create_key
from livelens.events.reference import load_reference
from livelens.ingest import IngestPolicy, ingest
from livelens.settings import load_settings
from livelens.sources.base import Source, SourceBatch
from livelens.sources.bilibili_tidy import read_bilibili_tidy
from livelens.sources.bilibili_xml import read_bilibili_xml
from livelens.sources.jsonl import MAX_LINE_BYTES, JsonLinesFile
from livelens.sources.tabular import CsvFile, ParquetFile
from livelens.store.duckdb import DuckDBStore

FORMATS: Final = ("auto", "jsonl", "csv", "parquet", "bilibili-tidy", "bilibili-xml")
_SUFFIX_FORMATS: Final = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".xml": "bilibili-xml",
}


def _format_of(path: Path, requested: str) -> str:
    if requested != "auto":
        return requested
    if path.is_dir():
        return "bilibili-tidy"
    found = _SUFFIX_FORMATS.get(path.suffix.lower())
    if found is None:
        msg = f"{path}: cannot tell the format from the suffix {path.suffix!r}; pass --format"
        raise InvalidInput(msg)
    return found


@dataclass(frozen=True, slots=True)
class _SourceOptions:
    max_line_bytes: int
    room_id: str | None
    session_id: str | None


def _source_of(path: Path, fmt: str, options: _SourceOptions) -> Source:
    if not path.exists():
        msg = f"{path} does not exist"
        raise InvalidInput(msg)
    if fmt == "jsonl":
        return JsonLinesFile(path, options.max_line_bytes)
    if fmt == "csv":
        return CsvFile(path)
    if fmt == "parquet":
        return ParquetFile(path)
    if fmt == "bilibili-tidy":
        if not path.is_dir():
            msg = f"{path}: --format bilibili-tidy reads a folder of tidy CSV files"
            raise InvalidInput(msg)
        return _Batches(lambda: read_bilibili_tidy(path))
    return _Batches(
        lambda: read_bilibili_xml(path, room_id=options.room_id, session_id=options.session_id)
    )


class _Batches:
    """Adapts a generator function to the re-iterable Source protocol."""

    def __init__(self, make: Callable[[], Iterator[SourceBatch]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[SourceBatch]:
        return self._make()


@cli.command("ingest", short_help="Validate, de-duplicate, pseudonymise and store event files.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option(
    "--catalog",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Catalog/persona JSON to load as reference data.",
)
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON summary object.")
@WORKSPACE_OPTION
@click.option("--keep-nicknames", is_flag=True, help="Store nicknames (needs viewer consent).")
@click.option("--max-line-bytes", type=click.IntRange(min=1), default=MAX_LINE_BYTES)
@click.option("--room", "room_id", help="Room id for recordings that do not name one (XML).")
@click.option("--session", "session_id", help="Session id for a recording (XML).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes that decode and prepare JSON Lines files side by side (large files, "
    "more cores); the result is the same as with one.",
)
def ingest_command(
    paths: Sequence[Path],
    db: Path,
    fmt: str,
    catalog: Path | None,
    as_json: bool,
    workspace: str,
    keep_nicknames: bool,
    max_line_bytes: int,
    room_id: str | None,
    session_id: str | None,
    workers: int,
) -> None:
    """Validate, de-duplicate, pseudonymise and store events from files.

    Exit status: 0 all records stored, 3 some records quarantined, 1 error.
    """
    settings = load_settings(workspace, keep_nicknames=keep_nicknames)
    options = _SourceOptions(max_line_bytes, room_id, session_id)
    sources = [_source_of(p, _format_of(p, fmt), options) for p in paths]
    reference = load_reference(catalog) if catalog else None
    pseudonymiser = Pseudonymiser(load_or_create_key(settings.key_path))
    with DuckDBStore(db) as store:
        if reference is not None:
            store.put_reference(reference)
        report = ingest(
            sources,
            store,
            pseudonymiser,
            now=datetime.now(UTC),
            policy=IngestPolicy(keep_nicknames=settings.keep_nicknames),
            workers=workers,
        )
    for path in paths:
        if path.is_file() and path.stat().st_size == 0:
            click.echo(f"livelens: warning: {path} is empty", err=True)
    click.echo(
        json.dumps(report.summary(), ensure_ascii=False) if as_json else render_report(report)
    )
    if report.quarantined_total:
        sys.exit(EXIT_QUARANTINED)


@cli.command("sessions", short_help="List stored sessions with their span and counts.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def sessions_command(db: Path, as_json: bool) -> None:
    """List the stored sessions with their time span and counts."""
    with DuckDBStore(db) as store:
        sessions = store.sessions()
        counts = {s.session_id: store.event_counts(s.session_id) for s in sessions}
    if as_json:
        rows = [
            {
                "session_id": s.session_id,
                "room_id": s.room_id,
                "platform": s.platform,
                "started_at": s.started_at.isoformat(),
                "ended_at": s.ended_at.isoformat(),
                "events": s.events,
                "viewers": s.viewers,
                "by_type": counts[s.session_id],
            }
            for s in sessions
        ]
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for s in sessions:
        minutes = (s.ended_at - s.started_at).total_seconds() / 60
        click.echo(
            f"{s.session_id}  room {s.room_id} ({s.platform})  {s.started_at:%Y-%m-%d %H:%M}Z  "
            f"{minutes:.0f} min  {s.events:,} events  {s.viewers:,} viewers"
        )
        for kind, n in counts[s.session_id].items():
            click.echo(f"    {kind:<22} {n:>10,}")


@cli.command("quarantine", short_help="Show quarantined records and why.")
@DB_OPTION
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
def quarantine_command(db: Path, limit: int) -> None:
    """Show quarantined records: reason, place and detail."""
    with DuckDBStore(db) as store:
        counts = store.quarantine_counts()
        rows = store.quarantined(limit)
    for reason, n in counts.items():
        click.echo(f"{reason:<22} {n:>8,}")
    for row in rows:
        click.echo(f"{row['source']}:{row['location']}  {row['reason']}  {row['detail']}")


@cli.command("export", short_help="Export stored events to Parquet.")
@DB_OPTION
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--session", "session_id", help="Only this session.")
def export_command(db: Path, out: Path, session_id: str | None) -> None:
    """Export stored events to Parquet."""
    with DuckDBStore(db) as store:
        n = store.export_parquet(out, session_id)
    click.echo(f"wrote {n:,} events to {out}")
