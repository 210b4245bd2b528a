"""The HTTP API in process: authentication on every route, ingest with bad input, reads, errors.

Each test gets a fresh store and a service built the way ``livelens serve`` builds it; requests go
through FastAPI's TestClient (the ASGI app itself, no socket). The push channel is tested over a
real socket in ``test_stream.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from livelens.api.app import create_app
from livelens.api.server import Service, open_service
from livelens.settings import Settings
from livelens.testing import event_record, jsonl, random_session_records

ERROR_KEYS = {"status", "code", "message", "details"}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    opened = open_service(tmp_path / "api.duckdb", Settings(home=tmp_path / "home"))
    yield opened
    opened.close()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    app = create_app(service.hub, service.tokens, max_body_bytes=256 * 1024)
    with TestClient(app) as opened:
        yield opened


@pytest.fixture
def admin(service: Service) -> dict[str, str]:
    assert service.first_admin is not None
    return {"Authorization": f"Bearer {service.first_admin.token}"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == ERROR_KEYS
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


SCREEN_ROUTES = [
    ("GET", "/"),
    ("GET", "/login"),
    ("GET", "/assets/screen.js"),
    ("GET", "/overlay/room-1"),
    ("GET", "/overlay/room-1/state"),
]


def every_route(client: TestClient) -> list[tuple[str, str]]:
    """Each documented route (from the OpenAPI spec) plus the screen's and the spec's own."""
    spec = client.app.openapi()  # type: ignore[attr-defined]
    routes = [("GET", "/openapi.json"), *SCREEN_ROUTES]
    for path, operations in spec["paths"].items():
        concrete = path.replace("{session_id}", "session-1").replace("{token_id}", "x")
        routes += [(method.upper(), concrete) for method in operations]
    return routes


def test_every_route_refuses_a_request_without_a_valid_token(
    client: TestClient, service: Service
) -> None:
    routes = every_route(client)
    assert ("POST", "/api/events") in routes
    assert ("GET", "/openapi.json") in routes
    assert ("GET", "/api/stream") in routes
    assert len(routes) >= 14
    for headers in ({}, {"Authorization": "Bearer llk_000000000000_wrong"}):
        for method, path in routes:
            response = client.request(method, path, headers=headers)
            if path == "/":  # the page answers a browser with a sign-in hint
                assert response.status_code == 401
                assert "/login?token=" in response.text
            elif path == "/login":  # the token is the query parameter itself
                assert response.status_code == 422
            else:
                assert_error(response, 401, "unauthenticated")
    assert client.get("/login", params={"token": "llk_0_wrong"}).status_code == 401


def test_tokens_are_stored_hashed_shown_once_and_revocable(
    client: TestClient, service: Service, admin: dict[str, str]
) -> None:
    created = client.post("/api/tokens", json={"name": "screen", "role": "viewer"}, headers=admin)
    assert created.status_code == 201
    token = created.json()["token"]
    viewer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/sessions", headers=viewer).status_code == 200
    listed = client.get("/api/tokens", headers=admin).json()
    assert [t["name"] for t in listed] == ["first admin", "screen"]
    assert token not in str(listed)
    stored = service.store.con.execute("SELECT * FROM api_tokens").fetchall()
    assert token.split("_", 2)[2] not in str(stored)  # only the hash is kept
    # a viewer reads but may not ingest or manage tokens
    assert_error(client.post("/api/events", content=b"{}", headers=viewer), 403, "forbidden")
    assert_error(client.get("/api/tokens", headers=viewer), 403, "forbidden")
    token_id = created.json()["token_id"]
    assert client.delete(f"/api/tokens/{token_id}", headers=admin).status_code == 200
    revoked = assert_error(client.get("/api/sessions", headers=viewer), 401, "unauthenticated")
    assert "revoked" in revoked["message"]
    assert_error(
        client.post("/api/tokens", json={"name": "x", "role": "root"}, headers=admin),
        422,
        "invalid_input",
    )


def test_the_browser_signs_in_with_a_link_and_then_uses_a_cookie(
    client: TestClient, admin: dict[str, str]
) -> None:
    token = admin["Authorization"].removeprefix("Bearer ")
    response = client.get("/login", params={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert "httponly" in response.headers["set-cookie"].lower()
    page = client.get("/")  # the client keeps the cookie
    assert page.status_code == 200
    assert "<html" in page.text
    assert client.get("/assets/echarts.min.js").status_code == 200
    assert_error(client.get("/assets/../../etc/passwd"), 404, "not_found")


def test_ingest_is_idempotent_and_counts(client: TestClient, admin: dict[str, str]) -> None:
    body = jsonl(random_session_records(3, viewers=40, minutes=5))
    first = client.post("/api/events", content=body, headers=admin)
    assert first.status_code == 200, first.text
    accepted = first.json()["accepted"]
    assert accepted == body.count(b"\n")
    again = client.post("/api/events", content=body, headers=admin).json()
    assert again == {"accepted": 0, "duplicates": accepted, "quarantined": {}}
    sessions = client.get("/api/sessions", headers=admin).json()
    assert [(s["session_id"], s["events"]) for s in sessions] == [("session-1", accepted)]


def test_a_mixed_batch_keeps_its_good_records_and_lists_each_bad_one(
    client: TestClient, admin: dict[str, str]
) -> None:
    good = [event_record("comment", event_id=f"c{i}", text="多少钱") for i in range(3)]
    lines = [
        jsonl(good[:1]),
        b'{"event_id": "broken", "type": "comment"\n',
        jsonl([event_record("order.paid", event_id="neg", amount_minor=-5)]),
        jsonl([{**event_record("like", event_id="t"), "type": "teleport"}]),
        b'{"event_id": "bytes", "text": "\xff\xfe"}\n',
        jsonl(good[1:]),
    ]
    response = client.post("/api/events", content=b"".join(lines), headers=admin)
    error = assert_error(response, 422, "invalid_records")
    details = error["details"]
    assert details["accepted"] == 3
    assert [r["location"] for r in details["rejections"]] == [
        "line 2",
        "line 3",
        "line 4",
        "line 5",
    ]
    assert sum(details["quarantined"].values()) == 4
    assert all(r["reason"] and r["detail"] for r in details["rejections"])
    metrics = client.get("/api/sessions/session-1/metrics", headers=admin).json()
    assert metrics["totals"]["comments"] == 3


def test_oversized_and_empty_bodies_are_refused(client: TestClient, admin: dict[str, str]) -> None:
    record = jsonl([event_record("comment", text="好" * 1000)])
    huge = record * (300 * 1024 // len(record))
    error = assert_error(
        client.post("/api/events", content=huge, headers=admin), 413, "payload_too_large"
    )
    assert "limit" in error["message"]
    chunked = client.post(
        "/api/events", content=iter([huge[:200_000], huge[200_000:]]), headers=admin
    )
    assert_error(chunked, 413, "payload_too_large")
    assert_error(client.post("/api/events", content=b"\n \n", headers=admin), 422, "empty_body")
    assert client.get("/api/sessions", headers=admin).json() == []  # nothing partial was stored


def test_reads_of_a_session(client: TestClient, admin: dict[str, str]) -> None:
    body = jsonl(random_session_records(5, viewers=120, minutes=30))
    assert client.post("/api/events", content=body, headers=admin).status_code == 200
    metrics = client.get("/api/sessions/session-1/metrics", headers=admin).json()
    assert metrics["minutes"] == 30
    frame = client.get("/api/sessions/session-1/frame", headers=admin).json()
    assert frame["events"] == metrics["totals"]["events"]
    assert frame["curves"]["online"] == metrics["series"]["online"]
    insights = client.get("/api/sessions/session-1/insights", headers=admin).json()
    assert insights
    assert all(i["insight"]["text_zh"] and i["insight"]["evidence"] for i in insights)
    missing = assert_error(client.get("/api/sessions/nope/frame", headers=admin), 404, "not_found")
    assert "session-1" in missing["message"]


def test_comment_analysis(client: TestClient, admin: dict[str, str]) -> None:
    texts = ["这个多少錢？", "加微信 abc12345 领福利", "主播好美"]
    rows = client.post("/api/comments/analyze", json={"texts": texts}, headers=admin).json()
    assert [r["text"] for r in rows] == texts
    assert "price" in rows[0]["intents"]
    assert rows[0]["is_question"]
    assert rows[1]["is_spam"]
    assert rows[2]["sentiment"]["label"] == "positive"
    too_many = {"texts": ["x"] * 10_001}
    assert_error(
        client.post("/api/comments/analyze", json=too_many, headers=admin), 422, "invalid_request"
    )
    assert_error(
        client.post("/api/comments/analyze", json={"text": "x"}, headers=admin),
        422,
        "invalid_request",
    )


def test_openapi_lists_every_data_route(client: TestClient, admin: dict[str, str]) -> None:
    spec = client.get("/openapi.json", headers=admin).json()
    assert spec["info"]["title"] == "livelens"
    assert {"/api/events", "/api/sessions", "/api/stream", "/api/comments/analyze"} <= set(
        spec["paths"]
    )
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_the_catalog_names_products_on_the_screen(
    client: TestClient, admin: dict[str, str]
) -> None:
    records = [
        event_record("product.click", event_id="k1", product_id="sku-1"),
        event_record("order.paid", event_id="o1", product_id="sku-1", order_id="o-1"),
    ]
    assert client.post("/api/events", content=jsonl(records), headers=admin).status_code == 200
    before = client.get("/api/sessions/session-1/frame", headers=admin).json()
    assert before["products"][0]["name"] == "sku-1"
    catalog = {
        "products": [
            {
                "product_id": "sku-1",
                "title": "轻薄羽绒马甲",
                "category": "服装",
                "list_price_minor": 39900,
                "floor_price_minor": 29900,
                "currency": "CNY",
                "stock": 100,
            }
        ]
    }
    stored = client.put("/api/reference", json=catalog, headers=admin)
    assert stored.json() == {"products": 1, "personas": 0}
    after = client.get("/api/sessions/session-1/frame", headers=admin).json()
    assert after["products"][0]["name"] == "轻薄羽绒马甲"
    bad = client.put("/api/reference", json={"products": [{"title": 1}]}, headers=admin)
    assert "request body" in assert_error(bad, 422, "invalid_reference_data")["message"]
