"""Alert webhooks of a served store: which receivers, what they get, and the thread that sends.

The receivers are configured in the environment of ``livelens serve``: ``LIVELENS_ALERT_WEBHOOKS``
(URLs separated by spaces or commas), all signed with ``LIVELENS_WEBHOOK_SECRET`` — the secret
``livelens alerts scan --webhook`` signs with. The live decision layer
(:mod:`livelens.api.decisions`) hands each alert that opened or resolved to a
:class:`WebhookOutbox`, whose own thread delivers it (:class:`~livelens.sinks.webhook.WebhookSink`:
signed, retried with back-off, dead-lettered into the store when no attempt succeeds), so ingest
never waits on a receiver. The delivery id is the alert id (``…:resolved`` for its resolution):
the same on every retry and on a re-scored session, for receivers to deduplicate.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import duckdb
import msgspec

from livelens.errors import ConfigurationError
from livelens.intelligence.alert_store import AlertStore
from livelens.intelligence.alerts import AlertChange
from livelens.sinks.webhook import Delivery, WebhookSink

log = logging.getLogger(__name__)

WEBHOOKS_ENV: Final = "LIVELENS_ALERT_WEBHOOKS"
SECRET_ENV: Final = "LIVELENS_WEBHOOK_SECRET"  # noqa: S105 - the variable's name
KEPT_DELIVERIES: Final = 100


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str
    secret: bytes = field(repr=False)


def webhooks_from_env(environ: Mapping[str, str] | None = None) -> list[Webhook]:
    """The alert webhooks of a served store: ``LIVELENS_ALERT_WEBHOOKS`` (URLs separated by spaces
    or commas), all signed with ``LIVELENS_WEBHOOK_SECRET`` (as ``livelens alerts scan``)."""
    env = os.environ if environ is None else environ
    urls = env.get(WEBHOOKS_ENV, "").replace(",", " ").split()
    secret = env.get(SECRET_ENV, "").encode()
    if urls and not secret:
        msg = (
            f"{WEBHOOKS_ENV} names {len(urls)} webhook(s) but {SECRET_ENV} is empty: "
            "set the signing secret the receivers verify"
        )
        raise ConfigurationError(msg)
    return [Webhook(url, secret) for url in urls]


def alert_payload(change: AlertChange) -> dict[str, Any]:
    """The JSON a webhook receives: the alert, what changed, its message in both languages."""
    body: dict[str, Any] = msgspec.to_builtins(change.alert)
    return {
        "kind": "livelens.alert",
        "change": change.change,
        **body,
        "message_zh": change.alert.message_zh,
        "message_en": change.alert.message_en,
    }


class LockedDeadLetters:
    """Dead letters written under the hub's lock (the worker thread shares the store)."""

    def __init__(self, lock: threading.Lock, alerts: AlertStore) -> None:
        self.lock, self.alerts = lock, alerts

    def dead_letter(
        self, delivery_id: str, url: str, at: datetime, attempts: int, error: str, payload: bytes
    ) -> None:
        with self.lock:
            try:
                self.alerts.dead_letter(delivery_id, url, at, attempts, error, payload)
            except duckdb.Error as problem:  # the store closed while a delivery was retrying
                log.error("webhook %s to %s: dead letter not stored: %s", delivery_id, url, problem)


class WebhookOutbox:
    """Deliveries run one at a time, in order, on a daemon thread started with the first one.

    ``send`` only queues: a slow or dead receiver delays other deliveries, never the caller.
    """

    def __init__(self, sinks: Sequence[WebhookSink]) -> None:
        self.sinks = list(sinks)
        self.deliveries: list[Delivery] = []  # what happened, most recent last (bounded)
        self._queue: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._thread: threading.Thread | None = None

    def send(self, delivery_id: str, payload: dict[str, Any]) -> None:
        if not self.sinks:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="livelens-webhooks", daemon=True)
            self._thread.start()
        self._queue.put((delivery_id, payload))

    def join(self) -> None:
        """Wait until everything queued so far was delivered or dead-lettered (tests, shutdown)."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            delivery_id, payload = self._queue.get()
            try:
                for sink in self.sinks:
                    delivered = sink.deliver(delivery_id, payload)
                    self.deliveries = [*self.deliveries[1 - KEPT_DELIVERIES :], delivered]
            finally:
                self._queue.task_done()
