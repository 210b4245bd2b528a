"""Alerts and recommendations over HTTP: scored and replayed on stored sessions, acknowledged and
decided only by tokens that may act, every decision in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from fastapi.testclient import TestClient

from livelens.api.app import create_app
from livelens.api.server import Service, open_service
from livelens.events.reference import decode_reference
from livelens.governance.audit import AuditLog
from livelens.settings import Settings
from livelens.sources.simulation.config import DEFAULT_START, SimulationConfig
from livelens.sources.simulation.licences import simulated_licences
from livelens.sources.simulator import write_session

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("decisions")
    opened = open_service(folder / "d.duckdb", Settings(home=folder / "home"))
    with TestClient(create_app(opened.hub, opened.tokens)) as client:
        admin = bearer(opened, "admin")
        for day in range(3):
            config = SimulationConfig(
                minutes=30,
                peak_viewers=300,
                seed=day + 1,
                session_id=f"day-{day}",
                start=DEFAULT_START + timedelta(days=day),
            )
            events = folder / f"day-{day}.jsonl"
            write_session(config, events)
            catalog = events.with_name(f"day-{day}.catalog.json")
            if day == 0:
                put = client.put("/api/reference", content=catalog.read_bytes(), headers=admin)
                assert put.status_code == 200, put.text
                personas = decode_reference(catalog.read_bytes(), "catalog").personas
                licences = simulated_licences(personas, DEFAULT_START)
                body = msgspec.json.encode(licences)
                assert client.put("/api/licences", content=body, headers=admin).status_code == 200
            posted = client.post("/api/events", content=events.read_bytes(), headers=admin)
            assert posted.status_code == 200, posted.text
    yield opened
    opened.close()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service.hub, service.tokens)) as opened:
        yield opened


def bearer(service: Service, role: str) -> dict[str, str]:
    issued = service.tokens.issue(f"test {role}", role, now=NOW)
    return {"Authorization": f"Bearer {issued.token}"}


def test_alerts_are_scored_stored_and_acknowledged(client: TestClient, service: Service) -> None:
    viewer, operator = bearer(service, "viewer"), bearer(service, "operator")
    scanned = client.get("/api/sessions/day-2/alerts", headers=viewer)
    assert scanned.status_code == 200, scanned.text
    scan = scanned.json()
    assert scan["history"] == ["day-0", "day-1"]
    assert scan["minutes_scored"] == 29
    again = client.get("/api/sessions/day-2/alerts", headers=viewer).json()
    assert again["alerts"] == scan["alerts"]
    assert again["new"] == []
    stored = client.get("/api/alerts", params={"session": "day-2"}, headers=viewer).json()
    assert [s["alert"]["alert_id"] for s in stored] == [a["alert_id"] for a in scan["alerts"]]
    assert client.get("/api/sessions/nope/alerts", headers=viewer).status_code == 404
    assert client.post("/api/alerts/al_nope/ack", headers=operator).status_code == 404
    if scan["alerts"]:
        alert_id = scan["alerts"][0]["alert_id"]
        refused = client.post(f"/api/alerts/{alert_id}/ack", headers=viewer)
        assert refused.status_code == 403
        acked = client.post(f"/api/alerts/{alert_id}/ack", headers=operator)
        assert acked.status_code == 200
        assert acked.json()["acked_by"] == "test operator"
        unacked = client.get("/api/alerts", params={"unacked": True}, headers=viewer).json()
        assert alert_id not in {s["alert"]["alert_id"] for s in unacked}


def test_recommendations_ledger_and_fate(client: TestClient, service: Service) -> None:
    viewer, manager = bearer(service, "viewer"), bearer(service, "manager")
    shown = client.get("/api/sessions/day-1/recommendations", headers=viewer)
    assert shown.status_code == 200, shown.text
    replay = shown.json()
    made = replay["recommendations"]
    assert made, replay["withheld"]
    for item in made:
        assert {"action", "target", "start", "duration_s", "expected_uplift", "evidence"} <= set(
            item
        )
    assert (
        client.post("/api/sessions/day-1/recommendations/record", headers=viewer).status_code == 403
    )
    recorded = client.post("/api/sessions/day-1/recommendations/record", headers=manager)
    assert recorded.json() == {"recorded": len(made)}
    rec_id = made[0]["recommendation_id"]
    decided = client.post(
        f"/api/recommendations/{rec_id}/fate", json={"fate": "rejected"}, headers=manager
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["fate"], decided.json()["fate_by"]) == ("rejected", "test manager")
    twice = client.post(
        f"/api/recommendations/{rec_id}/fate", json={"fate": "accepted"}, headers=manager
    )
    assert twice.status_code == 422
    bad = client.post(
        f"/api/recommendations/{rec_id}/fate", json={"fate": "maybe"}, headers=manager
    )
    assert bad.status_code == 422
    ledger = client.get("/api/ledger", params={"session": "day-1"}, headers=viewer).json()
    assert {e["recommendation"]["recommendation_id"]: e["fate"] for e in ledger}[
        rec_id
    ] == "rejected"
    audit = AuditLog(service.store).entries()
    assert [(e.action, e.subject) for e in audit if e.action == "recommendation.fate"] == [
        ("recommendation.fate", rec_id)
    ]
    assert client.get("/api/sessions/nope/recommendations", headers=viewer).status_code == 404


def test_everything_needs_a_token(client: TestClient) -> None:
    for method, url in (
        ("GET", "/api/sessions/day-1/alerts"),
        ("GET", "/api/alerts"),
        ("POST", "/api/alerts/x/ack"),
        ("GET", "/api/sessions/day-1/recommendations"),
        ("POST", "/api/sessions/day-1/recommendations/record"),
        ("GET", "/api/ledger"),
        ("POST", "/api/recommendations/x/fate"),
    ):
        assert client.request(method, url).status_code == 401, url
