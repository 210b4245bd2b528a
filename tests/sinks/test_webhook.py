"""Webhook delivery against a real HTTP server on 127.0.0.1: signed, retried, dead-lettered."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import msgspec
import pytest

from livelens.errors import InvalidInput
from livelens.intelligence.alert_store import AlertStore
from livelens.sinks.webhook import WebhookSink, sign, verify_signature
from livelens.store.duckdb import DuckDBStore

SECRET = b"s3cret"


class Receiver:
    """A webhook endpoint that answers the statuses it is given, in turn, then 200."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {
                        "body": body,
                        "delivery": self.headers["X-Livelens-Delivery"],
                        "valid": verify_signature(
                            SECRET,
                            body,
                            self.headers["X-Livelens-Timestamp"],
                            self.headers["X-Livelens-Signature"],
                            time.time(),
                        ),
                    }
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AlertStore]:
    with DuckDBStore(tmp_path / "s.duckdb") as db:
        yield AlertStore(db.con)


def sink(url: str, store: AlertStore, sleeps: list[float], **options: Any) -> WebhookSink:
    return WebhookSink(url, SECRET, store, sleep=sleeps.append, **options)


def test_delivered_signed_after_retries(receiver: Receiver, store: AlertStore) -> None:
    receiver.statuses = [503, 429]
    sleeps: list[float] = []
    delivery = sink(receiver.url, store, sleeps, backoff_s=0.25).deliver("al_1", {"metric": "gmv"})
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert sleeps == [0.25, 0.5]  # exponential back-off
    assert [r["delivery"] for r in receiver.received] == ["al_1"] * 3  # one id for every retry
    assert all(r["valid"] for r in receiver.received)
    assert msgspec.json.decode(receiver.received[-1]["body"]) == {"metric": "gmv"}
    assert store.dead_letters() == []


def test_a_refusal_is_dead_lettered_at_once(receiver: Receiver, store: AlertStore) -> None:
    receiver.statuses = [400]
    sleeps: list[float] = []
    delivery = sink(receiver.url, store, sleeps).deliver("al_2", {"n": 1})
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        "dead",
        1,
        "HTTP 400 Bad Request",
    )
    assert sleeps == []
    (letter,) = store.dead_letters()
    assert (letter["delivery_id"], letter["attempts"], letter["url"]) == ("al_2", 1, receiver.url)
    assert msgspec.json.decode(letter["payload"]) == {"n": 1}  # nothing lost


def test_an_unreachable_endpoint_is_dead_lettered_after_every_attempt(store: AlertStore) -> None:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()  # nothing listens there now
    sleeps: list[float] = []
    delivery = sink(
        f"http://127.0.0.1:{port}/", store, sleeps, max_attempts=3, backoff_s=1
    ).deliver("al_3", {})
    assert (delivery.status, delivery.attempts) == ("dead", 3)
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("unreachable")
    assert sleeps == [1, 2]
    assert [d["delivery_id"] for d in store.dead_letters()] == ["al_3"]


def test_signatures() -> None:
    body = b'{"a":1}'
    now = datetime(2026, 11, 28, tzinfo=UTC).timestamp()
    signature = sign(SECRET, int(now), body)
    assert signature.startswith("v1=")
    assert verify_signature(SECRET, body, str(int(now)), signature, now + 10)
    assert not verify_signature(SECRET, body + b" ", str(int(now)), signature, now)  # altered body
    assert not verify_signature(b"other", body, str(int(now)), signature, now)  # wrong secret
    assert not verify_signature(SECRET, body, str(int(now)), signature, now + 301)  # replayed late
    assert not verify_signature(SECRET, body, "yesterday", signature, now)


@pytest.mark.parametrize(
    ("url", "secret", "message"),
    [("ftp://x", SECRET, "http"), ("http://x", b"", "secret is empty")],
)
def test_bad_configuration(store: AlertStore, url: str, secret: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        WebhookSink(url, secret, store)
