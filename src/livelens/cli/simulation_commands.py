"""Commands around the simulator: write a session, run the demo."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from livelens.cli.app import WORKSPACE_OPTION, cli
from livelens.cli.render import render_analysis, render_report
from livelens.comments.analyze import CommentAnalyzer
from livelens.events.pseudonymise import Pseudonymiser, load_or_create_key
from livelens.events.reference import load_reference
from livelens.information.analysis import analyze_session
from livelens.ingest import ingest
from livelens.settings import data_dir, load_settings
from livelens.sources.jsonl import JsonLinesFile
from livelens.sources.simulator import SimulationConfig, write_session
from livelens.store.duckdb import DuckDBStore


def default_reviews() -> Path | None:
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
        reviews_path=reviews or default_reviews(),
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
    db.unlink(missing_ok=True)  # the demo's own store: each run starts from an empty one
    config = SimulationConfig(
        minutes=minutes, peak_viewers=peak_viewers, seed=seed, reviews_path=default_reviews()
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
        click.echo(render_report(report))
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
    click.echo(
        render_analysis(analyze_session(events, names, CommentAnalyzer(names.values()).intents))
    )
    click.echo(
        f"ground truth ({events_path.stem}.truth.json): hot product "
        f"{names.get(truth.hot_product_id, truth.hot_product_id)}, interaction peak minutes "
        f"{truth.peak_window.start_minute}–{truth.peak_window.end_minute}, persona lift "
        + ", ".join(f"{names.get(p, p)} ×{lift}" for p, lift in truth.persona_lift.items())
    )
