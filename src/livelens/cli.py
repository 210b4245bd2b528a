"""The ``livelens`` command line: parse, call one library function, render.

Errors are translated here only: a :class:`~livelens.errors.LivelensError` becomes one line on
stderr and a non-zero exit (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import click
import msgspec

from livelens import __version__
from livelens.errors import InvalidInput, LivelensError
from livelens.events.pseudonymise import Pseudonymiser, load_or_create_key
from livelens.events.reference import load_reference
from livelens.information.analysis import Analysis, analyze_session
from livelens.information.ticker import MinuteSummary, MinuteTicker
from livelens.ingest import IngestPolicy, IngestReport, ingest
from livelens.runner import BatchUpdate, LiveRunner
from livelens.settings import data_dir, load_settings
from livelens.sources.base import Source, SourceBatch
from livelens.sources.bilibili_tidy import read_bilibili_tidy
from livelens.sources.bilibili_xml import read_bilibili_xml
from livelens.sources.jsonl import MAX_LINE_BYTES, FilePosition, JsonLinesFile, JsonLinesTail
from livelens.sources.simulator import SimulationConfig, write_session
from livelens.sources.tabular import CsvFile, ParquetFile
from livelens.store.duckdb import DuckDBStore

EXIT_QUARANTINED: Final = 3
FORMATS: Final = ("auto", "jsonl", "csv", "parquet", "bilibili-tidy", "bilibili-xml")
_SUFFIX_FORMATS: Final = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".xml": "bilibili-xml",
}

DB_OPTION = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The DuckDB store file (created if missing).",
)
WORKSPACE_OPTION = click.option(
    "--workspace",
    default="default",
    show_default=True,
    help="Workspace whose pseudonymisation key is used (keys live in $LIVELENS_HOME/keys).",
)


class _Cli(click.Group):
    """Turns livelens errors into one line on stderr, unless --debug is given."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LivelensError as error:
            if ctx.params.get("debug"):
                raise
            click.echo(f"livelens: error: {error}", err=True)
            ctx.exit(1)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="livelens")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """livelens: the data-to-knowledge engine for AI-hosted live-commerce rooms."""


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


def _render_report(report: IngestReport) -> str:
    lines = [f"accepted     {report.accepted:>10,}", f"duplicates   {report.duplicates:>10,}"]
    lines.append(f"quarantined  {report.quarantined_total:>10,}")
    lines.extend(f"  {reason:<22} {n:>8,}" for reason, n in sorted(report.quarantined.items()))
    if report.sessions:
        lines.append("sessions     " + ", ".join(report.sessions))
    return "\n".join(lines)


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
        )
    for path in paths:
        if path.is_file() and path.stat().st_size == 0:
            click.echo(f"livelens: warning: {path} is empty", err=True)
    click.echo(
        json.dumps(report.summary(), ensure_ascii=False) if as_json else _render_report(report)
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


def _render_analysis(analysis: Analysis) -> str:
    metrics, totals = analysis.metrics, analysis.metrics.totals
    lines = [
        f"场次 session {analysis.session_id}  room {metrics.room_id} ({metrics.platform})  "
        f"{metrics.started_at:%Y-%m-%d %H:%M}–{metrics.ended_at:%H:%M} UTC, {metrics.minutes} min",
        f"  观众 viewers {totals.unique_viewers:,}  峰值在线 peak online {totals.peak_online:,}  "
        f"评论 comments {totals.comments:,}  点赞 likes {totals.likes:,}",
    ]
    if totals.gmv_minor is not None:
        lines.append(
            f"  GMV ¥{totals.gmv_minor / 100:,.2f}  订单 orders {totals.orders:,}  "
            f"CTR {totals.ctr or 0:.1%}  GPM ¥{(totals.gpm_minor or 0) / 100:,.2f}  "
            f"UV价值 ¥{(totals.uv_value_minor or 0) / 100:,.2f}"
        )
    for group, why in metrics.unavailable.items():
        lines.append(f"  {group}: not available — {why}")
    lines.append("洞察 insights:")
    lines.extend(f"  [{i.kind}] {i.text_zh}\n      {i.text_en}" for i in analysis.insights)
    return "\n".join(lines)


@cli.command("analyze", short_help="Print a session's metrics and insights.")
@DB_OPTION
@click.option("--session", "session_id", required=True, help="The session to analyse.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def analyze_command(db: Path, session_id: str, fmt: str) -> None:
    """Compute live metrics and detect insights for one stored session."""
    with DuckDBStore(db) as store:
        events = store.events(session_id)
        names = store.display_names()
    if events.num_rows == 0:
        msg = f"session {session_id!r} has no events in {db}; see `livelens sessions --db {db}`"
        raise InvalidInput(msg)
    analysis = analyze_session(events, names)
    if fmt == "json":
        click.echo(msgspec.json.encode(analysis).decode())
    else:
        click.echo(_render_analysis(analysis))


def _render_minute(summary: MinuteSummary) -> str:
    reported = f" (平台 {summary.online_reported:,})" if summary.online_reported else ""
    return (
        f"[{summary.session_id}] {summary.starts_at:%H:%M}Z 第{summary.minute}分钟  "
        f"在线 {summary.online:,}{reported}  进 {summary.entries:,} 出 {summary.exits:,}  "
        f"评论 {summary.comments:,}  点赞 {summary.likes:,}  点击 {summary.clicks:,}  "
        f"订单 {summary.orders:,}  GMV ¥{summary.gmv_minor / 100:,.2f}"
    )


@cli.command("run", short_help="Consume a file or the simulator live, with checkpoints.")
@click.option("--source", required=True, help="A JSON Lines file to follow, or 'simulator'.")
@DB_OPTION
@click.option("--speed", type=float, default=1.0, show_default=True, help="Simulator pace.")
@click.option("--minutes", type=click.IntRange(min=1), default=60, show_default=True)
@click.option("--peak-viewers", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--idle-timeout",
    type=float,
    default=None,
    help="Stop following a file after this many seconds without new lines (default: never).",
)
@click.option("--name", default="live", show_default=True, help="Checkpoint name.")
@click.option("--fresh", is_flag=True, help="Ignore an existing checkpoint.")
@WORKSPACE_OPTION
def run_command(
    source: str,
    db: Path,
    speed: float,
    minutes: int,
    peak_viewers: int,
    seed: int,
    idle_timeout: float | None,
    name: str,
    fresh: bool,
    workspace: str,
) -> None:
    """Consume events continuously and print each minute as it closes.

    Follows a growing JSON Lines file (like tail -f), or runs the simulator in real time
    (--speed 10: ten times faster). The engine state is checkpointed into the store with the
    source position; a restart continues from there unless --fresh is given.
    """
    settings = load_settings(workspace)
    pseudonymiser = Pseudonymiser(load_or_create_key(settings.key_path))
    with DuckDBStore(db) as store:
        runner = LiveRunner(store, pseudonymiser, name=name, clock=lambda: datetime.now(UTC))
        position = None if fresh else runner.resume()
        if source == "simulator":
            from livelens.sources.paced import PacedSimulator
            from livelens.sources.simulator import SimulationConfig

            config = SimulationConfig(
                minutes=minutes,
                peak_viewers=peak_viewers,
                seed=seed,
                reviews_path=_default_reviews(),
            )
            batches: Iterable[SourceBatch] = PacedSimulator(config, speed, position)
        else:
            start = FilePosition.decode(position) if position else None
            batches = JsonLinesTail(Path(source), start=start, idle_timeout_s=idle_timeout)
        if position:
            click.echo(f"resuming {name} from {position}")
        ticker = MinuteTicker()

        def show(update: BatchUpdate) -> None:
            for summary in ticker.closed(update.engine, update.sessions):
                click.echo(_render_minute(summary))

        try:
            report = runner.run(batches, show)
        except KeyboardInterrupt:
            click.echo("stopped; state saved at the last checkpoint", err=True)
            return
        for summary in ticker.remaining(runner.engine):
            click.echo(_render_minute(summary))
    latencies = sorted(report.latencies_s) or [0.0]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    click.echo(
        f"done: {report.batches:,} batches, {report.accepted:,} events stored, "
        f"{report.duplicates:,} duplicates, {report.quarantined:,} quarantined, "
        f"{report.checkpoints} checkpoints, batch latency p99 {p99 * 1000:.0f} ms"
    )


def _default_reviews() -> Path | None:
    path = data_dir() / "reviews" / "online_shopping_10_cats.train.csv"
    return path if path.exists() else None


@cli.command("simulate", short_help="Write a simulated AI-host live session with ground truth.")
@click.option("--minutes", type=click.IntRange(min=1), default=60, show_default=True)
@click.option("--peak-viewers", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--room", "room_id", default="sim-room-1", show_default=True)
@click.option("--session", "session_id", help="Session id (default: sim-<seed>).")
@click.option(
    "--reviews",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Review CSV to draw viewer opinions from (default: the shared review corpus).",
)
def simulate_command(
    minutes: int,
    peak_viewers: int,
    seed: int,
    out: Path,
    room_id: str,
    session_id: str | None,
    reviews: Path | None,
) -> None:
    """Write a simulated AI-host live session as JSON Lines, with its ground truth."""
    config = SimulationConfig(
        minutes=minutes,
        peak_viewers=peak_viewers,
        seed=seed,
        room_id=room_id,
        session_id=session_id,
        reviews_path=reviews or _default_reviews(),
    )
    truth = write_session(config, out)
    click.echo(f"wrote session {truth.session_id} to {out}")
    click.echo(f"ground truth: {out.with_name(out.stem + '.truth.json')}")


@cli.command("demo", short_help="Simulate, ingest and analyse a session on the embedded store.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
)
@click.option("--minutes", type=click.IntRange(min=1), default=60, show_default=True)
@click.option("--peak-viewers", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@WORKSPACE_OPTION
def demo_command(out: Path, minutes: int, peak_viewers: int, seed: int, workspace: str) -> None:
    """Simulate an AI-host live session, ingest it into an embedded DuckDB store, show what was
    stored, and analyse it: live metrics and insights, checked against the simulator's truth."""
    out.mkdir(parents=True, exist_ok=True)
    events_path, db = out / "session.jsonl", out / "livelens.duckdb"
    config = SimulationConfig(
        minutes=minutes, peak_viewers=peak_viewers, seed=seed, reviews_path=_default_reviews()
    )
    click.echo(f"1/4 simulating {minutes} min, {peak_viewers:,} peak viewers (seed {seed}) …")
    truth = write_session(config, events_path)
    click.echo(f"    {events_path} ({events_path.stat().st_size / 1e6:.1f} MB)")
    click.echo(f"2/4 ingesting into {db} …")
    settings = load_settings(workspace)
    pseudonymiser = Pseudonymiser(load_or_create_key(settings.key_path))
    with DuckDBStore(db) as store:
        store.put_reference(load_reference(out / "session.catalog.json"))
        report = ingest([JsonLinesFile(events_path)], store, pseudonymiser, now=datetime.now(UTC))
        click.echo(_render_report(report))
        click.echo("3/4 stored sessions:")
        for s in store.sessions():
            click.echo(
                f"    {s.session_id}  room {s.room_id}  {s.events:,} events  "
                f"{s.viewers:,} viewers  {s.started_at:%Y-%m-%d %H:%M}–{s.ended_at:%H:%M} UTC"
            )
            for kind, n in store.event_counts(s.session_id).items():
                click.echo(f"      {kind:<22} {n:>10,}")
        events, names = store.events(truth.session_id), store.display_names()
    click.echo("4/4 analysis:")
    click.echo(_render_analysis(analyze_session(events, names)))
    click.echo(
        f"ground truth ({events_path.stem}.truth.json): hot product "
        f"{names.get(truth.hot_product_id, truth.hot_product_id)}, interaction peak minutes "
        f"{truth.peak_window.start_minute}–{truth.peak_window.end_minute}, persona lift "
        + ", ".join(f"{names.get(p, p)} ×{lift}" for p, lift in truth.persona_lift.items())
    )


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="livelens")
