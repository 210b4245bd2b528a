"""Access control: roles narrowed by scopes, expiry, and workspaces isolated on every route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_api import assert_error, every_route

from livelens.api.app import create_app
from livelens.api.server import Service, open_service
from livelens.api.tokens import PERMISSIONS, TokenRegistry, require
from livelens.errors import AuthenticationError, InvalidInput
from livelens.settings import Settings
from livelens.testing import jsonl, random_session_records

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def workspaces(tmp_path: Path) -> Iterator[tuple[Service, Service]]:
    """Two workspaces (tenants): each its own store, key and tokens."""
    a = open_service(tmp_path / "a.duckdb", Settings(home=tmp_path / "home", workspace="a"))
    b = open_service(tmp_path / "b.duckdb", Settings(home=tmp_path / "home", workspace="b"))
    yield a, b
    a.close()
    b.close()


def test_a_token_of_one_workspace_opens_nothing_in_another(
    workspaces: tuple[Service, Service],
) -> None:
    a, b = workspaces
    assert a.first_admin is not None
    assert b.first_admin is not None
    body = jsonl(random_session_records(2, viewers=20, minutes=3))
    own = {"Authorization": f"Bearer {b.first_admin.token}"}
    foreign = {"Authorization": f"Bearer {a.first_admin.token}"}
    with TestClient(create_app(b.hub, b.tokens)) as client:
        assert client.post("/api/events", content=body, headers=own).status_code == 200
        routes = every_route(client)
        assert len(routes) >= 20
        for method, path in routes:
            if path in ("/", "/login"):
                continue  # the page and the sign-in link answer with the sign-in hint
            response = client.request(method, path, headers=foreign)
            assert_error(response, 401, "unauthenticated")
            assert "another workspace" in response.json()["error"]["message"]
            linked = client.request(method, path, params={"token": a.first_admin.token})
            assert linked.status_code == 401, (method, path)
        assert client.get("/", headers=foreign).status_code == 401
        assert client.get("/login", params={"token": a.first_admin.token}).status_code == 401
        assert client.get("/api/sessions", headers=own).json()[0]["session_id"] == "session-1"


def test_roles_and_scopes(workspaces: tuple[Service, Service]) -> None:
    a, _ = workspaces
    tokens = a.tokens
    assert set(PERMISSIONS) == {"viewer", "analyst", "operator", "manager", "compliance", "admin"}
    narrowed = tokens.issue("read-only admin", "admin", now=NOW, scopes=["read"]).info
    assert narrowed.permissions == {"read"}
    require(narrowed, "read")
    with pytest.raises(AuthenticationError, match="limited to read"):
        require(narrowed, "tokens")
    with pytest.raises(InvalidInput, match="a scope can only narrow a role"):
        tokens.issue("sneaky", "viewer", now=NOW, scopes=["ingest"])
    with TestClient(create_app(a.hub, tokens)) as client:
        assert a.first_admin is not None
        admin = {"Authorization": f"Bearer {a.first_admin.token}"}
        created = client.post(
            "/api/tokens",
            json={"name": "screen", "role": "operator", "scopes": ["read"]},
            headers=admin,
        ).json()
        screen = {"Authorization": f"Bearer {created['token']}"}
        assert client.get("/api/sessions", headers=screen).status_code == 200
        refused = client.post("/api/events", content=b"{}", headers=screen)
        assert_error(refused, 403, "forbidden")


def test_an_expired_token_is_refused(tmp_path: Path) -> None:
    clock = [NOW]
    opened = open_service(tmp_path / "x.duckdb", Settings(home=tmp_path / "home"))
    try:
        tokens = TokenRegistry(opened.store, clock=lambda: clock[0])
        issued = tokens.issue("contractor", "viewer", now=NOW, expires_at=NOW + timedelta(days=1))
        assert tokens.authenticate(issued.token).name == "contractor"
        clock[0] = NOW + timedelta(days=1)
        with pytest.raises(AuthenticationError, match="expired"):
            tokens.authenticate(issued.token)
        reopened = TokenRegistry(opened.store, clock=lambda: clock[0])  # expiry is stored
        with pytest.raises(AuthenticationError, match="expired"):
            reopened.authenticate(issued.token)
        with pytest.raises(InvalidInput, match="after now"):
            tokens.issue("late", "viewer", now=NOW, expires_at=NOW - timedelta(seconds=1))
    finally:
        opened.close()
