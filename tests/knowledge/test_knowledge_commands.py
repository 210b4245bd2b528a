"""``livelens recommend``, ``playbooks`` and ``ledger`` over a store with a simulated session."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from livelens.cli import cli
from livelens.governance.audit import AuditLog
from livelens.governance.licence_registry import LicenceRegistry
from livelens.sources.simulation.config import SimulationConfig
from livelens.sources.simulation.licences import simulated_licences
from livelens.sources.simulator import build_session, write_session
from livelens.store.duckdb import DuckDBStore


def test_recommend_record_fate_measure_estimate(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "s.duckdb"
    config = SimulationConfig(minutes=40, peak_viewers=500, seed=2)
    events = tmp_path / "s.jsonl"
    write_session(config, events)
    catalog = tmp_path / "s.catalog.json"
    ingested = runner.invoke(
        cli, ["ingest", str(events), "--catalog", str(catalog), "--db", str(db)]
    )
    assert ingested.exit_code == 0, ingested.output
    with DuckDBStore(db) as store:
        registry = LicenceRegistry(store)
        for licence in simulated_licences(store.reference().personas, config.start):
            registry.put(licence)

    shown = runner.invoke(
        cli, ["recommend", "--db", str(db), "--session", "sim-2", "--format", "json"]
    )
    assert shown.exit_code == 0, shown.output
    made = json.loads(shown.output)
    assert made
    for item in made:
        assert {"action", "target", "start", "duration_s", "expected_uplift", "evidence"} <= set(
            item
        )
        assert set(item["expected_uplift"]) >= {"metric", "value", "low", "high", "source"}
    discount = next(i for i in made if i["action"] == "flash_discount")
    products = {p.product_id for p in build_session(config).reference.products}
    assert discount["target"]["product"] in products
    assert discount["target"]["price_minor"] >= 0

    recorded = runner.invoke(cli, ["recommend", "--db", str(db), "--session", "sim-2", "--record"])
    assert f"ledger: {len(made)} new" in recorded.output
    assert recorded.output.count("为什么：") == len(made)  # each with its evidence, in words
    assert "              · 价格检查通过：底价 " in recorded.output
    again = runner.invoke(cli, ["recommend", "--db", str(db), "--session", "sim-2", "--record"])
    assert "ledger: 0 new" in again.output

    rec_id = discount["recommendation_id"]
    accepted = runner.invoke(
        cli, ["ledger", "fate", rec_id, "--db", str(db), "--fate", "accepted", "--by", "mgr"]
    )
    assert accepted.exit_code == 0, accepted.output
    twice = runner.invoke(
        cli, ["ledger", "fate", rec_id, "--db", str(db), "--fate", "rejected", "--by", "x"]
    )
    assert twice.exit_code != 0
    assert "already accepted" in twice.output
    measured = runner.invoke(cli, ["ledger", "measure", "--db", str(db), "--session", "sim-2"])
    assert measured.exit_code == 0, measured.output
    assert "before/after within the session" in measured.output
    estimates = runner.invoke(cli, ["ledger", "estimates", "--db", str(db)])
    assert "peak-flash-discount" in estimates.output
    assert "n=1" in estimates.output
    with DuckDBStore(db) as store:
        fates = [e for e in AuditLog(store).entries() if e.action == "recommendation.fate"]
    assert [(e.actor, e.subject) for e in fates] == [("mgr", rec_id)]
    # the ledger now backs the expected uplift of a later session (here another room's, whose
    # price history has no raise to withhold the discount for)...
    later = SimulationConfig(
        minutes=40,
        peak_viewers=500,
        seed=2,
        room_id="sim-room-2",
        session_id="sim-2-next",
        start=config.start + timedelta(days=1),
    )
    write_session(later, tmp_path / "next.jsonl")
    ingested = runner.invoke(cli, ["ingest", str(tmp_path / "next.jsonl"), "--db", str(db)])
    assert ingested.exit_code == 0, ingested.output

    def discount_uplift(session: str) -> dict[str, object]:
        shown = runner.invoke(
            cli, ["recommend", "--db", str(db), "--session", session, "--format", "json"]
        )
        found = next(i for i in json.loads(shown.output) if i["action"] == "flash_discount")
        return dict(found["expected_uplift"])

    assert discount_uplift("sim-2-next")["source"] == "ledger"
    # ...but not the replay of the session it was measured in: no hindsight
    assert discount_uplift("sim-2")["source"] == "unknown"


def test_playbooks_list_and_check(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["playbooks", "list"])
    assert listed.exit_code == 0
    assert "peak-flash-discount@v1" in listed.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\n", encoding="utf-8")
    checked = runner.invoke(cli, ["playbooks", "check", str(bad)])
    assert checked.exit_code != 0
    assert "bad.yaml" in checked.output
    missing = runner.invoke(
        cli, ["recommend", "--db", str(tmp_path / "none.duckdb"), "--session", "x"]
    )
    assert missing.exit_code != 0
    assert "does not exist" in missing.output


def test_recommend_needs_a_catalog(tmp_path: Path) -> None:
    runner = CliRunner()
    events = tmp_path / "s.jsonl"
    write_session(SimulationConfig(minutes=5, peak_viewers=50, seed=1), events)
    db = tmp_path / "s.duckdb"
    assert runner.invoke(cli, ["ingest", str(events), "--db", str(db)]).exit_code == 0
    result = runner.invoke(cli, ["recommend", "--db", str(db), "--session", "sim-1"])
    assert result.exit_code != 0
    assert "no catalog" in result.output
