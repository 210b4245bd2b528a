"""Manager-authored playbooks on the live path: ``livelens serve --playbooks`` hands them to the
live recommender and to the recommendation routes in place of the starter library, and a bad
playbook file stops the server before it starts, naming the file and the field."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from livelens.api.server import Service, open_service
from livelens.cli import cli
from livelens.events.columns import ts_micros
from livelens.knowledge.playbooks import load_playbooks, starter_playbooks
from livelens.settings import Settings
from livelens.sources.simulation.config import SimulationConfig
from livelens.sources.simulation.licences import simulated_licences
from livelens.sources.simulator import build_session

NOW = datetime.now(UTC)
CUSTOM = """\
id: house-welcome
version: 3
title: {zh: 欢迎新观众, en: Welcome the newcomers}
priority: 55
cooldown_minutes: 3
when:
  - {fact: minute, op: ">=", value: 2}
action:
  kind: script_cue
  duration_s: 60
  script: {zh: 欢迎刚进直播间的朋友, en: Welcome everyone who just joined}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    found = tmp_path / "playbooks"
    found.mkdir()
    (found / "welcome.yaml").write_text(CUSTOM, encoding="utf-8")
    return found


@pytest.fixture
def service(tmp_path: Path, folder: Path) -> Iterator[Service]:
    opened = open_service(
        tmp_path / "s.duckdb", Settings(home=tmp_path / "home"), playbooks=load_playbooks([folder])
    )
    yield opened
    opened.close()


def wait_for(check: Any, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"not within {timeout_s} s")


def test_a_custom_playbook_fires_live_and_in_the_routes(service: Service) -> None:
    config = SimulationConfig(minutes=10, peak_viewers=200, seed=7, session_id="own-books")
    session = build_session(config)
    admin = {"Authorization": f"Bearer {service.tokens.issue('t', 'admin', now=NOW).token}"}
    events = list(session.events())
    start_us = ts_micros(events[0].ts)
    with TestClient(service.app) as client:  # the publisher runs the decisions, as served
        reference = msgspec.json.encode(session.reference)
        assert client.put("/api/reference", content=reference, headers=admin).status_code == 200
        licences = msgspec.json.encode(simulated_licences(session.reference.personas, config.start))
        assert client.put("/api/licences", content=licences, headers=admin).status_code == 200
        for part_of in range(config.minutes // 2):  # two minutes a post: a live, not a backfill
            part = [e for e in events if (ts_micros(e.ts) - start_us) // 120_000_000 == part_of]
            body = b"".join(msgspec.json.encode(e) + b"\n" for e in part)
            assert client.post("/api/events", content=body, headers=admin).status_code == 200
        ledger = wait_for(
            lambda: client.get("/api/ledger", params={"session": "own-books"}, headers=admin).json()
        )
        replayed = client.get("/api/sessions/own-books/recommendations", headers=admin)
    assert replayed.status_code == 200, replayed.text
    live = [e["recommendation"] for e in ledger]
    assert {r["playbook"] for r in live} == {"house-welcome@v3"}  # the starter library is off
    assert live[0]["minute"] == 2
    assert live[0]["text_zh"] == "欢迎刚进直播间的朋友"
    again = replayed.json()["recommendations"]
    assert {r["playbook"] for r in again} == {"house-welcome@v3"}
    assert [r["minute"] for r in again][: len(live)] == sorted(r["minute"] for r in live)


def test_without_playbooks_the_starter_library_runs(tmp_path: Path) -> None:
    opened = open_service(tmp_path / "s.duckdb", Settings(home=tmp_path / "home"))
    try:
        assert [p.key for p in opened.hub.playbooks] == [p.key for p in starter_playbooks()]
        assert opened.hub.decisions.recommender.playbooks == opened.hub.playbooks
    finally:
        opened.close()


def test_a_bad_playbook_stops_serve_before_the_store_opens(tmp_path: Path, folder: Path) -> None:
    (folder / "broken.yaml").write_text(
        CUSTOM.replace("house-welcome", "house-bye").replace('op: ">="', "op: about"),
        encoding="utf-8",
    )
    db = tmp_path / "never.duckdb"
    result = CliRunner().invoke(
        cli,
        ["serve", "--db", str(db), "--port", "0", "--playbooks", str(folder)],
        env={"LIVELENS_HOME": str(tmp_path / "home")},
    )
    assert result.exit_code == 1, result.output
    assert "broken.yaml" in result.output
    assert "$.when[0].op" in result.output
    assert not db.exists()
