"""The live Q&A over a real socket: a catalog loaded per session, questions from ingested comments
and from the questions route, the answers pushed to the host's speech engine (SSE), autonomy,
takeover and the human queue, and the answer log in the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from livelens.api.server import ServerThread, Service, open_service
from livelens.settings import Settings
from livelens.testing import jsonl

QA = Path(__file__).resolve().parents[1] / "qa"
T0_MS = round(datetime.now(UTC).timestamp() * 1000) - 60_000  # a minute ago: not in the future
ENVELOPE = {"room_id": "room-qa", "session_id": "live-qa", "platform": "sim"}


def catalog_document() -> dict[str, Any]:
    catalog = json.loads((QA / "catalog.json").read_text(encoding="utf-8"))
    catalog["room"] = json.loads((QA / "room.json").read_text(encoding="utf-8"))
    return catalog


def event(n: int, kind: str, offset_s: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"qa-{n}",
        "type": kind,
        "ts": T0_MS + offset_s * 1000,
        **ENVELOPE,
        **fields,
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Service, ServerThread, dict[str, str]]]:
    service = open_service(tmp_path / "s.duckdb", Settings(home=tmp_path / "home"))
    server = ServerThread(service.app, "127.0.0.1", 0).start()
    assert service.first_admin is not None
    yield service, server, {"Authorization": f"Bearer {service.first_admin.token}"}
    server.stop()
    service.close()


def answers(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    kind = None
    for line in lines:
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: ") and kind == "answer":
            yield json.loads(line.removeprefix("data: "))


def test_ingested_questions_are_answered_from_the_live_catalog_and_pushed(
    served: tuple[Service, ServerThread, dict[str, str]],
) -> None:
    service, server, admin = served
    with httpx.Client(base_url=server.url, headers=admin, timeout=20) as client:
        before = client.get("/api/qa/live-qa")
        assert before.status_code == 404
        assert before.json()["error"]["code"] == "not_found"
        loaded = client.put("/api/qa/live-qa/catalog", json=catalog_document())
        assert loaded.status_code == 200, loaded.text
        assert loaded.json()["products"] == 10
        with client.stream("GET", "/api/qa/live-qa/stream") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            pushed = answers(stream.iter_lines())
            batch = [
                event(1, "host.product_pin", 0, product_id="sku-hoodie"),
                event(
                    2, "price.change", 1, product_id="sku-hoodie", price_minor=12900, currency="CNY"
                ),
                event(3, "comment", 2, viewer_id="v1", text="多少钱"),
                event(4, "comment", 3, viewer_id="v2", text="主播好漂亮"),
            ]
            assert client.post("/api/events", content=jsonl(batch)).status_code == 200
            said = next(pushed)
            assert said["seq"] == 1
            assert said["by"] == "ai"
            assert said["product_id"] == "sku-hoodie"
            assert "129" in said["text"]
            asked = client.post("/api/qa/live-qa/questions", json={"text": "牛仔裤多少钱"})
            assert asked.status_code == 200, asked.text
            assert asked.json()["asks"] is True
            assert next(pushed)["text"] == asked.json()["say"]
        log = client.get("/api/qa/live-qa/answers").json()
        assert [r["product_id"] for r in log] == ["sku-hoodie", "sku-jeans"]
        assert log[0]["facts"]["price_yuan"] == "129"
        assert log[0]["catalog_version"] > 1  # the price change made a new version
        state = client.get("/api/qa/live-qa").json()
        assert state["stats"]["questions"] == 2
        assert state["stats"]["answer_rate"] == 1.0
    rows = service.hub.store.con.execute(
        "SELECT count(*) FROM qa_answers WHERE room_id = 'live-qa'"
    ).fetchone()
    assert rows == (2,)


def test_suggest_takeover_queue_and_operator_actions(
    served: tuple[Service, ServerThread, dict[str, str]],
) -> None:
    _service, server, admin = served
    with httpx.Client(base_url=server.url, headers=admin, timeout=20) as client:
        assert client.put("/api/qa/live-qa/catalog", json=catalog_document()).status_code == 200
        state = client.put("/api/qa/live-qa/control", json={"autonomy": "suggest"}).json()
        assert state["autonomy"] == "suggest"
        suggestion = client.post("/api/qa/live-qa/questions", json={"text": "牛仔裤多少钱"}).json()
        assert suggestion["say"] is None
        assert suggestion["record"]["delivery"] == "suggested"
        escalated = client.post(
            "/api/qa/live-qa/questions", json={"text": "这个精华能治痘痘吗"}
        ).json()
        assert escalated["record"]["status"] == "escalated"
        queue = client.get("/api/qa/live-qa/queue").json()
        assert {r["answer_id"] for r in queue} == {
            suggestion["record"]["answer_id"],
            escalated["record"]["answer_id"],
        }
        refused = client.post(
            "/api/qa/live-qa/actions",
            json={
                "answer_id": escalated["record"]["answer_id"],
                "action": "answer",
                "text": "最好的祛痘精华",
            },
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "invalid_input"
        answered = client.post(
            "/api/qa/live-qa/actions",
            json={
                "answer_id": escalated["record"]["answer_id"],
                "action": "answer",
                "text": "这款是护肤品，敏感肌请先在耳后试用",
            },
        ).json()
        assert answered["delivery"] == "operator"
        approved = client.post(
            "/api/qa/live-qa/actions",
            json={"answer_id": suggestion["record"]["answer_id"], "action": "approve"},
        ).json()
        assert approved["delivery"] == "sent"
        again = client.post(
            "/api/qa/live-qa/actions",
            json={"answer_id": suggestion["record"]["answer_id"], "action": "approve"},
        )
        assert again.status_code == 404
        state = client.put(
            "/api/qa/live-qa/control", json={"autonomy": "full_auto", "taken_over": True}
        ).json()
        assert state["taken_over"] is True
        taken = client.post("/api/qa/live-qa/questions", json={"text": "毛衣多少钱"}).json()
        assert taken["record"]["delivery"] == "suggested"
        with client.stream("GET", "/api/qa/live-qa/stream", params={"after": 0}) as stream:
            said = answers(stream.iter_lines())
            first, second = next(said), next(said)
        assert (first["by"], second["by"]) == ("operator", "ai")


def test_the_qa_routes_need_a_token_and_the_ingest_permission(
    served: tuple[Service, ServerThread, dict[str, str]],
) -> None:
    service, server, _admin = served
    viewer = service.tokens.issue("screen", "viewer", now=service.hub.clock())
    for method, path in (("GET", "/api/qa/live-qa"), ("GET", "/api/qa/live-qa/stream")):
        response = httpx.request(method, server.url + path, timeout=5)
        assert response.status_code == 401
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {viewer.token}"}, timeout=5
    ) as client:
        response = client.put("/api/qa/live-qa/catalog", json=catalog_document())
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


def test_auto_answers_wait_out_their_undo_window_and_can_be_undone(
    served: tuple[Service, ServerThread, dict[str, str]],
) -> None:
    _service, server, admin = served
    with httpx.Client(base_url=server.url, headers=admin, timeout=20) as client:
        assert client.put("/api/qa/live-qa/catalog", json=catalog_document()).status_code == 200
        control = {"autonomy": "auto_undo", "undo_window_ms": 600_000}
        assert client.put("/api/qa/live-qa/control", json=control).status_code == 200
        first = client.post("/api/qa/live-qa/questions", json={"text": "牛仔裤多少钱"}).json()
        assert first["record"]["delivery"] == "pending"
        assert first["say"] is None
        undo = {"answer_id": first["record"]["answer_id"], "action": "undo"}
        undone = client.post("/api/qa/live-qa/actions", json=undo).json()
        assert undone["delivery"] == "undone"
        assert client.get("/api/qa/live-qa").json()["queue"] == 1
        # a zero window: the pending answer is said when the next question arrives
        control = {"undo_window_ms": 0}
        assert client.put("/api/qa/live-qa/control", json=control).status_code == 200
        second = client.post("/api/qa/live-qa/questions", json={"text": "毛衣多少钱"}).json()
        assert second["record"]["delivery"] == "pending"
        client.post("/api/qa/live-qa/questions", json={"text": "坚果多少钱"})
        log = {r["answer_id"]: r for r in client.get("/api/qa/live-qa/answers").json()}
        assert log[second["record"]["answer_id"]]["delivery"] == "sent"
        late = client.post(
            "/api/qa/live-qa/actions", json={**undo, "answer_id": second["record"]["answer_id"]}
        )
        assert late.status_code == 404


def test_stock_set_events_change_what_the_host_says_about_stock(
    served: tuple[Service, ServerThread, dict[str, str]],
) -> None:
    service, server, admin = served
    with httpx.Client(base_url=server.url, headers=admin, timeout=20) as client:
        assert client.put("/api/qa/live-qa/catalog", json=catalog_document()).status_code == 200
        before = client.post("/api/qa/live-qa/questions", json={"text": "卫衣有货吗"}).json()
        assert before["record"]["facts"]["stock"] == "1500"  # the catalog's stock
        version = client.get("/api/qa/live-qa").json()["catalog_version"]
        batch = [
            event(1, "host.product_pin", 0, product_id="sku-hoodie"),
            event(2, "stock.set", 1, product_id="sku-hoodie", stock=0),
            event(3, "comment", 2, viewer_id="v1", text="有货吗"),
            event(4, "stock.set", 3, product_id="sku-not-in-catalog", stock=9),
        ]
        ingested = client.post("/api/events", content=jsonl(batch))
        assert ingested.status_code == 200, ingested.text
        assert ingested.json() == {"accepted": 4, "duplicates": 0, "quarantined": {}}
        log = client.get("/api/qa/live-qa/answers").json()
        sold_out = log[-1]
        assert sold_out["questions"][0]["text"] == "有货吗"
        assert (sold_out["status"], sold_out["topic"]) == ("answered", "stock")
        assert "卖完了" in sold_out["answer"]
        assert sold_out["catalog_version"] == version + 2  # the pin, then the stock
        more = [event(5, "stock.set", 4, product_id="sku-hoodie", stock=37)]
        assert client.post("/api/events", content=jsonl(more)).status_code == 200
        after = client.post("/api/qa/live-qa/questions", json={"text": "有货吗"}).json()
        assert after["record"]["facts"]["stock"] == "37"
        assert "库存37件" in after["say"]
    stored = service.hub.store.con.execute(
        "SELECT product_id, stock FROM events WHERE type = 'stock.set' ORDER BY ts"
    ).fetchall()
    assert stored == [("sku-hoodie", 0), ("sku-not-in-catalog", 9), ("sku-hoodie", 37)]
