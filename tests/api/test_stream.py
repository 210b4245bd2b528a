"""The push channel over a real socket: a client receives the current frame at once and a new
frame after each ingest, without asking again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from livelens.api.server import ServerThread, Service, open_service
from livelens.settings import Settings
from livelens.testing import jsonl, random_session_records


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Service, ServerThread]]:
    service = open_service(
        tmp_path / "s.duckdb", Settings(home=tmp_path / "home"), publish_interval_s=0.05
    )
    server = ServerThread(service.app, "127.0.0.1", 0).start()
    yield service, server
    server.stop()
    service.close()


def frames(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    event = None
    for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "frame":
            yield json.loads(line.removeprefix("data: "))


@pytest.mark.parametrize("watch", [{"session": "session-1"}, {}], ids=["one session", "all"])
def test_frames_are_pushed_after_each_ingest(
    served: tuple[Service, ServerThread], watch: dict[str, str]
) -> None:
    service, server = served
    assert service.first_admin is not None
    headers = {"Authorization": f"Bearer {service.first_admin.token}"}
    records = random_session_records(9, viewers=80, minutes=12)
    halves = [records[: len(records) // 2], records[len(records) // 2 :]]
    with httpx.Client(base_url=server.url, headers=headers, timeout=20) as client:
        assert client.post("/api/events", content=jsonl(halves[0])).status_code == 200
        with client.stream("GET", "/api/stream", params=watch) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            received = frames(stream.iter_lines())
            first = next(received)
            assert first["session_id"] == "session-1"
            assert first["events"] == len(halves[0])
            assert client.post("/api/events", content=jsonl(halves[1])).status_code == 200
            # a frame of the first half may still be on its way (it was marked changed before
            # anyone watched); the push that follows the second ingest counts everything
            pushed = next(received)
            if pushed["events"] == len(halves[0]):
                pushed = next(received)
            assert pushed["events"] == len(records)
            assert pushed["minute"] > first["minute"]


def test_the_stream_needs_a_token(served: tuple[Service, ServerThread]) -> None:
    _service, server = served
    response = httpx.get(server.url + "/api/stream", timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
