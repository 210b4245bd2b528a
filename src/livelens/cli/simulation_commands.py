"""Commands around the simulator: write a session, run the demo."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import click

from livelens.api.hub import LiveHub
from livelens.api.server import ServerThread, open_service
from livelens.cli.app import WORKSPACE_OPTION, cli
from livelens.cli.render import render_analysis
from livelens.cli.serve_commands import HOST_OPTION, PORT_OPTION, announce
from livelens.comments.analyze import CommentAnalyzer
from livelens.errors import InvalidInput
from livelens.information.analysis import analyze_session
from livelens.information.ticker import MinuteTicker
from livelens.knowledge.playbooks import starter_playbooks
from livelens.knowledge.recommender import Replay
from livelens.knowledge.replay import recommend_session
from livelens.settings import data_dir, load_settings
from livelens.sources.base import SourceBatch
from livelens.sources.bilibili_tidy import read_bilibili_tidy
from livelens.sources.paced import Pacer, paced_recording
from livelens.sources.simulation.config import DEFAULT_START
from livelens.sources.simulation.licences import simulated_licences
from livelens.sources.simulator import GroundTruth, SimulationConfig, build_session, write_session
from livelens.store.duckdb import DuckDBStore

REAL_RECORDING: Final = "bilibili-2021-12-30"


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
    "--start",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    help="When the session starts, with its UTC offset (default: 2026-11-11T20:00:00+08:00); "
    "give each session of a room its own day to build a room's history.",
)
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
    start: datetime | None,
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
        start=DEFAULT_START if start is None else start,
    )
    truth = write_session(config, out)
    click.echo(f"wrote session {truth.session_id} to {out}")
    click.echo(f"ground truth: {out.with_name(out.stem + '.truth.json')}")


@cli.command("demo", short_help="A live AI-host session through the engine, on the live screen.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
)
@click.option("--minutes", type=click.IntRange(min=1), default=60, show_default=True)
@click.option("--peak-viewers", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--speed",
    type=float,
    default=None,
    help="Event time ÷ wall time (default 20 for the simulator, 60 for --real).",
)
@click.option("--real", is_flag=True, help="Replay the Bilibili recording instead.")
@HOST_OPTION
@PORT_OPTION
@click.option(
    "--exit/--stay",
    "exit_when_done",
    default=False,
    show_default=True,
    help="Exit when the report is written, or keep serving the screen until Ctrl-C.",
)
@WORKSPACE_OPTION
def demo_command(
    out: Path,
    minutes: int,
    peak_viewers: int,
    seed: int,
    speed: float | None,
    real: bool,
    host: str,
    port: int,
    exit_when_done: bool,
    workspace: str,
) -> None:
    """Run a simulated AI-host live session (or, with --real, the Bilibili recording) in
    accelerated real time through ingest and the live engine, serve the live screen while it
    runs, and write the post-live review report (HTML and PDF) when it ends."""
    from livelens.reports import write_report  # weasyprint loads slowly: only here

    out.mkdir(parents=True, exist_ok=True)
    db = out / "livelens.duckdb"
    db.unlink(missing_ok=True)  # the demo's own store: each run starts from an empty one
    config = SimulationConfig(
        minutes=minutes, peak_viewers=peak_viewers, seed=seed, reviews_path=default_reviews()
    )
    pacer = Pacer(speed or (60.0 if real else 20.0))
    if real:
        recording = data_dir() / "live" / REAL_RECORDING
        batches = paced_recording(largest_session(read_bilibili_tidy(recording)), pacer)
        click.echo(f"1/4 replaying the Bilibili recording {recording} at {pacer.speed:g}×")
    else:
        click.echo(
            f"1/4 live AI-host session: {minutes} min simulated at {pacer.speed:g}× "
            f"({minutes / pacer.speed:.1f} min), {peak_viewers:,} peak viewers (seed {seed})"
        )
        session = build_session(config)
        with DuckDBStore(db) as store:
            store.put_reference(session.reference)
        batches = pacer.pace("simulator", session.events())
    service = open_service(db, load_settings(workspace))
    if not real:  # the simulated personas' likeness licences, for the go-live gate
        with service.hub.lock:
            for licence in simulated_licences(session.reference.personas, config.start):
                service.hub.compliance.put(licence)
    server = ServerThread(service.app, host, port).start()
    try:
        click.echo(f"    store {db}")
        announce(server, service.first_admin.token if service.first_admin else None)
        click.echo("2/4 streaming through ingest and the live engine …")
        sessions = stream_live(service.hub, batches)
        service.hub.finish()
        click.echo("3/4 the session ended; post-live review:")
        for session_id in sessions:
            for suffix in (".html", ".pdf"):
                path = out / f"report-{session_id}{suffix}"
                with service.hub.lock:
                    write_report(service.store, session_id, path, generated_at=datetime.now(UTC))
                click.echo(f"    {path} ({path.stat().st_size / 1e3:,.0f} kB)")
        for session_id in sessions:
            click.echo(compliance_line(service.hub, session_id))
        click.echo("4/4 analysis:")
        with service.hub.lock:
            names = service.store.display_names()
            analyses = [
                analyze_session(
                    service.store.events(s), names, CommentAnalyzer(names.values()).intents
                )
                for s in sessions
            ]
        for analysis in analyses:
            click.echo(render_analysis(analysis))
        if not real:  # a recording has no catalog for the playbooks to act on
            click.echo(ground_truth_line(build_session(config).truth, names))
            for session_id in sessions:
                with service.hub.lock:
                    replay = recommend_session(service.store, session_id, starter_playbooks())
                click.echo(recommendation_lines(replay))
        if not exit_when_done:
            click.echo(f"the live screen stays at {server.url}/ — Ctrl-C to stop")
            while server.thread.is_alive():
                time.sleep(0.5)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.stop()
        service.close()


def stream_live(hub: LiveHub, batches: Iterable[SourceBatch]) -> list[str]:
    """Feed ``batches`` through the hub, printing a line every ten closed minutes."""
    ticker = MinuteTicker()
    for batch in batches:
        result = hub.ingest(batch)
        touched = sorted(set(result.new["session_id"].to_pylist()))
        with hub.lock:
            closed = ticker.closed(hub.engine, touched)
        for summary in closed:
            if summary.minute % 10 == 9:
                click.echo(
                    f"    minute {summary.minute + 1:>3}: {summary.online:>6,} online  "
                    f"{summary.comments:>5,} comments/min  "
                    f"¥{summary.gmv_minor / 100:>10,.2f} GMV/min"
                )
    return hub.session_ids()


def recommendation_lines(replay: Replay, limit: int = 5) -> str:
    """The playbooks' recommendations of the session (knowledge layer), at most ``limit``."""
    made = replay.recommendations
    lines = [f"    playbooks: {len(made)} recommendation(s) over the session"]
    for r in made[:limit]:
        uplift = r.expected_uplift
        source = {"ledger": "提升台账实测", "model": "模型估计"}.get(uplift.source, uplift.source)
        expected = (
            "预计提升未知（尚无实测，也无模型）"
            if uplift.value is None
            else f"预计 {uplift.value:+.0%}，{source}"
        )
        lines.append(f"      第{r.minute + 1}分钟 {r.text_zh}（{expected}）")
    lines.extend(f"      withheld {w.playbook}: {w.reason}" for w in replay.withheld[:limit])
    return "\n".join(lines)


def compliance_line(hub: LiveHub, session_id: str) -> str:
    """Licence violations and what each talent is owed for the session."""
    with hub.lock:
        violations = hub.compliance.registry.violations(session_id)
        names = dict(hub.names)
    owed = ", ".join(
        f"{'/'.join(names.get(p, p) for p in line.persona_ids)} ¥{line.total_minor / 100:,.2f}"
        for line in hub.royalties(session_id)
    )
    return (
        f"    licences: {len(violations)} violation(s); "
        f"talent owed (fee + royalty on attributed GMV): {owed or 'nothing'}"
    )


def largest_session(batches: Iterable[SourceBatch]) -> Iterator[SourceBatch]:
    """The events of the session with the most events (a recording holds several rooms)."""
    collected = list(batches)
    sizes = Counter(e.session_id for b in collected for e in b.events)
    if not sizes:
        msg = "the recording holds no events"
        raise InvalidInput(msg)
    main = sizes.most_common(1)[0][0]
    for batch in collected:
        yield SourceBatch(
            batch.source, [e for e in batch.events if e.session_id == main], batch.rejections
        )


def ground_truth_line(truth: GroundTruth, names: dict[str, str]) -> str:
    return (
        f"ground truth: hot product {names.get(truth.hot_product_id, truth.hot_product_id)}, "
        f"interaction peak minutes {truth.peak_window.start_minute}–"
        f"{truth.peak_window.end_minute}, persona lift "
        + ", ".join(f"{names.get(p, p)} ×{lift}" for p, lift in truth.persona_lift.items())
    )
