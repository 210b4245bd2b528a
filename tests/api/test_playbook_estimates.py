"""``GET /api/playbooks/estimates``: per playbook the running uplift estimate with its retirement
flag, for any signed-in role: what ``livelens ledger estimates --format json`` prints."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from livelens.api.server import open_service
from livelens.cli import cli
from livelens.knowledge.ledger import Ledger
from livelens.knowledge.recommender import Recommendation
from livelens.knowledge.uplift import Outcome
from livelens.settings import Settings
from livelens.testing import make_recommendation

NOW = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
# playbook id -> measured effects (se 2% each): clearly positive, flat, harmful, too few to judge
MEASURED = {
    "clear-gain": [0.15, 0.12, 0.18, 0.14],
    "flat": [0.01, -0.01, 0.005, -0.005, 0.0],
    "harmful": [-0.3, -0.25, -0.35],
    "new": [0.0, 0.0],
}


def recommendation(playbook_id: str, minute: int) -> Recommendation:
    return make_recommendation(playbook_id, minute, start=NOW, action="pin_product")


def measured(ledger: Ledger) -> None:
    for playbook_id, effects in MEASURED.items():
        made = [recommendation(playbook_id, minute) for minute in range(len(effects))]
        ledger.record(made)
        for r, effect in zip(made, effects, strict=True):
            ledger.set_fate(r.recommendation_id, "accepted", "mgr", NOW)
            outcome = Outcome(
                metric="gmv_per_minute",
                effect=effect,
                se=0.02,
                window_minutes=5,
                pre_minutes=10,
                design="before/after within the session",
            )
            ledger.set_outcome(r.recommendation_id, outcome)
    ledger.record([recommendation("pending-only", 0)])  # not executed, not measured: no estimate


def test_the_endpoint_answers_what_the_cli_prints(tmp_path: Path) -> None:
    db = tmp_path / "e.duckdb"
    service = open_service(db, Settings(home=tmp_path / "home"))
    try:
        with TestClient(service.app) as client:
            viewer = service.tokens.issue("test viewer", "viewer", now=datetime.now(UTC))
            empty = client.get(
                "/api/playbooks/estimates", headers={"Authorization": f"Bearer {viewer.token}"}
            )
            assert (empty.status_code, empty.json()) == (200, {})
            measured(Ledger(service.store.con))
            answered = client.get(
                "/api/playbooks/estimates", headers={"Authorization": f"Bearer {viewer.token}"}
            )
            assert client.get("/api/playbooks/estimates").status_code == 401
    finally:
        service.close()
    assert answered.status_code == 200, answered.text
    found = answered.json()
    assert list(found) == ["clear-gain", "flat", "harmful", "new"]
    fields = {"playbook_id", "outcomes", "mean", "low", "high", "retire", "retire_reason"}
    fields.add("designs")  # outcomes per design: before/after, switchback
    assert all(set(e) == fields for e in found.values())
    decided = {pid: (e["outcomes"], e["retire"], e["retire_reason"]) for pid, e in found.items()}
    assert decided == {
        "clear-gain": (4, False, None),
        "flat": (5, True, "no worthwhile effect"),
        "harmful": (3, True, "hurts"),
        "new": (2, False, None),
    }

    runner = CliRunner()
    printed = runner.invoke(cli, ["ledger", "estimates", "--db", str(db), "--format", "json"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output) == found
    text = runner.invoke(cli, ["ledger", "estimates", "--db", str(db)]).output.splitlines()
    assert [line.split()[0] for line in text] == list(found)
    assert text[1].endswith("RETIRE: no worthwhile effect (below +2.0%)")
    assert text[2].endswith("RETIRE: its effect is below zero")
    assert "RETIRE" not in text[0] + text[3]
    # a caller who counts +1% as worthwhile keeps the flat playbook
    lenient = runner.invoke(
        cli,
        ["ledger", "estimates", "--db", str(db), "--format", "json", "--min-worthwhile", "0.01"],
    )
    assert json.loads(lenient.output)["flat"]["retire_reason"] is None
