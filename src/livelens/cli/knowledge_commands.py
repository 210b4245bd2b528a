"""``livelens recommend``, ``playbooks …`` and ``ledger …``: the knowledge layer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import msgspec

from livelens.cli.app import DB_OPTION, cli
from livelens.errors import InvalidInput
from livelens.governance.audit import AuditLog
from livelens.information.compute import compute_session_metrics
from livelens.knowledge.evidence_text import sentences
from livelens.knowledge.ledger import EXECUTED, FATES, Ledger
from livelens.knowledge.outcomes import measure_recommendation
from livelens.knowledge.playbooks import Playbook, load_playbooks, starter_playbooks
from livelens.knowledge.replay import recommend_session
from livelens.knowledge.uplift import MIN_WORTHWHILE
from livelens.store.duckdb import DuckDBStore

PLAYBOOKS = click.option(
    "--playbooks",
    "playbook_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Playbook YAML files or folders (default: the starter library).",
)


def chosen_playbooks(paths: tuple[Path, ...]) -> list[Playbook]:
    """The playbooks of ``--playbooks`` (every file checked, or InvalidInput naming the file and
    field), else the starter library."""
    return load_playbooks(paths) if paths else starter_playbooks()


def _existing(db: Path) -> Path:
    if not db.exists():
        msg = f"store {db} does not exist; ingest a session first (`livelens ingest --db {db}`)"
        raise InvalidInput(msg)
    return db


@cli.command("recommend", short_help="Replay playbooks over a session: ranked recommendations.")
@DB_OPTION
@click.option("--session", "session_id", required=True, help="The stored session to replay.")
@PLAYBOOKS
@click.option(
    "--format", "output", type=click.Choice(["json", "text"]), default="text", show_default=True
)
@click.option("--record", is_flag=True, help="Add the recommendations to the ledger (pending).")
def recommend_command(
    db: Path, session_id: str, playbook_paths: tuple[Path, ...], output: str, record: bool
) -> None:
    """Replay the playbooks over a session: what they recommend, when, and with what evidence."""
    playbooks = chosen_playbooks(playbook_paths)
    with DuckDBStore(_existing(db)) as store:
        replay = recommend_session(store, session_id, playbooks)
        added = Ledger(store.con).record(replay.recommendations) if record else 0
    if output == "json":
        click.echo(msgspec.json.encode([_public(r) for r in replay.recommendations]).decode())
        return
    made, books = len(replay.recommendations), len(playbooks)
    click.echo(f"{session_id}: {made} recommendation(s) from {books} playbook(s)")
    for r in replay.recommendations:
        uplift = r.expected_uplift
        expected = (
            f"{uplift.value:+.1%} [{uplift.low:+.1%}, {uplift.high:+.1%}] ({uplift.source})"
            if uplift.value is not None and uplift.low is not None and uplift.high is not None
            else "uplift unknown"
        )
        click.echo(f"minute {r.minute + 1:>3}  {r.playbook:<28} {expected}")
        click.echo(f"            {r.text_zh}")
        click.echo("            为什么：")
        for item in r.evidence:
            click.echo(f"              · {sentences(item)[0]}")
    for w in replay.withheld:
        click.echo(f"withheld    {w.playbook} (from minute {w.minute + 1}): {w.reason}")
    if record:
        click.echo(f"ledger: {added} new")


def _public(r: Any) -> dict[str, Any]:
    """The pinned JSON shape: action, target, start, duration_s, expected_uplift, evidence, …"""
    body: dict[str, Any] = msgspec.to_builtins(r)
    return body


@cli.group("playbooks", short_help="Playbooks: list the library, check files.")
def playbooks_group() -> None:
    """Manager-authored rules: conditions over live facts, an action template (YAML)."""


@playbooks_group.command("list")
@PLAYBOOKS
def playbooks_list(playbook_paths: tuple[Path, ...]) -> None:
    """The playbooks (default: the starter library) with their conditions and actions."""
    for p in chosen_playbooks(playbook_paths):
        conditions = " AND ".join(f"{c.fact} {c.op} {c.value}" for c in p.when)
        click.echo(f"{p.key:<28} priority {p.priority:>3}  {p.action.kind:<15} when {conditions}")


@playbooks_group.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def playbooks_check(paths: tuple[Path, ...]) -> None:
    """Validate playbook files; prints each one's id and version, or the first problem."""
    for p in load_playbooks(paths):
        click.echo(f"ok  {p.key}")


@cli.group("ledger", short_help="The uplift ledger: fates, measured outcomes, estimates.")
def ledger_group() -> None:
    """Every recommendation with its fate and measured outcome; per playbook, its uplift."""


@ledger_group.command("list")
@DB_OPTION
@click.option("--session", "session_id", help="Only this session.")
def ledger_list(db: Path, session_id: str | None) -> None:
    """The ledger's recommendations with fate and outcome, then the switchback experiments
    recorded for a playbook (`experiment analyze --playbook`)."""
    with DuckDBStore(_existing(db)) as store:
        ledger = Ledger(store.con)
        entries = ledger.entries(session_id)
        experiments = [
            x for x in ledger.experiments() if session_id is None or x.session_id == session_id
        ]
    for e in entries:
        r = e.recommendation
        outcome = f"{e.outcome.effect:+.1%} ±{1.96 * e.outcome.se:.1%}" if e.outcome else "-"
        click.echo(f"{r.recommendation_id:<40} {e.fate:<13} outcome {outcome}")
    for x in experiments:
        subject = f"{x.session_id}:{x.playbook_id}"
        measured = f"{x.outcome.effect:+.1%} ±{1.96 * x.outcome.se:.1%}"
        click.echo(f"{subject:<40} {'experiment':<13} outcome {measured} (by {x.recorded_by})")


@ledger_group.command("fate")
@DB_OPTION
@click.argument("recommendation_id")
@click.option("--fate", type=click.Choice(FATES[1:]), required=True)
@click.option("--by", "by", required=True, help="Who decided (recorded in the audit log).")
def ledger_fate(db: Path, recommendation_id: str, fate: str, by: str) -> None:
    """Record what happened to a recommendation (once)."""
    at = datetime.now(UTC)
    with DuckDBStore(_existing(db)) as store:
        entry = Ledger(store.con).set_fate(recommendation_id, fate, by, at)
        details = {"fate": fate, "playbook": entry.recommendation.playbook}
        AuditLog(store).append(by, "recommendation.fate", recommendation_id, details, at=at)
    click.echo(f"{recommendation_id}: {entry.fate} by {entry.fate_by}")


@ledger_group.command("measure")
@DB_OPTION
@click.option("--session", "session_id", required=True, help="The session the actions ran in.")
def ledger_measure(db: Path, session_id: str) -> None:
    """Measure GMV per minute in each executed recommendation's window against the 10 minutes
    before it (a before/after comparison, confounded by the session's rhythm — see docs)."""
    with DuckDBStore(_existing(db)) as store:
        ledger = Ledger(store.con)
        entries = [
            e for e in ledger.entries(session_id) if e.fate in EXECUTED and e.outcome is None
        ]
        if not entries:
            click.echo(
                "nothing to measure: no accepted or auto-executed recommendation without an outcome"
            )
            return
        gmv = compute_session_metrics(store.events(session_id)).series.gmv_minor
        for e in entries:
            r = e.recommendation
            outcome = measure_recommendation(r, gmv)
            if outcome is None:
                click.echo(
                    f"{r.recommendation_id}: not measurable (no activity before it, or no window)"
                )
                continue
            ledger.set_outcome(r.recommendation_id, outcome)
            measured = f"{outcome.effect:+.1%} ±{1.96 * outcome.se:.1%}"
            click.echo(f"{r.recommendation_id}: {measured} ({outcome.design})")


@ledger_group.command("estimates")
@DB_OPTION
@click.option(
    "--min-worthwhile",
    type=click.FloatRange(min=0),
    default=MIN_WORTHWHILE,
    show_default=True,
    help="Smallest relative gain worth having; retire a playbook whose interval stays below it.",
)
@click.option(
    "--format", "output", type=click.Choice(["json", "text"]), default="text", show_default=True
)
def ledger_estimates(db: Path, min_worthwhile: float, output: str) -> None:
    """Per playbook: the running uplift estimate, and whether it should be retired.

    It pools the before/after outcomes of executed recommendations (`ledger measure`) with
    switchback experiments' (`experiment analyze --playbook`); each line counts the playbook's
    outcomes per design."""
    with DuckDBStore(_existing(db)) as store:
        estimates = Ledger(store.con).estimates(min_worthwhile)
    if output == "json":
        click.echo(msgspec.json.encode(estimates).decode())
        return
    if not estimates:
        click.echo("no measured outcomes yet")
    for pid, e in estimates.items():
        flag = {
            "hurts": "  RETIRE: its effect is below zero",
            "no worthwhile effect": f"  RETIRE: no worthwhile effect (below {min_worthwhile:+.1%})",
            None: "",
        }[e.retire_reason]
        designs = ", ".join(f"{n} {design}" for design, n in e.designs.items())
        click.echo(
            f"{pid:<28} n={e.outcomes}  {e.mean:+.1%} [{e.low:+.1%}, {e.high:+.1%}]"
            f"  ({designs}){flag}"
        )
