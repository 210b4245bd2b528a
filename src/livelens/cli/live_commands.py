"""Commands of the information layer: analyse a stored session, run live."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import click
import msgspec

from livelens.cli.app import DB_OPTION, WORKSPACE_OPTION, cli
from livelens.cli.render import render_analysis, render_minute
from livelens.cli.simulation_commands import default_reviews
from livelens.comments.analyze import CommentAnalyzer
from livelens.engine.live import LiveEngine
from livelens.errors import InvalidInput
from livelens.events.pseudonymise import Pseudonymiser, load_or_create_key
from livelens.information.analysis import analyze_session
from livelens.information.ticker import MinuteTicker
from livelens.runner import BatchUpdate, LiveRunner
from livelens.settings import load_settings
from livelens.sources.base import SourceBatch
from livelens.sources.jsonl import FilePosition, JsonLinesTail
from livelens.sources.paced import PacedSimulator
from livelens.sources.simulator import SimulationConfig, build_session
from livelens.store.duckdb import DuckDBStore


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
    analysis = analyze_session(events, names, CommentAnalyzer(names.values()).intents)
    if fmt == "json":
        click.echo(msgspec.json.encode(analysis).decode())
    else:
        click.echo(render_analysis(analysis))


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
        config = SimulationConfig(
            minutes=minutes, peak_viewers=peak_viewers, seed=seed, reviews_path=default_reviews()
        )
        if source == "simulator":  # the simulated room's catalog and personas
            store.put_reference(build_session(config).reference)
        analyzer = CommentAnalyzer(store.display_names().values())
        runner = LiveRunner(
            store,
            pseudonymiser,
            name=name,
            engine=LiveEngine(comment_intents=analyzer.intents),
            clock=lambda: datetime.now(UTC),
        )
        position = None if fresh else runner.resume()
        batches: Iterable[SourceBatch]
        if source == "simulator":
            batches = PacedSimulator(config, speed, position)
        else:
            start = FilePosition.decode(position) if position else None
            batches = JsonLinesTail(Path(source), start=start, idle_timeout_s=idle_timeout)
        if position:
            click.echo(f"resuming {name} from {position}")
        ticker = MinuteTicker()

        def show(update: BatchUpdate) -> None:
            for summary in ticker.closed(update.engine, update.sessions):
                click.echo(render_minute(summary))

        try:
            report = runner.run(batches, show)
        except KeyboardInterrupt:
            click.echo("stopped; state saved at the last checkpoint", err=True)
            return
        for summary in ticker.remaining(runner.engine):
            click.echo(render_minute(summary))
    latencies = sorted(report.latencies_s) or [0.0]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    click.echo(
        f"done: {report.batches:,} batches, {report.accepted:,} events stored, "
        f"{report.duplicates:,} duplicates, {report.quarantined:,} quarantined, "
        f"{report.checkpoints} checkpoints, batch latency p99 {p99 * 1000:.0f} ms"
    )
