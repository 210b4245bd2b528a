"""``livelens price suggest`` over a stored simulated session, and ``--accept``: the
``price.change`` lands in the store and the audit log records who accepted it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from livelens.cli import cli
from livelens.governance.audit import AuditLog
from livelens.sources.simulation.config import SimulationConfig
from livelens.sources.simulator import session_paths, write_session
from livelens.store.duckdb import DuckDBStore


def _store(tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    out = tmp_path / "s.jsonl"
    write_session(SimulationConfig(minutes=30, peak_viewers=600, seed=4), out)
    catalog = session_paths(out)[1]
    ingested = CliRunner().invoke(
        cli, ["ingest", str(out), "--catalog", str(catalog), "--db", str(db)]
    )
    assert ingested.exit_code == 0, ingested.output
    return db


def test_suggest_shows_each_guardrail_and_accept_stores_and_audits(tmp_path: Path) -> None:
    db = _store(tmp_path)
    runner = CliRunner()
    args = ["price", "suggest", "--db", str(db), "--session", "sim-4", "--product", "sku-apple"]
    shown = runner.invoke(cli, args)
    assert shown.exit_code == 0, shown.output
    for name in ("floor_price", "max_discount", "reference_price", "no_raise_then_discount"):
        assert f"[pass] {name}" in shown.output
    as_json = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    suggestion = as_json["suggestion"]
    assert suggestion["status"] == "suggested"
    assert [c["passed"] for c in suggestion["checks"]] == [True] * 4

    accepted = runner.invoke(cli, [*args, "--accept", "ops-lin", "--json"])
    assert accepted.exit_code == 0, accepted.output
    event_id = json.loads(accepted.output)["accepted"]["event_id"]
    with DuckDBStore(db) as store:
        rows = store.events("sim-4").to_pylist()
        stored = [r for r in rows if r["event_id"] == event_id]
        assert [(r["type"], r["product_id"], r["price_minor"]) for r in stored] == [
            ("price.change", "sku-apple", suggestion["price_minor"])
        ]
        entry = AuditLog(store).entries()[-1]
        assert (entry.actor, entry.action, entry.subject) == (
            "ops-lin",
            "price.suggestion.accept",
            "sku-apple",
        )
        assert entry.details["event_id"] == event_id
        assert AuditLog(store).verify().ok


def test_an_unknown_product_is_one_line_error(tmp_path: Path) -> None:
    db = _store(tmp_path)
    result = CliRunner().invoke(
        cli, ["price", "suggest", "--db", str(db), "--session", "sim-4", "--product", "nope"]
    )
    assert result.exit_code == 1
    assert "product 'nope' is not in the catalog" in result.output
