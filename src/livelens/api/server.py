"""Opening a store as a running service, and serving it with uvicorn in a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from livelens.api.alert_outbox import Webhook
from livelens.api.app import create_app
from livelens.api.hub import LiveHub
from livelens.api.tokens import IssuedToken, TokenRegistry
from livelens.comments.analyze import CommentAnalyzer
from livelens.comments.hotwords import load_stopwords
from livelens.errors import ConfigurationError
from livelens.events.pseudonymise import Pseudonymiser, load_or_create_key
from livelens.knowledge.playbooks import Playbook
from livelens.settings import Settings, data_dir
from livelens.store.duckdb import DuckDBStore


@dataclass(slots=True)
class Service:
    store: DuckDBStore
    hub: LiveHub
    tokens: TokenRegistry
    app: FastAPI
    first_admin: IssuedToken | None  # created now (an empty store): its secret is shown once

    def close(self) -> None:
        with self.hub.lock:
            self.app.state.qa.close()  # the Q&A logs write what is left on their own cursors
            self.store.close()


def open_hub(
    store: DuckDBStore,
    pseudonymiser: Pseudonymiser,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    webhooks: Sequence[Webhook] | None = None,
    playbooks: Sequence[Playbook] | None = None,
) -> LiveHub:
    """A live hub over ``store`` with the store's events folded in: comments analysed knowing
    its display names, hot words without the shared stopwords (``webhooks`` and ``playbooks``
    as :class:`LiveHub` takes them)."""
    hub = LiveHub(
        store,
        pseudonymiser,
        CommentAnalyzer(store.display_names().values()),
        stopwords=load_stopwords(data_dir() / "stopwords"),
        clock=clock,
        webhooks=webhooks,
        playbooks=playbooks,
    )
    hub.replay()
    return hub


def open_service(
    db: Path,
    settings: Settings,
    *,
    publish_interval_s: float = 0.2,
    playbooks: Sequence[Playbook] | None = None,
) -> Service:
    """Open (or create) the store, fold its events into a live engine, and build the app;
    ``playbooks`` (default: the starter library) drive the live recommender and the routes."""
    store = DuckDBStore(db)
    hub = open_hub(store, Pseudonymiser(load_or_create_key(settings.key_path)), playbooks=playbooks)
    tokens = TokenRegistry(store, hub.lock)
    first_admin = tokens.ensure_admin(now=datetime.now(UTC))
    if first_admin is not None:
        hub.record("system", "token.create", first_admin.info.token_id, {"role": "admin"})
    app = create_app(hub, tokens, publish_interval_s=publish_interval_s)
    return Service(store=store, hub=hub, tokens=tokens, app=app, first_admin=first_admin)


class ServerThread:
    """uvicorn serving ``app`` on a background thread; ``start`` returns once it listens."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.host = host
        self.thread = threading.Thread(target=self.server.run, name="livelens-http", daemon=True)

    @property
    def port(self) -> int:
        servers = getattr(self.server, "servers", [])
        for server in servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return int(self.server.config.port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 15.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                msg = (
                    f"the HTTP server did not start on {self.host}:{self.server.config.port} "
                    "(is the port in use? choose another with --port)"
                )
                raise ConfigurationError(msg)
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
