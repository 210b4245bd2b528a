"""The live decision layer over HTTP: a room's autonomy level (read by all, set by managers only,
audited), the live executing what a room in ``auto`` is recommended, and the live Q&A's latest
answers on the session's frame."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from fastapi.testclient import TestClient

from livelens.api.server import Service, open_service
from livelens.events.columns import ts_micros
from livelens.governance.audit import AuditLog
from livelens.knowledge.autonomy import AUTO_ACTOR
from livelens.knowledge.execution import EXECUTION_SOURCE
from livelens.settings import Settings
from livelens.sources.simulation.config import SimulationConfig
from livelens.sources.simulation.licences import simulated_licences
from livelens.sources.simulator import build_session
from livelens.testing import jsonl

NOW = datetime.now(UTC)
QA = Path(__file__).resolve().parents[1] / "qa"
T0_MS = round(NOW.timestamp() * 1000) - 60_000


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    opened = open_service(tmp_path / "s.duckdb", Settings(home=tmp_path / "home"))
    yield opened
    opened.close()


def bearer(service: Service, role: str) -> dict[str, str]:
    issued = service.tokens.issue(f"test {role}", role, now=NOW)
    return {"Authorization": f"Bearer {issued.token}"}


def test_a_room_suggests_until_a_manager_sets_it_and_the_change_is_audited(
    service: Service,
) -> None:
    client = TestClient(service.app)
    viewer, operator, manager = (bearer(service, r) for r in ("viewer", "operator", "manager"))
    shown = client.get("/api/rooms/room-7/autonomy", headers=viewer)
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"room_id": "room-7", "level": "suggest", "set_by": None, "set_at": None}
    for who in (viewer, operator):
        refused = client.put("/api/rooms/room-7/autonomy", json={"level": "auto"}, headers=who)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden"
    assert "manager" in refused.json()["error"]["message"]
    assert client.get("/api/rooms/room-7/autonomy", headers=viewer).json()["level"] == "suggest"
    set_ = client.put("/api/rooms/room-7/autonomy", json={"level": "auto"}, headers=manager)
    assert set_.status_code == 200, set_.text
    assert (set_.json()["level"], set_.json()["set_by"]) == ("auto", "test manager")
    assert client.get("/api/rooms/room-7/autonomy", headers=viewer).json()["level"] == "auto"
    invalid = client.put("/api/rooms/room-7/autonomy", json={"level": "maybe"}, headers=manager)
    assert invalid.status_code == 422
    audited = [e for e in AuditLog(service.store).entries() if e.action == "autonomy.set"]
    assert [(e.subject, e.details) for e in audited] == [
        ("room-7", {"level": "auto", "was": "suggest"})
    ]
    assert (
        audited[0].actor
        == service.tokens.authenticate(manager["Authorization"].removeprefix("Bearer ")).token_id
    )
    admin = bearer(service, "admin")
    back = client.put("/api/rooms/room-7/autonomy", json={"level": "suggest"}, headers=admin)
    assert back.json()["level"] == "suggest"


def test_the_autonomy_routes_need_a_token(service: Service) -> None:
    client = TestClient(service.app)
    for method in ("GET", "PUT"):
        answer = client.request(method, "/api/rooms/room-7/autonomy", json={"level": "auto"})
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"


def wait_for(check: Any, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"not within {timeout_s} s")


@pytest.mark.slow
def test_a_room_in_auto_has_the_live_execute_its_recommendations(service: Service) -> None:
    config = SimulationConfig(minutes=40, peak_viewers=300, seed=4, session_id="auto-live")
    session = build_session(config)
    admin, manager = bearer(service, "admin"), bearer(service, "manager")
    events = list(session.events())
    start_us = ts_micros(events[0].ts)
    with TestClient(service.app) as client:  # the publisher runs the decisions, as served
        reference = msgspec.json.encode(session.reference)
        assert client.put("/api/reference", content=reference, headers=admin).status_code == 200
        licences = msgspec.json.encode(simulated_licences(session.reference.personas, config.start))
        assert client.put("/api/licences", content=licences, headers=admin).status_code == 200
        put = client.put(
            f"/api/rooms/{config.room_id}/autonomy", json={"level": "auto"}, headers=manager
        )
        assert put.status_code == 200
        for minute in range(0, config.minutes, 2):  # two minutes a post: a live, not a backfill
            part = [e for e in events if (ts_micros(e.ts) - start_us) // 120_000_000 == minute // 2]
            body = b"".join(msgspec.json.encode(e) + b"\n" for e in part)
            assert client.post("/api/events", content=body, headers=admin).status_code == 200
        ledger = wait_for(
            lambda: client.get("/api/ledger", params={"session": "auto-live"}, headers=admin).json()
        )
        frame = client.get("/api/sessions/auto-live/frame", headers=admin).json()
    assert {(e["fate"], e["fate_by"]) for e in ledger} == {("auto_executed", AUTO_ACTOR)}
    # what auto executed went into the live as the events of its actions (a flash discount's
    # promo.start, a pin)
    acting = {
        f"{EXECUTION_SOURCE}:{e['recommendation']['recommendation_id']}"
        for e in ledger
        if e["recommendation"]["action"] in ("flash_discount", "pin_product", "switch_persona")
    }
    assert acting

    def stored_actions() -> set[str]:
        with service.hub.lock:
            table = service.store.events("auto-live", ["promo.start", "host.product_pin"])
        return {i for i in table["event_id"].to_pylist() if i.startswith(EXECUTION_SOURCE)}

    assert wait_for(lambda: stored_actions() >= acting)
    assert frame["autonomy"] == "auto"
    shown = {r["recommendation"]["recommendation_id"]: r["fate"] for r in frame["recommendations"]}
    assert shown
    assert set(shown.values()) == {"auto_executed"}


@pytest.mark.slow
def test_accepting_a_flash_discount_over_http_starts_it_in_the_live(service: Service) -> None:
    """A manager accepts the pending flash discount while the session is live: the fate route
    puts its ``promo.start`` (product, percent, price, duration) into the session."""
    config = SimulationConfig(minutes=40, peak_viewers=300, seed=4, session_id="suggest-live")
    session = build_session(config)
    admin, manager = bearer(service, "admin"), bearer(service, "manager")
    events = list(session.events())
    start_us = ts_micros(events[0].ts)
    found: dict[str, Any] = {}
    with TestClient(service.app) as client:  # the publisher runs the decisions, as served
        reference = msgspec.json.encode(session.reference)
        assert client.put("/api/reference", content=reference, headers=admin).status_code == 200
        licences = msgspec.json.encode(simulated_licences(session.reference.personas, config.start))
        assert client.put("/api/licences", content=licences, headers=admin).status_code == 200

        def pending_discount() -> dict[str, Any] | None:
            ledger = client.get("/api/ledger", params={"session": "suggest-live"}, headers=admin)
            return next(
                (
                    e["recommendation"]
                    for e in ledger.json()
                    if e["recommendation"]["action"] == "flash_discount" and e["fate"] == "pending"
                ),
                None,
            )

        for minute in range(config.minutes):  # a minute a post, until the discount is offered
            part = [e for e in events if (ts_micros(e.ts) - start_us) // 60_000_000 == minute]
            body = b"".join(msgspec.json.encode(e) + b"\n" for e in part)
            assert client.post("/api/events", content=body, headers=admin).status_code == 200
            deadline = time.monotonic() + (3.0 if minute >= 10 else 0.0)  # the peak: from 10
            while not found and time.monotonic() < deadline:
                found = pending_discount() or {}
                time.sleep(0.05)
            if found:
                break
        assert found, "no flash discount was recommended while the session was live"
        rec_id = found["recommendation_id"]
        accepted = client.post(
            f"/api/recommendations/{rec_id}/fate", json={"fate": "accepted"}, headers=manager
        )
        assert accepted.status_code == 200, accepted.text
        with service.hub.lock:
            promos = service.store.events("suggest-live", ["promo.start"]).to_pylist()
    started = [p for p in promos if p["event_id"] == f"{EXECUTION_SOURCE}:{rec_id}"]
    assert len(started) == 1
    target = found["target"]
    assert (started[0]["promo_id"], started[0]["product_id"]) == (rec_id, target["product"])
    assert started[0]["discount_pct"] == target["percent"]
    assert started[0]["price_minor"] == target["price_minor"]
    assert started[0]["duration_s"] == found["duration_s"]


def test_the_frame_carries_the_latest_qa_answers_and_the_human_queue(service: Service) -> None:
    client = TestClient(service.app)
    admin = bearer(service, "admin")
    catalog = json.loads((QA / "catalog.json").read_text(encoding="utf-8"))
    catalog["room"] = json.loads((QA / "room.json").read_text(encoding="utf-8"))
    assert client.put("/api/qa/live-qa/catalog", json=catalog, headers=admin).status_code == 200
    envelope = {"room_id": "room-qa", "session_id": "live-qa", "platform": "sim"}

    def event(n: int, kind: str, offset_s: int, **fields: Any) -> dict[str, Any]:
        return {"event_id": f"qa-{n}", "type": kind, "ts": T0_MS + offset_s * 1000, **envelope}

    batch = [
        {**event(1, "host.product_pin", 0), "product_id": "sku-hoodie"},
        *(
            {**event(2 + n, "comment", 2 + n), "viewer_id": f"v{n}", "text": "卫衣多少钱"}
            for n in range(3)
        ),
        {**event(8, "comment", 8), "viewer_id": "v8", "text": "卫衣能治病吗"},
        {**event(9, "comment", 9), "viewer_id": "v9", "text": "卫衣能治病吗"},
    ]
    assert client.post("/api/events", content=jsonl(batch), headers=admin).status_code == 200
    answers = client.get("/api/sessions/live-qa/frame", headers=admin).json()["answers"]
    said = [a for a in answers if a["status"] == "said"]
    # the first asker is answered; at the third the host says it once more, for all of them
    assert [a["text"].startswith("好几位") for a in said] == [True, False]
    assert all(a["product_id"] == "sku-hoodie" and a["by"] == "ai" for a in said)
    assert all(not a["escalated"] and a["askers"] >= 1 for a in said)
    waiting = [a for a in answers if a["escalated"]]
    assert len(waiting) == 1  # two viewers, one item in the human queue
    assert (waiting[0]["status"], waiting[0]["text"], waiting[0]["askers"]) == (
        "escalated",
        None,
        2,
    )
    assert waiting[0]["question"] == "卫衣能治病吗"
    assert waiting[0]["reason"] == "medical_claim"
    assert answers == sorted(answers, key=lambda a: -a["at_ms"])
    answered = client.post(
        "/api/qa/live-qa/actions",
        json={"answer_id": waiting[0]["answer_id"], "action": "answer", "text": "卫衣不能治病哦"},
        headers=admin,
    )
    assert answered.status_code == 200, answered.text
    after = client.get("/api/sessions/live-qa/frame", headers=admin).json()["answers"]
    assert not any(a["escalated"] for a in after)
    assert any(a["by"] == "operator" and a["text"] == "卫衣不能治病哦" for a in after)
