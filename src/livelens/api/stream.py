"""The push channel: Server-Sent Events carrying live frames to every open screen.

A publisher task asks the hub for the frames of changed sessions every ``interval_s`` and hands
each to the subscribers of that session. A subscriber's queue is short and drops its oldest frame
when full: a slow screen skips to the newest state instead of falling behind or holding memory.

A second task, as often, runs the hub's decision layer for the sessions that completed a minute
(:meth:`LiveHub.decide`: alerts, recommendations — whether anyone watches or not; off the ingest
path). It is a task of its own so that a failure there stops decisions, never the frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Final

from starlette.concurrency import run_in_threadpool

from livelens.api.hub import LiveHub

log = logging.getLogger(__name__)

QUEUE_FRAMES: Final = 4
HEARTBEAT_S: Final = 15.0


@dataclass(eq=False, slots=True)
class Subscription:
    session_id: str | None  # None: every session
    queue: asyncio.Queue[tuple[str, bytes]] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_FRAMES)
    )

    def offer(self, session_id: str, data: bytes) -> None:
        if self.session_id not in (None, session_id):
            return
        if self.queue.full():
            self.queue.get_nowait()  # the newest state replaces the oldest unsent one
        self.queue.put_nowait((session_id, data))


class Broadcaster:
    def __init__(
        self, hub: LiveHub, *, interval_s: float = 0.2, revocation_check_s: float = 5.0
    ) -> None:
        self.hub, self.interval_s = hub, interval_s
        self.revocation_check_s = revocation_check_s
        self.subscriptions: set[Subscription] = set()
        self.frames_sent = 0

    def subscribe(self, session_id: str | None) -> Subscription:
        subscription = Subscription(session_id)
        self.subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)

    async def publish_once(self) -> int:
        if not self.subscriptions:
            return 0
        watched = {subscription.session_id for subscription in self.subscriptions}
        # frames are built only for the sessions someone watches (None: every session)
        wanted = None if None in watched else {s for s in watched if s is not None}
        frames = await run_in_threadpool(self.hub.take_frames, wanted)
        for session_id, data in frames.items():
            for subscription in list(self.subscriptions):
                subscription.offer(session_id, data)
        self.frames_sent += len(frames)
        return len(frames)

    async def run(self) -> None:
        """Publish changed frames; every ``revocation_check_s`` check the personas on air."""
        loop = asyncio.get_running_loop()
        next_check = loop.time()
        while True:
            if loop.time() >= next_check:
                await run_in_threadpool(self.hub.check_revocations)
                next_check = loop.time() + self.revocation_check_s
            await self.publish_once()
            await asyncio.sleep(self.interval_s)

    async def decide(self) -> None:
        """Run the decision layer for the sessions that completed a minute, every ``interval_s``."""
        while True:
            await run_in_threadpool(self.hub.decide)
            await asyncio.sleep(self.interval_s)


def sse_message(event: str, data: bytes, event_id: int | None = None) -> bytes:
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id is not None else "")
    return head.encode() + b"data: " + data + b"\n\n"


async def sse_frames(
    broadcaster: Broadcaster, subscription: Subscription, first: list[tuple[str, bytes]]
) -> AsyncIterator[bytes]:
    """The event stream of one client: the current frames at once, then every change."""
    sent = 0
    try:
        yield b"retry: 2000\n\n"
        for _session, data in first:
            sent += 1
            yield sse_message("frame", data, sent)
        while True:
            try:
                _session, data = await asyncio.wait_for(subscription.queue.get(), HEARTBEAT_S)
            except TimeoutError:
                yield b": heartbeat\n\n"
                continue
            sent += 1
            yield sse_message("frame", data, sent)
    finally:
        broadcaster.unsubscribe(subscription)


@contextlib.asynccontextmanager
async def publishing(broadcaster: Broadcaster) -> AsyncIterator[None]:
    tasks = [
        asyncio.create_task(broadcaster.run(), name="livelens-publisher"),
        asyncio.create_task(broadcaster.decide(), name="livelens-decisions"),
    ]
    for task in tasks:
        task.add_done_callback(_report_failure)
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())
