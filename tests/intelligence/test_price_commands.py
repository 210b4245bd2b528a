"""``livelens price suggest`` over a store of simulated sessions, and ``--accept``: a real cut's
``price.change`` lands in the store and the audit log records who accepted it; a hold is refused.

The store holds two sessions of one room on consecutive days and, between them, a session of
another room that cuts the same product: the guardrails read the room's own price history, so the
other room's cut (and the seam where the room's next session opens at its everyday price) is no
先涨后降 of this room's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from livelens.cli import cli
from livelens.governance.audit import AuditLog
from livelens.sources.simulation.config import DEFAULT_START, SimulationConfig
from livelens.sources.simulator import session_paths, write_session
from livelens.store.duckdb import DuckDBStore

CUT: str = "sku-sweater"  # the data support a cut, and the room never raised it
HELD: str = "sku-apple"  # the data cannot tell a discount effect from none


@dataclass(frozen=True)
class Recorded:
    files: tuple[Path, ...]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    folder = tmp_path_factory.mktemp("price")
    second = DEFAULT_START + timedelta(days=1)
    configs = (
        SimulationConfig(minutes=60, peak_viewers=1500, seed=1, session_id="d0"),
        # another room, live three hours before d1, cuts the sweater (at 50 min) and stays cut
        SimulationConfig(
            minutes=60,
            peak_viewers=1500,
            seed=7,
            session_id="other",
            room_id="sim-room-2",
            start=second - timedelta(hours=3),
        ),
        SimulationConfig(minutes=60, peak_viewers=1500, seed=2, session_id="d1", start=second),
    )
    files = []
    for config in configs:
        out = folder / f"{config.session_id}.jsonl"
        write_session(config, out)
        files.append(out)
    return Recorded(files=tuple(files))


@pytest.fixture
def db(tmp_path: Path, recorded: Recorded) -> Path:
    db = tmp_path / "s.duckdb"
    for out in recorded.files:
        catalog = session_paths(out)[1]
        ingested = CliRunner().invoke(
            cli, ["ingest", str(out), "--catalog", str(catalog), "--db", str(db)]
        )
        assert ingested.exit_code == 0, ingested.output
    return db


def _live_prices(db: Path, session_id: str, product_id: str) -> list[int]:
    with DuckDBStore(db) as store:
        events = store.events(session_id)
    changes = events.filter(
        pc.and_(
            pc.equal(events["type"], "price.change"), pc.equal(events["product_id"], product_id)
        )
    ).sort_by("ts")
    return [int(p) for p in changes["price_minor"].to_pylist()]


def test_a_real_cut_is_suggested_and_accepting_stores_and_audits_it(db: Path) -> None:
    # the other room cut the sweater before d1 opened at its everyday price: a "raise" had the
    # rooms' prices been merged into one history
    assert _live_prices(db, "other", CUT)[-1] < _live_prices(db, "d1", CUT)[0]
    runner = CliRunner()
    args = ["price", "suggest", "--db", str(db), "--session", "d1", "--product", CUT]
    shown = runner.invoke(cli, args)
    assert shown.exit_code == 0, shown.output
    for name in ("floor_price", "max_discount", "reference_price", "no_raise_then_discount"):
        assert f"[pass] {name}" in shown.output
    suggestion = json.loads(runner.invoke(cli, [*args, "--json"]).output)["suggestion"]
    assert suggestion["status"] == "suggested", suggestion["reason"]
    current = _live_prices(db, "d1", CUT)[-1]
    assert suggestion["current_price_minor"] == current
    assert suggestion["price_minor"] < current
    assert suggestion["history_sessions"] == ["d0", "d1"]  # the room's, not sim-room-2's
    assert [c["passed"] for c in suggestion["checks"]] == [True] * 4
    # the baseline is the live nowcast of the session; the units are capped by the stock left
    assert suggestion["baseline"] == "nowcast"
    assert suggestion["expected_units"]["high"] <= suggestion["stock_left"]
    assert "from the nowcast" in shown.output
    assert f"stock left       {suggestion['stock_left']:,} units" in shown.output

    accepted = runner.invoke(cli, [*args, "--accept", "ops-lin", "--json"])
    assert accepted.exit_code == 0, accepted.output
    event_id = json.loads(accepted.output)["accepted"]["event_id"]
    with DuckDBStore(db) as store:
        rows = store.events("d1").to_pylist()
        stored = [r for r in rows if r["event_id"] == event_id]
        assert [(r["type"], r["product_id"], r["price_minor"]) for r in stored] == [
            ("price.change", CUT, suggestion["price_minor"])
        ]
        entry = AuditLog(store).entries()[-1]
        assert (entry.actor, entry.action, entry.subject) == (
            "ops-lin",
            "price.suggestion.accept",
            CUT,
        )
        assert entry.details["event_id"] == event_id
        assert entry.details["old_price_minor"] == current > entry.details["new_price_minor"]
        assert AuditLog(store).verify().ok
    assert _live_prices(db, "d1", CUT)[-1] == suggestion["price_minor"] < current  # a real cut


def test_a_hold_is_shown_as_one_and_accepting_it_changes_nothing(db: Path) -> None:
    runner = CliRunner()
    args = ["price", "suggest", "--db", str(db), "--session", "d1", "--product", HELD]
    suggestion = json.loads(runner.invoke(cli, [*args, "--json"]).output)["suggestion"]
    assert suggestion["status"] == "hold"
    assert suggestion["price_minor"] == suggestion["current_price_minor"]
    shown = runner.invoke(cli, args)
    assert "status           hold: keep the current price" in shown.output
    assert "suggested price" not in shown.output
    with DuckDBStore(db) as store:
        audit_before = len(AuditLog(store).entries())
    refused = runner.invoke(cli, [*args, "--accept", "ops-lin"])
    assert refused.exit_code == 1
    assert "is hold, not a price change" in refused.output
    assert "nothing to accept" in refused.output
    with DuckDBStore(db) as store:
        assert len(AuditLog(store).entries()) == audit_before
        stored = store.events("d1")["event_id"].to_pylist()
    assert not [e for e in stored if e.startswith("price-suggestion:")]


def test_an_unknown_product_is_one_line_error(db: Path) -> None:
    result = CliRunner().invoke(
        cli, ["price", "suggest", "--db", str(db), "--session", "d1", "--product", "nope"]
    )
    assert result.exit_code == 1
    assert "product 'nope' is not in the catalog" in result.output
