"""Signed webhook delivery with retries and a dead-letter log.

Each delivery is one HTTP POST of a JSON body with three headers:

* ``X-Livelens-Delivery`` — the delivery id (the same on every retry: receivers deduplicate on it);
* ``X-Livelens-Timestamp`` — Unix seconds when this attempt was signed;
* ``X-Livelens-Signature`` — ``v1=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under the
  shared secret (:func:`verify_signature` is the receiver's side, with a replay window).

A 2xx answer delivers. A connection error, a timeout, 408, 429 or a 5xx is retried with
exponential back-off (``backoff_s · 2^k``), up to ``max_attempts``; any other answer, or the
last failed attempt, puts the payload in the dead-letter log with the reason, so that nothing is
lost silently.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, Literal, Protocol

import msgspec

from livelens.errors import InvalidInput

SIGNATURE_VERSION: Final = "v1"
RETRY_STATUSES: Final = frozenset({408, 429})
REPLAY_WINDOW_S: Final = 300


class DeadLetters(Protocol):
    def dead_letter(
        self, delivery_id: str, url: str, at: datetime, attempts: int, error: str, payload: bytes
    ) -> None: ...


class Delivery(msgspec.Struct, kw_only=True, frozen=True):
    delivery_id: str
    status: Literal["delivered", "dead"]
    attempts: int
    last_error: str | None = None


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify_signature(
    secret: bytes, body: bytes, timestamp: str, signature: str, now_s: float
) -> bool:
    """The receiver's check: the signature matches and the timestamp is within 5 minutes."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now_s - stamp) > REPLAY_WINDOW_S:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


class WebhookSink:
    """POSTs JSON payloads to one URL; see the module docstring for the protocol."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        dead_letters: DeadLetters,
        *,
        max_attempts: int = 5,
        backoff_s: float = 0.5,
        timeout_s: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not url.startswith(("http://", "https://")):
            msg = f"webhook URL {url!r}: expected http:// or https://"
            raise InvalidInput(msg)
        if not secret:
            msg = "webhook secret is empty: receivers could not verify the signature"
            raise InvalidInput(msg)
        if max_attempts < 1:
            msg = f"max_attempts must be ≥ 1, got {max_attempts}"
            raise InvalidInput(msg)
        self.url, self.secret, self.dead_letters = url, secret, dead_letters
        self.max_attempts, self.backoff_s, self.timeout_s = max_attempts, backoff_s, timeout_s
        self._sleep, self._clock = sleep, clock

    def _attempt(self, delivery_id: str, body: bytes) -> tuple[bool, bool, str]:
        """(delivered, worth retrying, what happened)."""
        stamp = int(self._clock().timestamp())
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "livelens-webhook",
                "X-Livelens-Delivery": delivery_id,
                "X-Livelens-Timestamp": str(stamp),
                "X-Livelens-Signature": sign(self.secret, stamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                return True, False, f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            retry = error.code >= 500 or error.code in RETRY_STATUSES
            return False, retry, f"HTTP {error.code} {error.reason}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            return False, True, f"unreachable: {reason}"

    def deliver(self, delivery_id: str, payload: object) -> Delivery:
        body = msgspec.json.encode(payload)
        error = ""
        for attempt in range(1, self.max_attempts + 1):
            delivered, retry, error = self._attempt(delivery_id, body)
            if delivered:
                return Delivery(delivery_id=delivery_id, status="delivered", attempts=attempt)
            if not retry or attempt == self.max_attempts:
                break
            self._sleep(self.backoff_s * 2 ** (attempt - 1))
        self.dead_letters.dead_letter(delivery_id, self.url, self._clock(), attempt, error, body)
        return Delivery(delivery_id=delivery_id, status="dead", attempts=attempt, last_error=error)
