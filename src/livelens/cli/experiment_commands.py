"""``livelens experiment …``: switchback designs for a live room, and their analysis."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import click
import msgspec

from livelens.cli.app import cli
from livelens.errors import InvalidInput
from livelens.governance.audit import AuditLog
from livelens.knowledge.experiments.analysis import Metric
from livelens.knowledge.experiments.report import report_switchback, switchback_outcome
from livelens.knowledge.experiments.store_metrics import read_minute_metric
from livelens.knowledge.experiments.switchback import (
    design_switchback,
    dump_schedule,
    load_schedule,
)
from livelens.knowledge.ledger import Ledger
from livelens.knowledge.uplift import Outcome
from livelens.store.duckdb import DuckDBStore

AUDIT_ACTION: Final = "experiment.outcome"


@cli.group("experiment", short_help="Switchback experiments: design a schedule, analyse it.")
def experiment_group() -> None:
    """Switchback experiments: randomised time slices of a live session, treatment vs control.

    `design` writes the schedule (JSON) the room runs; `analyze` reads the session's events from
    a store and reports the effect with slice-level errors, a sample-ratio check and the
    always-valid sequential p-value; with `--playbook` it records the effect in the uplift
    ledger. See docs/experiments.md.
    """


@experiment_group.command("design")
@click.option("--minutes", type=int, required=True, help="Length of the session in minutes.")
@click.option("--slice-minutes", type=int, default=10, show_default=True, help="Slice length.")
@click.option(
    "--washout-minutes",
    type=int,
    default=2,
    show_default=True,
    help="Minutes at the start of each slice that neither arm counts (carry-over).",
)
@click.option(
    "--block-size",
    type=int,
    default=2,
    show_default=True,
    help="Slices randomised together, half to each arm.",
)
@click.option("--seed", type=int, required=True, help="Randomisation seed (record it).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schedule here instead of stdout.",
)
def design_command(
    minutes: int,
    slice_minutes: int,
    washout_minutes: int,
    block_size: int,
    seed: int,
    out: Path | None,
) -> None:
    """A randomised switchback schedule as JSON: slices with their arm and washout."""
    schedule = design_switchback(minutes, slice_minutes, washout_minutes, seed, block_size)
    data = dump_schedule(schedule)
    if out is None:
        click.echo(data.decode())
    else:
        out.write_bytes(data + b"\n")
        click.echo(f"wrote {len(schedule.slices)} slices to {out}")


@experiment_group.command("analyze")
@click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The store."
)
@click.option("--session", "session_id", required=True, help="The session the experiment ran in.")
@click.option(
    "--design",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The schedule written by `experiment design`.",
)
@click.option(
    "--metric",
    type=click.Choice(["orders", "gmv"]),
    default="orders",
    show_default=True,
    help="Paid orders or GMV (minor units) per measured minute.",
)
@click.option("--pre-session", help="A session before the experiment: its metric drives CUPED.")
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z"]),
    help="When minute 0 began (default: the first event), e.g. 2026-11-11T20:00:00+08:00.",
)
@click.option(
    "--bootstrap",
    type=int,
    default=0,
    show_default=True,
    help="Block-bootstrap resamples for the intervals (0: Welch's t).",
)
@click.option(
    "--playbook",
    "playbook_id",
    help="Record the effect in the uplift ledger for this playbook id (needs --metric gmv);"
    " recording it again for the session replaces it.",
)
@click.option("--by", "by", default="cli", show_default=True, help="Who records it (audit log).")
def analyze_command(
    db: Path,
    session_id: str,
    design: Path,
    metric: str,
    pre_session: str | None,
    start: datetime | None,
    bootstrap: int,
    playbook_id: str | None,
    by: str,
) -> None:
    """The effect of the treatment with its 95 % interval, p-value, SRM and sequential status.

    With --playbook, the relative effect on GMV per minute and its standard error go into the
    uplift ledger as a "switchback experiment" outcome of that playbook, audited
    (experiment.outcome); `livelens ledger estimates` then pools it with the playbook's
    before/after outcomes.
    """
    if not db.exists():
        msg = f"store {db} does not exist; ingest a session first (`livelens ingest --db {db}`)"
        raise InvalidInput(msg)
    schedule = load_schedule(design.read_bytes(), str(design))
    chosen: Metric = "gmv" if metric == "gmv" else "orders"
    with DuckDBStore(db) as store:
        per_minute, has_data = read_minute_metric(
            store, session_id, schedule.minutes, chosen, start
        )
        pre = None
        if pre_session is not None:
            pre, _ = read_minute_metric(store, pre_session, schedule.minutes, chosen)
        report = report_switchback(
            schedule, per_minute, has_data, metric=chosen, pre_period=pre, bootstrap=bootstrap
        )
        out = {"session_id": session_id, **msgspec.to_builtins(report)}
        if playbook_id is not None:
            outcome = switchback_outcome(schedule, report.effect)
            out["ledger"] = _record(store, session_id, playbook_id, outcome, by)
    click.echo(msgspec.json.format(msgspec.json.encode(out), indent=2).decode())


def _record(
    store: DuckDBStore, session_id: str, playbook_id: str, outcome: Outcome, by: str
) -> dict[str, Any]:
    """Record the outcome in the ledger and audit it, in one transaction."""
    at = datetime.now(UTC)
    store.begin()
    try:
        replaced = Ledger(store.con).record_experiment(session_id, playbook_id, outcome, by, at)
        details = {
            "playbook_id": playbook_id,
            "effect": outcome.effect,
            "se": outcome.se,
            "replaced": replaced,
        }
        entry = AuditLog(store).append(by, AUDIT_ACTION, session_id, details, at=at)
    except Exception:
        store.rollback()
        raise
    store.commit()
    return {
        "playbook_id": playbook_id,
        "outcome": msgspec.to_builtins(outcome),
        "replaced": replaced,
        "audit_seq": entry.seq,
    }
