"""The go-live gate over HTTP and on the stream: refused without a valid licence, violations when
an unlicensed persona appears in events, revocation flagged while on air, royalties."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from fastapi.testclient import TestClient

from livelens.api.app import create_app
from livelens.api.server import ServerThread, Service, open_service
from livelens.events.reference import Persona, Product, ReferenceData
from livelens.governance.audit import AuditLog
from livelens.settings import Settings
from livelens.testing import event_record, jsonl

NOW = datetime.now(UTC)
REFERENCE = ReferenceData(
    products=[
        Product(
            product_id="sku-milk",
            title="纯牛奶",
            category="食品",
            list_price_minor=5_990,
            floor_price_minor=4_990,
        ),
        Product(
            product_id="sku-vest",
            title="羽绒马甲",
            category="服装",
            list_price_minor=39_900,
            floor_price_minor=29_900,
        ),
    ],
    personas=[
        Persona(persona_id="p-xue", display_name="小雪", licence_id="lic-xue", kind="face_swap"),
        Persona(persona_id="p-ghost", display_name="无证主播", kind="virtual"),
    ],
)
LICENCE: dict[str, Any] = {
    "licence_id": "lic-xue",
    "talent_id": "talent-7",
    "operator": "杭州某某文化传媒有限公司",
    "consent_doc_sha256": "cd" * 32,
    "face_consent": True,
    "voice_consent": False,
    "valid_from": (NOW - timedelta(days=1)).isoformat(),
    "valid_to": (NOW + timedelta(days=1)).isoformat(),
    "scope": {"platforms": ["sim", "douyin"], "rooms": ["room-1"], "categories_excluded": ["食品"]},
    "compensation": {"fixed_fee_minor": 50_000, "royalty_pct": 3.0},
}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    opened = open_service(tmp_path / "gate.duckdb", Settings(home=tmp_path / "home"))
    opened.hub.put_reference(REFERENCE)
    yield opened
    opened.close()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service.hub, service.tokens)) as opened:
        yield opened


def bearer(service: Service, role: str) -> dict[str, str]:
    issued = service.tokens.issue(f"test {role}", role, now=NOW)
    return {"Authorization": f"Bearer {issued.token}"}


def test_only_compliance_and_admin_keep_licences(client: TestClient, service: Service) -> None:
    operator, compliance = bearer(service, "operator"), bearer(service, "compliance")
    assert client.put("/api/licences", json=LICENCE, headers=operator).status_code == 403
    assert client.put("/api/licences", json=LICENCE, headers=compliance).json() == {"licences": 1}
    listed = client.get("/api/licences", headers=operator).json()
    assert [item["licence_id"] for item in listed] == ["lic-xue"]
    bad = client.put("/api/licences", json={**LICENCE, "face_consent": False}, headers=compliance)
    assert bad.status_code == 422
    assert "face consent, voice consent or both" in bad.json()["error"]["message"]


def test_going_live_needs_a_licence_for_the_room_category_and_time(
    client: TestClient, service: Service
) -> None:
    operator, compliance = bearer(service, "operator"), bearer(service, "compliance")
    start = {"persona_id": "p-xue", "room_id": "room-1", "platform": "sim"}
    refused = client.post("/api/sessions/s-1/persona", json=start, headers=operator)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "licence_refused"
    assert error["details"]["problems"] == ["licence_not_found"]
    client.put("/api/licences", json=LICENCE, headers=compliance)
    other_room = {**start, "room_id": "room-9"}
    refused = client.post("/api/sessions/s-1/persona", json=other_room, headers=operator)
    assert refused.json()["error"]["details"]["problems"] == ["room_not_licensed"]
    allowed = client.post("/api/sessions/s-1/persona", json=start, headers=operator)
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["on_air"] == "p-xue"
    sessions = client.get("/api/sessions", headers=operator).json()
    assert [(s["session_id"], s["events"]) for s in sessions] == [("s-1", 1)]  # the switch event
    # the milk (食品) is pinned now: the licence excludes food, so a switch back is refused
    later = (NOW + timedelta(seconds=1)).isoformat()
    pin = event_record(
        "host.product_pin", event_id="pin-1", product_id="sku-milk", session_id="s-1", ts=later
    )
    assert client.post("/api/events", content=jsonl([pin]), headers=operator).status_code == 200
    refused = client.post("/api/sessions/s-1/persona", json=start, headers=operator)
    assert refused.json()["error"]["details"]["problems"] == ["category_excluded"]
    ghost = client.post(
        "/api/sessions/s-1/persona", json={"persona_id": "p-ghost"}, headers=operator
    )
    assert ghost.json()["error"]["details"]["problems"] == ["no_licence"]


def test_an_unlicensed_persona_in_the_stream_is_a_violation(
    client: TestClient, service: Service
) -> None:
    operator, compliance = bearer(service, "operator"), bearer(service, "compliance")
    client.put("/api/licences", json=LICENCE, headers=compliance)
    at = NOW - timedelta(minutes=5)
    records = [
        event_record("host.persona_switch", event_id="e1", persona_id="p-xue", ts=at.isoformat()),
        event_record(
            "host.product_pin",
            event_id="e2",
            product_id="sku-vest",
            ts=(at + timedelta(minutes=1)).isoformat(),
        ),
        event_record(
            "host.product_pin",
            event_id="e3",
            product_id="sku-milk",
            ts=(at + timedelta(minutes=2)).isoformat(),
        ),
        event_record(
            "host.persona_switch",
            event_id="e4",
            persona_id="p-ghost",
            ts=(at + timedelta(minutes=3)).isoformat(),
        ),
    ]
    assert client.post("/api/events", content=jsonl(records), headers=operator).status_code == 200
    found = client.get("/api/licences/violations", headers=operator).json()
    assert [(v["persona_id"], v["product_id"], v["problems"]) for v in found] == [
        ("p-xue", "sku-milk", ["category_excluded"]),
        ("p-ghost", "sku-milk", ["no_licence"]),
    ]
    insights = client.get("/api/sessions/session-1/insights", headers=operator).json()
    texts = [
        i["insight"]["text_zh"] for i in insights if i["insight"]["kind"] == "licence_violation"
    ]
    assert "合规警告：主播形象「小雪」上播不合规（该品类被授权明确排除）" in texts
    # posting the same events again finds nothing new (duplicates are not re-checked)
    client.post("/api/events", content=jsonl(records), headers=operator)
    assert len(client.get("/api/licences/violations", headers=operator).json()) == 2


def test_royalties_follow_the_gmv_of_the_talents_persona(
    client: TestClient, service: Service
) -> None:
    operator, compliance = bearer(service, "operator"), bearer(service, "compliance")
    client.put("/api/licences", json=LICENCE, headers=compliance)
    at = NOW - timedelta(minutes=5)
    records = [
        event_record("host.persona_switch", event_id="e1", persona_id="p-xue", ts=at.isoformat()),
        event_record(
            "order.paid",
            event_id="o1",
            product_id="sku-vest",
            amount_minor=39_900,
            ts=(at + timedelta(minutes=1)).isoformat(),
        ),
    ]
    client.post("/api/events", content=jsonl(records), headers=operator)
    lines = client.get("/api/sessions/session-1/royalties", headers=operator).json()
    assert [
        (x["talent_id"], x["attributed_gmv_minor"], x["royalty_minor"], x["total_minor"])
        for x in lines
    ] == [("talent-7", 39_900, 1_197, 51_197)]


def test_a_revocation_during_the_live_is_flagged_within_seconds(tmp_path: Path) -> None:
    """Over a real server whose revocation check runs every 0.5 s (60 s is the requirement)."""
    service = open_service(tmp_path / "live.duckdb", Settings(home=tmp_path / "home"))
    service.hub.put_reference(REFERENCE)
    app = create_app(service.hub, service.tokens, revocation_check_s=0.5)
    server = ServerThread(app, "127.0.0.1", 0).start()
    try:
        compliance = bearer(service, "compliance")
        with httpx.Client(base_url=server.url, headers=bearer(service, "operator")) as client:
            assert client.put("/api/licences", json=LICENCE, headers=compliance).status_code == 200
            start = {"persona_id": "p-xue", "room_id": "room-1", "platform": "sim"}
            assert client.post("/api/sessions/s-live/persona", json=start).status_code == 201
            assert client.get("/api/licences/violations").json() == []
            revoked = client.post(
                "/api/licences/lic-xue/revoke",
                json={"reason": "talent withdrew consent"},
                headers=compliance,
            )
            assert revoked.json()["revoked_at"]
            started, found = time.monotonic(), []
            while not found and time.monotonic() - started < 60:
                time.sleep(0.2)
                found = client.get("/api/licences/violations").json()
            flagged_after = time.monotonic() - started
            assert [(v["persona_id"], v["source"], v["problems"]) for v in found] == [
                ("p-xue", "revocation", ["revoked"])
            ]
            assert flagged_after < 60
            refused = client.post("/api/sessions/s-live/persona", json=start)
            assert refused.json()["error"]["details"]["problems"] == ["revoked"]
    finally:
        server.stop()
        service.close()
    assert msgspec.json.decode(msgspec.json.encode(found))  # the violations are plain JSON


def test_the_ai_label_overlay_shows_the_persona_on_air(
    client: TestClient, service: Service
) -> None:
    operator, compliance = bearer(service, "operator"), bearer(service, "compliance")
    client.put("/api/licences", json=LICENCE, headers=compliance)
    assert client.get("/overlay/room-1").status_code == 401  # the link must carry a token
    viewer = service.tokens.issue("obs browser source", "viewer", now=NOW).token
    empty = client.get("/overlay/room-1", params={"token": viewer})
    assert empty.status_code == 200
    assert "AI生成主播" in empty.text
    start = {"persona_id": "p-xue", "room_id": "room-1", "platform": "sim"}
    assert client.post("/api/sessions/s-1/persona", json=start, headers=operator).status_code == 201
    page = client.get("/overlay/room-1", params={"token": viewer})
    assert "AI生成主播" in page.text
    assert "小雪" in page.text
    state = client.get("/overlay/room-1/state", params={"token": viewer}).json()
    assert state["persona_name"] == "小雪"
    assert state["disclosure"] == "本主播画面经AI换脸合成，肖像经授权使用（授权编号 lic-xue）"


def test_state_changes_through_the_api_are_in_the_audit_log(
    client: TestClient, service: Service
) -> None:
    operator, compliance = bearer(service, "operator"), bearer(service, "compliance")
    client.put("/api/licences", json=LICENCE, headers=compliance)
    start = {"persona_id": "p-xue", "room_id": "room-1", "platform": "sim"}
    client.post("/api/sessions/s-1/persona", json=start, headers=operator)
    price = event_record("price.change", event_id="pc-1", product_id="sku-vest", price_minor=29_900)
    client.post("/api/events", content=jsonl([price]), headers=operator)
    client.post("/api/licences/lic-xue/revoke", json={"reason": "合同到期"}, headers=compliance)
    log = AuditLog(service.store)
    assert [(e.action, e.subject) for e in log.entries()] == [
        ("token.create", service.first_admin.info.token_id if service.first_admin else ""),
        ("licence.grant", "lic-xue"),
        ("persona.switch", "p-xue"),
        ("price.change", "sku-vest"),
        ("licence.revoke", "lic-xue"),
    ]
    assert log.verify().ok
